package judge_test

import (
	"encoding/json"
	"testing"

	"github.com/tartansim/tartansim/judge"
)

func TestTallyOutcome(t *testing.T) {
	for _, c := range []struct {
		tally judge.Tally
		want  judge.RunOutcome
	}{
		{judge.Tally{}, judge.NothingJudged},
		{judge.Tally{Skipped: 18}, judge.NothingJudged},
		{judge.Tally{Passed: 1, Skipped: 17}, judge.RunPassed},
		{judge.Tally{Passed: 18}, judge.RunPassed},
		{judge.Tally{Failed: 1, Skipped: 17}, judge.RunFailed},
		{judge.Tally{Passed: 17, Failed: 1}, judge.RunFailed},
	} {
		if got := c.tally.Outcome(); got != c.want {
			t.Errorf("%+v.Outcome() = %q, want %q", c.tally, got, c.want)
		}
	}
}

func TestTallyJSON(t *testing.T) {
	data, err := json.Marshal(judge.Tally{Skipped: 2, Why: "there was nothing to send"})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"outcome":"nothing judged","passed":0,"failed":0,"skipped":2,"why":"there was nothing to send"}`
	if string(data) != want {
		t.Errorf("got %s, want %s", data, want)
	}
}
