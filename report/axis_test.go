package report

import (
	"bytes"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/stats"
)

// axisRecords builds three replications (seeds 1, 2, 3) per policy, load
// and probe limit, with the mean responses of means[policy][x] shifted
// by −0.1, 0, +0.1 per seed, and the load times ten as p99.
func axisRecords(loads []float64, means map[string]map[float64]float64) []results.Record {
	var recs []results.Record
	for _, load := range loads {
		for _, p := range []string{"a", "b"} {
			for _, x := range []float64{1, 3} {
				for i, d := range []float64{-0.1, 0, 0.1} {
					r := results.Record{Point: results.Point{Workload: "w", Policy: p, Load: load, Axis: "probes", X: x,
						Replication: i, Seed: uint64(i + 1)}}
					r.Result.JobsIssued, r.Result.JobsCompleted = 1000, 1000
					r.Result.MeanResponse = means[p][x] + d
					r.Result.P99Response = 10 * load
					r.Result.ProbesPerJob = x
					r.Result.Utilization = load
					recs = append(recs, r)
				}
			}
		}
	}
	return recs
}

// axisMeans: b is best at probes=1, a at probes=3.
var axisMeans = map[string]map[float64]float64{
	"a": {1: 2.1, 3: 1.05},
	"b": {1: 1.1, 3: 3.1},
}

// TestTablesAxis checks that a sweep along an axis gets one column per
// axis value (per load and axis value with several loads), each with its
// own cell's mean and its own best value.
func TestTablesAxis(t *testing.T) {
	t.Run("one load", func(t *testing.T) {
		recs := axisRecords([]float64{0.9}, axisMeans)
		tables := Tables(stats.Summarize(recs), recs, []string{"a", "b"})
		if len(tables) != len(metrics) {
			t.Fatalf("%d tables, want %d", len(tables), len(metrics))
		}
		mean := tables[0]
		if mean.Name != "mean_response" {
			t.Fatalf("first table %s, want mean_response", mean.Name)
		}
		if got, want := strings.Join(mean.header(), "|"), "policy|probes=1|probes=3"; got != want {
			t.Errorf("header %s, want %s", got, want)
		}
		for i, p := range []string{"a", "b"} {
			r := mean.Rows[i]
			if r.Policy != p || len(r.Cells) != 2 {
				t.Fatalf("row %d: %s with %d cells, want %s with 2", i, r.Policy, len(r.Cells), p)
			}
			for j, x := range []float64{1, 3} {
				if got, want := r.Cells[j].Value, axisMeans[p][x]; math.Abs(got-want) > 1e-12 {
					t.Errorf("%s at probes=%g: mean %g, want %g", p, x, got, want)
				}
			}
		}
		// b is best at probes=1, a at probes=3: each column has its own.
		if !mean.Rows[1].Cells[0].Best || mean.Rows[0].Cells[0].Best {
			t.Errorf("probes=1: best a %v, b %v; want b", mean.Rows[0].Cells[0].Best, mean.Rows[1].Cells[0].Best)
		}
		if !mean.Rows[0].Cells[1].Best || mean.Rows[1].Cells[1].Best {
			t.Errorf("probes=3: best a %v, b %v; want a", mean.Rows[0].Cells[1].Best, mean.Rows[1].Cells[1].Best)
		}
		for _, tb := range tables {
			if tb.Name == "probes_per_job" {
				if v := tb.Rows[0].Cells[1].Value; v != 3 {
					t.Errorf("probes per job of a at probes=3: %g, want 3", v)
				}
			}
		}

		var buf bytes.Buffer
		if err := WriteCSV(&buf, tables); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Join(rows[0], ","), "table,workload,policy,load,axis,x,value,ci95_halfwidth,best"; got != want {
			t.Errorf("CSV header %s, want %s", got, want)
		}
		found := false
		for _, r := range rows[1:] {
			if r[0] == "mean_response" && r[2] == "a" && r[4] == "probes" && r[5] == "3" {
				found = r[6] == "1.05" && r[8] == "true"
			}
		}
		if !found {
			t.Errorf("CSV lacks mean_response,w,a,0.9,probes,3,1.05,…,true:\n%v", rows)
		}

		g := mean.byLoad()
		if g.corner != "probes" || strings.Join(g.labels, "|") != "1|3" {
			t.Errorf("LaTeX by load: corner %q, labels %v; want probes and 1, 3", g.corner, g.labels)
		}
	})

	t.Run("two loads", func(t *testing.T) {
		recs := axisRecords([]float64{0.9, 0.5}, axisMeans)
		tables := Tables(stats.Summarize(recs), recs, nil)
		want := "policy|ρ=0.5, probes=1|ρ=0.5, probes=3|ρ=0.9, probes=1|ρ=0.9, probes=3"
		if got := strings.Join(tables[0].header(), "|"); got != want {
			t.Errorf("header %s, want %s", got, want)
		}
		for _, tb := range tables {
			if tb.Name != "p99_response" {
				continue
			}
			for j, w := range []float64{5, 5, 9, 9} {
				if v := tb.Rows[0].Cells[j].Value; math.Abs(v-w) > 1e-12 {
					t.Errorf("p99 of a in column %s: %g, want %g", tb.header()[j+1], v, w)
				}
			}
		}
		g := tables[0].byLoad()
		if g.corner != "ρ, probes" || strings.Join(g.labels, "|") != "0.5, 1|0.5, 3|0.9, 1|0.9, 3" {
			t.Errorf("LaTeX by load: corner %q, labels %v", g.corner, g.labels)
		}
	})

	t.Run("warnings name the axis value", func(t *testing.T) {
		recs := axisRecords([]float64{0.9}, axisMeans)
		for i := range recs {
			if recs[i].Point.Policy == "a" && recs[i].Point.X == 3 {
				recs[i].Result.JobsFailed = 1
			}
		}
		warn := strings.Join(Warnings(recs, stats.Summarize(recs)), "\n")
		if !strings.Contains(warn, "failed jobs: a at ρ=0.9, probes=3 (workload w) lost 3 of 3000 jobs") {
			t.Errorf("warnings:\n%s\nwant a's failed jobs at probes=3", warn)
		}
		if strings.Contains(warn, "failed jobs: a at ρ=0.9, probes=1") {
			t.Errorf("warnings say a lost jobs at probes=1, which lost nothing:\n%s", warn)
		}
	})
}

