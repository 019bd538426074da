// Package console is tartansim serve: Tartan's console in a box. A Server
// serves one web page (HTML, CSS and JavaScript embedded in the binary;
// nothing is fetched from anywhere else) and the JSON control API under
// /api/console/ that the page uses, so that a script can do whatever the
// page does:
//
//   - the endpoint: webhook URL, state probe, byte layout, and the
//     subscription (fixtures.Subscription: only subscribed events are sent,
//     test sends and EOD re-sends alike); the app key comes only from Key
//     and is never shown or returned;
//   - test webhooks: a realistic payload from the fixtures generator, edited
//     or not, signed and sent, with the exact request (headers, body, a curl
//     line) and the answer;
//   - runs: a built-in scenario or the conformance checks, with progress as
//     server-sent events and the verdicts with their evidence, judged as the
//     CLI judges them (the same settle budget, Settle); a run that judged
//     nothing is NOTHING_JUDGED, never PASS;
//   - the log: every attempt, a deliverylog.Attempt, newest first, with
//     what was expected of the consumer and whether it was met; searched
//     (Filter, ParseFilter) by event, org prefix, requestId, syncSessionId,
//     status, expectation, source, outcome and time; opened, resent byte
//     for byte, exported as the NDJSON delivery log; one EOD batch, at 23:59
//     IST by itself or when asked, re-sends every delivery of the log that
//     deliverylog.DueAtEOD says is due, whatever made it (the mock API's go
//     back through it: EODThrough; and so do its resends: ResendThrough).
//
// Every control refuses bad input with a 4xx and {"message", "field"}, an
// unknown JSON key by name, and changes nothing when it refuses.
//
// The log, the settings and the last runs live in a Store on disk (bbolt),
// and survive a restart: a run the server stopped under is interrupted.
// Memory holds a bounded window of the newest attempts (without their bytes) and the counts,
// however long the server runs.
//
// The server defends itself as a local server that holds a signing key and
// sends requests on command must: it listens on loopback by default,
// refuses a Host header that is not its own address (DNS rebinding),
// takes state-changing requests only from its own origin (CSRF), sends no
// CORS headers, and will not start on another address without a Token.
// Mount adds other handlers (an API for consumers to call) beside the
// console, behind the Host check only.
//
// Usage:
//
//	srv, err := console.New(console.StorePath("console.db"), console.Key(key))
//	if err != nil { ... }
//	defer srv.Close()
//	ln, err := srv.Listen()
//	if err != nil { ... }
//	fmt.Println("console:", srv.URL())
//	err = srv.Serve(ctx, ln) // until ctx ends, then a graceful shutdown
package console
