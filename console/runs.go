package console

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/scenarios"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/show"
)

// ErrBusy is the error of a run asked for while another one goes on.
var ErrBusy = error(&show.Refusal{Pkg: "console", Why: "a run is already going"})

// keptRuns is how many finished runs the server remembers.
const keptRuns = 20

// Kinds of run.
const (
	RunScenario    = "scenario"    // a built-in scenario
	RunConformance = "conformance" // the conformance checks
)

// Run states.
const (
	RunRunning   = "running"
	RunDone      = "done"
	RunError     = "error"
	RunCancelled = "cancelled"
	// RunInterrupted is a run the server stopped under: shut down while it
	// went on, or found running in the store at start (the process was
	// killed). What it sent is in the log; it has no verdict.
	RunInterrupted = "interrupted"
)

// Why a run's context ends before the run does.
var (
	errRunCancelled = error(&show.Refusal{Pkg: "console", Why: "the run was cancelled"})
	errShutdown     = error(&show.Refusal{Pkg: "console", Why: "the server stopped"})
)

// Run verdicts, once a run is done: the run's judge.Tally, as the page
// and scripts read it.
const (
	VerdictPass = string(conformance.Pass)
	VerdictFail = string(conformance.Fail)
	// VerdictNothingJudged is the verdict of a run that judged nothing:
	// every check SKIP, or no webhook sent (a subscription that leaves
	// them all out). It is never a pass.
	VerdictNothingJudged = "NOTHING_JUDGED"
)

// verdictOf is the verdict a tally adds up to.
func verdictOf(t judge.Tally) string {
	switch t.Outcome() {
	case judge.RunFailed:
		return VerdictFail
	case judge.RunPassed:
		return VerdictPass
	}
	return VerdictNothingJudged
}

// decide sets a done run's summary, verdict and, when it judged nothing,
// the note that says why; the caller holds runs.mu.
func (r *Run) decide(t judge.Tally) {
	r.Summary, r.Verdict = t, verdictOf(t)
	if r.Verdict == VerdictNothingJudged {
		r.Note = sentence("nothing was judged: " + t.Why)
	}
}

// RunRequest is the body of POST /api/console/runs: a built-in scenario
// by name, or the conformance checks (Checks empty: all of them).
type RunRequest struct {
	Scenario    string   `json:"scenario,omitempty"`
	Conformance bool     `json:"conformance,omitempty"`
	Checks      []string `json:"checks,omitempty"`
}

// Run is a scenario or conformance run started from the console, with its
// progress while it goes and its verdicts when it is done. The page gets
// every change as a "run" event.
type Run struct {
	ID    string    `json:"id"`
	Kind  string    `json:"kind"` // scenario or conformance
	Name  string    `json:"name"` // the scenario, or "conformance"
	State string    `json:"state"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end,omitzero"`
	// Done and Total count steps (a scenario) or checks (conformance).
	Done  int `json:"done"`
	Total int `json:"total"`
	// Steps are a scenario's steps as they finish.
	Steps []RunStep `json:"steps,omitempty"`
	// Checks are the conformance verdicts as they come.
	Checks []CheckVerdict `json:"checks,omitempty"`
	// Verdict is PASS, FAIL or NOTHING_JUDGED once a run is done, from
	// Summary, which counts its checks (conformance) or its one scenario;
	// Problems say why it failed, Orgs what the state probe showed (a
	// scenario), and Note why nothing was judged.
	Verdict  string       `json:"verdict,omitempty"`
	Summary  judge.Tally  `json:"summary"`
	Note     string       `json:"note,omitempty"`
	Problems []string     `json:"problems,omitempty"`
	Orgs     []OrgVerdict `json:"orgs,omitempty"`
	Seed     uint64       `json:"seed"`
	// Version counts the run's changes: of two copies of one run, the
	// higher Version is the newer (the page keeps it).
	Version int `json:"version"`
	// Settle is the settle budget its state judgements had (0: judged at
	// once).
	Settle time.Duration `json:"settleNs"`
	Error  string        `json:"error,omitempty"`

	cancel context.CancelCauseFunc
}

// RunStep is one finished step of a scenario.
type RunStep struct {
	Index    int      `json:"index"`
	At       string   `json:"at"`
	Action   string   `json:"action"`
	Org      string   `json:"org,omitempty"`
	Webhooks int      `json:"webhooks"`
	OK       int      `json:"ok"`
	Failed   int      `json:"failed"`
	Faults   []string `json:"faults,omitempty"`
}

