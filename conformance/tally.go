package conformance

import (
	"fmt"

	"github.com/tartansim/tartansim/judge"
)

// Tally counts results: PASS passed, FAIL failed, SKIP skipped. A run in
// which every check was skipped, or that has no result, judged nothing:
// its Outcome is judge.NothingJudged, never a pass, and Why says why,
// with the reason of the first check skipped.
func Tally(results []Result) judge.Tally {
	var t judge.Tally
	var first *Result // the first one skipped
	for i, r := range results {
		switch r.Verdict {
		case Pass:
			t.Passed++
		case Fail:
			t.Failed++
		default:
			t.Skipped++
			if first == nil {
				first = &results[i]
			}
		}
	}
	switch {
	case t.Outcome() != judge.NothingJudged:
	case first == nil:
		t.Why = "no check was run"
	case t.Skipped == 1:
		t.Why = fmt.Sprintf("check %s was skipped: %s", first.ID, first.Reason)
	default:
		t.Why = fmt.Sprintf("all %d checks were skipped, e.g. %s: %s", t.Skipped, first.ID, first.Reason)
	}
	return t
}
