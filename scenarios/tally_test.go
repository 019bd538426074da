package scenarios_test

import (
	"encoding/json"
	"testing"

	"github.com/tartansim/tartansim/scenarios"
)

func TestTallyOutcome(t *testing.T) {
	for _, c := range []struct {
		tally scenarios.Tally
		want  scenarios.RunOutcome
	}{
		{scenarios.Tally{}, scenarios.NothingJudged},
		{scenarios.Tally{Skipped: 18}, scenarios.NothingJudged},
		{scenarios.Tally{Passed: 1, Skipped: 17}, scenarios.RunPassed},
		{scenarios.Tally{Passed: 18}, scenarios.RunPassed},
		{scenarios.Tally{Failed: 1, Skipped: 17}, scenarios.RunFailed},
		{scenarios.Tally{Passed: 17, Failed: 1}, scenarios.RunFailed},
	} {
		if got := c.tally.Outcome(); got != c.want {
			t.Errorf("%+v.Outcome() = %q, want %q", c.tally, got, c.want)
		}
	}
}

func TestTallyJSON(t *testing.T) {
	data, err := json.Marshal(scenarios.Tally{Skipped: 2, Why: "there was nothing to send"})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"outcome":"nothing judged","passed":0,"failed":0,"skipped":2,"why":"there was nothing to send"}`
	if string(data) != want {
		t.Errorf("got %s, want %s", data, want)
	}
}

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
		want    scenarios.Tally
	}{
		{"none played", nil, scenarios.Tally{Why: "no scenario was played"}},
		{"one that sent nothing, left out", []*scenarios.Report{sent("onboarding", 0, 13)},
			scenarios.Tally{Skipped: 1, Why: "scenario onboarding sent nothing: the subscription leaves out all 13 webhooks it makes"}},
		{"one whose steps make nothing", []*scenarios.Report{sent("empty", 0, 0)},
			scenarios.Tally{Skipped: 1, Why: "scenario empty sent nothing: its steps make no webhook"}},
		{"several that sent nothing", []*scenarios.Report{sent("onboarding", 0, 13), sent("termination", 0, 7)},
			scenarios.Tally{Skipped: 2, Why: "none of the 2 scenarios sent anything (scenario onboarding sent nothing: the subscription leaves out all 13 webhooks it makes)"}},
		{"a dry run", []*scenarios.Report{dry}, scenarios.Tally{Skipped: 1, Why: "scenario onboarding was a dry run"}},
		{"one passed, one skipped", []*scenarios.Report{sent("onboarding", 0, 13), sent("termination", 1, 6)},
			scenarios.Tally{Passed: 1, Skipped: 1}},
		{"one failed, one skipped", []*scenarios.Report{sent("onboarding", 0, 13), sent("termination", 1, 6, "the delivery failed")},
			scenarios.Tally{Failed: 1, Skipped: 1}},
	} {
		if got := scenarios.TallyReports(c.reports...); got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}