// OrgVerdict is the verdict on one org's state after a scenario: the
// judge's Verdict and the org's name in the scenario.
type OrgVerdict struct {
	ID        string `json:"id"`
	Employees int    `json:"employees"`
	judge.Verdict
}

// CheckVerdict is one conformance check's verdict, with its evidence.
type CheckVerdict struct {
	ID      string   `json:"id"`
	Title   string   `json:"title"`
	Verdict string   `json:"verdict"`
	Reason  string   `json:"reason,omitempty"`
	Details []string `json:"details,omitempty"`
	// Orgs are the state verdicts of the check's orgs whose state differed
	// from the truth: the record diff (expected against held, per field).
	Orgs []OrgVerdict `json:"orgs,omitempty"`
}

// differing are the verdicts of rep's orgs whose state was judged and
// differed from the truth.
func differing(rep *scenarios.Report) []OrgVerdict {
	var out []OrgVerdict
	if rep == nil {
		return nil
	}
	for _, o := range rep.Orgs {
		if o.Judged && len(o.Differences) > 0 {
			out = append(out, OrgVerdict{ID: o.ID, Employees: o.Employees, Verdict: o.Verdict})
		}
	}
	return out
}

// runs holds the current run and the last few finished ones.
type runs struct {
	mu   sync.Mutex
	list []*Run // oldest first
	n    int
	wg   sync.WaitGroup
}

func newRuns() *runs { return &runs{} }

// stopAll interrupts every run going on: the server stops.
func (rs *runs) stopAll() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for _, r := range rs.list {
		if r.cancel != nil {
			r.cancel(errShutdown)
		}
	}
}

func (rs *runs) wait() { rs.wg.Wait() }

// Runs returns copies of the runs the server remembers, newest first.
func (s *Server) Runs() []Run {
	s.runs.mu.Lock()
	defer s.runs.mu.Unlock()
	out := make([]Run, 0, len(s.runs.list))
	for i := len(s.runs.list) - 1; i >= 0; i-- {
		out = append(out, s.runs.list[i].copy())
	}
	return out
}

// RunByID returns a copy of run id.
func (s *Server) RunByID(id string) (Run, bool) {
	s.runs.mu.Lock()
	defer s.runs.mu.Unlock()
	for _, r := range s.runs.list {
		if r.ID == id {
			return r.copy(), true
		}
	}
	return Run{}, false
}

// copy is a snapshot safe to hand out; the caller holds runs.mu.
func (r *Run) copy() Run {
	c := *r
	c.Steps = slices.Clone(r.Steps)
	c.Checks = slices.Clone(r.Checks)
	c.Problems = slices.Clone(r.Problems)
	c.Orgs = slices.Clone(r.Orgs)
	c.cancel = nil
	return c
}

// update changes run r under the lock, stores it and tells the page. Only
// r's own goroutine calls it, so its snapshots reach the store in order.
func (s *Server) update(r *Run, f func(*Run)) {
	s.runs.mu.Lock()
	f(r)
	if r.State == RunInterrupted {
		r.Note = interruptedNote
	}
	r.Version++
	snap := r.copy()
	s.runs.mu.Unlock()
	s.keepRun(snap)
	s.hub.publish("run", snap)
}

// keepRun writes a run's snapshot to the store; a store that fails is
// logged, and the run goes on.
func (s *Server) keepRun(r Run) {
	if err := s.store.putRun(r, keptRuns); err != nil {
		s.logger.Error("a run could not be stored", "run", r.ID, "error", err)
	}
}

// stopped is the state of a run whose context ended: interrupted when the
// server stopped, cancelled when asked.
func stopped(ctx context.Context) string {
	if errors.Is(context.Cause(ctx), errShutdown) {
		return RunInterrupted
	}
	return RunCancelled
}

