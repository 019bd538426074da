package scenarios

import (
	"fmt"

	"github.com/tartansim/tartansim/judge"
)

// Judged reports whether the run sent something to the consumer and so
// was judged: not a dry run, not interrupted, and at least one request
// written. A scenario whose webhooks the subscription left out, or whose
// steps make none, was not.
func (r *Report) Judged() bool {
	if r.DryRun || r.Interrupted {
		return false
	}
	for _, s := range r.Steps {
		if s.Sent > 0 {
			return true
		}
	}
	return false
}

// NotJudgedWhy says why a report that was not judged (see Judged) was not,
// as a clause after the scenario's name: "sent nothing: …".
func (r *Report) NotJudgedWhy() string {
	switch {
	case r.DryRun:
		return "was a dry run"
	case r.Interrupted:
		return "was interrupted"
	}
	left := 0
	for _, s := range r.Steps {
		left += s.Unsubscribed
	}
	if left > 0 {
		return fmt.Sprintf("sent nothing: the subscription leaves out all %d webhooks it makes", left)
	}
	return "sent nothing: its steps make no webhook"
}

// TallyReports counts reports: a report that was not judged (see Judged)
// is skipped, the others passed or failed (Report.Passed). For a run that
// judged nothing, Why names the first scenario and why it was not judged.
func TallyReports(reports ...*Report) judge.Tally {
	var t judge.Tally
	var first *Report // the first one not judged
	for _, r := range reports {
		switch {
		case !r.Judged():
			t.Skipped++
			if first == nil {
				first = r
			}
		case r.Passed():
			t.Passed++
		default:
			t.Failed++
		}
	}
	switch {
	case t.Outcome() != judge.NothingJudged:
	case first == nil:
		t.Why = "no scenario was played"
	case len(reports) == 1:
		t.Why = fmt.Sprintf("scenario %s %s", first.Scenario, first.NotJudgedWhy())
	default:
		t.Why = fmt.Sprintf("none of the %d scenarios sent anything (scenario %s %s)", len(reports), first.Scenario, first.NotJudgedWhy())
	}
	return t
}
