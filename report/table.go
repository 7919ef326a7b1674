package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/stats"
)

// Table is one metric of one workload: policies as rows, loads as
// columns, or (load, axis value) pairs when the sweep has an axis.
type Table struct {
	Name     string // short identifier, e.g. "mean_response"
	Title    string // e.g. "Mean response time (× mean service), 95% CI"
	Workload string
	Loads    []float64 // the load of each column
	// Axis is the sweep's axis other than load ("" without one) and Xs
	// the value on it of each column (nil without an axis).
	Axis string
	Xs   []float64
	Rows []Row
}

// Row is one policy of a table.
type Row struct {
	Policy string
	Cells  []Entry // one per column
}

// Entry is one value of a table.
type Entry struct {
	Missing bool    // no cell in this column
	Value   float64 //
	Half    float64 // 95% CI half-width; NaN when the metric has none
	// Best marks the lowest value of its column when a test finds it
	// significantly lower than every other policy's (see Tables).
	Best bool
}

// Text formats the entry: "1.430 ± 0.012" (rounded), "0.3015", or "–"
// when missing.
func (e Entry) Text() string {
	switch {
	case e.Missing:
		return "–"
	case math.IsNaN(e.Half):
		return num(e.Value)
	}
	return plusMinus(e.Value, e.Half)
}

// plusMinus formats a value and its 95% half-width, "1.430 ± 0.012",
// rounded by rounded.
func plusMinus(v, half float64) string {
	value, h := rounded(v, half)
	return value + " ± " + h
}

// rounded formats a value and its half-width to the same decimal place,
// the place of the half-width's first significant digit, or of its second
// when the first is a 1 (0.012, not 0.01): 1.430 ± 0.012, 5.0 ± 0.2,
// 300 ± 20. More digits would be noise; fewer would hide what the
// interval says. A zero half-width keeps four significant digits of the
// value; a half-width that is not finite is shown as num shows it.
func rounded(v, half float64) (value, h string) {
	if math.IsNaN(v) || math.IsInf(v, 0) || math.IsNaN(half) || math.IsInf(half, 0) || half < 0 {
		return num(v), num(half)
	}
	if half == 0 {
		return num(v), "0"
	}
	// "1e-02": the half-width rounded to one significant digit, so that
	// 0.096 counts as 0.1, whose first digit is a 1.
	e := strconv.FormatFloat(half, 'e', 0, 64)
	exp, _ := strconv.Atoi(e[2:])
	places := -exp
	if e[0] == '1' {
		places++
	}
	return fixed(v, places), fixed(half, places)
}

// fixed formats v rounded to places decimals (tens, hundreds… when
// negative), without a negative zero.
func fixed(v float64, places int) string {
	var s string
	if places >= 0 {
		s = strconv.FormatFloat(v, 'f', places, 64)
	} else {
		p := math.Pow10(-places)
		s = strconv.FormatFloat(math.Round(v/p)*p, 'f', 0, 64)
	}
	if strings.Trim(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-")
	}
	return s
}

// num formats a value alone with four significant digits, in positional
// notation for the magnitudes a table shows (0.0001234, 123500).
func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "n/a"
	case math.IsInf(v, 1):
		return "∞"
	case math.IsInf(v, -1):
		return "−∞"
	case v == 0:
		return "0"
	case math.Abs(v) >= 1e15 || math.Abs(v) < 1e-6:
		return fmt.Sprintf("%.4g", v)
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 4, 64), 64)
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// metrics are the metrics of the registry with a table in a report
// (stats.Metric.Table), in the order of their Rank.
var metrics = ranked(func(m stats.Metric) string { return m.Table })

// ranked returns the metrics of the registry for which field is not "",
// ordered by Rank.
func ranked(field func(stats.Metric) string) []stats.Metric {
	var out []stats.Metric
	for _, m := range stats.Metrics() {
		if field(m) != "" {
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Rank < out[j].Rank })
	return out
}

// plainMean is the mean of metric m over the replications recs that have
// it, summed in their order (as stats.Cell.Utilization is).
func plainMean(recs []results.Record, m stats.Metric) float64 {
	var sum float64
	n := 0
	for _, r := range recs {
		if v, ok := m.Value(r.Result); ok {
			sum += v
			n++
		}
	}
	return sum / float64(n)
}

// resultValue reads metric m from one replication's result, NaN when the
// replication has none.
func resultValue(m stats.Metric) func(results.Result) float64 {
	return func(r results.Result) float64 {
		if v, ok := m.Value(r); ok {
			return v
		}
		return math.NaN()
	}
}

