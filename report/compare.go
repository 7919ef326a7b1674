package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/loadlab/loadlab/analysis"
	"github.com/loadlab/loadlab/experiment"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/stats"
)

// Side is one of the two sets of results a comparison puts against each
// other: a whole sweep, or one backend of a sweep.
type Side struct {
	Name    string // how tables and legends call it
	Dir     string
	Spec    *experiment.Spec
	Records []results.Record
	Order   []string // base policy labels in the spec's order
}

// Sides returns the two sides to compare: with two directories, the two
// sweeps (A is the first); with one, its two backends, in the spec's order
// (for backends [sim, local], A is sim and B local).
func Sides(dirs ...string) (a, b Side, err error) {
	switch len(dirs) {
	case 2:
		var sw [2]*Sweep
		for i, d := range dirs {
			if sw[i], err = Load(d); err != nil {
				return a, b, err
			}
		}
		name := func(s *Sweep, other *Sweep) string {
			if s.Spec.Name != other.Spec.Name {
				return s.Spec.Name
			}
			return s.Dir
		}
		a = Side{Name: name(sw[0], sw[1]), Dir: sw[0].Dir, Spec: sw[0].Spec, Records: sw[0].Records, Order: baseOrder(sw[0].Spec)}
		b = Side{Name: name(sw[1], sw[0]), Dir: sw[1].Dir, Spec: sw[1].Spec, Records: sw[1].Records, Order: baseOrder(sw[1].Spec)}
		if a.Name == b.Name {
			a.Name, b.Name = "A: "+a.Name, "B: "+b.Name
		}
		return a, b, nil
	case 1:
		s, err := Load(dirs[0])
		if err != nil {
			return a, b, err
		}
		var backends []string
		byBackend := map[string][]results.Record{}
		for _, r := range s.Records {
			if _, ok := byBackend[r.Point.Backend]; !ok {
				backends = append(backends, r.Point.Backend)
			}
			byBackend[r.Point.Backend] = append(byBackend[r.Point.Backend], r)
		}
		if len(backends) != 2 {
			return a, b, &experiment.InputError{Err: fmt.Errorf("compare %s: a single sweep is compared across its two backends, but its results have %d (%s): give two sweep directories",
				s.Dir, len(backends), strings.Join(backends, ", "))}
		}
		rank := map[string]int{}
		for i, be := range s.Spec.Backends {
			rank[be] = i + 1
		}
		sort.SliceStable(backends, func(i, j int) bool { return rank[backends[i]] < rank[backends[j]] })
		side := func(be string) Side {
			return Side{Name: be, Dir: s.Dir, Spec: s.Spec, Records: byBackend[be], Order: baseOrder(s.Spec)}
		}
		return side(backends[0]), side(backends[1]), nil
	}
	return a, b, &experiment.InputError{Err: fmt.Errorf("compare: want one or two sweep directories, got %d", len(dirs))}
}

// baseOrder is the spec's policy names, without backend suffixes.
func baseOrder(s *experiment.Spec) []string {
	var out []string
	for _, p := range s.Policies {
		out = append(out, p.Name)
	}
	return out
}

// baseLabel is a record's policy label without the " (backend)" suffix a
// sweep with several backends adds.
func baseLabel(p results.Point) string {
	return strings.TrimSuffix(p.Policy, " ("+p.Backend+")")
}

// Diff is the comparison of one metric in one cell, matched by workload,
// policy (base label), load and axis value.
type Diff struct {
	Workload, Policy string
	Load             float64
	// Axis is the sweeps' axis other than load and X the cell's value on
	// it; "" and 0 without one.
	Axis   string
	X      float64
	Metric string // a metric of the registry with a Compare title: mean_response, p99_response
	// A and B: means across replications, with their 95% t half-widths
	// and replication counts.
	A, AHalf, B, BHalf float64
	NA, NB             int
	// Delta is B − A and Half the half-width of its 95% interval (NaN when
	// it cannot be computed: one replication on a side, and for the mean
	// response no batch-means interval either).
	Delta, Half float64
	Paired      bool // paired-t on common seeds, else Welch
}

