package scenarios

import (
	"encoding/json"
	"io"
	"time"

	"github.com/tartansim/tartansim/judge"
)

// RunReport is the JSON report of a run of several scenarios, as
// JSONReporter writes it: decode it with encoding/json.
type RunReport struct {
	Seed uint64 `json:"seed"`
	// Start is the real time of every scenario's last moment (RFC 3339).
	Start  string `json:"start"`
	Target string `json:"target"`
	// Passed is true only when something was judged and nothing failed:
	// the outcome of Summary is judge.RunPassed.
	Passed bool `json:"passed"`
	// Summary counts the scenarios and gives the outcome, with why when
	// nothing was judged.
	Summary judge.Tally `json:"summary"`
	// Lag is the processing lag over the orgs that converged.
	Lag       judge.LagSummary `json:"lag"`
	Scenarios []*Report        `json:"scenarios"`
}

// NewRunReport sums up a run's reports.
func NewRunReport(run RunInfo, reports []*Report) RunReport {
	tally := TallyReports(reports...)
	return RunReport{Seed: run.Seed, Start: run.Start.Format(time.RFC3339), Target: run.Target, Passed: tally.Outcome() == judge.RunPassed,
		Summary: tally, Lag: SummarizeLag(judgedOnly(reports)...), Scenarios: reports}
}

// WriteJSON writes the RunReport of a run to w, indented, on its own.
func WriteJSON(w io.Writer, run RunInfo, reports []*Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(NewRunReport(run, reports))
}

// JSONReporter writes a run's RunReport (see WriteJSON) once, at its end,
// and nothing before: it is the report of tartansim run --json.
type JSONReporter struct{ w io.Writer }

// NewJSONReporter returns a JSONReporter that writes to w.
func NewJSONReporter(w io.Writer) *JSONReporter { return &JSONReporter{w: w} }

// Begin writes nothing.
func (*JSONReporter) Begin(RunInfo) {}

// Scenario writes nothing.
func (*JSONReporter) Scenario(*Scenario) {}

// Step writes nothing.
func (*JSONReporter) Step(*Report, *StepReport) {}

// Played writes nothing.
func (*JSONReporter) Played(*Report) {}

// End writes the whole report, and returns the write's error.
func (j *JSONReporter) End(run RunInfo, reports []*Report) error {
	return WriteJSON(j.w, run, reports)
}
