package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/scenarios"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/show"
)

type runFlags struct {
	dryRun  bool
	record  string
	at      string
	day     time.Duration
	verbose bool
}

// defaultDay is how long a scenario day lasts in real time by default: long
// enough that steps are paced, short enough that the catalogue plays in
// seconds.
const defaultDay = 200 * time.Millisecond

func (a *app) runCommand() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [SCENARIO|FILE ...]",
		Short: "Play scenarios against a consumer and report every delivery",
		Long: `Play scenarios (built-in names from 'tartansim scenarios', or YAML files) against
--target, or against the built-in reference consumer when no target is given.
With no arguments, play the whole built-in catalogue.

Each scenario is a timeline on a virtual clock (IST): invites, initial and delta
syncs, terminations, faults, and end-of-day (EOD) batches that re-send every
failed delivery with identical bytes. The scenario's last moment is the run's
real start, so EOD redeliveries carry stamps hours old, as in production.

With a state probe (--probe, or the built-in consumer's own) the run also checks
that the consumer's state converged to the truth. Without one, state is not
judged and the report says so.

A scenario that sends nothing (every webhook it makes is left out by --events)
is SKIP, not PASS; a run in which no scenario sent anything judged nothing.

Exit codes: 0 every scenario judged passed (the skipped ones are counted), 1 the
consumer fell short, 2 bad input or a --record or report that cannot be written
(the run stops at a failed --record write), 3 target unreachable, 4 nothing
judged (no scenario sent anything), 130 interrupted (the report of what was
sent is written).`,
		Example: `  tartansim run
  tartansim run eod-retry duplicates --seed 42
  tartansim run my-scenario.yaml --target https://staging.example.com/tartan --probe https://staging.example.com/tartan/state
  tartansim run --json > report.json
  tartansim run out-of-order --record deliveries.ndjson --verbose`,
		RunE: func(c *cobra.Command, args []string) error { return a.run(args, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.record, "record", "", "write every delivery attempt as NDJSON (exact bytes and headers, never the key) to FILE")
	fl.StringVar(&f.at, "at", "", "the run's real start, which the scenario's last moment maps to (RFC 3339); default: now")
	fl.DurationVar(&f.day, "day", defaultDay, "real time one scenario day takes (steps are paced in proportion); 0 does not wait")
	fl.BoolVar(&f.verbose, "verbose", false, "print every delivery, not only every step")
	fl.BoolVar(&f.dryRun, "dry-run", false, "build every delivery and send nothing: print the plan (and --record the exact bytes)")
	a.common.register(fl, flagTarget, flagKey, flagProbe, flagTimeout, flagSeed, flagTLS, flagJSON, flagSettle, flagEvents)
	return cmd
}

func (a *app) run(args []string, f runFlags) error {
	if f.day < 0 {
		return badFlag("day", f.day.String(), "is negative: give how long one scenario day takes in real time, like 200ms, or 0 not to wait")
	}
	list, err := loadScenarios(args)
	if err != nil {
		return err
	}
	start, err := parseAt(f.at)
	if err != nil {
		return err
	}
	t, err := a.resolveTarget()
	if err != nil {
		return err
	}
	defer t.close()
	seed := a.common.seedValue()
	opts := []scenarios.Option{scenarios.Seed(seed), scenarios.Start(start), scenarios.DayLength(f.day), scenarios.Subscribe(a.common.sub)}
	if f.dryRun {
		opts = append(opts, scenarios.DryRun(), scenarios.DayLength(0))
	}
	if t.probe != nil {
		opts = append(opts, scenarios.WithProbe(t.probe), scenarios.Settle(a.common.settling()))
	}
	ctx, stop := context.WithCancel(a.ctx) // stopped by a failed --record write too
	defer stop()
	var rec *recordFile
	if f.record != "" {
		if rec, err = createRecord(f.record, stop); err != nil {
			return err
		}
		opts = append(opts, scenarios.Record(rec))
	}
	if !a.common.json {
		opts = append(opts, scenarios.OnStep(func(rep *scenarios.Report, s *scenarios.StepReport) { a.printStep(rep, s, f.verbose) }))
		dry := ""
		if f.dryRun {
			dry = " (dry run: nothing is sent)"
		}
		fmt.Fprintf(a.stdout, "tartansim run: %d scenario(s) against %s%s\n", len(list), t.describe(), dry)
		fmt.Fprintf(a.stdout, "seed %d, last moment %s (scenario clock: IST; EOD 23:59)\n", seed, start.Format(time.RFC3339))
	}
	reports, runErr := a.playAll(ctx, scenarios.NewRunner(t.sender, t.key, opts...), list, t)
	var recErr error
	if rec != nil {
		recErr = rec.close(nil) // the runner flushed its log
	}
	if a.common.json {
		if err := a.writeJSON(runSummary(reports, seed, start, t)); err != nil {
			return err
		}
	} else {
		a.printSummary(reports, seed, start, args)
	}
	if recErr != nil {
		return rec.failure(recErr, attempts(reports), seed)
	}
	return a.runExit(reports, runErr, seed)
}

