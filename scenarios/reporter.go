package scenarios

import (
	"context"
	"time"
)

// RunInfo is what a report says of a run of several scenarios besides
// their reports: its heading and its summary.
type RunInfo struct {
	// Scenarios is how many scenarios the run plays.
	Scenarios int
	// Target names the consumer for people: a URL with its secrets hidden
	// (show.URL), or "the built-in reference consumer".
	Target string
	// Seed and Start are the runner's (see Seed and Start).
	Seed  uint64
	Start time.Time
	// DryRun marks a run that sends nothing (see DryRun).
	DryRun bool
	// Reproduce is the command line that plays the run again, byte for
	// byte; "" for none.
	Reproduce string
}

// Reporter renders a run of several scenarios: TextReporter for people as
// the run goes, JSONReporter for programs at its end. RunAll calls
// Scenario, Step and Played as it plays; whoever runs calls Begin before
// and End after. A reporter never prints anywhere but its writer, and
// End returns its first write that failed: the report is then incomplete.
type Reporter interface {
	// Begin heads the report.
	Begin(run RunInfo)
	// Scenario is called before sc plays.
	Scenario(sc *Scenario)
	// Step is called after each step, with the report so far (as OnStep).
	Step(rep *Report, s *StepReport)
	// Played is called when a scenario has played, or stopped: rep is its
	// report, Interrupted when ctx ended.
	Played(rep *Report)
	// End sums the run up, and returns the first write that failed.
	End(run RunInfo, reports []*Report) error
}

// RunAll plays list in order with r, telling rep (nil: no one) as it goes.
// It stops early at a scenario that cannot be played (Run's error), at one
// that reached the consumer not at all (Report.Unreachable: no later
// verdict would mean anything) and at one cut short by ctx
// (Report.Interrupted). It returns the reports of the scenarios played,
// the one it stopped at last.
func (r *Runner) RunAll(ctx context.Context, list []*Scenario, rep Reporter) ([]*Report, error) {
	r.reporter = rep
	defer func() { r.reporter = nil }()
	var reports []*Report
	for _, sc := range list {
		if rep != nil {
			rep.Scenario(sc)
		}
		got, err := r.Run(ctx, sc)
		if got != nil {
			reports = append(reports, got)
			if rep != nil {
				rep.Played(got)
			}
		}
		switch {
		case err != nil:
			return reports, err
		case got.Unreachable(), got.Interrupted:
			return reports, nil
		}
	}
	return reports, nil
}

// judgedOnly returns the reports that were judged (Report.Judged): a
// scenario that sent nothing has no lag to count.
func judgedOnly(reports []*Report) []*Report {
	var out []*Report
	for _, r := range reports {
		if r.Judged() {
			out = append(out, r)
		}
	}
	return out
}
