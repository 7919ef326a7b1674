package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/loadlab/loadlab/stats"
)

func metricsCommand() *cli.Command {
	return &cli.Command{
		Name:  "metrics",
		Usage: "list the metrics figures can draw (a spec's metrics:, --metrics), with their units and which way is better",
		Action: func(c *cli.Context) error {
			tw := tabwriter.NewWriter(c.App.Writer, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "METRIC\tWHAT\tUNIT\tBETTER")
			for _, m := range append(stats.Metrics(), stats.TierFamilies()...) {
				unit, better := m.Unit, "lower"
				if unit == "" {
					unit = "-"
				}
				if !m.Lower {
					better = "higher"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Name, m.Label, unit, better)
			}
			return tw.Flush()
		},
	}
}
