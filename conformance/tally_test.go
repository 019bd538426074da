package conformance_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"strings"
	"testing"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/judge"
)

func result(id string, v conformance.Verdict, reason string) conformance.Result {
	return conformance.Result{ID: id, Verdict: v, Reason: reason}
}

func TestTally(t *testing.T) {
	skipProbe := result("SIG-EMPTY", conformance.Skip, "needs a state probe to judge that a forged delivery had no effect")
	skipSub := result("LIFE-SYNC", conformance.Skip, "needs sync.events.initiated, which the subscription leaves out")
	for _, c := range []struct {
		name    string
		results []conformance.Result
		want    judge.Tally
	}{
		{"no result", nil, judge.Tally{Why: "no check was run"}},
		{"one skipped", []conformance.Result{skipProbe},
			judge.Tally{Skipped: 1, Why: "check SIG-EMPTY was skipped: needs a state probe to judge that a forged delivery had no effect"}},
		{"all skipped", []conformance.Result{skipSub, skipProbe},
			judge.Tally{Skipped: 2, Why: "all 2 checks were skipped, e.g. LIFE-SYNC: needs sync.events.initiated, which the subscription leaves out"}},
		{"some skipped", []conformance.Result{skipProbe, result("SIG-VALID", conformance.Pass, "")},
			judge.Tally{Passed: 1, Skipped: 1}},
		{"a failure among skips", []conformance.Result{skipProbe, result("SIG-VALID", conformance.Fail, "answered 500")},
			judge.Tally{Failed: 1, Skipped: 1}},
	} {
		if got := conformance.Tally(c.results); got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := conformance.Target{URL: "http://127.0.0.1:8080/webhook", Key: []byte("k")}
	for _, c := range []struct {
		name   string
		target conformance.Target
		opts   conformance.Options
		field  string
		want   string
	}{
		{"no URL", conformance.Target{Key: []byte("k")}, conformance.Options{}, "URL",
			"conformance: URL is empty: give the consumer's webhook URL"},
		{"not a URL", conformance.Target{URL: "127.0.0.1:8080", Key: []byte("k")}, conformance.Options{}, "URL",
			`conformance: URL "127.0.0.1:8080" is not an http:// or https:// URL`},
		{"no key", conformance.Target{URL: ok.URL}, conformance.Options{}, "Key",
			"conformance: Key is empty: give the app key the consumer verifies with"},
		{"a negative timeout", conformance.Target{URL: ok.URL, Key: ok.Key, Timeout: -1}, conformance.Options{}, "Timeout",
			"conformance: Timeout -1ns is negative: give the ack budget, or 0 for the default of 10s"},
		{"a negative parallel", ok, conformance.Options{Parallel: -2}, "Parallel",
			"conformance: Parallel -2 is negative: give how many checks play at once, 1 or more (0: the default of 4)"},
	} {
		err := c.target.Validate()
		if err == nil {
			err = c.opts.Validate()
		}
		var oe *conformance.OptionError
		switch {
		case !errors.As(err, &oe):
			t.Errorf("%s: got %v, want an *OptionError", c.name, err)
		case oe.Field != c.field || err.Error() != c.want:
			t.Errorf("%s: got %s (field %s), want %s (field %s)", c.name, err, oe.Field, c.want, c.field)
		}
		// Run refuses it the same way, and plays nothing.
		res, runErr := conformance.Run(t.Context(), c.target, c.opts)
		if runErr == nil || runErr.Error() != c.want || len(res) != 0 {
			t.Errorf("%s: Run gave %d results and %v, want none and %s", c.name, len(res), runErr, c.want)
		}
	}
	if err := ok.Validate(); err != nil {
		t.Errorf("a good target: %v", err)
	}
	if err := (conformance.Options{Parallel: -1}).Validate(); !errors.Is(err, conformance.ErrBadParallel) {
		t.Errorf("a negative Parallel: %v does not match ErrBadParallel", err)
	}
}

func TestJUnitNothingJudged(t *testing.T) {
	report := func(results ...conformance.Result) conformance.JUnitSuite {
		t.Helper()
		var b bytes.Buffer
		if err := conformance.WriteJUnit(&b, results, 7, 0); err != nil {
			t.Fatal(err)
		}
		var r conformance.JUnitReport
		if err := xml.Unmarshal(b.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		return r.Suites[0]
	}
	skip := result("SIG-EMPTY", conformance.Skip, "needs a state probe to judge that a forged delivery had no effect")

	s := report(skip)
	if s.Tests != 2 || s.Skipped != 1 || s.Failures != 1 {
		t.Fatalf("every check skipped: tests %d, skipped %d, failures %d; want 2, 1, 1", s.Tests, s.Skipped, s.Failures)
	}
	last := s.Cases[1]
	if last.Name != conformance.NothingJudgedCase || last.Failure == nil ||
		last.Failure.Message != "nothing was judged: check SIG-EMPTY was skipped: needs a state probe to judge that a forged delivery had no effect" ||
		!strings.Contains(last.Failure.Body, "seed 7") {
		t.Errorf("the failure of a run that judged nothing: %+v", last)
	}

	if s := report(); s.Failures != 1 || s.Cases[0].Failure.Message != "nothing was judged: no check was run" {
		t.Errorf("no check run: %+v", s)
	}
	if s := report(skip, result("SIG-VALID", conformance.Pass, "")); s.Failures != 0 || s.Tests != 2 {
		t.Errorf("some skipped: failures %d, tests %d; want 0, 2", s.Failures, s.Tests)
	}
}
