package conformance

import (
	"encoding/json"
	"io"

	"github.com/tartansim/tartansim/judge"
)

// RunReport is the JSON report of a conformance run, as JSONReporter
// writes it: decode it with encoding/json.
type RunReport struct {
	Target string `json:"target"`
	// Probe names the state probe, or says there is none.
	Probe    string `json:"probe"`
	Seed     uint64 `json:"seed"`
	Timeout  string `json:"timeout"`
	Settle   string `json:"settle"`
	Parallel int    `json:"parallel"`
	// Lag is the processing lag over the checks whose state converged.
	Lag judge.LagSummary `json:"lag"`
	// Summary counts the checks and gives the outcome, with why when
	// nothing was judged.
	Summary judge.Tally `json:"summary"`
	// Passed is Summary.Passed: something judged, nothing failed, no error,
	// no probe at fault.
	Passed  bool     `json:"passed"`
	Results []Result `json:"results"`
}

// NewRunReport sums a run up.
func NewRunReport(run RunInfo, s Summary) RunReport {
	return RunReport{Target: run.Target, Probe: run.probeWords(), Seed: run.Seed, Timeout: run.Timeout.String(), Settle: run.Settle.String(),
		Parallel: run.Parallel, Lag: SummarizeLag(s.Results), Summary: s.Tally(), Passed: s.Passed(), Results: s.Results}
}

// WriteJSON writes the RunReport of a run to w, indented, on its own.
func WriteJSON(w io.Writer, run RunInfo, s Summary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(NewRunReport(run, s))
}

// JSONReporter writes a run's RunReport (see WriteJSON) once, at its end,
// and nothing before: it is the report of tartansim conformance --json.
type JSONReporter struct{ w io.Writer }

// NewJSONReporter returns a JSONReporter that writes to w.
func NewJSONReporter(w io.Writer) *JSONReporter { return &JSONReporter{w: w} }

// Begin writes nothing.
func (*JSONReporter) Begin(RunInfo) {}

// Result writes nothing.
func (*JSONReporter) Result(Result) {}

// End writes the whole report, and returns the write's error.
func (j *JSONReporter) End(run RunInfo, s Summary) error { return WriteJSON(j.w, run, s) }