// Significant reports whether the 95% interval of B − A excludes 0.
func (d Diff) Significant() bool { return !math.IsNaN(d.Half) && math.Abs(d.Delta) > d.Half }

// Test names the interval: "paired", "Welch", or "none" when there was
// too little data for one.
func (d Diff) Test() string {
	switch {
	case d.Paired:
		return "paired"
	case math.IsNaN(d.Half):
		return "none"
	}
	return "Welch"
}

// Comparison is two sides on their cells in common.
type Comparison struct {
	A, B         Side
	Diffs        []Diff // by metric, workload, policy (A's order), load, axis value
	OnlyA, OnlyB int    // cells present on one side only
	Policies     []string
	// Figures says how WriteCompare draws its figures (size, formats,
	// titles), as for a sweep's; zero: the defaults.
	Figures analysis.FigureOptions
}

// compared are the metrics a comparison tests: those of the registry with
// a Compare title, in the order of their Rank.
var compared = ranked(func(m stats.Metric) string { return m.Compare })

// Compare matches the cells of a and b by (workload, policy label without
// its backend suffix, load, axis value) and tests B − A for each metric. When both
// sides ran the same seeds (each once, at least two), it is the paired-t
// interval of stats.PairedRecords (common random numbers); otherwise
// Welch's unequal-variance t interval, where a side with a single
// replication contributes its run's batch-means interval of the mean
// response. Two sides with no cell in common
// are bad input.
func Compare(a, b Side) (*Comparison, error) {
	group := func(recs []results.Record) map[cellKey][]results.Record {
		m := map[cellKey][]results.Record{}
		for _, r := range recs {
			k := cellKey{r.Point.Workload, baseLabel(r.Point), r.Point.Load, r.Point.Axis, r.Point.X}
			m[k] = append(m[k], r)
		}
		return m
	}
	ga, gb := group(a.Records), group(b.Records)
	c := &Comparison{A: a, B: b}
	var keys []cellKey
	var seen []string
	for k := range ga {
		if _, ok := gb[k]; ok {
			keys = append(keys, k)
			seen = append(seen, k.policy)
		} else {
			c.OnlyA++
		}
	}
	for k := range gb {
		if _, ok := ga[k]; !ok {
			c.OnlyB++
		}
	}
	if len(keys) == 0 {
		return nil, &experiment.InputError{Err: fmt.Errorf("compare: %s and %s have no cell in common (matched by workload, policy and load)", a.Name, b.Name)}
	}
	sort.Strings(seen)
	c.Policies = ordered(append(append([]string(nil), a.Order...), b.Order...), seen)
	rank := map[string]int{}
	for i, p := range c.Policies {
		rank[p] = i
	}
	sort.Slice(keys, func(i, j int) bool {
		x, y := keys[i], keys[j]
		if x.workload != y.workload {
			return x.workload < y.workload
		}
		if x.policy != y.policy {
			return rank[x.policy] < rank[y.policy]
		}
		if x.load != y.load {
			return x.load < y.load
		}
		if x.axis != y.axis {
			return x.axis < y.axis
		}
		return x.x < y.x
	})
	for _, m := range compared {
		for _, k := range keys {
			d, err := diffOf(ga[k], gb[k], resultValue(m), m.Within != nil)
			if err != nil {
				at := fmt.Sprintf("ρ=%g", k.load)
				if k.axis != "" {
					at += fmt.Sprintf(", %s=%g", k.axis, k.x)
				}
				return nil, fmt.Errorf("compare %s at %s: %w", k.policy, at, err)
			}
			d.Workload, d.Policy, d.Load, d.Axis, d.X, d.Metric = k.workload, k.policy, k.load, k.axis, k.x, m.Name
			c.Diffs = append(c.Diffs, d)
		}
	}
	return c, nil
}