// TestBestHigherIsBetter marks the highest value of a metric where higher
// is better (throughput), and only when significantly higher.
func TestBestHigherIsBetter(t *testing.T) {
	m, ok := stats.MetricByName("throughput")
	if !ok || m.Lower {
		t.Fatalf("throughput: %v, lower %v; want a metric where higher is better", ok, m.Lower)
	}
	for _, tc := range []struct {
		name string
		a, b []float64
		want string
	}{
		{"clearly higher", []float64{1.0, 1.1, 1.2}, []float64{2.0, 2.1, 2.3}, "b"},
		{"within the noise", []float64{1.0, 1.6, 1.3}, []float64{1.1, 1.5, 1.35}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var recs []results.Record
			for p, vs := range map[string][]float64{"a": tc.a, "b": tc.b} {
				for i, v := range vs {
					r := results.Record{Point: results.Point{Workload: "w", Policy: p, Load: 0.7, Replication: i, Seed: uint64(i + 1)}}
					r.Result.JobsIssued, r.Result.JobsCompleted, r.Result.Throughput = 1000, 1000, v
					recs = append(recs, r)
				}
			}
			cells := stats.Summarize(recs)
			byKey := map[cellKey]stats.Cell{}
			tb := &Table{Name: m.Name, Workload: "w", Loads: []float64{0.7}}
			for _, c := range cells {
				byKey[keyOf(c)] = c
			}
			for _, p := range []string{"a", "b"} {
				v, h := byKey[cellKey{"w", p, 0.7, "", 0}].Estimate(m)
				tb.Rows = append(tb.Rows, Row{Policy: p, Cells: []Entry{{Value: v, Half: h}}})
			}
			tb.markBest(m, byKey, recordsByCell(recs))
			var marked []string
			for _, r := range tb.Rows {
				if r.Cells[0].Best {
					marked = append(marked, r.Policy)
				}
			}
			if got := strings.Join(marked, ","); got != tc.want {
				t.Errorf("marked best: %q, want %q", got, tc.want)
			}
		})
	}
}

