package main

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/loadlab/loadlab/analysis"
	"github.com/loadlab/loadlab/experiment"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/stats"
)

func plotCommand() *cli.Command {
	return &cli.Command{
		Name:      "plot",
		Usage:     "draw the figures of a sweep directory again (from its stored results)",
		UsageText: "loadlab plot out/quick [--columns 2] [--formats pdf,png] [--title=false] [--cdf-load 0.5,0.9]",
		Flags:     figureFlags(),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return inputErr("plot: want one sweep directory, got %d arguments", c.NArg())
			}
			opt, err := figureOptions(c)
			if err != nil {
				return err
			}
			dir := c.Args().First()
			spec, err := experiment.Reopen(dir)
			if err != nil {
				return err
			}
			if err := checkCDFLoads(opt, spec); err != nil {
				return err
			}
			return writeReport(c.App.Writer, dir, spec, opt)
		},
	}
}

// figureFlags are the flags of the commands that draw a sweep's figures.
func figureFlags() []cli.Flag {
	return append(layoutFlags(),
		&cli.StringFlag{Name: "cdf-load", Usage: "the load(s) at which the cdf figure shows the distribution of response time, comma-separated, each a load of the sweep (default: the load nearest the middle of its range)"},
		&cli.StringFlag{Name: "metrics", Usage: "metrics to draw each against the sweep's axis (METRIC_vs_AXIS), comma-separated, e.g. mean_response,probes_per_job; `loadlab metrics` lists them", DefaultText: "the spec's metrics; along an axis other than load: mean and p99 response and the overheads there are"})
}

// layoutFlags are the flags of every command that draws figures: their
// size, formats and titles.
func layoutFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "title", Value: true, Usage: "draw each figure's title; --title=false for a paper, whose captions carry them"},
		&cli.IntFlag{Name: "columns", Value: 1, Usage: "figure width for a two-column paper: 1 (one column, 3.5 × 2.6 in) or 2 (both columns, 7 × 3 in); text stays the same size"},
		&cli.StringFlag{Name: "formats", Value: "png,svg,pdf", Usage: "figure files to write, comma-separated: png, svg, pdf (also jpg, tif, tex); each comes with the CSV of its data"},
	}
}

// figureOptions reads figureFlags; a bad value is bad input.
func figureOptions(c *cli.Context) (analysis.FigureOptions, error) {
	var opt analysis.FigureOptions
	switch n := c.Int("columns"); n {
	case 1:
		opt = analysis.DefaultFigureOptions()
	case 2:
		opt = analysis.TwoColumnFigureOptions()
	default:
		return opt, inputErr("--columns %d: want 1 (one-column figures) or 2 (two-column figures)", n)
	}
	opt.Formats = nil
	for _, f := range strings.Split(c.String("formats"), ",") {
		if f = strings.TrimSpace(f); f != "" {
			opt.Formats = append(opt.Formats, f)
		}
	}
	if len(opt.Formats) == 0 {
		return opt, inputErr("--formats %q: name at least one of png, svg, pdf", c.String("formats"))
	}
	if err := opt.Validate(); err != nil {
		return opt, inputErr("--formats: %v", err)
	}
	opt.NoTitles = !c.Bool("title")
	if v := c.String("metrics"); v != "" {
		for _, m := range strings.Split(v, ",") {
			if m = strings.TrimSpace(m); m != "" {
				opt.Metrics = append(opt.Metrics, m)
			}
		}
		if err := stats.CheckMetrics(opt.Metrics); err != nil {
			return opt, inputErr("--metrics: %v (`loadlab metrics` explains each)", err)
		}
	}
	if v := c.String("cdf-load"); v != "" {
		for _, s := range strings.Split(v, ",") {
			l, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil || !(l > 0 && l < 1) {
				return opt, inputErr("--cdf-load %q: want loads between 0 and 1 separated by commas, e.g. 0.5,0.8", v)
			}
			opt.CDFLoads = append(opt.CDFLoads, l)
		}
	}
	return opt, nil
}

// checkCDFLoads reports a --cdf-load that is not a load of spec, naming
// the loads it has.
func checkCDFLoads(opt analysis.FigureOptions, spec *experiment.Spec) error {
	for _, l := range opt.CDFLoads {
		if !slices.Contains(spec.Loads, l) {
			loads := make([]string, len(spec.Loads))
			for i, s := range spec.Loads {
				loads[i] = strconv.FormatFloat(s, 'g', -1, 64)
			}
			return inputErr("--cdf-load %g: not a load of sweep %s; choose among its loads %s", l, spec.Name, strings.Join(loads, ", "))
		}
	}
	return nil
}

func exportCommand() *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "export a sweep's results as tidy CSV (one row per point and replication) or for benchstat",
		UsageText: "loadlab export out/quick --csv [--output FILE|-]\n   loadlab export out/quick --benchstat [--output FILE|-]   # then: benchstat -col policy FILE",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "csv", Usage: "write CSV, one row per point and replication, to DIR/results.csv unless --output says otherwise; the 64-bit seed column is quoted: read it as text (pandas: dtype={'seed': str}; R: colClasses = c(seed = 'character'))"},
			&cli.BoolFlag{Name: "benchstat", Usage: "write the Go benchmark format, one configuration per policy, to DIR/results.bench unless --output says otherwise; compare policies with benchstat -col policy"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "file to write, - for standard output", DefaultText: "DIR/results.csv or DIR/results.bench"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return inputErr("export: want one sweep directory, got %d arguments", c.NArg())
			}
			if c.Bool("csv") == c.Bool("benchstat") {
				return inputErr("export: say which format: --csv or --benchstat")
			}
			dir := c.Args().First()
			recs, err := results.Read(dir)
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return inputErr("export: %s holds no results: %v", dir, err)
				}
				return err
			}
			write, file := results.WriteCSV, "results.csv"
			if c.Bool("benchstat") {
				file = "results.bench"
				// The spec's first policy is benchstat's base column; without a
				// readable spec the policies come by name.
				var order []string
				if spec, err := experiment.Reopen(dir); err == nil {
					order = spec.Labels()
				}
				write = func(w io.Writer, recs []results.Record) error {
					return stats.WriteBenchfmt(w, filepath.Base(filepath.Clean(dir)), recs, order)
				}
			}
			out := c.String("output")
			if out == "-" {
				return write(c.App.Writer, recs)
			}
			if out == "" {
				out = filepath.Join(dir, file)
			}
			var buf bytes.Buffer
			if err := write(&buf, recs); err != nil {
				return err
			}
			if err := results.WriteFileAtomic(out, buf.Bytes()); err != nil {
				return err
			}
			_, err = c.App.Writer.Write([]byte("wrote " + out + "\n"))
			return err
		},
	}
}
