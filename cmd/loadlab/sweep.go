package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/loadlab/loadlab/analysis"
	"github.com/loadlab/loadlab/experiment"
	"github.com/loadlab/loadlab/node"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/stats"
)

func sweepCommand() *cli.Command {
	return &cli.Command{
		Name:      "sweep",
		Usage:     "run every point of a YAML spec in parallel, then write figures",
		UsageText: "loadlab sweep examples/quick.yaml [--out DIR] [--columns 2] [--formats pdf,png]",
		Description: "Results go to DIR/results.jsonl as each point finishes (synced), so a sweep that is\n" +
			"interrupted or killed resumes when the same command runs again. Figures go to DIR/figures.\n\n" +
			"A spec extended since its sweep ran (a policy, a load, a workload, replications) reuses the\n" +
			"stored points and runs only the new ones. A stored point whose configuration the spec changed\n" +
			"(jobs, costs, seed, a policy's parameters…) is refused, naming the change: choose another --out.\n\n" +
			"Exit status: 0 done, 1 failed, 2 bad input (nothing run), 130 interrupted by SIGINT (Ctrl-C)\n" +
			"or 143 by SIGTERM: the points finished so far are stored; run the same command again to resume.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "output directory", DefaultText: "out/NAME, NAME from the spec"},
			&cli.IntFlag{Name: "workers", Usage: "points run at once", DefaultText: "one per CPU"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress output"},
			&cli.StringFlag{Name: "shard", Usage: "run only shard i of n (e.g. 2/8), for a job array; combine the shards' directories with loadlab merge"},
			&cli.StringFlag{Name: "prometheus", Usage: "points on agents (local, testbed): " + prometheusUsage + "; local: their agents' too, labelled by node", DefaultText: "off"},
			&cli.BoolFlag{Name: "json", Usage: "for scripts: one JSON object per finished point, then a summary object with every cell, on standard output"},
		}, append(figureFlags(), keyFlags()...)...),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return inputErr("sweep: want one spec file, got %d arguments (usage: %s)", c.NArg(), c.Command.UsageText)
			}
			figOpt, err := figureOptions(c)
			if err != nil {
				return err
			}
			spec, err := experiment.LoadSpec(c.Args().First())
			if err != nil {
				return err
			}
			if err := checkCDFLoads(figOpt, spec); err != nil {
				return err
			}
			out := c.String("out")
			if out == "" {
				out = filepath.Join("out", spec.Name)
			}
			if c.Int("workers") < 0 {
				return inputErr("--workers: must be ≥ 0, got %d", c.Int("workers"))
			}
			shard, shards := 0, 0
			if v := c.String("shard"); v != "" {
				a, b, ok := strings.Cut(v, "/")
				var errA, errB error
				shard, errA = strconv.Atoi(a)
				shards, errB = strconv.Atoi(b)
				if !ok || errA != nil || errB != nil || shards < 1 || shard < 1 || shard > shards {
					return inputErr("--shard %q: want i/n with 1 ≤ i ≤ n, e.g. 2/8", v)
				}
				if c.String("out") == "" {
					out = filepath.Join("out", fmt.Sprintf("%s-shard%dof%d", spec.Name, shard, shards))
				}
			}
			stderr := c.App.ErrWriter
			prog := newProgress(stderr, c.Bool("quiet"), spec.Name)
			w := c.App.Writer
			onPoint := prog.update
			if c.Bool("json") {
				enc := json.NewEncoder(w)
				onPoint = func(done, total int, r results.Record) {
					prog.update(done, total, r)
					_ = enc.Encode(pointLine{Done: done, Total: total, Point: r.Point.Portable(), MeanResponse: r.Result.MeanResponse,
						CI95HalfWidth: r.Result.CI95HalfWidth, JobsFailed: r.Result.JobsFailed})
				}
			}
			start := time.Now()
			sec, keys, err := clusterKeys(c)
			if err != nil {
				return err
			}
			var metrics *node.Metrics
			if c.String("prometheus") != "" {
				if !slices.ContainsFunc(spec.Backends, experiment.IsReal) {
					return inputErr("--prometheus: spec %s runs on the simulator only, which has no agents to show; add backend local or testbed", spec.Name)
				}
				if metrics, err = serveMetrics(c); err != nil {
					return err
				}
			}
			sum, err := experiment.Sweep(c.Context, spec, experiment.Options{Out: out, Workers: c.Int("workers"), OnPoint: onPoint, Shard: shard, Shards: shards,
				Security: sec, GossipKeys: keys, Metrics: metrics})
			prog.finish()
			if err != nil {
				return err
			}
			secs := time.Since(start).Seconds()
			if c.Bool("json") {
				return writeJSONSummary(w, out, spec, sum, secs, figOpt)
			}
			fmt.Fprintf(w, "sweep %s: %d points (%d run now, %d resumed) in %.1fs\n", spec.Name, sum.Points, sum.Ran, sum.Resumed, secs)
			if sum.Other > 0 {
				fmt.Fprintf(w, "%s also holds %d points that the spec no longer has: kept in %s, left out of the table and figures\n", out, sum.Other, results.FileName)
			}
			return writeReport(w, out, spec, figOpt)
		},
	}
}

