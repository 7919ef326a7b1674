package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/loadlab/loadlab/analysis"
	"github.com/loadlab/loadlab/results"
)

// Table is one metric of one workload: policies as rows, loads as columns.
type Table struct {
	Name     string // short identifier, e.g. "mean_response"
	Title    string // e.g. "Mean response time (× mean service), 95% CI"
	Workload string
	Loads    []float64
	Rows     []Row
}

// Row is one policy of a table.
type Row struct {
	Policy string
	Cells  []Entry // one per load
}

// Entry is one value of a table.
type Entry struct {
	Missing bool    // no cell at this load
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

// metric is a column of Cell shown as a table, and the same quantity in
// one replication's result, which the tests of the best value compare.
type metric struct {
	name, title string
	value       func(analysis.Cell) (v, half float64)
	result      func(results.Result) float64
}

// metrics are the tables of a report. Lower is better in every one: for
// utilisation at a given offered load, lower means less server time spent
// on overheads (probes, transfers).
var metrics = []metric{
	{"mean_response", "Mean response time (× mean service), 95% CI",
		func(c analysis.Cell) (float64, float64) { return c.Mean, c.MeanHalf },
		func(r results.Result) float64 { return r.MeanResponse }},
	{"p99_response", "99th percentile of response time, 95% CI",
		func(c analysis.Cell) (float64, float64) { return c.P99, c.P99Half },
		func(r results.Result) float64 { return r.P99Response }},
	{"migrations_per_job", "Migrations per job, 95% CI",
		func(c analysis.Cell) (float64, float64) { return c.MigrationsPerJob, c.MigrationsPerJobHalf },
		func(r results.Result) float64 { return r.MigrationsPerJob }},
	{"probes_per_job", "Probes per job, 95% CI",
		func(c analysis.Cell) (float64, float64) { return c.ProbesPerJob, c.ProbesPerJobHalf },
		func(r results.Result) float64 { return r.ProbesPerJob }},
	{"utilization", "Utilisation (mean busy fraction of servers)",
		func(c analysis.Cell) (float64, float64) { return c.Utilization, math.NaN() },
		func(r results.Result) float64 { return r.Utilization }},
}

// bestRule says in a sentence which values a table marks, for legends and
// captions.
const bestRule = "A value is marked best only when it is the lowest at its load and significantly lower than every other policy's " +
	"there (paired t test on common seeds, else Welch's t test, α = 0.05); ties and differences within the noise are not marked, " +
	"nor are cells that lost jobs."

// Tables builds one table per metric and workload from cells and the
// records they summarise. Rows follow order (policies of cells missing
// from it come after, in order of first appearance); columns are the
// sorted loads of the workload. The lowest value of a column is marked
// best when it is significantly lower than each other policy's at that
// load (see markBest).
func Tables(cells []analysis.Cell, recs []results.Record, order []string) []*Table {
	byCell := map[cellKey][]results.Record{}
	for _, r := range recs {
		k := cellKey{r.Point.Workload, r.Point.Policy, r.Point.Load}
		byCell[k] = append(byCell[k], r)
	}
	var out []*Table
	for _, w := range analysis.Workloads(cells) {
		var wc []analysis.Cell
		for _, c := range cells {
			if c.Workload == w {
				wc = append(wc, c)
			}
		}
		loads := loadsOf(wc)
		policies := ordered(order, analysis.Policies(wc))
		byKey := map[cellKey]analysis.Cell{}
		for _, c := range wc {
			byKey[cellKey{w, c.Policy, c.Load}] = c
		}
		for _, m := range metrics {
			t := &Table{Name: m.name, Title: m.title, Workload: w, Loads: loads}
			for _, p := range policies {
				row := Row{Policy: p}
				for _, l := range loads {
					c, ok := byKey[cellKey{w, p, l}]
					if !ok {
						row.Cells = append(row.Cells, Entry{Missing: true, Half: math.NaN()})
						continue
					}
					v, h := m.value(c)
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

// cellKey names a cell: workload, policy label, load.
type cellKey struct {
	workload, policy string
	load             float64
}

// markBest marks, in each column, the lowest value when it is
// significantly lower than every other policy's at that load by the test
// of diffOf: paired t on common seeds, else Welch's t, each at α = 0.05.
// Requiring every pairwise test to reject is an intersection–union test,
// so the marking as a whole keeps the level α without a correction for
// the number of policies. A tie is never a best (its difference is 0),
// nor a value alone in its column. Cells that lost jobs take no part:
// their response times count only the jobs that finished.
func (t *Table) markBest(m metric, cells map[cellKey]analysis.Cell, recs map[cellKey][]results.Record) {
	for j, load := range t.Loads {
		var in []int // rows in the contest
		best := -1
		for i, r := range t.Rows {
			e := r.Cells[j]
			if e.Missing || math.IsNaN(e.Value) || cells[cellKey{t.Workload, r.Policy, load}].JobsFailed > 0 {
				continue
			}
			in = append(in, i)
			if best < 0 || e.Value < t.Rows[best].Cells[j].Value {
				best = i
			}
		}
		if len(in) < 2 {
			continue
		}
		rb := recs[cellKey{t.Workload, t.Rows[best].Policy, load}]
		significant := true
		for _, i := range in {
			if i == best {
				continue
			}
			d, err := diffOf(rb, recs[cellKey{t.Workload, t.Rows[i].Policy, load}], m.result, m.name == "mean_response")
			if err != nil || !d.Significant() || d.Delta <= 0 {
				significant = false
				break
			}
		}
		t.Rows[best].Cells[j].Best = significant
	}
}

// header returns the column titles: "policy", then "ρ=L" per load.
func (t *Table) header() []string {
	h := []string{"policy"}
	for _, l := range t.Loads {
		h = append(h, fmt.Sprintf("ρ=%g", l))
	}
	return h
}

// caption is the table's title with its workload.
func (t *Table) caption() string {
	return fmt.Sprintf("%s — workload %s", t.Title, t.Workload)
}

// WriteCSV writes tables as tidy CSV, one row per table entry: table,
// workload, policy, load, value, ci95_halfwidth (empty when the metric has
// none), best (true or false). Missing entries are left out.
func WriteCSV(w io.Writer, tables []*Table) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"table", "workload", "policy", "load", "value", "ci95_halfwidth", "best"})
	for _, t := range tables {
		for _, r := range t.Rows {
			for j, e := range r.Cells {
				if e.Missing {
					continue
				}
				_ = cw.Write([]string{t.Name, t.Workload, r.Policy, formatFloat(t.Loads[j]), formatFloat(e.Value),
					optFloat(e.Half), strconv.FormatBool(e.Best)})
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// loadsOf returns the distinct loads of cells, sorted.
func loadsOf(cells []analysis.Cell) []float64 {
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
