// Package serve is Tartan in a box as a whole, what tartansim serve runs:
// the console (package console: its page, its control API, its delivery
// log and one EOD batch) and, beside it, the mock of Tartan's REST API and
// its simulated corporates (package box), wired together in one place:
//
//   - the box follows the console's settings: where webhooks go and the
//     key that signs them, the state probe, the subscription, the byte
//     layout; a change of key makes a new box;
//   - every webhook the box sends appears in the console's Deliveries list
//     (source "api"), its re-sends grouped with their first send;
//   - the console's one EOD batch hands the API's failed deliveries back
//     to the box, which re-sends them and counts them in its verdicts;
//   - Tartan's API is served under /api/ and the mock-only controls (the
//     verdicts, faults, EOD) under box.ControlPrefix, with the console's
//     checks: its own Host, and for the controls its own origin.
//
// Until the box can sign (a webhook URL of the user's own and no app key),
// the API answers 503 with why.
//
// Usage:
//
//	srv, err := serve.New(serve.Options{
//		Console: []console.Option{console.StorePath("console.db"), console.Key(appKey)},
//		APIKey:  apiKey,
//		Box:     []box.Option{box.AcceptAfter(30 * time.Second)},
//	})
//	if err != nil { ... }
//	defer srv.Close()
//	ln, err := srv.Listen()
//	if err != nil { ... }
//	err = srv.Serve(ctx, ln) // until ctx ends
package serve