// diffOf compares one metric between the replications ra (A) and rb (B).
// batch says whether the metric is the mean response (the one with
// stats.Metric.Within), whose single-run batch-means interval can
// stand in for replications.
func diffOf(ra, rb []results.Record, metric func(results.Result) float64, batch bool) (Diff, error) {
	xa, xb := values(ra, metric), values(rb, metric)
	d := Diff{NA: len(xa), NB: len(xb)}
	d.A, d.AHalf = stats.TInterval(xa)
	d.B, d.BHalf = stats.TInterval(xb)
	if sameSeeds(ra, rb) && len(ra) >= 2 {
		pd, err := stats.PairedRecords(rb, ra, metric)
		if err != nil {
			return d, err
		}
		d.Delta, d.Half, d.Paired = pd.Mean, pd.Half, true
		return d, nil
	}
	sa, sb := sampleOf(xa, ra, batch), sampleOf(xb, rb, batch)
	d.AHalf, d.BHalf = sa.half(), sb.half()
	d.Delta, d.Half = welch(sb, sa)
	return d, nil
}

// sample is a mean with the squared standard error of it and its degrees
// of freedom (NaN: unknown).
type sample struct {
	mean, se2, df float64
}

func (s sample) half() float64 {
	if math.IsNaN(s.se2) {
		return math.NaN()
	}
	if s.se2 == 0 {
		return 0
	}
	return tQuantile(s.df) * math.Sqrt(s.se2)
}

// sampleOf describes xs: with two values or more, from their variance;
// with one and batch set, from the run's batch-means half-width
// (Result.CI95HalfWidth over Result.Batches − 1 degrees of freedom).
func sampleOf(xs []float64, recs []results.Record, batch bool) sample {
	n := float64(len(xs))
	switch {
	case len(xs) >= 2:
		return sample{stat.Mean(xs, nil), stat.Variance(xs, nil) / n, n - 1}
	case len(xs) == 1 && batch && recs[0].Result.Batches >= 2 && recs[0].Result.CI95HalfWidth > 0:
		df := float64(recs[0].Result.Batches - 1)
		se := recs[0].Result.CI95HalfWidth / tQuantile(df)
		return sample{xs[0], se * se, df}
	case len(xs) == 1:
		return sample{xs[0], math.NaN(), math.NaN()}
	}
	return sample{math.NaN(), math.NaN(), math.NaN()}
}

func tQuantile(df float64) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(0.975)
}

func values(recs []results.Record, metric func(results.Result) float64) []float64 {
	out := make([]float64, len(recs))
	for i, r := range recs {
		out[i] = metric(r.Result)
	}
	return out
}

// sameSeeds reports whether a and b hold the same seeds, each once.
func sameSeeds(a, b []results.Record) bool {
	if len(a) != len(b) {
		return false
	}
	seeds := map[uint64]int{}
	for _, r := range a {
		seeds[r.Point.Seed]++
	}
	for _, r := range b {
		seeds[r.Point.Seed]--
	}
	for _, n := range seeds {
		if n != 0 {
			return false
		}
	}
	return len(seeds) == len(a)
}

// Welch returns mean(a) − mean(b) and the half-width of its 95% interval
// by Welch's t test for unequal variances (Welch 1947, "The
// generalization of Student's problem when several different population
// variances are involved", Biometrika 34): the standard error
// √(s²a/na + s²b/nb) times the t quantile at the Welch–Satterthwaite
// degrees of freedom. Use it for independent samples; on common random
// numbers the paired interval is far narrower. The half-width is NaN with
// fewer than two values on either side, and 0 when both sides are
// constant.
func Welch(a, b []float64) (diff, half float64) {
	return welch(sampleOf(a, nil, false), sampleOf(b, nil, false))
}