// StartRun starts a scenario or the conformance checks against the
// webhook URL (and its probe) in the background, and returns the run as
// it starts. One run at a time: another is ErrBusy. Every attempt goes to
// the log; every step or check to the page as it finishes.
func (s *Server) StartRun(req RunRequest) (Run, error) {
	var sc *scenarios.Scenario
	var checks []conformance.Check
	switch {
	case req.Scenario != "" && req.Conformance:
		return Run{}, refuse(ErrBadInput, "conformance", "ask for a scenario or for the conformance checks, not both")
	case req.Scenario != "":
		var err error
		if sc, err = scenarios.Lookup(req.Scenario); err != nil {
			return Run{}, refuse(ErrBadInput, "scenario", "there is no built-in scenario %q", req.Scenario)
		}
	case req.Conformance:
		for _, c := range conformance.Checks() {
			if len(req.Checks) == 0 || slices.Contains(req.Checks, c.ID) {
				checks = append(checks, c)
			}
		}
		for _, id := range req.Checks {
			if _, ok := conformance.Lookup(id); !ok {
				return Run{}, refuse(ErrBadInput, "checks", "there is no conformance check %q", id)
			}
		}
	default:
		return Run{}, refuse(ErrBadInput, "scenario", "name a scenario, or ask for the conformance checks")
	}
	tg, err := s.target()
	if err != nil {
		return Run{}, err
	}
	s.runs.mu.Lock()
	for _, r := range s.runs.list {
		if r.State == RunRunning {
			s.runs.mu.Unlock()
			return Run{}, refuse(ErrBusy, "", "a run is already going (%s): wait for it, or cancel it", r.Name)
		}
	}
	s.runs.n++
	ctx, cancel := context.WithCancelCause(context.Background())
	// Each run its own data (the n-th run of a server has seed+n-1), so
	// that a second run does not repeat the first one's requestIds.
	r := &Run{ID: strconv.Itoa(s.runs.n), State: RunRunning, Start: s.clock.Now(), Seed: s.seed + uint64(s.runs.n-1), Settle: s.settle, Version: 1, cancel: cancel}
	if sc != nil {
		r.Kind, r.Name, r.Total = RunScenario, sc.Name, len(sc.Steps)
	} else {
		r.Kind, r.Name, r.Total = RunConformance, "conformance", len(checks)
	}
	s.runs.list = append(s.runs.list, r)
	if len(s.runs.list) > keptRuns {
		s.runs.list = slices.Delete(s.runs.list, 0, len(s.runs.list)-keptRuns)
	}
	snap := r.copy()
	s.runs.wg.Add(1)
	s.runs.mu.Unlock()
	s.keepRun(snap)
	s.hub.publish("run", snap)
	go func() {
		defer s.runs.wg.Done()
		defer cancel(nil)
		if sc != nil {
			s.playScenario(ctx, r, tg, sc)
		} else {
			s.playChecks(ctx, r, tg, checks)
		}
	}()
	return snap, nil
}

// CancelRun stops run id; what it sent stays in the log.
func (s *Server) CancelRun(id string) error {
	s.runs.mu.Lock()
	defer s.runs.mu.Unlock()
	for _, r := range s.runs.list {
		if r.ID == id {
			if r.cancel != nil {
				r.cancel(errRunCancelled)
			}
			return nil
		}
	}
	return refuse(ErrNotFound, "id", "there is no run %s", id)
}

// runnerOptions are the scenario runner's options for a run from the
// console: the one place where they are built. The settle budget is given
// whatever it is: a scenario runner without one judges at once.
func (s *Server) runnerOptions(r *Run, tg target, onStep func(*scenarios.Report, *scenarios.StepReport)) []scenarios.Option {
	opts := []scenarios.Option{scenarios.Seed(r.Seed), scenarios.Start(s.clock.Now()), scenarios.OnStep(onStep),
		scenarios.Subscribe(s.Settings().Subscription()), scenarios.Settle(s.settling())}
	if tg.probe != nil {
		opts = append(opts, scenarios.WithProbe(tg.probe))
	}
	return opts
}

func (s *Server) playScenario(ctx context.Context, r *Run, tg target, sc *scenarios.Scenario) {
	snd, err := sender.New(tg.url, sender.Timeout(s.timeout), sender.TLSConfig(s.tls), sender.MaxConns(32), sender.KeepAnswerHeaders())
	if err != nil {
		s.finish(ctx, r, nil, err)
		return
	}
	defer snd.Close()
	logged := newRunLog(s, r.ID, deliverylog.FromRun, sc.Name, tg.url)
	onStep := func(rep *scenarios.Report, sr *scenarios.StepReport) {
		logged.catchUp(rep)
		s.update(r, func(r *Run) {
			r.Done++
			r.Steps = append(r.Steps, RunStep{Index: sr.Index, At: sr.At.String(), Action: sr.Action, Org: sr.Org, Webhooks: sr.Webhooks, OK: sr.OK, Failed: sr.Failed, Faults: sr.Faults})
		})
	}
	rep, err := scenarios.NewRunner(snd, tg.key, s.runnerOptions(r, tg, onStep)...).Run(ctx, sc)
	if rep != nil {
		logged.catchUp(rep)
	}
	s.finish(ctx, r, rep, err)
}