// loadScenarios reads the scenarios args name (built-in names or files):
// every built-in one for none.
func loadScenarios(args []string) ([]*scenarios.Scenario, error) {
	if len(args) == 0 {
		return scenarios.Builtins(), nil
	}
	var list []*scenarios.Scenario
	for _, name := range args {
		sc, err := scenarios.Load(name)
		var bad *scenarios.FileError
		var unreadable *fs.PathError
		switch {
		case errors.As(err, &bad):
			return nil, usageErr("%s", bad)
		case errors.As(err, &unreadable):
			return nil, usageErr("cannot read %s: %s", name, plainIOError(unreadable))
		case err != nil:
			return nil, inputErr(err) // an unknown name, with the built-ins
		}
		list = append(list, sc)
	}
	return list, nil
}

// playAll plays list in order with r, printing each verdict, until one
// cannot be played, the target cannot be reached or ctx ends.
func (a *app) playAll(ctx context.Context, r *scenarios.Runner, list []*scenarios.Scenario, t *runTarget) ([]*scenarios.Report, error) {
	var reports []*scenarios.Report
	for _, sc := range list {
		if !a.common.json {
			fmt.Fprintf(a.stdout, "\n== %s (%d org(s))\n", sc.Name, len(sc.Orgs))
		}
		rep, err := r.Run(ctx, sc)
		if rep != nil {
			reports = append(reports, rep)
			if !a.common.json {
				a.printVerdict(rep, t)
			}
		}
		switch {
		case err != nil:
			return reports, err
		case rep.Unreachable():
			return reports, unreachableErr("could not reach %s: %s", show.URL(t.url), rep.FirstFailure())
		case rep.Interrupted:
			return reports, nil
		}
	}
	return reports, nil
}

func (a *app) runExit(reports []*scenarios.Report, runErr error, seed uint64) error {
	if runErr != nil {
		if _, ok := runErr.(*exitError); ok {
			return runErr
		}
		var probe *probe.Error
		if errors.As(runErr, &probe) {
			return unreachableErr("%s", probe)
		}
		return inputErr(runErr)
	}
	for _, r := range reports {
		if r.Interrupted {
			return &exitError{exitInterrupted, fmt.Errorf("interrupted; the report of what was sent is above (seed %d)", seed)}
		}
	}
	if len(reports) > 0 && reports[0].DryRun {
		return nil // a plan: nothing was to be judged
	}
	switch t := scenarios.TallyReports(reports...); t.Outcome() {
	case judge.RunFailed:
		return shortErr("%d of %d scenario(s) failed (seed %d)", t.Failed, t.Total(), seed)
	case judge.NothingJudged:
		return nothingJudgedErr(t, seed)
	}
	return nil
}