func mergeCommand() *cli.Command {
	return &cli.Command{
		Name:      "merge",
		Usage:     "combine the directories of sweeps of one spec (the shards of sweep --shard i/n) into one, then write its table and figures",
		UsageText: "loadlab merge --out out/NAME out/NAME-shard1of4 out/NAME-shard2of4 ...",
		Description: "Stores of different specs are refused. A point held by several stores is kept once;\n" +
			"merging again adds only what is missing, and the points no store holds yet are counted.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "the merged sweep's directory (required)"},
		},
		Action: func(c *cli.Context) error {
			if c.String("out") == "" {
				return inputErr("merge: --out DIR is required (usage: %s)", c.Command.UsageText)
			}
			if c.NArg() < 1 {
				return inputErr("merge: give the sweep directories to merge (usage: %s)", c.Command.UsageText)
			}
			sum, err := experiment.Merge(c.Context, c.String("out"), c.Args().Slice())
			if err != nil {
				return err
			}
			w := c.App.Writer
			fmt.Fprintf(w, "merged %d records into %s (%d already there); %d of %d points stored", sum.Merged, c.String("out"), sum.Duplicates, sum.Points-sum.Missing, sum.Points)
			if sum.Missing > 0 {
				fmt.Fprintf(w, " (%d missing: a shard has not finished or was not given)", sum.Missing)
			}
			if sum.Other > 0 {
				fmt.Fprintf(w, " (%d records of points the spec no longer has: not copied)", sum.Other)
			}
			fmt.Fprintln(w)
			spec, err := experiment.Reopen(c.String("out"))
			if err != nil {
				return err
			}
			return writeReport(w, c.String("out"), spec, analysis.DefaultFigureOptions())
		},
	}
}

// pointLine is what --json prints as each point finishes.
type pointLine struct {
	Done          int                   `json:"done"`
	Total         int                   `json:"total"`
	Point         results.PortablePoint `json:"point"`
	MeanResponse  float64               `json:"mean_response"`
	CI95HalfWidth float64               `json:"ci95_halfwidth"`
	JobsFailed    int64                 `json:"jobs_failed"`
}

// jsonCell is one (workload, policy, load, axis value) cell of the --json
// summary: its keys, then every metric of the registry that the cell has
// (stats.Metrics), each as NAME with its 95% half-width as
// NAME_ci95_halfwidth ("mean_ci95_halfwidth", "p99_ci95_halfwidth": a
// response time's name loses its "_response"), then the job counts.
type jsonCell struct{ cell stats.Cell }

