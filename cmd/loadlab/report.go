package main

import (
	"fmt"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/loadlab/loadlab/report"
)

func reportCommand() *cli.Command {
	return &cli.Command{
		Name:      "report",
		Usage:     "write a sweep's report: one self-contained HTML page, Markdown, and its tables as LaTeX and CSV",
		UsageText: "loadlab report out/quick [--out DIR]",
		Description: "Reads DIR/spec.yaml and DIR/results.jsonl (never reruns a point) and writes, in DIR/report\n" +
			"unless --out says otherwise: report.html (figures embedded, no external files), report.md\n" +
			"(figures as relative links), tables.tex (booktabs) and tables.csv (tidy). The tables show mean\n" +
			"response with its 95% CI, p99, migrations and probes per job and utilisation, policies × loads,\n" +
			"the lowest value of each column marked; warnings list failed jobs, wide CIs and unstable points.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "output directory", DefaultText: "DIR/report"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return inputErr("report: want one sweep directory, got %d arguments (usage: %s)", c.NArg(), c.Command.UsageText)
			}
			dir := c.Args().First()
			s, err := report.Load(dir)
			if err != nil {
				return err
			}
			out := c.String("out")
			if out == "" {
				out = filepath.Join(dir, "report")
			}
			paths, err := report.Write(s, out)
			if err != nil {
				return err
			}
			for _, w := range report.Warnings(s.Records, s.Cells) {
				fmt.Fprintln(c.App.ErrWriter, "warning:", w)
			}
			for _, p := range paths {
				fmt.Fprintln(c.App.Writer, "wrote", p)
			}
			return nil
		},
	}
}

func compareCommand() *cli.Command {
	return &cli.Command{
		Name:  "compare",
		Usage: "put two sweeps (or the two backends of one) on the same axes and test their differences",
		UsageText: "loadlab compare out/before out/after [--out DIR]\n" +
			"   loadlab compare out/local   # a sweep with backends [sim, local]: simulator against agents",
		Description: "Matches cells by workload, policy (without its \" (backend)\" suffix), load and axis value, and gives\n" +
			"A, B and B − A with its 95% CI for mean and p99 response: a paired t interval when both sides\n" +
			"ran the same seeds (common random numbers), Welch's t otherwise. Writes compare.html,\n" +
			"compare.md, compare.tex, compare.csv and the figure compare_response (A solid, B dashed) in\n" +
			"each of --formats with its CSV, in DIR1/compare unless --out says otherwise.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "output directory", DefaultText: "DIR1/compare"},
		}, layoutFlags()...),
		Action: func(c *cli.Context) error {
			if c.NArg() < 1 || c.NArg() > 2 {
				return inputErr("compare: want one or two sweep directories, got %d arguments (usage: %s)", c.NArg(), c.Command.UsageText)
			}
			figOpt, err := figureOptions(c)
			if err != nil {
				return err
			}
			dirs := c.Args().Slice()
			a, b, err := report.Sides(dirs...)
			if err != nil {
				return err
			}
			cmp, err := report.Compare(a, b)
			if err != nil {
				return err
			}
			cmp.Figures = figOpt
			out := c.String("out")
			if out == "" {
				out = filepath.Join(dirs[0], "compare")
			}
			paths, err := report.WriteCompare(cmp, out)
			if err != nil {
				return err
			}
			n, of := cmp.Significant("mean_response")
			fmt.Fprintf(c.App.Writer, "%s against %s: %d cells in common, %d significant differences of mean response\n", a.Name, b.Name, of, n)
			for _, p := range paths {
				fmt.Fprintln(c.App.Writer, "wrote", p)
			}
			return nil
		},
	}
}
