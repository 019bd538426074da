// Package consumer is the reference Tartan HyperSync webhook consumer: a
// plain net/http handler that does everything a correct consumer should,
// kept small enough to copy. tartansim uses it as its default target.
//
// # Mounting it
//
//	c := consumer.New([]byte(os.Getenv("TARTAN_APP_KEY")),
//		consumer.Logger(slog.Default()),
//	)
//	srv := consumer.NewServer(":8080", c.Handler()) // POST /webhook, GET /probe
//	log.Fatal(srv.ListenAndServe())
//
// Or mount the pieces on a mux of your own: a *Consumer is the webhook
// handler, and Probe returns the state probe.
//
//	mux.Handle("POST /hooks/tartan", c)
//
// # What it does with a delivery
//
// It reads the raw body (at most MaxBody bytes, else 413), verifies the
// tartan-signature header over those exact bytes with sender.Verify, in
// constant time (else 401), and only then parses the JSON (else 400). It never
// re-encodes the body before verifying: Tartan may send any spacing or
// escaping, and a consumer that hashes its own re-serialisation rejects valid
// deliveries. It answers 200 from memory, without waiting on anything.
//
// A delivery is applied at most once per requestId, even when identical
// deliveries race: Tartan has no replay protection and re-sends failed
// deliveries, so idempotency is the consumer's job. The requestId is opaque
// (Tartan's own examples include one that is not a UUID).
//
// Effects, per org (the envelope's orgId):
//
//   - sync.events.initiated is recorded as applied; it changes no other state.
//   - sync.events.employee.add (initial or delta) and
//     sync.events.employee.update (complete records) upsert each record by
//     employeeId, stored as received. A leaver is an update with status
//     "Not Active": it is kept, never deleted.
//   - connection.events.requested, .terminated, and the undocumented
//     .accepted and .failed set the connection status from body[0].status.
//   - Any other event, and any unknown field, is acknowledged 200 and ignored.
//
// # The ordering rule: an older redelivery never overwrites newer data
//
// Tartan re-sends every failed delivery at the end of the day with identical
// bytes, after newer events may have arrived. So each employee record, and
// each org's connection status, keeps the stamp of the write that set it, and
// an incoming write is applied only if its stamp is not older. Stamps compare
// by:
//
//  1. timeStamp, parsed as "2006-01-02 15:04:05" UTC, at one-second
//     resolution. An empty or unparseable timeStamp is unknown, and unknown is
//     older than every known time: such a write may create a record that does
//     not exist, or replace one that is also unknown, but never overwrites one
//     with a known timeStamp.
//  2. webhookCounter, only when the timeStamps are equal (or both unknown) and
//     both deliveries carry the same syncSessionId: the higher counter is newer.
//  3. Otherwise it is a tie, and a tie is not older: the later arrival wins.
//
// A write skipped by this rule still counts as handled: the delivery is
// answered 200, recorded as applied, and the skip is counted in Decision.Stale.
//
// # Observing it
//
// Every request to the webhook yields a Decision, logged and passed to the
// Observe callback. State, or GET ProbePath?orgId=…, shows what is held about
// an org (contract v1, see State); the probe is for test harnesses only.
//
// # Limits
//
// Everything is in memory and lost on restart. The set of applied requestIds
// grows with every delivery and is never pruned, which is right for a
// reference consumer and a test run, not for production, where it belongs in
// a database with a retention longer than Tartan's retry window.
package consumer
