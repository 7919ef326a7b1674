package main

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/loadlab/loadlab/analysis"
	"github.com/loadlab/loadlab/experiment"
)

func capacityCommand() *cli.Command {
	return &cli.Command{
		Name:      "capacity",
		Usage:     "find the highest load at which each policy of a spec still meets a service-level objective, by bisection with the intervals taken into account",
		UsageText: "loadlab capacity examples/quick.yaml --slo 'p99<10' [--out DIR] [--lo 0.05] [--hi 0.99] [--tol 0.01]",
		Description: "For each workload and policy row of SPEC, on its first backend, bisects the load between --lo and --hi: a load meets the\n" +
			"objective when each metric's 95% interval over the spec's replications lies on the right side of its bound; an interval\n" +
			"across a bound runs another round of replications (up to --rounds), then the means decide. The spec's loads and axis are\n" +
			"not used. Objectives: METRIC<VALUE or METRIC>VALUE joined by commas, metrics as loadlab metrics lists them (mean, p50, p95,\n" +
			"p99, p999 name the response time's). Prints a table, and with --out writes capacity.csv and a figure of the searches.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "slo", Required: true, Usage: "the objectives, e.g. 'p99<10' or 'mean<2, throughput>3'"},
			&cli.StringFlag{Name: "out", Usage: "directory for capacity.csv and the figures (none: the table only)"},
			&cli.Float64Flag{Name: "lo", Value: 0.05, Usage: "lowest load tried"},
			&cli.Float64Flag{Name: "hi", Value: 0.99, Usage: "highest load tried"},
			&cli.Float64Flag{Name: "tol", Value: 0.01, Usage: "stop when the bracket is this narrow"},
			&cli.IntFlag{Name: "rounds", Value: 3, Usage: "rounds of the spec's replications a load may take before the means decide"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print no progress"},
		}, figureFlags()...),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return inputErr("capacity: want one spec file, got %d arguments", c.NArg())
			}
			spec, err := experiment.LoadSpec(c.Args().First())
			if err != nil {
				return err
			}
			slos, err := experiment.ParseSLO(c.String("slo"))
			if err != nil {
				return inputErr("--slo %s: %v", c.String("slo"), err)
			}
			opt, err := figureOptions(c)
			if err != nil {
				return err
			}
			start := time.Now()
			progress := func(cp experiment.Capacity, p experiment.Probe) {
				if c.Bool("quiet") {
					return
				}
				verdict := "misses"
				if p.Meets {
					verdict = "meets"
				}
				fmt.Fprintf(c.App.ErrWriter, "[%5.1fs] %s on %s at load %.4g: %s (%d replications)\n", time.Since(start).Seconds(), cp.Policy, cp.Workload, p.Load, verdict, p.Replications)
			}
			cfg := experiment.CapacityConfig{Lo: c.Float64("lo"), Hi: c.Float64("hi"), Tol: c.Float64("tol"), Rounds: c.Int("rounds")}
			caps, err := experiment.FindCapacity(c.Context, spec, slos, cfg, progress)
			if err != nil {
				if experiment.IsInput(err) {
					return err
				}
				return fmt.Errorf("capacity: %w", err)
			}
			tw := tabwriter.NewWriter(c.App.Writer, 0, 0, 2, ' ', 0)
			fmt.Fprintf(tw, "capacity under %s\tworkload\tload\tloads tried\n", c.String("slo"))
			for _, cp := range caps {
				load := "none (misses at --lo)"
				if cp.Load > 0 {
					load = strconv.FormatFloat(cp.Load, 'g', 4, 64)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", cp.Policy, cp.Workload, load, len(cp.Probes))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if dir := c.String("out"); dir != "" {
				return writeCapacity(c, dir, slos, caps, spec, opt)
			}
			return nil
		},
	}
}

// writeCapacity writes capacity.csv (one row per policy, workload and
// load tried) and, per objective, a figure of the searches into dir.
func writeCapacity(c *cli.Context, dir string, slos []experiment.SLO, caps []experiment.Capacity, spec *experiment.Spec, opt analysis.FigureOptions) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "capacity.csv"))
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write([]string{"workload", "policy", "objective", "load", "mean", "ci_low", "ci_high", "replications", "meets", "capacity"})
	for _, cp := range caps {
		for _, p := range cp.Probes {
			for i, o := range slos {
				w.Write([]string{cp.Workload, cp.Policy, o.String(), fmtF(p.Load), fmtF(p.Mean[i]), fmtF(p.Mean[i] - p.Half[i]), fmtF(p.Mean[i] + p.Half[i]),
					strconv.Itoa(p.Replications), strconv.FormatBool(p.Meets), fmtF(cp.Load)})
			}
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	var order []string
	for _, p := range spec.Policies {
		order = append(order, p.Name)
	}
	for i, o := range slos {
		var lines []analysis.CapacityLine
		for _, cp := range caps {
			l := analysis.CapacityLine{Workload: cp.Workload, Policy: cp.Policy, Capacity: cp.Load}
			for _, p := range cp.Probes {
				l.Loads, l.Means, l.Halves = append(l.Loads, p.Load), append(l.Means, p.Mean[i]), append(l.Halves, p.Half[i])
			}
			lines = append(lines, l)
		}
		sub := dir
		if len(slos) > 1 {
			sub = filepath.Join(dir, o.Metric.Name)
		}
		paths, err := analysis.WriteCapacityFigures(sub, o.Metric.Label, o.Metric.Unit, o.Value, lines, order, opt)
		if err != nil {
			return err
		}
		for _, p := range paths {
			if filepath.Ext(p) == ".png" {
				fmt.Fprintf(c.App.Writer, "  %s\n", p)
			}
		}
	}
	fmt.Fprintf(c.App.Writer, "wrote %s\n", filepath.Join(dir, "capacity.csv"))
	return nil
}

func fmtF(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
