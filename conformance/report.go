package conformance

import (
	"time"

	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/judge"
)

// RunInfo is what a report says of a conformance run besides its results:
// its heading, and its summary.
type RunInfo struct {
	// Checks is how many checks the run plays.
	Checks int
	// Target names the consumer for people: a URL with its secrets hidden
	// (show.URL), or "the built-in reference consumer".
	Target string
	// Probe names the state probe for people (a URL with its secrets
	// hidden, or "built-in"); "" for none.
	Probe string
	// Parallel is how many checks play at once; Timeout the ack budget.
	Parallel int
	Timeout  time.Duration
	// Settle is the settle budget; 0 when state is judged at once.
	Settle time.Duration
	Seed   uint64
	Events fixtures.Subscription
	// Reproduce is the command line that plays the run again; "" for none.
	Reproduce string
}

// noProbe is how a report names the probe of a run without one.
const noProbe = "none: checks that need state will be SKIP"

// probeWords names the run's probe, or says there is none.
func (run RunInfo) probeWords() string {
	if run.Probe == "" {
		return noProbe
	}
	return run.Probe
}

// Summary is what a conformance run found: its results, how long it took
// and Run's error.
type Summary struct {
	Results []Result
	Elapsed time.Duration
	// Err is Run's error: a target out of reach, a failed probe, a broken
	// check. nil for a run that ctx cut short: the checks it cut off are
	// neither judged nor reported.
	Err error
}

// Tally counts the results (see Tally).
func (s Summary) Tally() judge.Tally { return Tally(s.Results) }

// Passed reports a run that passed: something was judged, nothing failed,
// Run had no error and no probe was at fault.
func (s Summary) Passed() bool {
	return s.Tally().Outcome() == judge.RunPassed && s.Err == nil && ProbeFault(s.Results) == ""
}

// ProbeFault returns how the first probe at fault broke its contract (see
// Result.ProbeFault), or "" when none was.
func ProbeFault(results []Result) string {
	for _, r := range results {
		if r.ProbeFault != "" {
			return r.ProbeFault
		}
	}
	return ""
}

// Reporter renders a conformance run: TextReporter for people as the
// results come, JSONReporter for programs at the end. Whoever runs calls
// Begin, then Result for each result (Options.OnResult), then End. A
// reporter never prints anywhere but its writer, and End returns its
// first write that failed: the report is then incomplete.
type Reporter interface {
	// Begin heads the report.
	Begin(run RunInfo)
	// Result reports one check's verdict.
	Result(r Result)
	// End sums the run up, and returns the first write that failed.
	End(run RunInfo, s Summary) error
}
