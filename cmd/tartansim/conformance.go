package main

import (
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"
	"github.com/spf13/cobra"
	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/scenarios"
	"github.com/tartansim/tartansim/sender"
)

func (a *app) conformanceCommand() *cobra.Command {
	var filter, junit string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "conformance",
		Short: "Run the conformance checks against a consumer and give a verdict per check",
		Long: `Run the checks of docs/conformance.md against --target (default: the built-in
reference consumer) and give PASS, FAIL or SKIP for each. The same checks run as
Ginkgo specs (go test, package conformance/spec) with the same verdicts for the
same seed.

Checks that need state (a forged delivery had no effect, a duplicate was applied
once, the state converged) use the consumer's state probe (--probe, contract v1).
Without one they are SKIP, never PASS; a failure seen over HTTP is still FAIL.

--timeout is the ack budget judged by DEL-ACK-TIME and DEL-BURST. Other checks
judge correctness, not speed: they cut a delivery off only at three times it.

Exit codes: 0 every judged check passed, 1 a check failed, 2 bad input,
3 target unreachable, 130 interrupted (the report so far is written).`,
		Example: `  tartansim conformance
  tartansim conformance --target http://127.0.0.1:8080/webhook --probe http://127.0.0.1:8080/probe --key-file key.txt
  tartansim conformance --label-filter signature --junit conformance.xml
  tartansim conformance --label-filter 'delivery && !DEL-BURST' --json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if dryRun {
				return a.conformancePlan(filter)
			}
			return a.conformance(filter, junit)
		},
	}
	cmd.Flags().StringVar(&filter, "label-filter", "", "run only the checks whose labels (area and ID) match this Ginkgo label filter, e.g. 'signature || DEL-STALE'")
	cmd.Flags().StringVar(&junit, "junit", "", "write a JUnit XML report to FILE")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "send nothing: list the checks the filter selects and what each needs")
	a.common.register(cmd.Flags(), flagTarget, flagKey, flagProbe, flagTimeout, flagSeed, flagTLS, flagJSON)
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
	fmt.Fprintln(a.stdout, "# dry run: nothing is sent")
	for _, c := range checks {
		needs := "HTTP"
		if c.NeedsProbe {
			needs = "a state probe (SKIP without)"
		}
		fmt.Fprintf(a.stdout, "%-16s %-10s needs %-30s %s\n", c.ID, c.Label, needs, c.Title)
	}
	return err
}

func (a *app) conformance(filter, junit string) error {
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
	target := conformance.Target{URL: t.url, Key: t.key, Probe: t.probe, Timeout: a.common.timeout, Seed: seed, TLS: t.tls}

	probe := "none: checks that need state will be SKIP"
	switch {
	case t.emb != nil:
		probe = "built-in"
	case a.common.probe != "":
		probe = sender.RedactURL(a.common.probe)
	}
	if !a.common.json {
		fmt.Fprintf(a.stdout, "tartansim conformance: %d check(s) against %s\n", len(checks), t.describe())
		fmt.Fprintf(a.stdout, "probe: %s; ack budget %s; seed %d\n\n", probe, a.common.timeout, seed)
	}
	began := time.Now()
	var results []conformance.Result
	var runErr error
	for _, c := range checks {
		r, err := c.Run(a.ctx, target)
		if a.ctx.Err() != nil {
			break // the check the interrupt cut short is not reported
		}
		if err != nil {
			runErr = err
			break
		}
		results = append(results, r)
		if !a.common.json {
			a.printResult(r)
		}
		if a.ctx.Err() != nil {
			break
		}
	}
	elapsed := time.Since(began)
	if junit != "" {
		if err := writeJUnit(junit, results, seed, elapsed); err != nil {
			return usageErr("cannot write --junit %s: %v", junit, err)
		}
	}
	counts := map[conformance.Verdict]int{}
	for _, r := range results {
		counts[r.Verdict]++
	}
	if a.common.json {
		if err := a.writeJSON(map[string]any{
			"target": t.describe(), "probe": probe, "seed": seed, "timeout": a.common.timeout.String(),
			"passed": counts[conformance.Fail] == 0 && runErr == nil, "results": results,
		}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(a.stdout, "\n%d check(s): %d passed, %d failed, %d skipped in %s (seed %d)\n",
			len(results), counts[conformance.Pass], counts[conformance.Fail], counts[conformance.Skip], elapsed.Round(time.Millisecond), seed)
		fmt.Fprintf(a.stdout, "reproduce: tartansim conformance --seed %d%s\n", seed, filterArg(filter))
	}
	var unreachable *conformance.UnreachableError
	var probeErr *scenarios.ProbeError
	switch {
	case a.ctx.Err() != nil:
		return &exitError{exitInterrupted, fmt.Errorf("interrupted after %d check(s); the report so far is above (seed %d)", len(results), seed)}
	case errors.As(runErr, &unreachable):
		return unreachableErr("could not reach %s: %s", t.describe(), unreachable.Why)
	case errors.As(runErr, &probeErr):
		return unreachableErr("%s", probeErr)
	case runErr != nil:
		return usageErr("%s", strings.TrimPrefix(runErr.Error(), "conformance: "))
	case counts[conformance.Fail] > 0:
		return shortErr("%d of %d check(s) failed (seed %d)", counts[conformance.Fail], len(results), seed)
	}
	return nil
}

func filterArg(f string) string {
	if f == "" {
		return ""
	}
	return " --label-filter " + sender.ShellQuote(f)
}

func (a *app) printResult(r conformance.Result) {
	fmt.Fprintf(a.stdout, "  %-4s  %-16s %-10s %s (%s)\n", r.Verdict, r.ID, r.Label, r.Title, r.Elapsed.Round(time.Millisecond))
	switch r.Verdict {
	case conformance.Skip:
		fmt.Fprintf(a.stdout, "        skipped: %s\n", r.Reason)
	case conformance.Fail:
		for i, d := range r.Details {
			if i == 5 {
				fmt.Fprintf(a.stdout, "        - and %d more\n", len(r.Details)-5)
				break
			}
			fmt.Fprintf(a.stdout, "        - %s\n", d)
		}
	}
}

// JUnit XML, as CI systems read it: one testcase per check.
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Body    string `xml:",chardata"`
}

func writeJUnit(path string, results []conformance.Result, seed uint64, elapsed time.Duration) error {
	s := junitSuite{Name: "tartansim conformance", Time: secs(elapsed), Properties: []junitProperty{{"seed", fmt.Sprint(seed)}}}
	for _, r := range results {
		c := junitCase{Name: r.ID + ": " + r.Title, ClassName: r.Label, Time: secs(r.Elapsed)}
		switch r.Verdict {
		case conformance.Fail:
			s.Failures++
			c.Failure = &junitMessage{Message: r.Reason, Body: strings.Join(r.Details, "\n") + fmt.Sprintf("\nseed %d", seed)}
		case conformance.Skip:
			s.Skipped++
			c.Skipped = &junitMessage{Message: r.Reason}
		}
		s.Cases = append(s.Cases, c)
	}
	s.Tests = len(s.Cases)
	out, err := xml.MarshalIndent(junitSuites{Suites: []junitSuite{s}}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(xml.Header), append(out, '\n')...), 0o644)
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }
