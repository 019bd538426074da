package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/tartansim/tartansim/fixtures"
)

func (a *app) eventsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "events",
		Short: "List the event catalogue (event, eventType, documented or not)",
		Long: `List every event tartansim can send. Use the first column with 'tartansim send'.
Undocumented events were seen in a public consumer's code, not in Tartan's
documentation; realistic scenarios do not send them.`,
		Example: "  tartansim events\n  tartansim events --json | jq -r '.[].id'",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			kinds := fixtures.Catalogue()
			if a.common.json {
				type row struct {
					ID         string `json:"id"`
					Event      string `json:"event"`
					EventType  string `json:"eventType"`
					Documented bool   `json:"documented"`
					Summary    string `json:"summary"`
				}
				rows := make([]row, len(kinds))
				for i, k := range kinds {
					rows[i] = row{k.ID(), k.Event, k.Type, k.Documented, k.Summary}
				}
				return a.writeJSON(rows)
			}
			w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tEVENT TYPE\tDOCUMENTED")
			for _, k := range kinds {
				doc := "yes"
				if !k.Documented {
					doc = "no"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\n", k.ID(), k.Type, doc)
			}
			return w.Flush()
		},
	}
	a.common.register(cmd.Flags(), flagJSON)
	return cmd
}
