package main

import (
	"encoding/json"
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
result (a p99 is not an average of p99s). Exit 1 names a breached threshold.`,
		Example: `  tartansim merge shard-0.json shard-1.json shard-2.json --max-p99 500ms --min-rate 0.99
  tartansim merge shard-*.json --json > merged.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			th, err := f.thresholds()
			if err != nil {
				return err
			}
			var reports []*load.Report
			for _, path := range args {
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
			merged := load.Merge(reports...)
			var htmlErr error
			if f.html != "" {
				htmlErr = writeHTMLFile(f.html, merged)
			}
			breaches := breachLines(th.Breaches(merged))
			if err := a.printLoad(merged, breaches, "--rate max"); err != nil {
				return err
			}
			if htmlErr != nil {
				return htmlErr
			}
			if len(breaches) > 0 {
				return shortErr("%s", breaches[0])
			}
			return nil
		},
	}
	fl := cmd.Flags()
	f.registerThresholds(fl)
	fl.StringVar(&f.html, "html", "", "write a single-file HTML report of the merged run to FILE")
	a.common.register(fl, flagJSON)
	return cmd
}
