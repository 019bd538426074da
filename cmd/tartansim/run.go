package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
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
	info := scenarios.RunInfo{Scenarios: len(list), Target: t.describe(), Seed: seed, Start: start, DryRun: f.dryRun, Reproduce: reproduceRun(args, seed, start)}
	report := a.runReporter(f.verbose)
	report.Begin(info)
	reports, runErr := scenarios.NewRunner(t.sender, t.key, opts...).RunAll(ctx, list, report)
	var recErr error
	if rec != nil {
		recErr = rec.close(nil) // the runner flushed its log
	}
	if err := report.End(info, reports); err != nil {
		return a.reportErr(err)
	}
	if recErr != nil {
		return rec.failure(recErr, attempts(reports), seed)
	}
	return runExit(reports, runErr, t, seed)
}

// runReporter is the report --json picks: the JSON document at the end,
// or the text as the run goes.
func (a *app) runReporter(verbose bool) scenarios.Reporter {
	if a.common.json {
		return scenarios.NewJSONReporter(a.stdout)
	}
	r := scenarios.NewTextReporter(a.stdout)
	r.Verbose = verbose
	return r
}

// reproduceRun is the command line that plays the run again.
func reproduceRun(args []string, seed uint64, start time.Time) string {
	words := []string{"tartansim", "run"}
	for _, arg := range args {
		words = append(words, show.Quote(arg))
	}
	return fmt.Sprintf("%s --seed %d --at %s", strings.Join(words, " "), seed, start.Format(time.RFC3339))
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

// runExit is the run's exit: a scenario that could not be played, a
// target or probe out of reach, an interrupt, a scenario that failed,
// nothing judged; nil when something was judged and all of it passed, or
// for a dry run's plan.
func runExit(reports []*scenarios.Report, runErr error, t *runTarget, seed uint64) error {
	var probeErr *probe.Error
	var last *scenarios.Report
	if len(reports) > 0 {
		last = reports[len(reports)-1]
	}
	switch {
	case errors.As(runErr, &probeErr):
		return unreachableErr("%s", probeErr)
	case runErr != nil:
		return inputErr(runErr)
	case last != nil && last.Unreachable():
		return unreachableErr("could not reach %s: %s", show.URL(t.url), last.FirstFailure())
	case last != nil && last.Interrupted:
		return &exitError{exitInterrupted, fmt.Errorf("interrupted; the report of what was sent is above (seed %d)", seed)}
	case last != nil && last.DryRun:
		return nil // a plan: nothing was to be judged
	}
	switch tally := scenarios.TallyReports(reports...); tally.Outcome() {
	case judge.RunFailed:
		return shortErr("%d of %d scenario(s) failed (seed %d)", tally.Failed, tally.Total(), seed)
	case judge.NothingJudged:
		return nothingJudgedErr(tally, seed)
	}
	return nil
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
