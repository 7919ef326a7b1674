package report

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/loadlab/loadlab/analysis"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/stats"
)

// Files written by Write, in its output directory.
const (
	HTMLFile     = "report.html"
	MarkdownFile = "report.md"
	LaTeXFile    = "tables.tex"
	CSVFile      = "tables.csv"
)

const warningsHeading = "Warnings"

// Write writes the report of s into out (created if needed): report.html,
// report.md, tables.tex and tables.csv. Figures come from s.Dir/figures
// when every PNG there is newer than the results; otherwise they are drawn
// with analysis.WriteFigures into out/figures. Write returns the paths of
// the documents, in the order above.
func Write(s *Sweep, out string) ([]string, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	figs, err := sweepFigures(s, out)
	if err != nil {
		return nil, err
	}
	tables := Tables(s.Cells, s.Records, s.Order)
	doc := sweepDocument(s, tables, figs)
	return writeDocuments(out, "report", doc, tables, nil)
}

// writeDocuments renders doc as HTML and Markdown under base.html and
// base.md, and the tables as tables.tex and tables.csv (or with custom
// writers for a comparison).
func writeDocuments(out, base string, doc *document, tables []*Table, cmp *Comparison) ([]string, error) {
	page, err := doc.renderHTML()
	if err != nil {
		return nil, err
	}
	md, err := doc.renderMarkdown(out)
	if err != nil {
		return nil, err
	}
	var tex, csv bytes.Buffer
	texName, csvName := LaTeXFile, CSVFile
	if cmp != nil {
		texName, csvName = base+".tex", base+".csv"
		err = cmp.WriteLaTeX(&tex)
		if err == nil {
			err = cmp.WriteCSV(&csv)
		}
	} else {
		err = WriteLaTeX(&tex, tables)
		if err == nil {
			err = WriteCSV(&csv, tables)
		}
	}
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, f := range []struct {
		name string
		data []byte
	}{{base + ".html", page}, {base + ".md", md}, {texName, tex.Bytes()}, {csvName, csv.Bytes()}} {
		p := filepath.Join(out, f.name)
		if err := results.WriteFileAtomic(p, f.data); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// sweepDocument lays out the report of one sweep.
func sweepDocument(s *Sweep, tables []*Table, figs []figureRef) *document {
	d := &document{title: "loadlab report: " + s.Spec.Name}
	axis, xs := axisOf(s.Cells)
	loads := loadsOf(s.Cells)
	dims := plural(len(stats.Workloads(s.Cells)), "workload") + " and " + plural(len(loads), "load")
	if axis != "" {
		dims = fmt.Sprintf("%s, %s and %s of %s", plural(len(stats.Workloads(s.Cells)), "workload"), plural(len(loads), "load"),
			plural(xs, "value"), axis)
	}
	d.sections = append(d.sections, section{
		heading: "Sweep",
		text: fmt.Sprintf("%s of %s, %s in %s.", plural(len(s.Records), "record"),
			plural(len(stats.Policies(s.Cells)), "policy"), dims, s.Dir),
		pre: string(s.Spec.Raw()),
	})
	d.sections = append(d.sections, section{heading: "Where and when it ran", items: EnvOf(s.Records).lines()})
	warn := Warnings(s.Records, s.Cells)
	ws := section{heading: warningsHeading, items: warn}
	if len(warn) == 0 {
		ws.text = "None: no failed jobs, every 95% interval within ±10% of its mean, no unstable point."
	} else {
		ws.text = fmt.Sprintf("Failed jobs; cells whose 95%% CI of the mean response is wider than ±%g%% of the mean; "+
			"unstable points (a replication with utilisation ≥ %g, or batch-means half-width above %g× its mean).",
			100*WideCI, SaturatedUtilization, DriftingBatches)
	}
	d.sections = append(d.sections, ws)
	columns, rule := "offered load per server as columns", bestRule
	switch {
	case axis == "":
	case len(loads) == 1:
		columns = fmt.Sprintf("%s as columns (at offered load per server ρ=%g)", axis, loads[0])
	default:
		columns = fmt.Sprintf("offered load per server and %s as columns", axis)
	}
	if axis != "" {
		rule = strings.Replace(rule, "at its load", "in its column", 1)
	}
	ts := section{heading: "Tables", text: "Policies as rows, " + columns + "; a mean ± the half-width of its 95% confidence interval, " +
		"both rounded to the half-width's first significant digit (its second when that is a 1). " + rule + " Best values are bold."}
	for _, t := range tables {
		ts.tables = append(ts.tables, gridOf(t))
	}
	d.sections = append(d.sections, ts)
	d.sections = append(d.sections, section{heading: "Figures", figures: figs})
	return d
}

// axisOf returns the cells' axis other than load ("" without one) and the
// number of its distinct values.
func axisOf(cells []stats.Cell) (axis string, values int) {
	seen := map[float64]bool{}
	for _, c := range cells {
		if c.Axis != "" {
			axis, seen[c.X] = c.Axis, true
		}
	}
	return axis, len(seen)
}

// sweepFigures returns the PNG figures of s, reusing s.Dir/figures when it
// is up to date and drawing them into out/figures otherwise.
func sweepFigures(s *Sweep, out string) ([]figureRef, error) {
	if figs := freshFigures(s.Dir); len(figs) > 0 {
		return figs, nil
	}
	dir := filepath.Join(out, "figures")
	paths, err := analysis.WriteFigures(dir, s.Cells, s.Order, analysis.DefaultFigureOptions())
	if err != nil {
		return nil, fmt.Errorf("figures: %w", err)
	}
	faults, err := analysis.WriteOverTimeFigures(dir, s.Records, s.Order, analysis.DefaultFigureOptions())
	if err != nil {
		return nil, fmt.Errorf("figures: %w", err)
	}
	paths = append(paths, faults...)
	return figureRefs(paths), nil
}

// freshFigures returns the PNGs of dir/figures when there are some and
// all are newer than the results, else nil.
func freshFigures(dir string) []figureRef {
	st, err := os.Stat(filepath.Join(dir, results.FileName))
	if err != nil {
		return nil
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "figures", "*.png"))
	for _, p := range pngs {
		fs, err := os.Stat(p)
		if err != nil || fs.ModTime().Before(st.ModTime()) {
			return nil
		}
	}
	return figureRefs(pngs)
}

// figureKinds orders a workload's figures as analysis.WriteFigures
// documents them.
var figureKinds = []string{"response", "p99", "normalized", "overhead", "utilization", "gossip", "cdf", "mobility_bytes", "mobility_time", "mobility_hit_rate", "mobility_hit_time", "faults_response", "faults_failed"}

// figureRefs keeps the PNGs of paths, ordered by workload prefix, then by
// figureKinds, with a caption from the file name.
func figureRefs(paths []string) []figureRef {
	type ranked struct {
		prefix string
		rank   int
		path   string
	}
	var rs []ranked
	for _, p := range paths {
		if !strings.HasSuffix(p, ".png") {
			continue
		}
		base := strings.TrimSuffix(filepath.Base(p), ".png")
		r := ranked{prefix: base, rank: len(figureKinds), path: p}
		best := "" // the longest kind that ends the name: faults_response, not response
		for i, k := range figureKinds {
			if (base == k || strings.HasSuffix(base, "_"+k)) && len(k) > len(best) {
				best, r = k, ranked{prefix: strings.TrimSuffix(base, k), rank: i, path: p}
			}
		}
		if prefix, i, _, ok := metricFigure(base); ok && best == "" {
			r = ranked{prefix: prefix, rank: len(figureKinds) + i, path: p}
		}
		rs = append(rs, r)
	}
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].prefix != rs[j].prefix {
			return rs[i].prefix < rs[j].prefix
		}
		if rs[i].rank != rs[j].rank {
			return rs[i].rank < rs[j].rank
		}
		return rs[i].path < rs[j].path
	})
	out := make([]figureRef, len(rs))
	for i, r := range rs {
		out[i] = figureRef{path: r.path, caption: figureCaption(strings.TrimSuffix(filepath.Base(r.path), ".png"))}
	}
	return out
}