// finish records a scenario's verdict, or why there is none.
func (s *Server) finish(ctx context.Context, r *Run, rep *scenarios.Report, err error) {
	s.update(r, func(r *Run) {
		r.End = s.clock.Now()
		switch {
		case rep != nil && rep.Interrupted, ctx.Err() != nil:
			r.State = stopped(ctx)
		case err != nil:
			r.State, r.Error = RunError, plainError(err)
		default:
			r.State = RunDone
		}
		if rep != nil && r.State == RunDone {
			r.decide(scenarios.TallyReports(rep))
			r.Problems = rep.Problems
			for _, o := range rep.Orgs {
				r.Orgs = append(r.Orgs, OrgVerdict{ID: o.ID, Employees: o.Employees, Verdict: o.Verdict})
			}
		}
	})
}

func (s *Server) playChecks(ctx context.Context, r *Run, tg target, checks []conformance.Check) {
	t := conformance.Target{URL: tg.url, Key: tg.key, Probe: tg.probe, Timeout: s.timeout, Seed: r.Seed, TLS: s.tls, Events: s.Settings().Subscription(),
		Settle: s.settling().Budget}
	var runErr error
	var results []conformance.Result
	for _, c := range checks {
		if ctx.Err() != nil {
			break
		}
		res, err := c.Run(ctx, t)
		if res.Report != nil {
			newRunLog(s, r.ID, deliverylog.FromConformance, c.ID, tg.url).catchUp(res.Report)
		}
		if err != nil {
			if ctx.Err() == nil {
				runErr = err
			}
			break
		}
		results = append(results, res)
		s.update(r, func(r *Run) {
			r.Summary = conformance.Tally(results)
			r.Done++
			r.Checks = append(r.Checks, CheckVerdict{ID: res.ID, Title: res.Title, Verdict: string(res.Verdict), Reason: res.Reason, Details: res.Details, Orgs: differing(res.Report)})
		})
	}
	s.update(r, func(r *Run) {
		r.End = s.clock.Now()
		switch {
		case runErr != nil:
			r.State, r.Error = RunError, plainError(runErr)
		case ctx.Err() != nil:
			r.State = stopped(ctx)
		default:
			r.State = RunDone
			r.decide(conformance.Tally(results))
		}
	})
}

// settling is the server's settle budget as the judge takes it, always
// explicit: judge.JudgeAtOnce for 0, as the CLI's --settle 0 (a zero
// Settling would wait judge.DefaultSettle).
func (s *Server) settling() judge.Settling {
	if s.settle == 0 {
		return judge.Settling{Budget: judge.JudgeAtOnce}
	}
	return judge.Settling{Budget: s.settle}
}

// runLog copies a scenario report's attempts into the console's log as
// they happen, each once, keeping each delivery's attempts together.
type runLog struct {
	s      *Server
	run    string // the run's ID
	source deliverylog.Source
	name   string
	target string
	logged map[*scenarios.Delivery]int   // attempts already logged
	ids    map[*scenarios.Delivery]int64 // the console's delivery ID
}

func newRunLog(s *Server, run string, source deliverylog.Source, name, target string) *runLog {
	return &runLog{s: s, run: run, source: source, name: name, target: target, logged: map[*scenarios.Delivery]int{}, ids: map[*scenarios.Delivery]int64{}}
}

// catchUp logs the attempts of rep not logged yet, in one write.
func (l *runLog) catchUp(rep *scenarios.Report) {
	var batch []*deliverylog.Attempt
	var owners []*scenarios.Delivery
	for _, d := range rep.Deliveries {
		for _, at := range d.Attempts[l.logged[d]:] {
			a := newAttempt(l.source, l.name, at.Kind, l.target, sender.Delivery{Body: d.Body, Header: d.Header}, d.Forged, at.Result)
			a.EODBatch = at.EODBatch
			switch id, ok := l.ids[d]; {
			case ok:
				a.Delivery = id
			case slices.Contains(owners, d):
				a.Delivery = -int64(slices.Index(owners, d) + 1)
			}
			batch = append(batch, &a)
			owners = append(owners, d)
		}
		l.logged[d] = len(d.Attempts)
	}
	if err := l.s.record(l.run, batch...); err != nil {
		l.s.logger.Error("a run's attempts could not be logged", "error", err)
		return
	}
	for i, a := range batch {
		if _, ok := l.ids[owners[i]]; !ok {
			l.ids[owners[i]] = a.Delivery
		}
	}
}
