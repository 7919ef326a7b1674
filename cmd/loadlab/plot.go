package main

import (
	"bytes"
	"errors"
	"io/fs"
	"path/filepath"

	"github.com/urfave/cli/v2"

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
		Usage:     "export a sweep's results as tidy CSV (one row per point and replication)",
		UsageText: "loadlab export out/quick --csv [--output FILE|-]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "csv", Usage: "write CSV (the only format for now)"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "file to write, - for standard output (default DIR/results.csv)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return inputErr("export: want one sweep directory, got %d arguments", c.NArg())
			}
			if !c.Bool("csv") {
				return inputErr("export: say which format: --csv")
			}
			dir := c.Args().First()
			recs, err := results.Read(dir)
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return inputErr("export: %s holds no results: %v", dir, err)
				}
				return err
			}
			out := c.String("output")
			if out == "-" {
				return results.WriteCSV(c.App.Writer, recs)
			}
			if out == "" {
				out = filepath.Join(dir, "results.csv")
			}
			var buf bytes.Buffer
			if err := results.WriteCSV(&buf, recs); err != nil {
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