func (a *app) printStep(rep *scenarios.Report, s *scenarios.StepReport, verbose bool) {
	what := s.Action
	if s.Org != "" {
		what += " " + s.Org
	}
	line := fmt.Sprintf("  %s  %-22s", s.At, what)
	if s.Action == "eod" && rep.DryRun {
		fmt.Fprintf(a.stdout, "%s would re-send every delivery that failed since the last EOD\n", line)
		return
	}
	if s.Action == "eod" {
		if len(s.Resent) == 0 {
			fmt.Fprintf(a.stdout, "%s nothing failed since the last EOD\n", line)
			return
		}
		oldest := ""
		for _, d := range rep.Deliveries {
			if d.Seq == s.Resent[0] {
				if ts, err := time.Parse(time.DateTime, d.TimeStamp); err == nil {
					oldest = fmt.Sprintf("; the oldest stamped %s earlier", strings.TrimSuffix(s.At.Time(rep.Base).Sub(ts).Round(time.Minute).String(), "0s"))
				}
			}
		}
		fmt.Fprintf(a.stdout, "%s re-sent %s, identical bytes: %d ok, %d failed%s\n", line, plural(len(s.Resent), "failed delivery"), s.OK, s.Failed, oldest)
	} else if rep.DryRun {
		fmt.Fprintf(a.stdout, "%s %12s built, not sent", line, plural(s.Webhooks, "webhook"))
		if len(s.Faults) > 0 {
			fmt.Fprintf(a.stdout, "  [%s]", strings.Join(s.Faults, ", "))
		}
		fmt.Fprintln(a.stdout)
	} else {
		fmt.Fprintf(a.stdout, "%s %12s: %d ok", line, plural(s.Webhooks, "webhook"), s.OK)
		if s.Failed > 0 {
			fmt.Fprintf(a.stdout, ", %d failed", s.Failed)
		}
		if s.Duplicates > 0 {
			fmt.Fprintf(a.stdout, ", %d duplicate copies (%d ok)", s.Duplicates, s.DuplicatesOK)
		}
		if s.Forged > 0 {
			fmt.Fprintf(a.stdout, ", %d forged (%d rejected)", s.Forged, s.Rejected)
		}
		if s.Unsubscribed > 0 {
			fmt.Fprintf(a.stdout, ", %d not subscribed", s.Unsubscribed)
		}
		if len(s.Faults) > 0 {
			fmt.Fprintf(a.stdout, "  [%s]", strings.Join(s.Faults, ", "))
		}
		fmt.Fprintln(a.stdout)
	}
	if verbose {
		for _, d := range rep.Deliveries {
			if d.Step != s.Index && !slices.Contains(s.Resent, d.Seq) {
				continue
			}
			for _, at := range d.Attempts {
				if at.At != s.At {
					continue
				}
				res := at.Result.Summary()
				fault := ""
				if d.Fault != "" {
					fault = " [" + d.Fault + "]"
				}
				fmt.Fprintf(a.stdout, "      #%-4d %-9s %s #%d %s%s -> %s\n", d.Seq, at.Kind, d.Event, d.WebhookCounter, d.RequestID, fault, res)
			}
		}
	}
}

// maxLines is how many differences of one org the text report lists.
const maxLines = 12

func (a *app) printVerdict(rep *scenarios.Report, t *runTarget) {
	if rep.DryRun {
		fmt.Fprintf(a.stdout, "  DRY RUN  %s built, nothing sent\n", plural(len(rep.Deliveries), "delivery"))
		return
	}
	if !rep.Interrupted && !rep.Judged() {
		fmt.Fprintf(a.stdout, "  SKIP  %s (%s)\n", rep.NotJudgedWhy(), rep.Elapsed.Round(time.Millisecond))
		return
	}

	for _, o := range rep.Orgs {
		switch {
		case !o.Judged:
			fmt.Fprintf(a.stdout, "  state: %s not judged (%s; pass --probe URL)\n", o.ID, o.Reason)
		case o.Converged:
			fmt.Fprintf(a.stdout, "  state: %s converged: %d employees, connection %s (lag %s)\n", o.ID, o.Employees, orNone(o.Status), judge.LagWords(o.Lag, o.LagAtMost))
		default:
			fmt.Fprintf(a.stdout, "  state: %s DIVERGED from the truth%s:\n", o.ID, o.How())
			for _, d := range o.Lines(maxLines) {
				fmt.Fprintf(a.stdout, "    - %s\n", d)
			}
		}
	}
	c := rep.Counts()
	verdict := "PASS"
	if !rep.Passed() {
		verdict = "FAIL"
	}
	if rep.Interrupted {
		verdict = "INTERRUPTED"
	}
	fmt.Fprintf(a.stdout, "  %s  %d deliveries: %d acknowledged, %d redelivered at EOD, %d failed for good, %d forged rejected",
		verdict, len(rep.Deliveries), c[scenarios.Acknowledged], c[scenarios.Redelivered], c[scenarios.FailedForGood], c[scenarios.Rejected])
	if n := c[scenarios.Accepted]; n > 0 {
		fmt.Fprintf(a.stdout, ", %d FORGED ACCEPTED", n)
	}
	if n := c[scenarios.Pending]; n > 0 {
		fmt.Fprintf(a.stdout, ", %d awaiting an EOD", n)
	}
	fmt.Fprintf(a.stdout, " (%s)\n", rep.Elapsed.Round(time.Millisecond))
	for _, p := range rep.Problems {
		fmt.Fprintf(a.stdout, "  problem: %s\n", p)
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func (a *app) printSummary(reports []*scenarios.Report, seed uint64, start time.Time, args []string) {
	deliveries := 0
	for _, r := range reports {
		deliveries += len(r.Deliveries)
	}
	if len(reports) > 0 && reports[0].DryRun {
		fmt.Fprintf(a.stdout, "\ndry run: %d scenario(s), %d deliveries built, nothing sent\n", len(reports), deliveries)
	} else {
		t := scenarios.TallyReports(reports...)
		fmt.Fprintf(a.stdout, "\n%d scenario(s): %d passed, %d failed, %d skipped; %d deliveries\n", t.Total(), t.Passed, t.Failed, t.Skipped, deliveries)
		if lag := scenarios.SummarizeLag(judged(reports)...); lag.Orgs > 0 {
			fmt.Fprintf(a.stdout, "processing lag (last acknowledgement to converged state): %s\n", lag)
		}
	}
	words := []string{"tartansim", "run"}
	for _, arg := range args {
		words = append(words, show.Quote(arg))
	}
	fmt.Fprintf(a.stdout, "reproduce: %s --seed %d --at %s\n", strings.Join(words, " "), seed, start.Format(time.RFC3339))
}

func (a *app) writeJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return usageErr("cannot write the --json report: %s, so the run's report is incomplete", ioReason(err))
	}
	return nil
}

