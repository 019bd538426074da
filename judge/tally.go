package judge

import "encoding/json"

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