// TestCompareAxis compares two sides along an axis: cells are matched by
// axis value too, so a change at probes=3 shows there and not at
// probes=1, and the tables and CSV carry the axis.
func TestCompareAxis(t *testing.T) {
	ra := axisRecords([]float64{0.9}, axisMeans)
	changed := map[string]map[float64]float64{
		"a": {1: 2.1, 3: 2.05},
		"b": {1: 1.1, 3: 3.1},
	}
	rb := axisRecords([]float64{0.9}, changed)
	c, err := Compare(Side{Name: "before", Records: ra, Order: []string{"a", "b"}}, Side{Name: "after", Records: rb, Order: []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Diffs) != 2*2*2 {
		t.Fatalf("%d diffs, want 2 metrics × 2 policies × 2 probe limits", len(c.Diffs))
	}
	for _, d := range c.Diffs {
		if d.Axis != "probes" {
			t.Errorf("diff %s %s: axis %q, want probes", d.Metric, d.Policy, d.Axis)
		}
		want := 0.0
		if d.Metric == "mean_response" && d.Policy == "a" && d.X == 3 {
			want = 1
		}
		if math.Abs(d.Delta-want) > 1e-9 || d.Significant() != (want != 0) {
			t.Errorf("%s %s probes=%g: B − A = %g ± %g, want %g", d.Metric, d.Policy, d.X, d.Delta, d.Half, want)
		}
	}
	if got, want := strings.Join(c.header()[:3], "|"), "policy|ρ|probes"; got != want {
		t.Errorf("header starts %s, want %s", got, want)
	}
	g := c.grids()[0]
	for _, r := range g.rows {
		sig := r[0].text == "a" && r[2].text == "3"
		if r[len(r)-1].text != map[bool]string{true: "yes", false: "no"}[sig] || r[5].best != sig || r[4].best {
			t.Errorf("row %v: significance or bold wrong", r)
		}
	}
	var buf bytes.Buffer
	if err := c.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	if head, _, _ := strings.Cut(buf.String(), "\n"); !strings.HasPrefix(head, "workload,policy,load,axis,x,metric,") {
		t.Errorf("CSV header %s, want the axis and x after load", head)
	}
}

// TestReportAxis sweeps a policy parameter at one load and checks the
// report's tables: one column per probe limit.
func TestReportAxis(t *testing.T) {
	const spec = `name: probes
seed: 5
replications: 2
jobs: 3000
warmup: 300
nodes: 6
loads: [0.8]
axis:
  name: probes
  values: [1, 4]
policies:
  - name: sender
    migrate: sender.threshold(T=1)
  - name: receiver
    migrate: receiver.threshold(T=1)
`
	s, err := Load(sweep(t, "probes", spec))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "report")
	if _, err := Write(s, out); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(out, HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	tables, _, _ := parsePage(t, page)
	if len(tables) != len(metrics) {
		t.Fatalf("%d tables, want %d", len(tables), len(metrics))
	}
	for _, tb := range tables {
		if got := strings.Join(tb.head, "|"); got != "policy|probes=1|probes=4" {
			t.Errorf("%s: columns %s, want policy|probes=1|probes=4", tb.caption, got)
		}
	}
	// The probes per job follow the limit: each column holds its own cells.
	for _, tb := range tables {
		if !strings.HasPrefix(tb.caption, "Probes per job") {
			continue
		}
		for _, r := range tb.rows {
			if one, four := leading(t, r[1]), leading(t, r[2]); !(four > one) || one > 1 {
				t.Errorf("%s probes per job: %g at probes=1, %g at probes=4; want at most 1, then more", r[0], one, four)
			}
		}
	}
	md, err := os.ReadFile(filepath.Join(out, MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"| policy | probes=1 | probes=4 |", "1 load and 2 values of probes", "probes as columns (at offered load per server ρ=0.8)"} {
		if !strings.Contains(string(md), w) {
			t.Errorf("report.md lacks %q", w)
		}
	}
}

// TestMetricFigureRefs orders the figures of metrics along an axis as the
// registry does, after the figures of every kind, with captions that name
// the metric, the axis and the load.
func TestMetricFigureRefs(t *testing.T) {
	paths := []string{"f/probes_per_job_vs_probes.png", "f/p99_response_vs_probes.png", "f/mean_response_vs_probes.png",
		"f/mean_response_vs_probes.csv", "f/exp_mean_response_vs_nodes_rho0.9.png", "f/exp_response.png"}
	refs := figureRefs(paths)
	var got []string
	for _, r := range refs {
		got = append(got, filepath.Base(r.path)+": "+r.caption)
	}
	want := []string{
		"mean_response_vs_probes.png: Mean response time (× mean service) vs probe limit, 95% CI",
		"p99_response_vs_probes.png: P99 response time (× mean service) vs probe limit, 95% CI",
		"probes_per_job_vs_probes.png: Probes per job vs probe limit, 95% CI",
		"exp_response.png: Mean response time vs load, 95% CI, with theory curves (workload exp)",
		"exp_mean_response_vs_nodes_rho0.9.png: Mean response time (× mean service) vs nodes N at ρ=0.9, 95% CI (workload exp)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("figures\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