// runSummary is run's --json report: "passed" only when something was
// judged and nothing failed; "summary" counts the scenarios and gives the
// outcome (with why, when nothing was judged).
func runSummary(reports []*scenarios.Report, seed uint64, start time.Time, t *runTarget) map[string]any {
	tally := scenarios.TallyReports(reports...)
	return map[string]any{"seed": seed, "start": start.Format(time.RFC3339), "target": t.describe(), "passed": tally.Outcome() == judge.RunPassed,
		"summary": tally, "lag": scenarios.SummarizeLag(judged(reports)...), "scenarios": reports}
}

// judged returns the reports that were judged: a scenario that sent
// nothing has no lag to count.
func judged(reports []*scenarios.Report) []*scenarios.Report {
	var out []*scenarios.Report
	for _, r := range reports {
		if r.Judged() {
			out = append(out, r)
		}
	}
	return out
}

// runTarget is the consumer a run talks to: an external one, or the
// built-in reference consumer with its probe.
type runTarget struct {
	url    string
	key    []byte
	tls    *tls.Config // from the TLS flags; nil: the system roots
	sender *sender.Sender
	probe  probe.Func
	emb    *embedded
}

func (t *runTarget) describe() string {
	if t.emb != nil {
		return "the built-in reference consumer"
	}
	return show.URL(t.url)
}

func (t *runTarget) close() {
	if t.sender != nil {
		t.sender.Close()
	}
	if t.emb != nil {
		t.emb.close()
	}
}

// resolveTarget sets up the target, key, sender and probe from the common
// flags: with no --target, the built-in consumer and its probe.
func (a *app) resolveTarget() (*runTarget, error) {
	return a.resolveTargetConns(sender.DefaultMaxConns, true)
}

// resolveTargetConns is resolveTarget with a cap of conns connections, or
// with no sender when conns is 0; an external target needs a key only when
// needKey is set.
func (a *app) resolveTargetConns(conns int, needKey bool) (*runTarget, error) {
	key, err := a.targetKey(needKey)
	if err != nil {
		return nil, err
	}
	return a.openTarget(key, conns)
}

// targetKey checks --target and returns the key for it (see keyFor).
func (a *app) targetKey(needKey bool) ([]byte, error) {
	if a.common.target != "" {
		if err := checkTarget(a.common.target, "--target"); err != nil {
			return nil, err
		}
	}
	return a.keyFor(a.common.target, needKey)
}

// openTarget sets up --target and the probe for key, as resolveTargetConns
// does once the key is known.
func (a *app) openTarget(key []byte, conns int) (*runTarget, error) {
	t := &runTarget{url: a.common.target, key: key}
	if a.common.probe != "" {
		if err := checkTarget(a.common.probe, "--probe"); err != nil {
			return nil, err
		}
	}
	var err error
	if t.tls, err = a.common.tlsConfig(); err != nil {
		return nil, err
	}
	if t.url == "" {
		if t.emb, err = startEmbedded(key); err != nil {
			return nil, fmt.Errorf("cannot start the built-in consumer: %w", err)
		}
		t.url = t.emb.webhookURL()
		c := t.emb.c
		t.probe = func(_ context.Context, orgID string) (probe.State, error) { return c.State(orgID), nil }
	} else if a.common.probe != "" {
		// The probe lives with the consumer: the same TLS trust.
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: t.tls, Proxy: nil}}
		t.probe = probe.HTTP(a.common.probe, client)
	}
	if conns > 0 {
		if t.sender, err = sender.New(t.url, sender.Timeout(a.common.timeout), sender.TLSConfig(t.tls), sender.MaxConns(conns)); err != nil {
			t.close()
			return nil, badURL("--target", t.url)
		}
	}
	return t, nil
}