// bestRule says in a sentence which values a table marks, for legends and
// captions.
const bestRule = "A value is marked best only when it is the lowest at its load and significantly lower than every other policy's " +
	"there (paired t test on common seeds, else Welch's t test, α = 0.05); ties and differences within the noise are not marked, " +
	"nor are cells that lost jobs."

// Tables builds one table per metric and workload from cells and the
// records they summarise. Rows follow order (policies of cells missing
// from it come after, in order of first appearance); columns are the
// sorted loads of the workload, or its sorted (load, axis value) pairs
// when the sweep has an axis. The best value of a column (the lowest, or
// the highest for a metric where higher is better) is marked when it is
// significantly better than each other policy's in that column (see
// markBest).
func Tables(cells []stats.Cell, recs []results.Record, order []string) []*Table {
	byCell := recordsByCell(recs)
	var out []*Table
	for _, w := range stats.Workloads(cells) {
		var wc []stats.Cell
		for _, c := range cells {
			if c.Workload == w {
				wc = append(wc, c)
			}
		}
		cols := columnsOf(wc)
		policies := ordered(order, stats.Policies(wc))
		byKey := map[cellKey]stats.Cell{}
		for _, c := range wc {
			byKey[keyOf(c)] = c
		}
		for _, m := range metrics {
			t := &Table{Name: m.Name, Title: m.Table, Workload: w, Axis: wc[0].Axis}
			for _, col := range cols {
				t.Loads = append(t.Loads, col.load)
				if t.Axis != "" {
					t.Xs = append(t.Xs, col.x)
				}
			}
			for _, p := range policies {
				row := Row{Policy: p}
				for _, col := range cols {
					c, ok := byKey[cellKey{w, p, col.load, t.Axis, col.x}]
					if !ok {
						row.Cells = append(row.Cells, Entry{Missing: true, Half: math.NaN()})
						continue
					}
					v, h := c.Estimate(m)
					if m.MeanOnly {
						v, h = plainMean(byCell[cellKey{w, p, col.load, t.Axis, col.x}], m), math.NaN()
					}
					row.Cells = append(row.Cells, Entry{Value: v, Half: h})
				}
				t.Rows = append(t.Rows, row)
			}
			t.markBest(m, byKey, byCell)
			out = append(out, t)
		}
	}
	return out
}

// cellKey names a cell: workload, policy label, load and axis value.
type cellKey struct {
	workload, policy string
	load             float64
	axis             string
	x                float64
}

func keyOf(c stats.Cell) cellKey { return cellKey{c.Workload, c.Policy, c.Load, c.Axis, c.X} }

// recordsByCell groups records by their cell.
func recordsByCell(recs []results.Record) map[cellKey][]results.Record {
	byCell := map[cellKey][]results.Record{}
	for _, r := range recs {
		p := r.Point
		k := cellKey{p.Workload, p.Policy, p.Load, p.Axis, p.X}
		byCell[k] = append(byCell[k], r)
	}
	return byCell
}

// column is a column of a table: a load and, with an axis, a value on it.
type column struct{ load, x float64 }

// columnsOf returns the distinct (load, axis value) pairs of cells,
// sorted by load, then by axis value.
func columnsOf(cells []stats.Cell) []column {
	seen := map[column]bool{}
	var out []column
	for _, c := range cells {
		col := column{c.Load, c.X}
		if !seen[col] {
			seen[col] = true
			out = append(out, col)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].load != out[j].load {
			return out[i].load < out[j].load
		}
		return out[i].x < out[j].x
	})
	return out
}

// key names the cell of policy in column j.
func (t *Table) key(policy string, j int) cellKey {
	k := cellKey{workload: t.Workload, policy: policy, load: t.Loads[j], axis: t.Axis}
	if t.Axis != "" {
		k.x = t.Xs[j]
	}
	return k
}

