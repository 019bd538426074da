package judge

import (
	"fmt"
	"strings"
	"time"

	"github.com/tartansim/tartansim/probe"
)

// End says why a settling wait ended.
type End string

// The ways a wait ends.
const (
	// AtOnce: the budget was 0, so one read was judged.
	AtOnce End = "judged at once"
	// PendingZero: the probe said nothing was left to apply (contract v1.1).
	PendingZero End = "pending 0"
	// Quiet: the state equalled the truth and held for the quiet interval.
	Quiet End = "quiet"
	// BudgetRanOut: the settle budget ran out.
	BudgetRanOut End = "the budget ran out"
	// NoMending: a difference no wait can mend (a delivery applied twice, a
	// forged one applied) ended the wait.
	NoMending End = "a difference no wait can mend"
)

// Verdict is the judgement of what a consumer holds about one org, against
// the truth of what it acknowledged. Every door gives this one type: the
// CLI and the console render it, the box serves it as JSON, Ginkgo
// matchers print it.
type Verdict struct {
	OrgID string `json:"orgId"`
	// Judged is false when the state could not be judged (no probe,
	// nothing sent about the org, the probe failed); Reason says which.
	// Converged is then false too: a verdict not judged is never a pass.
	Judged bool `json:"judged"`
	// Judging is true while a judgement is under way or due (the box judges
	// when an org's queued sessions have been sent).
	Judging bool `json:"judging"`
	// Converged reports that the state equalled the truth, and held.
	Converged bool   `json:"converged"`
	Reason    string `json:"reason,omitempty"`
	// Differences are the state's last differences from the truth (none
	// when Converged), in a stable order; never nil in JSON.
	Differences []Difference `json:"differences"`
	// Sessions counts the org's sessions the verdict covers; Acknowledged
	// the org's deliveries the consumer acknowledged, of Deliveries made.
	Sessions     int `json:"sessions"`
	Acknowledged int `json:"acknowledged"`
	Deliveries   int `json:"deliveries"`
	// Lag is the consumer's processing lag: from its last acknowledgement
	// to when its state came to equal the truth, and held (the middle of
	// the last read that differed and the first that matched). LagAtMost
	// marks a lag that is only a bound: the first read already matched.
	Lag       time.Duration `json:"lagNs"`
	LagAtMost bool          `json:"lagAtMost,omitempty"`
	// Budget is the settle budget the judgement had (0: judged at once);
	// Waited how long it read the probe; Polls how many reads; Ended why it stopped.
	Budget time.Duration `json:"budgetNs"`
	Waited time.Duration `json:"waitedNs"`
	Polls  int           `json:"polls"`
	Ended  End           `json:"ended,omitempty"`
	// State is the last state the probe gave (not in JSON: it holds
	// employee data).
	State *probe.State `json:"-"`
}

// NotJudged returns the verdict on an org whose state could not be judged,
// with why in words.
func NotJudged(orgID, why string) Verdict {
	return Verdict{OrgID: orgID, Reason: why, Differences: []Difference{}}
}

// Passed reports a verdict that was judged and converged.
func (v Verdict) Passed() bool { return v.Judged && v.Converged }

// String is "converged", "judging", "not judged: why", or the differences
// counted, with the first of them.
func (v Verdict) String() string {
	switch {
	case v.Judging:
		return "judging"
	case !v.Judged:
		return "not judged: " + v.Reason
	case v.Converged:
		return "converged"
	}
	return fmt.Sprintf("%d difference(s)%s: %s", len(v.Differences), v.How(), strings.Join(v.Lines(3), "; "))
}

// How says how the wait ended, for a verdict that did not converge:
// " (after the 10s settle budget)", " (a difference no wait can mend, after
// 120ms)", or "" when it judged at once.
func (v Verdict) How() string {
	switch {
	case !v.Judged || v.Converged || v.Ended == AtOnce || v.Ended == "":
		return ""
	case v.Ended == BudgetRanOut:
		return fmt.Sprintf(" (after the %s settle budget)", v.Budget)
	}
	return fmt.Sprintf(" (%s, after %s)", v.Ended, FormatLag(v.Waited))
}

// Lines returns the differences as sentences, at most max of them (0: all)
// and a last line counting the rest.
func (v Verdict) Lines(max int) []string {
	var out []string
	for i, d := range v.Differences {
		if max > 0 && i == max {
			out = append(out, fmt.Sprintf("and %d more difference(s)", len(v.Differences)-max))
			break
		}
		out = append(out, d.String())
	}
	return out
}

// Aspects returns the aspects v's differences are about.
func (v Verdict) Aspects() Aspect {
	var a Aspect
	for _, d := range v.Differences {
		a |= d.Kind.Aspect()
	}
	return a
}

// LagWords writes a lag for people, with "≤" when it is only a bound.
func LagWords(d time.Duration, atMost bool) string {
	if atMost {
		return "≤" + FormatLag(d)
	}
	return FormatLag(d)
}

// FormatLag writes a lag for people: to the millisecond, or to the
// microsecond under one ("412ms", "273µs").
func FormatLag(d time.Duration) string {
	if d < time.Millisecond {
		return d.Round(time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}
