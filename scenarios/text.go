package scenarios

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/show"
)

// MaxDifferences is how many differences of one org the text report lists;
// a last line counts the rest.
const MaxDifferences = 12

// TextReporter writes a run's report for people as it goes: a heading, a
// line per step (with Verbose, a line per attempt too), each org's verdict
// and the scenario's, and a summary with the processing lag and the
// command that reproduces the run. It is the report of tartansim run.
type TextReporter struct {
	// Verbose adds a line per attempt of each step's deliveries.
	Verbose bool
	p       *show.Printer
}

// NewTextReporter returns a TextReporter that writes to w.
func NewTextReporter(w io.Writer) *TextReporter { return &TextReporter{p: show.NewPrinter(w)} }

// Begin writes the heading: what plays against whom, the seed and the
// real time of the scenarios' last moment.
func (t *TextReporter) Begin(run RunInfo) {
	dry := ""
	if run.DryRun {
		dry = " (dry run: nothing is sent)"
	}
	t.p.Printf("tartansim run: %d scenario(s) against %s%s\n", run.Scenarios, run.Target, dry)
	t.p.Printf("seed %d, last moment %s (scenario clock: IST; EOD 23:59)\n", run.Seed, run.Start.Format(time.RFC3339))
}

// Scenario writes the scenario's heading.
func (t *TextReporter) Scenario(sc *Scenario) {
	t.p.Printf("\n== %s (%d org(s))\n", sc.Name, len(sc.Orgs))
}

// Step writes one line for s: what it sent and how it was answered, or
// for an EOD batch what it re-sent; with Verbose, a line per attempt.
func (t *TextReporter) Step(rep *Report, s *StepReport) {
	what := s.Action
	if s.Org != "" {
		what += " " + s.Org
	}
	line := fmt.Sprintf("  %s  %-22s", s.At, what)
	switch {
	case s.Action == "eod" && rep.DryRun:
		t.p.Printf("%s would re-send every delivery that failed since the last EOD\n", line)
		return
	case s.Action == "eod" && len(s.Resent) == 0:
		t.p.Printf("%s nothing failed since the last EOD\n", line)
		return
	case s.Action == "eod":
		t.p.Printf("%s re-sent %s, identical bytes: %d ok, %d failed%s\n", line, show.Plural(len(s.Resent), "failed delivery"), s.OK, s.Failed, oldestWords(rep, s))
	case rep.DryRun:
		t.p.Printf("%s %12s built, not sent%s\n", line, show.Plural(s.Webhooks, "webhook"), faultWords(s))
	default:
		t.p.Printf("%s %12s: %d ok%s%s\n", line, show.Plural(s.Webhooks, "webhook"), s.OK, answerWords(s), faultWords(s))
	}
	if t.Verbose {
		t.attempts(rep, s)
	}
}

// oldestWords is "; the oldest stamped 11h44m earlier": how old the
// oldest delivery an EOD batch re-sent was, by its stamp.
func oldestWords(rep *Report, s *StepReport) string {
	for _, d := range rep.Deliveries {
		if d.Seq != s.Resent[0] {
			continue
		}
		ts, err := time.Parse(time.DateTime, d.TimeStamp)
		if err != nil {
			return "" // a stamp a quirk left empty
		}
		age := s.At.Time(rep.Base).Sub(ts).Round(time.Minute)
		return "; the oldest stamped " + strings.TrimSuffix(age.String(), "0s") + " earlier"
	}
	return ""
}

// answerWords counts what went wrong or was special in a step's answers:
// ", 1 failed, 4 duplicate copies (4 ok)".
func answerWords(s *StepReport) string {
	var b strings.Builder
	if s.Failed > 0 {
		fmt.Fprintf(&b, ", %d failed", s.Failed)
	}
	if s.Duplicates > 0 {
		fmt.Fprintf(&b, ", %d duplicate copies (%d ok)", s.Duplicates, s.DuplicatesOK)
	}
	if s.Forged > 0 {
		fmt.Fprintf(&b, ", %d forged (%d rejected)", s.Forged, s.Rejected)
	}
	if s.Unsubscribed > 0 {
		fmt.Fprintf(&b, ", %d not subscribed", s.Unsubscribed)
	}
	return b.String()
}

