// Package box is Tartan in a box: Tartan's REST API and the corporates it
// syncs, simulated from one state, and the signed webhooks both send to the
// consumer under test. What a consumer reads from the API always agrees
// with what the webhooks carried, so the whole of an integration can be
// tested end to end: the consumer's own Generate SDK token call invites a
// corporate, the corporate accepts, its employees arrive in batches of at
// most ten, the consumer reconciles from employee_list, terminates, and the
// box judges what the consumer holds.
//
// # Mounting it
//
//	b, err := box.New("https://consumer.example/webhooks/tartan", appKey, apiKey,
//		box.AcceptAfter(5*time.Second),
//		box.WithProbe(probe.HTTP("https://consumer.example/probe", nil)))
//	if err != nil {
//		return err // wraps box.ErrBadOption, or the sender's ErrBadTarget
//	}
//	defer b.Close()
//	mux.Handle("/api/", b.Handler())             // Tartan's API, behind the API key
//	mux.Handle(box.ControlPrefix, b.Controls()) // the mock-only controls
//
// For a test suite, boxtest.NewServer does this on a loopback port.
//
// # The state
//
// Each corporate has a simulated HRMS (realistic employees from package
// fixtures) and what Tartan has synced from it. A sync sends the
// difference: the initial sync every employee, a delta the joiners (adds)
// and the employees whose record changed (complete records, leavers
// included). employee_list's source=db is exactly the records the syncs
// sent, whether or not the consumer acknowledged them; source=hrms is the
// HRMS now, ahead by whatever Change made and no sync has sent yet.
//
// # Webhooks
//
// Webhooks are built by fixtures, encoded by wire in the Layout chosen,
// signed with the app key and posted by sender, one at a time per
// corporate (up to Connections corporates at once, taking turns) in the order
// they were made, as the subscription (Events) sends. FailNext drops or
// loses the answer of the next first sends; EOD (once per delivery, by
// deliverylog.DueAtEOD) and Resend send the stored bytes again, signature
// included. Deliveries is the log, each send a deliverylog.Attempt.
//
// # Time
//
// The Clock decides when invites are accepted (AcceptAfter), when delta
// syncs run (Schedule, weekly on Monday 03:18 UTC by default) and when the
// EOD batch runs by itself (EODSchedule, none by default), and what
// timeStamp each webhook carries: the clock when the webhook is built for
// sending, to the second, never ahead of it and never before the org's
// previous stamp. Tests pass a *clock.Fake and Advance it: a week passes
// at once, and never a wall-clock sleep.
//
// # Verdicts
//
// With a probe, the box judges an org each time the last session queued
// for it has been sent: it waits for the consumer's state to settle
// (judge.Await) and holds it against the truth of what the consumer
// acknowledged (judge.Truth), the deliveries it did not acknowledge
// being uncertain, since it may have read them from employee_list.
// Verdict, Verdicts and AwaitVerdict give it in Go, the controls as JSON.
//
// Our decisions where Tartan's documentation is silent are the constants of
// decisions.go and the table Decisions; docs/api.md is the reference.
package box
