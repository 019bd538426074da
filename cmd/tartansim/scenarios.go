package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/tartansim/tartansim/scenarios"
)

func (a *app) scenariosCommand() *cobra.Command {
	var schema bool
	cmd := &cobra.Command{
		Use:   "scenarios",
		Short: "List the built-in scenarios",
		Long: `List the built-in scenarios that 'tartansim run' plays. --schema prints the JSON
Schema of scenario files, for editors (e.g. the YAML language server).`,
		Example: "  tartansim scenarios\n  tartansim scenarios --schema > tartansim-scenario.schema.json",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if schema {
				_, err := a.stdout.Write(scenarios.Schema())
				return err
			}
			list := scenarios.Builtins()
			if a.common.json {
				return a.writeJSON(list)
			}
			w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tORGS\tSTEPS\tDESCRIPTION")
			for _, sc := range list {
				fmt.Fprintf(w, "%s\t%d\t%d\t%s\n", sc.Name, len(sc.Orgs), len(sc.Steps), firstSentence(sc.Description))
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVar(&schema, "schema", false, "print the JSON Schema of scenario files")
	a.common.register(cmd.Flags(), flagJSON)
	return cmd
}

func firstSentence(s string) string {
	for i, r := range s {
		if r == '.' || r == '\n' {
			return s[:i]
		}
	}
	return s
}
