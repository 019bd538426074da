package conformance_test

import (
	"fmt"
	"os"
	"time"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/fixtures"
)

// The report of a run of three checks against a consumer without a state
// probe, as tartansim conformance writes it: one passed, one skipped, one
// failed with its evidence.
func ExampleWriteText() {
	run := conformance.RunInfo{Checks: 3, Target: "http://127.0.0.1:8080/webhook", Parallel: 4, Timeout: 10 * time.Second,
		Settle: 10 * time.Second, Seed: 42, Events: fixtures.All, Reproduce: "tartansim conformance --seed 42 --label-filter 'signature'"}
	results := []conformance.Result{
		{ID: "SIG-VALID", Label: "signature", Title: "accepts valid signatures", Verdict: conformance.Pass, Elapsed: 21 * time.Millisecond},
		{ID: "SIG-MISSING", Label: "signature", Title: "rejects a delivery without tartan-signature", Verdict: conformance.Skip,
			Reason: "needs a state probe to judge that a forged delivery had no effect", Elapsed: 16 * time.Millisecond},
		{ID: "SIG-EMPTY", Label: "signature", Title: "rejects an empty signature", Verdict: conformance.Fail,
			Reason: "a forged delivery was acknowledged", Details: []string{"delivery 3 (signature:empty) answered 200 OK in 1ms"}, Elapsed: 12 * time.Millisecond},
	}
	err := conformance.WriteText(os.Stdout, run, conformance.Summary{Results: results, Elapsed: 32 * time.Millisecond})
	if err != nil {
		panic(err)
	}
	// Output:
	// tartansim conformance: 3 check(s) against http://127.0.0.1:8080/webhook, 4 at once
	// probe: none: checks that need state will be SKIP; ack budget 10s; settle up to 10s; seed 42
	// events: all
	//
	//   PASS  SIG-VALID        signature  accepts valid signatures (21ms)
	//   SKIP  SIG-MISSING      signature  rejects a delivery without tartan-signature (16ms)
	//         skipped: needs a state probe to judge that a forged delivery had no effect
	//   FAIL  SIG-EMPTY        signature  rejects an empty signature (12ms)
	//         - delivery 3 (signature:empty) answered 200 OK in 1ms
	//
	// 3 check(s): 1 passed, 1 failed, 1 skipped in 32ms (seed 42)
	// reproduce: tartansim conformance --seed 42 --label-filter 'signature'
}

// The plan of a dry run: what each check needs to be judged.
func ExampleWritePlan() {
	var lifecycle []conformance.Check
	for _, c := range conformance.Checks() {
		if c.Label == conformance.LabelLifecycle {
			lifecycle = append(lifecycle, c)
		}
	}
	if err := conformance.WritePlan(os.Stdout, lifecycle); err != nil {
		panic(err)
	}
	// Output:
	// # dry run: nothing is sent
	// LIFE-SYNC        lifecycle  needs a state probe (SKIP without)   holds the truth after an invite, an initial sync of 105 employees, delta adds, updates and leavers
	// LIFE-CONNECTION  lifecycle  needs a state probe (SKIP without)   follows the connection: invited, then terminated, and a late invite does not undo it
	// LIFE-TERMINATION lifecycle  needs a state probe (SKIP without)   keeps an org's records after its termination, those re-sent after it too (none, if its probe declares a purge)
}

// A run stopped because the consumer stopped answering says so in every
// check it did not judge.
func ExampleStarved() {
	why := &conformance.Starved{Check: "DEL-BURST", Deliveries: 12, ProbeReads: 1}
	fmt.Println("not judged: " + why.Error())
	// Output:
	// not judged: the consumer stopped answering during DEL-BURST: 12 deliveries and 1 state probe read timed out one after another, with no answer between them
}