// markBest marks, in each column, the best value (the lowest, or the
// highest when m is better higher) when it is significantly better than
// every other policy's in that column by the test of diffOf: paired t on
// common seeds, else Welch's t, each at α = 0.05. Requiring every
// pairwise test to reject is an intersection–union test, so the marking
// as a whole keeps the level α without a correction for the number of
// policies. A tie is never a best (its difference is 0), nor a value
// alone in its column. Cells that lost jobs take no part: their response
// times count only the jobs that finished.
func (t *Table) markBest(m stats.Metric, cells map[cellKey]stats.Cell, recs map[cellKey][]results.Record) {
	better := func(a, b float64) bool { return a < b }
	if !m.Lower {
		better = func(a, b float64) bool { return a > b }
	}
	for j := range t.Loads {
		var in []int // rows in the contest
		best := -1
		for i, r := range t.Rows {
			e := r.Cells[j]
			if e.Missing || math.IsNaN(e.Value) || cells[t.key(r.Policy, j)].JobsFailed > 0 {
				continue
			}
			in = append(in, i)
			if best < 0 || better(e.Value, t.Rows[best].Cells[j].Value) {
				best = i
			}
		}
		if len(in) < 2 {
			continue
		}
		rb := recs[t.key(t.Rows[best].Policy, j)]
		significant := true
		for _, i := range in {
			if i == best {
				continue
			}
			// B − A with A the best: above 0 when lower is better.
			d, err := diffOf(rb, recs[t.key(t.Rows[i].Policy, j)], resultValue(m), m.Within != nil)
			if err != nil || !d.Significant() || !better(0, d.Delta) {
				significant = false
				break
			}
		}
		t.Rows[best].Cells[j].Best = significant
	}
}

// header returns the column titles: "policy", then one per column.
func (t *Table) header() []string {
	h := []string{"policy"}
	for j := range t.Loads {
		h = append(h, t.columnTitle(j))
	}
	return h
}

// columnTitle names column j: "ρ=0.9" without an axis, "probes=3" with
// an axis at a single load, "ρ=0.9, probes=3" with several loads.
func (t *Table) columnTitle(j int) string {
	rho := fmt.Sprintf("ρ=%g", t.Loads[j])
	switch {
	case t.Axis == "":
		return rho
	case t.singleLoad():
		return fmt.Sprintf("%s=%g", t.Axis, t.Xs[j])
	}
	return fmt.Sprintf("%s, %s=%g", rho, t.Axis, t.Xs[j])
}

// singleLoad reports whether every column is at the same load.
func (t *Table) singleLoad() bool {
	for _, l := range t.Loads {
		if l != t.Loads[0] {
			return false
		}
	}
	return true
}

// caption is the table's title with its workload.
func (t *Table) caption() string {
	return fmt.Sprintf("%s — workload %s", t.Title, t.Workload)
}

// WriteCSV writes tables as tidy CSV, one row per table entry: table,
// workload, policy, load, value, ci95_halfwidth (empty when the metric has
// none), best (true or false). When the tables have an axis, the columns
// axis and x (its name and the entry's value on it) follow load. Missing
// entries are left out.
func WriteCSV(w io.Writer, tables []*Table) error {
	axis := false
	for _, t := range tables {
		axis = axis || t.Axis != ""
	}
	cw := csv.NewWriter(w)
	head := []string{"table", "workload", "policy", "load", "value", "ci95_halfwidth", "best"}
	if axis {
		head = slices.Insert(head, 4, "axis", "x")
	}
	_ = cw.Write(head)
	for _, t := range tables {
		for _, r := range t.Rows {
			for j, e := range r.Cells {
				if e.Missing {
					continue
				}
				row := []string{t.Name, t.Workload, r.Policy, formatFloat(t.Loads[j]), formatFloat(e.Value),
					optFloat(e.Half), strconv.FormatBool(e.Best)}
				if axis {
					x := ""
					if t.Axis != "" {
						x = formatFloat(t.Xs[j])
					}
					row = slices.Insert(row, 4, t.Axis, x)
				}
				_ = cw.Write(row)
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// loadsOf returns the distinct loads of cells, sorted.
func loadsOf(cells []stats.Cell) []float64 {
	seen := map[float64]bool{}
	var out []float64
	for _, c := range cells {
		if !seen[c.Load] {
			seen[c.Load] = true
			out = append(out, c.Load)
		}
	}
	sort.Float64s(out)
	return out
}

// ordered returns order's names that are in have, then the rest of have.
func ordered(order, have []string) []string {
	in := map[string]bool{}
	for _, h := range have {
		in[h] = true
	}
	var out []string
	done := map[string]bool{}
	for _, p := range append(append([]string(nil), order...), have...) {
		if in[p] && !done[p] {
			done[p] = true
			out = append(out, p)
		}
	}
	return out
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// optFloat formats v, or "" when it is NaN.
func optFloat(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return formatFloat(v)
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