// MarshalJSON writes the cell's keys, its metrics and its job counts, in
// that order; a metric without a finite mean is left out.
func (c jsonCell) MarshalJSON() ([]byte, error) {
	keys := struct {
		Workload     string   `json:"workload"`
		Policy       string   `json:"policy"`
		Load         float64  `json:"load"`
		Axis         string   `json:"axis,omitempty"`
		X            *float64 `json:"x,omitempty"` // set with Axis, even at 0
		Replications int      `json:"replications"`
	}{Workload: c.cell.Workload, Policy: c.cell.Policy, Load: c.cell.Load, Axis: c.cell.Axis, Replications: c.cell.N}
	if c.cell.Axis != "" {
		keys.X = &c.cell.X
	}
	b, err := json.Marshal(keys)
	if err != nil {
		return nil, err
	}
	b = b[:len(b)-1] // the closing brace
	add := func(k string, v any) error {
		kv, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("cell %s, %s: %w", c.cell.Policy, k, err)
		}
		b = append(append(append(append(b, ',', '"'), k...), '"', ':'), kv...)
		return nil
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	for _, m := range stats.Metrics() {
		mean, half := c.cell.Estimate(m)
		if !finite(mean) {
			continue
		}
		if err := add(m.Name, mean); err != nil {
			return nil, err
		}
		if finite(half) {
			if err := add(strings.TrimSuffix(m.Name, "_response")+"_ci95_halfwidth", half); err != nil {
				return nil, err
			}
		}
	}
	if err := add("jobs_issued", c.cell.JobsIssued); err != nil {
		return nil, err
	}
	if err := add("jobs_failed", c.cell.JobsFailed); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// writeJSONSummary writes the figures as opt says and prints one JSON
// object: the sweep's counts, its figure files and every cell.
func writeJSONSummary(w io.Writer, dir string, spec *experiment.Spec, sum experiment.Summary, secs float64, opt analysis.FigureOptions) error {
	recs, err := results.Read(dir)
	if err != nil {
		return err
	}
	recs = spec.Select(recs)
	cells := stats.Summarize(recs)
	paths, err := writeFigures(dir, recs, cells, spec.Labels(), opt)
	if err != nil {
		return err
	}
	out := struct {
		Sweep   string     `json:"sweep"`
		Dir     string     `json:"dir"`
		Points  int        `json:"points"`
		Ran     int        `json:"ran"`
		Resumed int        `json:"resumed"`
		Seconds float64    `json:"seconds"`
		Figures []string   `json:"figures"`
		Cells   []jsonCell `json:"cells"`
	}{Sweep: spec.Name, Dir: dir, Points: sum.Points, Ran: sum.Ran, Resumed: sum.Resumed, Seconds: secs, Figures: paths}
	for _, c := range cells {
		out.Cells = append(out.Cells, jsonCell{c})
	}
	return json.NewEncoder(w).Encode(out)
}

// writeFigures writes a sweep's figures into dir/figures: those of its
// cells and, when its points had faults, those of the faults.
func writeFigures(dir string, recs []results.Record, cells []stats.Cell, order []string, opt analysis.FigureOptions) ([]string, error) {
	figDir := filepath.Join(dir, "figures")
	if err := os.MkdirAll(figDir, 0o755); err != nil {
		return nil, err
	}
	paths, err := analysis.WriteFigures(figDir, cells, order, opt)
	if err != nil {
		return nil, fmt.Errorf("figures: %w", err)
	}
	faults, err := analysis.WriteOverTimeFigures(figDir, recs, order, opt)
	if err != nil {
		return nil, fmt.Errorf("fault figures: %w", err)
	}
	return append(paths, faults...), nil
}

// writeReport prints the mean-response table and writes the figures of the
// sweep in dir as opt says.
func writeReport(w io.Writer, dir string, spec *experiment.Spec, opt analysis.FigureOptions) error {
	recs, err := results.Read(dir)
	if err != nil {
		return err
	}
	recs = spec.Select(recs) // not the points of an earlier version of the spec
	cells := stats.Summarize(recs)
	order := spec.Labels()
	printTable(w, cells, order)
	if len(opt.Metrics) == 0 {
		opt.Metrics = spec.Metrics
	}
	paths, err := writeFigures(dir, recs, cells, order, opt)
	if err != nil {
		return err
	}
	// List the figures in the first format asked for.
	first := ".png"
	if len(opt.Formats) > 0 {
		first = "." + strings.ToLower(strings.TrimPrefix(opt.Formats[0], "."))
	}
	var shown []string
	for _, p := range paths {
		if strings.HasSuffix(p, first) {
			shown = append(shown, p)
		}
	}
	fmt.Fprintf(w, "figures (%d files, %s with the data as CSV) in %s:\n", len(paths), strings.ToUpper(strings.Join(opt.Formats, "/")), filepath.Join(dir, "figures"))
	for _, p := range shown {
		fmt.Fprintf(w, "  %s\n", p)
	}
	return nil
}

// printTable prints mean response ± 95% CI, one row per workload and
// policy, one column per load (and axis value, on a sweep along an axis).
func printTable(w io.Writer, cells []stats.Cell, order []string) {
	type column struct{ load, x float64 }
	var cols []column
	seen := map[column]bool{}
	loads := map[float64]bool{}
	varies := map[string]bool{} // workloads whose load changes with time: no steady state
	byKey := map[string]stats.Cell{}
	key := func(wl, p string, col column) string {
		return wl + "\x00" + p + "\x00" + strconv.FormatFloat(col.load, 'g', -1, 64) + "\x00" + strconv.FormatFloat(col.x, 'g', -1, 64)
	}
	axis := ""
	for _, c := range cells {
		col := column{c.Load, c.X}
		if !seen[col] {
			seen[col] = true
			cols = append(cols, col)
		}
		loads[c.Load] = true
		varies[c.Workload] = analysis.VaryingLoad(c.Point) != nil
		axis = c.Axis
		byKey[key(c.Workload, c.Policy, col)] = c
	}
	sort.Slice(cols, func(i, j int) bool {
		if cols[i].load != cols[j].load {
			return cols[i].load < cols[j].load
		}
		return cols[i].x < cols[j].x
	})
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, wl := range stats.Workloads(cells) {
		if varies[wl] {
			fmt.Fprintf(tw, "mean response over the run (%s; the load varies)\t", wl)
		} else {
			fmt.Fprintf(tw, "mean response (%s)\t", wl)
		}
		for _, col := range cols {
			switch {
			case axis == "":
				fmt.Fprintf(tw, "ρ=%g\t", col.load)
			case len(loads) == 1:
				fmt.Fprintf(tw, "%s=%g\t", axis, col.x)
			default:
				fmt.Fprintf(tw, "ρ=%g %s=%g\t", col.load, axis, col.x)
			}
		}
		fmt.Fprintln(tw)
		for _, p := range order {
			fmt.Fprintf(tw, "%s\t", p)
			for _, col := range cols {
				c, ok := byKey[key(wl, p, col)]
				if !ok {
					fmt.Fprint(tw, "-\t")
					continue
				}
				fmt.Fprintf(tw, "%.3f±%.3f\t", c.Mean, c.MeanHalf)
			}
			fmt.Fprintln(tw)
		}
	}
	tw.Flush()
}

// progress shows a bar with ETA on a terminal, and a line every 10% of the
// points elsewhere (logs, CI).
type progress struct {
	w       io.Writer
	quiet   bool
	bar     *progressbar.ProgressBar
	name    string
	start   time.Time
	lastPct int
	before  int // points already stored when this run began
}

func newProgress(w io.Writer, quiet bool, name string) *progress {
	return &progress{w: w, quiet: quiet, name: name, start: time.Now(), lastPct: -1, before: -1}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (p *progress) update(done, total int, r results.Record) {
	if p.quiet {
		return
	}
	if p.before < 0 {
		p.before = done - 1
	}
	point := fmt.Sprintf("%s ρ=%g rep %d", r.Point.Policy, r.Point.Load, r.Point.Replication)
	if isTerminal(p.w) {
		if p.bar == nil {
			// The bar counts this run's points only, so its ETA ignores resumed ones.
			p.bar = progressbar.NewOptions(total-p.before, progressbar.OptionSetWriter(p.w), progressbar.OptionShowCount(),
				progressbar.OptionSetPredictTime(true), progressbar.OptionSetElapsedTime(true), progressbar.OptionFullWidth(),
				progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionSetDescription("sweep "+p.name))
		}
		p.bar.Describe(fmt.Sprintf("sweep %s: %-30.30s", p.name, point))
		_ = p.bar.Set(done - p.before)
		return
	}
	pct := 100 * done / total
	if pct/10 == p.lastPct/10 && done != total {
		return
	}
	p.lastPct = pct
	el := time.Since(p.start)
	eta := "?"
	if ran := done - p.before; ran > 0 {
		eta = (time.Duration(float64(el) / float64(ran) * float64(total-done))).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "sweep %s: %d/%d points (%d%%), elapsed %s, ETA %s, last: %s\n", p.name, done, total, pct, el.Round(time.Second), eta, point)
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		fmt.Fprintln(p.w)
	}
}
