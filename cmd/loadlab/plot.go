package main

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/loadlab/loadlab/analysis"
	"github.com/loadlab/loadlab/experiment"
	"github.com/loadlab/loadlab/results"
)

func plotCommand() *cli.Command {
	return &cli.Command{
		Name:      "plot",
		Usage:     "draw the figures of a sweep directory again (from its stored results)",
		UsageText: "loadlab plot out/quick",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return inputErr("plot: want one sweep directory, got %d arguments", c.NArg())
			}
			dir := c.Args().First()
			spec, err := experiment.Reopen(dir)
			if err != nil {
				return err
			}
			return writeReport(c.App.Writer, dir, spec)
		},
	}
}

func exportCommand() *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "export a sweep's results as tidy CSV (one row per point and replication) or for benchstat",
		UsageText: "loadlab export out/quick --csv [--output FILE|-]\n   loadlab export out/quick --benchstat [--output FILE|-]   # then: benchstat -col policy FILE",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "csv", Usage: "write CSV, one row per point and replication (default file DIR/results.csv)"},
			&cli.BoolFlag{Name: "benchstat", Usage: "write the Go benchmark format, one configuration per policy (default file DIR/results.bench); compare policies with benchstat -col policy"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "file to write, - for standard output"},
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
				write = func(w io.Writer, recs []results.Record) error {
					return analysis.WriteBenchfmt(w, filepath.Base(filepath.Clean(dir)), recs)
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
