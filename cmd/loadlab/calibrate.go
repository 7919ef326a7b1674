package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/loadlab/loadlab/node"
)

func calibrateCommand() *cli.Command {
	return &cli.Command{
		Name:      "calibrate-migration",
		Usage:     "measure what moving a unit costs between two real agents here, and write the simulator's link (costs: latency, bandwidth)",
		UsageText: "loadlab calibrate-migration [--sizes 0,64KiB,256KiB] [--moves 200] [--time-unit 10ms] [--out link.yaml]",
		Description: "Starts two agents on 127.0.0.1 and moves units with each size of execution state from one to\n" +
			"the other, one at a time, the sizes taking turns; each move is timed from its start (packing the\n" +
			"unit) until the destination has checked its checksum and acknowledged it. Fits latency and\n" +
			"bandwidth (model units) to the mean times by least squares of the relative error and writes them\n" +
			"as a costs: block to paste into a sweep spec, with the measurements as comments. The link is\n" +
			"linear: give the range of sizes your units move (small states, which stay in the CPU's cache,\n" +
			"copy faster per byte than megabytes).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "sizes", Value: "0,64KiB,256KiB,1MiB", Usage: "state sizes to move, comma-separated: bytes, or with KiB, MiB (or KB, MB)"},
			&cli.IntFlag{Name: "moves", Value: 200, Usage: "moves per size"},
			&cli.StringFlag{Name: "time-unit", Value: "10ms", Usage: "wall time of one model unit, as in the sweep that will use the link"},
			&cli.StringFlag{Name: "out", Usage: "also write the costs block to this file", DefaultText: "standard output only"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 0 {
				return inputErr("calibrate-migration: takes no arguments, got %q (usage: %s)", c.Args().Slice(), c.Command.UsageText)
			}
			sizes, err := parseSizes(c.String("sizes"))
			if err != nil {
				return inputErr("--sizes: %v", err)
			}
			if len(sizes) < 2 {
				return inputErr("--sizes: need at least 2 sizes to fit latency and bandwidth, got %d", len(sizes))
			}
			unit, err := time.ParseDuration(c.String("time-unit"))
			if err != nil || unit < 100*time.Microsecond {
				return inputErr("--time-unit %q: want a duration of at least 100µs, e.g. 10ms", c.String("time-unit"))
			}
			if c.Int("moves") < 2 {
				return inputErr("--moves: want at least 2, got %d", c.Int("moves"))
			}
			fmt.Fprintf(c.App.ErrWriter, "moving %d units of each of %d sizes between two agents on 127.0.0.1…\n", c.Int("moves"), len(sizes))
			fit, err := node.CalibrateMigration(c.Context, node.MigrationCalibration{TimeUnit: unit, Sizes: sizes, Moves: c.Int("moves")})
			if err != nil {
				return err
			}
			var b strings.Builder
			writeLink(&b, fit, unit, c.Int("moves"))
			fmt.Fprint(c.App.Writer, b.String())
			if out := c.String("out"); out != "" {
				if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
					return fmt.Errorf("calibrate-migration: %w", err)
				}
				fmt.Fprintln(c.App.ErrWriter, "wrote", out)
			}
			return nil
		},
	}
}

// writeLink writes fit as a costs block for a sweep spec, the
// measurements as comments.
func writeLink(w io.Writer, fit node.LinkFit, unit time.Duration, moves int) {
	fmt.Fprintf(w, "# loadlab calibrate-migration, %s: two agents on 127.0.0.1, %d moves per size,\n", time.Now().UTC().Format(time.RFC3339), moves)
	fmt.Fprintf(w, "# time unit %v; times in model units, from a move's start until the destination acknowledged it.\n", unit)
	fmt.Fprintf(w, "#   %12s  %8s  %8s  %8s  %8s  %7s\n", "state bytes", "mean", "p50", "p99", "model", "model/mean-1")
	for _, s := range fit.Samples {
		m := fit.Model(s.Bytes)
		fmt.Fprintf(w, "#   %12.0f  %8.4f  %8.4f  %8.4f  %8.4f  %+6.1f%%\n", s.Bytes, s.Mean, s.P50, s.P99, m, 100*(m/s.Mean-1))
	}
	mbps := 0.0
	if fit.Link.Bandwidth > 0 {
		mbps = fit.Link.Bandwidth / unit.Seconds() / 1e6
	}
	fmt.Fprintf(w, "# latency %.3g ms, bandwidth %.0f MB/s\n", fit.Link.Latency*float64(unit)/float64(time.Millisecond), mbps)
	fmt.Fprintf(w, "costs:\n  latency: %.6g\n  bandwidth: %.6g\n", fit.Link.Latency, fit.Link.Bandwidth)
}

// maxCalibrationSize keeps a unit's frame below wire.DefaultMaxFrame.
const maxCalibrationSize = 7 << 20

// parseSizes parses "0,64KiB,1MiB" into bytes.
func parseSizes(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		mult := 1.0
		for _, u := range []struct {
			suffix string
			m      float64
		}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}} {
			if strings.HasSuffix(f, u.suffix) {
				f, mult = strings.TrimSpace(strings.TrimSuffix(f, u.suffix)), u.m
				break
			}
		}
		v, err := strconv.ParseFloat(f, 64)
		if err != nil || !(v >= 0) || v*mult > maxCalibrationSize {
			return nil, fmt.Errorf("%q is not a size from 0 to 7MiB, below the agents' frame limit (e.g. 0, 65536, 64KiB, 1MiB)", f)
		}
		out = append(out, v*mult)
	}
	return out, nil
}
