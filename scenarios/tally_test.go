package scenarios_test

import (
	"testing"

	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/scenarios"
)

// sent is a report of a scenario whose one step wrote n requests and left
// out left webhooks the subscription does not take; problems make it fail.
func sent(name string, n, left int, problems ...string) *scenarios.Report {
	return &scenarios.Report{Scenario: name, Steps: []*scenarios.StepReport{{Sent: n, Unsubscribed: left}}, Problems: problems}
}

func TestTallyReports(t *testing.T) {
	dry := sent("onboarding", 0, 0)
	dry.DryRun = true
	for _, c := range []struct {
		name    string
		reports []*scenarios.Report
		want    judge.Tally
	}{
		{"none played", nil, judge.Tally{Why: "no scenario was played"}},
		{"one that sent nothing, left out", []*scenarios.Report{sent("onboarding", 0, 13)},
			judge.Tally{Skipped: 1, Why: "scenario onboarding sent nothing: the subscription leaves out all 13 webhooks it makes"}},
		{"one whose steps make nothing", []*scenarios.Report{sent("empty", 0, 0)},
			judge.Tally{Skipped: 1, Why: "scenario empty sent nothing: its steps make no webhook"}},
		{"several that sent nothing", []*scenarios.Report{sent("onboarding", 0, 13), sent("termination", 0, 7)},
			judge.Tally{Skipped: 2, Why: "none of the 2 scenarios sent anything (scenario onboarding sent nothing: the subscription leaves out all 13 webhooks it makes)"}},
		{"a dry run", []*scenarios.Report{dry}, judge.Tally{Skipped: 1, Why: "scenario onboarding was a dry run"}},
		{"one passed, one skipped", []*scenarios.Report{sent("onboarding", 0, 13), sent("termination", 1, 6)},
			judge.Tally{Passed: 1, Skipped: 1}},
		{"one failed, one skipped", []*scenarios.Report{sent("onboarding", 0, 13), sent("termination", 1, 6, "the delivery failed")},
			judge.Tally{Failed: 1, Skipped: 1}},
	} {
		if got := scenarios.TallyReports(c.reports...); got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}
