package main

import (
	"encoding/json"
	"errors"
	"os"

	"github.com/spf13/cobra"
	"github.com/tartansim/tartansim/load"
)

func (a *app) mergeCommand() *cobra.Command {
	var f loadFlags
	cmd := &cobra.Command{
		Use:   "merge FILE...",
		Short: "Merge the --json reports of load shards and evaluate thresholds on the whole",
		Long: `Merge the JSON reports of 'tartansim load --shard I/N --json' runs: counts add up,
the HDR histograms merge exactly, and the thresholds are evaluated on the merged
result only (a p99 is not an average of p99s).

It refuses reports that are not parts of one run: different seeds, rates or
profiles, durations, counts or scenarios; the same shard twice; parts that
overlap; a missing or interrupted shard, unless --partial, and then the report
names what is missing.

Exit 0 when every threshold held, 1 when one was breached (named), 2 for a file
that cannot be read or reports that do not belong together, 3 when no shard
reached the target, 4 when the shards sent nothing.`,
		Example: `  tartansim merge shard-0.json shard-1.json shard-2.json --max-p99 500ms --min-rate 0.99
  tartansim merge shard-*.json --json > merged.json
  tartansim merge shard-*.json --partial   # a pod failed: merge the shards that finished`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return a.merge(args, f) },
	}
	fl := cmd.Flags()
	f.registerThresholds(fl)
	fl.BoolVar(&f.partial, "partial", false, "merge the parts there are when shards are missing or were interrupted, and name them")
	fl.StringVar(&f.html, "html", "", "write a single-file HTML report of the merged run to FILE")
	a.common.register(fl, flagJSON)
	return cmd
}

func (a *app) merge(files []string, f loadFlags) error {
	if err := refuseZeros(a.common.fs, "max-p99"); err != nil {
		return err
	}
	th, err := f.thresholds()
	if err != nil {
		return err
	}
	var reports []*load.Report
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			return usageErr("cannot read %s: %s", path, plainIOError(err))
		}
		var r load.Report
		if err := json.Unmarshal(b, &r); err != nil {
			return usageErr("%s is not a tartansim load --json report: %v", path, err)
		}
		reports = append(reports, &r)
	}
	merged, err := load.Merge(load.MergeOptions{Names: files, Partial: f.partial}, reports...)
	var me *load.MergeError
	switch {
	case errors.As(err, &me) && (me.Problem == load.PartMissing || me.Problem == load.PartInterrupted):
		return usageErr("%s; merge every shard's report, or pass --partial to merge what is there", me.Why)
	case errors.As(err, &me):
		return usageErr("%s", me.Why)
	case err != nil:
		return inputErr(err)
	}
	breaches, htmlErr, err := a.showRun(merged, th, f.html)
	if err != nil {
		return err
	}
	switch {
	case htmlErr != nil:
		return htmlErr
	case merged.Sent == 0:
		return &exitError{exitNothing, errors.New("the shards sent nothing, so there is nothing to judge")}
	case merged.Unreachable():
		return unreachableErr("no shard reached %s: %s", merged.Target, merged.UnreachableWhy())
	case len(breaches) > 0:
		return shortErr("%s (seed %d)", breaches[0], merged.Seed)
	}
	return nil
}
