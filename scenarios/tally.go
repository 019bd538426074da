package scenarios

import (
	"encoding/json"
	"fmt"
)

// RunOutcome is the verdict on a whole run: scenarios played, or
// conformance checks run. A run that judged nothing is never a pass.
type RunOutcome string

// The three outcomes of a run.
const (
	// RunPassed: something was judged, and nothing failed (some scenarios
	// or checks may have been skipped: Tally.Skipped says how many).
	RunPassed RunOutcome = "passed"
	// RunFailed: at least one scenario or check failed.
	RunFailed RunOutcome = "failed"
	// NothingJudged: no scenario or check was judged (each was skipped,
	// or nothing was sent), so the run says nothing about the consumer.
	NothingJudged RunOutcome = "nothing judged"
)

// Tally counts the verdicts of a run; Outcome says what they add up to.
type Tally struct {
	Passed int `json:"passed"`
	Failed int `json:"failed"`
	// Skipped counts the scenarios or checks not judged.
	Skipped int `json:"skipped"`
	// Why says, for a run that judged nothing, why: a clause for people
	// that completes "nothing was judged: ". "" otherwise.
	Why string `json:"why,omitempty"`
}

// Outcome is RunFailed when anything failed, else NothingJudged when
// nothing passed (every one skipped, or none at all), else RunPassed.
func (t Tally) Outcome() RunOutcome {
	switch {
	case t.Failed > 0:
		return RunFailed
	case t.Passed == 0:
		return NothingJudged
	}
	return RunPassed
}

// MarshalJSON adds the outcome to the counts.
func (t Tally) MarshalJSON() ([]byte, error) {
	type counts Tally // without this method
	return json.Marshal(struct {
		Outcome RunOutcome `json:"outcome"`
		counts
	}{t.Outcome(), counts(t)})
}

// Total is how many scenarios or checks the tally counted.
func (t Tally) Total() int { return t.Passed + t.Failed + t.Skipped }

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
func TallyReports(reports ...*Report) Tally {
	var t Tally
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
	case t.Outcome() != NothingJudged:
	case first == nil:
		t.Why = "no scenario was played"
	case len(reports) == 1:
		t.Why = fmt.Sprintf("scenario %s %s", first.Scenario, first.NotJudgedWhy())
	default:
		t.Why = fmt.Sprintf("none of the %d scenarios sent anything (scenario %s %s)", len(reports), first.Scenario, first.NotJudgedWhy())
	}
	return t
}
