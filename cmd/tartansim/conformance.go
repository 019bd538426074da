package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/onsi/ginkgo/v2/types"
	"github.com/spf13/cobra"
	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/show"
)

func (a *app) conformanceCommand() *cobra.Command {
	var filter, junit string
	var dryRun bool
	var parallel int
	cmd := &cobra.Command{
		Use:   "conformance",
		Short: "Run the conformance checks against a consumer and give a verdict per check",
		Long: `Run the checks of docs/conformance.md against --target (default: the built-in
reference consumer) and give PASS, FAIL or SKIP for each. The same checks run as
Ginkgo specs (go test, package conformance/spec) with the same verdicts for the
same seed.

Checks that need state (a forged delivery had no effect, a duplicate was applied
once, the state converged) use the consumer's state probe (--probe, contract v1.1).
Without one they are SKIP, never PASS; a failure seen over HTTP is still FAIL.

--timeout is the ack budget judged by DEL-ACK-TIME and DEL-BURST. Other checks
judge correctness, not speed: they cut a delivery off only at three times it.

A consumer may apply what it acknowledged later, from a queue: state is read
again and again until it equals the truth and holds for a quiet interval, or
--settle runs out (a probe's "pending": 0 ends the wait early). Each verdict
says how long the consumer took to converge: its processing lag.

Checks play --parallel at once, each with its own org; DEL-ACK-TIME and
DEL-BURST, which judge speed, always play alone first.

Exit codes: 0 every judged check passed (the skipped ones are counted), 1 a
check failed, 2 bad input, 3 target unreachable, 4 nothing judged (every check
was skipped, e.g. a subscription that leaves them all out), 130 interrupted
(the report so far is written).`,
		Example: `  tartansim conformance
  tartansim conformance --target http://127.0.0.1:8080/webhook --probe http://127.0.0.1:8080/probe --key-file key.txt
  tartansim conformance --label-filter signature --junit conformance.xml
  tartansim conformance --label-filter 'delivery && !DEL-BURST' --json
  tartansim conformance --target $URL --probe $PROBE --settle 30s --parallel 8`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if parallel < 1 {
				return badFlag("parallel", fmt.Sprint(parallel), "is not 1 or more: give how many checks play at once (1 plays them one after another)")
			}
			if dryRun {
				return a.conformancePlan(filter)
			}
			return a.conformance(filter, junit, parallel)
		},
	}
	cmd.Flags().IntVar(&parallel, "parallel", conformance.DefaultParallel, "how many checks play at once, each with its own org (1: one after another)")
	cmd.Flags().StringVar(&filter, "label-filter", "", "run only the checks whose labels (area and ID) match this Ginkgo label filter, e.g. 'signature || DEL-STALE'")
	cmd.Flags().StringVar(&junit, "junit", "", "write a JUnit XML report to FILE")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "send nothing: list the checks the filter selects and what each needs")
	a.common.register(cmd.Flags(), flagTarget, flagKey, flagProbe, flagTimeout, flagSeed, flagTLS, flagJSON, flagSettle, flagEvents)
	return cmd
}

// errNoCheck is wrapped by the error of a --label-filter that matches no
// check.
var errNoCheck = errors.New("matches no check")

// selectChecks returns the checks whose labels (area and ID) match
// --label-filter, all of them for "". A bad filter is a usage error, and so
// is one that matches no check (it wraps errNoCheck).
func selectChecks(filter string) ([]conformance.Check, error) {
	keep := func(conformance.Check) bool { return true }
	if filter != "" {
		lf, err := types.ParseLabelFilter(filter)
		if err != nil {
			return nil, usageErr("--label-filter %q: %v", filter, err)
		}
		keep = func(c conformance.Check) bool { return lf([]string{c.Label, c.ID}) }
	}
	var checks []conformance.Check
	for _, c := range conformance.Checks() {
		if keep(c) {
			checks = append(checks, c)
		}
	}
	if len(checks) == 0 {
		return nil, usageErr("--label-filter %q %w", filter, errNoCheck)
	}
	return checks, nil
}

// conformancePlan is conformance --dry-run: the checks, and nothing sent.
func (a *app) conformancePlan(filter string) error {
	checks, err := selectChecks(filter)
	if err != nil && !errors.Is(err, errNoCheck) {
		return err
	}
	if werr := conformance.WritePlan(a.stdout, checks); werr != nil {
		return a.reportErr(werr)
	}
	return err
}

