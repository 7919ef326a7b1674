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
	Best    bool    // the lowest value of its column (ties all marked)
}

// Text formats the entry: "1.234 ± 0.01", "1.234", or "–" when missing.
func (e Entry) Text() string {
	switch {
	case e.Missing:
		return "–"
	case math.IsNaN(e.Half):
		return num(e.Value)
	}
	return num(e.Value) + " ± " + fmt.Sprintf("%.2g", e.Half)
}

// metric is a column of Cell shown as a table.
type metric struct {
	name, title string
	value       func(analysis.Cell) (v, half float64)
}

// metrics are the tables of a report. Lower is better in every one: for
// utilisation at a given offered load, lower means less server time spent
// on overheads (probes, transfers).
var metrics = []metric{
	{"mean_response", "Mean response time (× mean service), 95% CI", func(c analysis.Cell) (float64, float64) { return c.Mean, c.MeanHalf }},
	{"p99_response", "99th percentile of response time, 95% CI", func(c analysis.Cell) (float64, float64) { return c.P99, c.P99Half }},
	{"migrations_per_job", "Migrations per job, 95% CI", func(c analysis.Cell) (float64, float64) { return c.MigrationsPerJob, c.MigrationsPerJobHalf }},
	{"probes_per_job", "Probes per job, 95% CI", func(c analysis.Cell) (float64, float64) { return c.ProbesPerJob, c.ProbesPerJobHalf }},
	{"utilization", "Utilisation (mean busy fraction of servers)", func(c analysis.Cell) (float64, float64) { return c.Utilization, math.NaN() }},
}

// Tables builds one table per metric and workload from cells. Rows follow
// order (policies of cells missing from it come after, in order of first
// appearance); columns are the sorted loads of the workload.
func Tables(cells []analysis.Cell, order []string) []*Table {
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
		byKey := map[string]analysis.Cell{}
		for _, c := range wc {
			byKey[c.Policy+"\x00"+strconv.FormatFloat(c.Load, 'g', -1, 64)] = c
		}
		for _, m := range metrics {
			t := &Table{Name: m.name, Title: m.title, Workload: w, Loads: loads}
			for _, p := range policies {
				row := Row{Policy: p}
				for _, l := range loads {
					c, ok := byKey[p+"\x00"+strconv.FormatFloat(l, 'g', -1, 64)]
					if !ok {
						row.Cells = append(row.Cells, Entry{Missing: true, Half: math.NaN()})
						continue
					}
					v, h := m.value(c)
					row.Cells = append(row.Cells, Entry{Value: v, Half: h})
				}
				t.Rows = append(t.Rows, row)
			}
			t.markBest()
			out = append(out, t)
		}
	}
	return out
}

// markBest marks the lowest finite value of each column.
func (t *Table) markBest() {
	for j := range t.Loads {
		best := math.Inf(1)
		for _, r := range t.Rows {
			if e := r.Cells[j]; !e.Missing && !math.IsNaN(e.Value) && e.Value < best {
				best = e.Value
			}
		}
		if math.IsInf(best, 1) {
			continue
		}
		for i := range t.Rows {
			if e := &t.Rows[i].Cells[j]; !e.Missing && e.Value == best {
				e.Best = true
			}
		}
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

// WriteLaTeX writes each table as a booktabs tabular inside a table
// environment; best values are bold. The document needs
// \usepackage{booktabs}.
func WriteLaTeX(w io.Writer, tables []*Table) error {
	ew := &errWriter{w: w}
	ew.printf("%% Tables written by loadlab report. Needs \\usepackage{booktabs}.\n")
	for _, t := range tables {
		rows := make([][]string, len(t.Rows))
		for i, r := range t.Rows {
			rows[i] = []string{texEscape(r.Policy)}
			for _, e := range r.Cells {
				s := texEscape(e.Text())
				if e.Best {
					s = `\textbf{` + s + `}`
				}
				rows[i] = append(rows[i], s)
			}
		}
		var head []string
		for _, h := range t.header() {
			head = append(head, texEscape(h))
		}
		writeTabular(ew, t.caption(), "tab:"+texLabel(t.Workload+"-"+t.Name), head, rows)
	}
	return ew.err
}

// writeTabular writes one booktabs table of escaped cells.
func writeTabular(ew *errWriter, caption, label string, head []string, rows [][]string) {
	ew.printf("\n\\begin{table}[htbp]\n\\centering\n\\caption{%s}\n\\label{%s}\n", texEscape(caption), label)
	ew.printf("\\begin{tabular}{l%s}\n\\toprule\n", strings.Repeat("r", len(head)-1))
	ew.printf("%s \\\\\n\\midrule\n", strings.Join(head, " & "))
	for _, r := range rows {
		ew.printf("%s \\\\\n", strings.Join(r, " & "))
	}
	ew.printf("\\bottomrule\n\\end{tabular}\n\\end{table}\n")
}

// texReplacer escapes LaTeX's special characters and writes the non-ASCII
// symbols loadlab prints in math mode.
var texReplacer = strings.NewReplacer(
	`\`, `\textbackslash{}`, `{`, `\{`, `}`, `\}`, `$`, `\$`, `&`, `\&`, `#`, `\#`,
	`%`, `\%`, `_`, `\_`, `^`, `\textasciicircum{}`, `~`, `\textasciitilde{}`,
	`<`, `\textless{}`, `>`, `\textgreater{}`, `|`, `\textbar{}`,
	`ρ`, `$\rho$`, `×`, `$\times$`, `±`, `$\pm$`, `−`, `$-$`, `–`, `--`, `—`, `---`,
	`≥`, `$\geq$`, `≤`, `$\leq$`, `∞`, `$\infty$`, `λ`, `$\lambda$`, `μ`, `$\mu$`,
)

// texEscape makes s safe in LaTeX text.
func texEscape(s string) string { return texReplacer.Replace(s) }

// texLabel reduces s to characters safe in \label.
func texLabel(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '.' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
			return r
		}
		return '-'
	}, s)
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