// figureCaption describes a figure file of analysis.WriteFigures.
func figureCaption(base string) string {
	captions := map[string]string{
		"response":          "Mean response time vs load, 95% CI, with theory curves",
		"p99":               "99th percentile of response time vs load, 95% CI",
		"normalized":        "Mean response time relative to no sharing (M/M/1-like) vs load",
		"overhead":          "Migrations and probes per job vs load (and bytes sent per job when jobs carry bytes)",
		"utilization":       "Mean utilisation vs load, bars from the least to the most utilised node, and the spread between them",
		"gossip":            "Age of the gossiped load a decision read vs load, for the policies that read gossip",
		"cdf":               "CDF of response time at the loads chosen with --cdf-load, by default the load nearest the middle of the sweep's range",
		"mobility_bytes":    "Bytes moved per job by segment (code, state, resources) vs load",
		"mobility_time":     "Mean migration time and downtime vs load",
		"mobility_hit_rate": "Code-on-demand cache hit rate vs load",
		"mobility_hit_time": "Code cache hit rate over time at the highest load",
		"faults_response":   "Mean response time over time around the injected faults (dashed lines), by the jobs' arrival",
		"faults_failed":     "Jobs failed over time and by fault, and how long gossip took to mark each killed node failed",
	}
	if _, _, caption, ok := metricFigure(base); ok {
		return caption
	}
	best, caption := "", base // the longest kind that ends the name: faults_response, not response
	for k, c := range captions {
		if len(k) <= len(best) {
			continue
		}
		if base == k {
			best, caption = k, c
		} else if w, ok := strings.CutSuffix(base, "_"+k); ok {
			best, caption = k, c+" (workload "+w+")"
		}
	}
	return caption
}

// metricFigure reads the name of a figure of one metric against an axis
// (analysis' METRIC_vs_AXIS, after a workload's prefix, and with _rhoL
// when the axis is crossed with several loads): the prefix, the metric's
// place in the registry, and a caption.
func metricFigure(base string) (prefix string, rank int, caption string, ok bool) {
	for i, m := range stats.Metrics() {
		pre, rest, found := strings.Cut(base, m.Name+"_vs_")
		if !found || (pre != "" && !strings.HasSuffix(pre, "_")) || rest == "" {
			continue
		}
		axis, rho, _ := strings.Cut(rest, "_rho")
		label := m.AxisLabel()
		caption = fmt.Sprintf("%s vs %s", strings.ToUpper(label[:1])+label[1:], analysis.AxisLabel(axis))
		if rho != "" {
			caption += " at ρ=" + rho
		}
		caption += ", 95% CI"
		if pre != "" {
			caption += " (workload " + strings.TrimSuffix(pre, "_") + ")"
		}
		return pre, i, caption, true
	}
	return "", 0, "", false
}
