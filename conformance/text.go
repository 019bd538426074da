package conformance

import (
	"io"
	"time"

	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/show"
)

// MaxDetails is how many lines of a failed check's evidence the text
// report lists; a last line counts the rest.
const MaxDetails = 5

// TextReporter writes a conformance run's report for people as the
// results come: a heading, a line per check (why it was skipped, or the
// evidence of its failure), and a summary with the processing lag and the
// command that reproduces the run. It is the report of tartansim
// conformance.
type TextReporter struct{ p *show.Printer }

// NewTextReporter returns a TextReporter that writes to w.
func NewTextReporter(w io.Writer) *TextReporter { return &TextReporter{p: show.NewPrinter(w)} }

// WriteText writes the whole text report of a run that is over.
func WriteText(w io.Writer, run RunInfo, s Summary) error {
	t := NewTextReporter(w)
	t.Begin(run)
	for _, r := range s.Results {
		t.Result(r)
	}
	return t.End(run, s)
}

// Begin writes the heading: the checks, the consumer, the probe, the
// budgets, the seed and the subscription.
func (t *TextReporter) Begin(run RunInfo) {
	t.p.Printf("tartansim conformance: %d check(s) against %s, %d at once\n", run.Checks, run.Target, run.Parallel)
	t.p.Printf("probe: %s; ack budget %s; settle %s; seed %d\n", run.probeWords(), run.Timeout, settleWords(run.Settle), run.Seed)
	t.p.Printf("events: %s\n\n", run.Events)
}

// settleWords describes a settle budget for the heading.
func settleWords(d time.Duration) string {
	if d <= 0 {
		return "none (state judged at once)"
	}
	return "up to " + d.String()
}

// Result writes a check's verdict, with its processing lag when its state
// converged, why it was skipped, or the evidence of its failure.
func (t *TextReporter) Result(r Result) {
	t.p.Printf("  %-4s  %-16s %-10s %s (%s%s)\n", r.Verdict, r.ID, r.Label, r.Title, r.Elapsed.Round(time.Millisecond), lagWords(r))
	switch r.Verdict {
	case Skip:
		t.p.Printf("        skipped: %s\n", r.Reason)
	case Fail:
		for i, d := range r.Details {
			if i == MaxDetails {
				t.p.Printf("        - and %d more\n", len(r.Details)-MaxDetails)
				break
			}
			t.p.Printf("        - %s\n", d)
		}
	}
}

// lagWords is ", lag 120ms" for a check whose state converged, "" else.
func lagWords(r Result) string {
	if r.ProbeReads == 0 || r.Verdict != Pass {
		return ""
	}
	return ", lag " + judge.LagWords(r.Lag, r.LagAtMost)
}

// End writes the summary: the checks by verdict, the time and the seed,
// the processing lag, and the command that reproduces the run. It returns
// the first write that failed.
func (t *TextReporter) End(run RunInfo, s Summary) error {
	tally := s.Tally()
	t.p.Printf("\n%d check(s): %d passed, %d failed, %d skipped in %s (seed %d)\n",
		tally.Total(), tally.Passed, tally.Failed, tally.Skipped, s.Elapsed.Round(time.Millisecond), run.Seed)
	if lag := SummarizeLag(s.Results); lag.Orgs > 0 {
		t.p.Printf("processing lag (last acknowledgement to converged state): %s\n", lag)
	}
	if run.Reproduce != "" {
		t.p.Printf("reproduce: %s\n", run.Reproduce)
	}
	return t.p.Err()
}

// WritePlan writes what a run of checks would play, and sends nothing: a
// line per check with what it needs to be judged.
func WritePlan(w io.Writer, checks []Check) error {
	p := show.NewPrinter(w)
	p.Printf("# dry run: nothing is sent\n")
	for _, c := range checks {
		needs := "HTTP"
		if c.NeedsProbe {
			needs = "a state probe (SKIP without)"
		}
		p.Printf("%-16s %-10s needs %-30s %s\n", c.ID, c.Label, needs, c.Title)
	}
	return p.Err()
}