// welch is Welch's interval of a.mean − b.mean from each side's squared
// standard error and degrees of freedom.
func welch(a, b sample) (diff, half float64) {
	diff = a.mean - b.mean
	se2 := a.se2 + b.se2
	switch {
	case math.IsNaN(se2):
		return diff, math.NaN()
	case se2 == 0:
		return diff, 0
	}
	df := se2 * se2 / (a.se2*a.se2/a.df + b.se2*b.se2/b.df)
	return diff, tQuantile(df) * math.Sqrt(se2)
}

// Significant counts the significant differences of metric.
func (c *Comparison) Significant(metric string) (n, of int) {
	for _, d := range c.Diffs {
		if d.Metric == metric {
			of++
			if d.Significant() {
				n++
			}
		}
	}
	return n, of
}

// groups splits the diffs by metric and workload, in order.
func (c *Comparison) groups() [][]Diff {
	var out [][]Diff
	for i, d := range c.Diffs {
		if i == 0 || d.Metric != c.Diffs[i-1].Metric || d.Workload != c.Diffs[i-1].Workload {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], d)
	}
	return out
}

func metricTitle(name string) string {
	if m, ok := stats.MetricByName(name); ok && m.Compare != "" {
		return m.Compare
	}
	return name
}

func (c *Comparison) caption(g []Diff) string {
	return fmt.Sprintf("%s: %s (A) against %s (B) — workload %s", metricTitle(g[0].Metric), c.A.Name, c.B.Name, g[0].Workload)
}

// axis is the axis of the compared cells, "" without one.
func (c *Comparison) axis() string {
	if len(c.Diffs) == 0 {
		return ""
	}
	return c.Diffs[0].Axis
}

// header names the columns of a comparison table; with an axis, its
// values follow the load's.
func (c *Comparison) header() []string {
	h := []string{"policy", "ρ", "A: " + c.A.Name, "B: " + c.B.Name, "B − A (95% CI)", "test", "significant"}
	if a := c.axis(); a != "" {
		h = slices.Insert(h, 2, a)
	}
	return h
}

// sideColumn is the index of A's column in header and cells.
func (c *Comparison) sideColumn() int {
	if c.axis() != "" {
		return 3
	}
	return 2
}

func (d Diff) cells() []string {
	sig := "no"
	if d.Significant() {
		sig = "yes"
	}
	side := func(v, h float64) string { return Entry{Value: v, Half: h}.Text() }
	delta := Entry{Value: d.Delta, Half: d.Half}.Text()
	out := []string{d.Policy, formatFloat(d.Load), side(d.A, d.AHalf), side(d.B, d.BHalf), delta, d.Test(), sig}
	if d.Axis != "" {
		out = slices.Insert(out, 2, formatFloat(d.X))
	}
	return out
}

func (c *Comparison) grids() []grid {
	var out []grid
	for _, g := range c.groups() {
		gr := grid{caption: c.caption(g), head: c.header()}
		for _, d := range g {
			var row []gridCell
			for j, s := range d.cells() {
				row = append(row, gridCell{text: s, best: d.Significant() && j >= c.sideColumn()+2})
			}
			gr.rows = append(gr.rows, row)
		}
		out = append(out, gr)
	}
	return out
}