// faultWords is "  [drop, ack-lost]", the faults a step injected, or "".
func faultWords(s *StepReport) string {
	if len(s.Faults) == 0 {
		return ""
	}
	return "  [" + strings.Join(s.Faults, ", ") + "]"
}

// attempts writes a line per attempt that s made: its deliveries' first
// sends and copies, or the EOD batch's re-sends.
func (t *TextReporter) attempts(rep *Report, s *StepReport) {
	for _, d := range rep.Deliveries {
		if d.Step != s.Index && !slices.Contains(s.Resent, d.Seq) {
			continue
		}
		fault := ""
		if d.Fault != "" {
			fault = " [" + d.Fault + "]"
		}
		for _, at := range d.Attempts {
			if at.At == s.At {
				t.p.Printf("      #%-4d %-9s %s #%d %s%s -> %s\n", d.Seq, at.Kind, d.Event, d.WebhookCounter, d.RequestID, fault, at.Result.Summary())
			}
		}
	}
}

// Played writes the verdict on each org's state (judge.Verdict's words)
// and on the scenario: PASS, FAIL, INTERRUPTED, SKIP for one that sent
// nothing, or DRY RUN; the deliveries by outcome, and every problem.
func (t *TextReporter) Played(rep *Report) {
	if rep.DryRun {
		t.p.Printf("  DRY RUN  %s built, nothing sent\n", show.Plural(len(rep.Deliveries), "delivery"))
		return
	}
	if !rep.Interrupted && !rep.Judged() {
		t.p.Printf("  SKIP  %s (%s)\n", rep.NotJudgedWhy(), rep.Elapsed.Round(time.Millisecond))
		return
	}
	for _, o := range rep.Orgs {
		t.org(o)
	}
	c := rep.Counts()
	verdict := "PASS"
	switch {
	case rep.Interrupted:
		verdict = "INTERRUPTED"
	case !rep.Passed():
		verdict = "FAIL"
	}
	t.p.Printf("  %s  %d deliveries: %d acknowledged, %d redelivered at EOD, %d failed for good, %d forged rejected",
		verdict, len(rep.Deliveries), c[Acknowledged], c[Redelivered], c[FailedForGood], c[Rejected])
	if n := c[Accepted]; n > 0 {
		t.p.Printf(", %d FORGED ACCEPTED", n)
	}
	if n := c[Pending]; n > 0 {
		t.p.Printf(", %d awaiting an EOD", n)
	}
	t.p.Printf(" (%s)\n", rep.Elapsed.Round(time.Millisecond))
	for _, p := range rep.Problems {
		t.p.Printf("  problem: %s\n", p)
	}
}

// org writes the verdict on one org's state.
func (t *TextReporter) org(o *OrgReport) {
	switch {
	case !o.Judged:
		t.p.Printf("  state: %s not judged (%s; pass --probe URL)\n", o.ID, o.Reason)
	case o.Converged:
		t.p.Printf("  state: %s converged: %d employees, connection %s (lag %s)\n", o.ID, o.Employees, orNone(o.Status), judge.LagWords(o.Lag, o.LagAtMost))
	default:
		t.p.Printf("  state: %s DIVERGED from the truth%s:\n", o.ID, o.How())
		for _, d := range o.Lines(MaxDifferences) {
			t.p.Printf("    - %s\n", d)
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// End writes the summary: the scenarios by verdict and the deliveries
// made, the processing lag over the orgs that converged, and the command
// that reproduces the run. It returns the first write that failed.
func (t *TextReporter) End(run RunInfo, reports []*Report) error {
	deliveries := 0
	for _, r := range reports {
		deliveries += len(r.Deliveries)
	}
	if run.DryRun {
		t.p.Printf("\ndry run: %d scenario(s), %d deliveries built, nothing sent\n", len(reports), deliveries)
	} else {
		tally := TallyReports(reports...)
		t.p.Printf("\n%d scenario(s): %d passed, %d failed, %d skipped; %d deliveries\n", tally.Total(), tally.Passed, tally.Failed, tally.Skipped, deliveries)
		if lag := SummarizeLag(judgedOnly(reports)...); lag.Orgs > 0 {
			t.p.Printf("processing lag (last acknowledgement to converged state): %s\n", lag)
		}
	}
	if run.Reproduce != "" {
		t.p.Printf("reproduce: %s\n", run.Reproduce)
	}
	return t.p.Err()
}