func (a *app) conformance(filter, junit string, parallel int) error {
	checks, err := selectChecks(filter)
	if err != nil {
		return err
	}
	t, err := a.resolveTargetConns(0, true) // no sender: each check builds its own
	if err != nil {
		return err
	}
	defer t.close()
	seed := a.common.seedValue()
	target := conformance.Target{URL: t.url, Key: t.key, Probe: t.probe, Timeout: a.common.timeout, Seed: seed, TLS: t.tls, Settle: a.common.settling().Budget, Events: a.common.sub}
	info := conformance.RunInfo{Checks: len(checks), Target: t.describe(), Parallel: parallel, Timeout: a.common.timeout,
		Settle: a.common.settleValue(), Seed: seed, Events: a.common.sub, Reproduce: "tartansim conformance --seed " + fmt.Sprint(seed) + filterArg(filter)}
	switch {
	case t.emb != nil:
		info.Probe = "built-in"
	case a.common.probe != "":
		info.Probe = show.URL(a.common.probe)
	}
	report := a.conformanceReporter()
	report.Begin(info)
	began := time.Now()
	results, runErr := conformance.Run(a.ctx, target, conformance.Options{Keep: func(c conformance.Check) bool {
		return slices.ContainsFunc(checks, func(k conformance.Check) bool { return k.ID == c.ID })
	}, Parallel: parallel, OnResult: report.Result})
	if a.ctx.Err() != nil {
		runErr = nil // the checks the interrupt cut short are not reported
	}
	sum := conformance.Summary{Results: results, Elapsed: time.Since(began), Err: runErr}
	if junit != "" {
		if err := writeJUnitFile(junit, sum.Results, seed, sum.Elapsed); err != nil {
			return usageErr("cannot write --junit %s: %v", junit, err)
		}
	}
	if err := report.End(info, sum); err != nil {
		return a.reportErr(err)
	}
	return a.conformanceExit(sum, t, seed)
}

// conformanceReporter is the report --json picks: the JSON document at
// the end, or the text as the results come.
func (a *app) conformanceReporter() conformance.Reporter {
	if a.common.json {
		return conformance.NewJSONReporter(a.stdout)
	}
	return conformance.NewTextReporter(a.stdout)
}

// conformanceExit is the run's one sentence and exit code: an interrupt,
// a target or probe out of reach, a broken run, a failed check, a probe
// at fault, nothing judged; nil when something was judged and every judged
// check passed.
func (a *app) conformanceExit(s conformance.Summary, t *runTarget, seed uint64) error {
	var unreachable *conformance.UnreachableError
	var probeErr *probe.Error
	var option *conformance.OptionError
	tally := s.Tally()
	switch {
	case a.ctx.Err() != nil:
		return &exitError{exitInterrupted, fmt.Errorf("interrupted after %d check(s); the report so far is above (seed %d)", len(s.Results), seed)}
	case errors.As(s.Err, &unreachable):
		return unreachableErr("could not reach %s: %s", t.describe(), unreachable.Why)
	case errors.As(s.Err, &probeErr):
		return unreachableErr("%s", probeErr)
	case errors.As(s.Err, &option):
		return badFlag(optionFlags[option.Field], option.Value, option.Why)
	case s.Err != nil:
		return inputErr(s.Err)
	case tally.Failed > 0:
		return shortErr("%d of %d check(s) failed (seed %d)", tally.Failed, tally.Total(), seed)
	case conformance.ProbeFault(s.Results) != "":
		return usageErr("%s", conformance.ProbeFault(s.Results))
	case tally.Outcome() == judge.NothingJudged:
		return nothingJudgedErr(tally, seed)
	}
	return nil
}

// optionFlags names the flag of each field of conformance.Target and
// conformance.Options that the command sets.
var optionFlags = map[string]string{"URL": flagTarget, "Key": flagKey, "Timeout": flagTimeout, "Parallel": "parallel"}

// writeJUnitFile writes the JUnit report of results to path, whole or not
// at all (a temporary file beside it, renamed over it).
func writeJUnitFile(path string, results []conformance.Result, seed uint64, elapsed time.Duration) error {
	return writeFileAtomic(path, func(w io.Writer) error { return conformance.WriteJUnit(w, results, seed, elapsed) })
}

func filterArg(f string) string {
	if f == "" {
		return ""
	}
	return " --label-filter " + show.Quote(f)
}