// WriteCSV writes the comparison as tidy CSV, one row per cell and
// metric; with an axis, the columns axis and x follow load.
func (c *Comparison) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	axis := c.axis() != ""
	head := []string{"workload", "policy", "load", "metric", "a", "a_ci95_halfwidth", "a_n", "b", "b_ci95_halfwidth", "b_n",
		"diff", "diff_ci95_halfwidth", "test", "significant", "a_name", "b_name"}
	if axis {
		head = slices.Insert(head, 3, "axis", "x")
	}
	_ = cw.Write(head)
	for _, d := range c.Diffs {
		row := []string{d.Workload, d.Policy, formatFloat(d.Load), d.Metric, formatFloat(d.A), formatFloat(d.AHalf),
			strconv.Itoa(d.NA), formatFloat(d.B), formatFloat(d.BHalf), strconv.Itoa(d.NB), formatFloat(d.Delta),
			optFloat(d.Half), d.Test(), strconv.FormatBool(d.Significant()), c.A.Name, c.B.Name}
		if axis {
			row = slices.Insert(row, 3, d.Axis, formatFloat(d.X))
		}
		_ = cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

// WriteLaTeX writes one booktabs table per metric and workload;
// significant differences are bold.
func (c *Comparison) WriteLaTeX(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("%% Comparison written by loadlab compare. Needs \\usepackage{booktabs}.\n")
	var head []string
	for _, h := range c.header() {
		head = append(head, texEscape(h))
	}
	a := c.sideColumn()
	head[a], head[a+1] = "A", "B" // the caption names them: names can be long paths
	for _, g := range c.groups() {
		var rows [][]string
		for _, d := range g {
			var row []string
			for j, s := range d.cells() {
				s = texEscape(s)
				if d.Significant() && j >= a+2 {
					s = `\textbf{` + s + `}`
				}
				row = append(row, s)
			}
			rows = append(rows, row)
		}
		writeTabular(ew, c.caption(g), "tab:compare-"+texLabel(g[0].Workload+"-"+g[0].Metric), head, rows)
	}
	return ew.err
}

// WriteCompare writes the comparison into out (created if needed):
// compare.html, compare.md, compare.tex, compare.csv, and the figure
// compare_response in the formats of c.Figures, with its CSV (prefixed by
// workload when there are several; see analysis.WriteCompareFigures).
// The documents show its PNG, when c.Figures writes one. It returns the
// paths of the documents.
func WriteCompare(c *Comparison, out string) ([]string, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	figs, err := c.writeFigures(out)
	if err != nil {
		return nil, err
	}
	d := &document{title: fmt.Sprintf("loadlab compare: %s against %s", c.A.Name, c.B.Name)}
	var items []string
	for _, s := range []struct {
		tag  string
		side Side
	}{{"A", c.A}, {"B", c.B}} {
		items = append(items, fmt.Sprintf("%s: %s — %s from %s (spec %s, %s %s)", s.tag, s.side.Name,
			plural(len(s.side.Records), "record"), s.side.Dir, s.side.Spec.Name, noun(len(s.side.Spec.Backends), "backend"),
			strings.Join(s.side.Spec.Backends, ", ")))
	}
	n, of := c.Significant("mean_response")
	verb := "are"
	if n == 1 {
		verb = "is"
	}
	matched := " and load"
	if a := c.axis(); a != "" {
		matched = ", load and " + a
	}
	text := fmt.Sprintf("Cells matched by workload, policy (without its backend suffix)%s: %d in common, %d only in A, %d only in B. "+
		"%d of %s %s significant at 95%%. ", matched, of, c.OnlyA, c.OnlyB, n, plural(of, "mean-response difference"), verb) +
		"Where both sides ran the same seeds the interval is the paired t (common random numbers), otherwise Welch's t."
	d.sections = append(d.sections, section{heading: "Sweeps", text: text, items: items})
	d.sections = append(d.sections, section{heading: "Differences", text: "B − A per cell; significant differences in bold.", tables: c.grids()})
	d.sections = append(d.sections, section{heading: "Figures", figures: figs})
	for _, s := range []struct {
		tag  string
		side Side
	}{{"A", c.A}, {"B", c.B}} {
		if s.tag == "B" && c.A.Dir == c.B.Dir {
			break // one sweep: one spec
		}
		d.sections = append(d.sections, section{heading: "Spec " + s.tag + ": " + s.side.Name, pre: string(s.side.Spec.Raw())})
	}
	return writeDocuments(out, "compare", d, nil, c)
}
