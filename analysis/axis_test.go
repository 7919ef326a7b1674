package analysis

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/stats"
)

// axisRecords makes two replications of pod(d) per axis value: at x nodes
// (axis "nodes") or with d = x (axis "d"), at each of loads.
func axisRecords(axis string, xs, loads []float64) []results.Record {
	var recs []results.Record
	for _, l := range loads {
		for _, x := range xs {
			for rep := range 2 {
				p := results.Point{Policy: "pod", Dispatch: "pod(d=2)", Migrate: "none", Workload: "exp", Arrival: "poisson", Size: "exp(mean=1)",
					SizeMean: 1, SizeSCV: 1, Speeds: "1", Load: l, Nodes: 16, Servers: 1, Discipline: "fcfs", Replication: rep, Backend: "sim", Axis: axis, X: x}
				if axis == "nodes" {
					p.Nodes = int(x)
				} else {
					p.Dispatch = "pod(d=" + strconv.Itoa(int(x)) + ")"
				}
				mean := 2 + 1/x + 0.1*float64(rep)
				recs = append(recs, results.Record{Point: p, Result: results.Result{MeanResponse: mean, P99Response: 5 * mean, ProbesPerJob: x, JobsIssued: 100}})
			}
		}
	}
	return recs
}

// series returns the figure's series called name.
func (fig figure) series(name string) (series, bool) {
	for _, s := range fig.panels[0].series {
		if s.name == name {
			return s, true
		}
	}
	return series{}, false
}

// TestAxisFigures checks the figures of a sweep along an axis: the axis on
// x, one point per value with its interval, and the theory curves that
// exist along that axis, evaluated at each value.
func TestAxisFigures(t *testing.T) {
	t.Run("nodes", func(t *testing.T) {
		xs := []float64{2, 8, 32}
		figs, err := sweepFigures(stats.Summarize(axisRecords("nodes", xs, []float64{0.9})), []string{"pod"}, FigureOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var bases []string
		for _, f := range figs {
			bases = append(bases, f.base)
		}
		// Only the figures along the axis: mean and p99 response, and the
		// probes the policy made.
		if !slices.Equal(bases, []string{"mean_response_vs_nodes", "p99_response_vs_nodes", "probes_per_job_vs_nodes"}) {
			t.Fatalf("figures %v", bases)
		}
		resp := figs[0]
		if pn := resp.panels[0]; pn.xLabel != "nodes N" || pn.yLabel != "mean response time (× mean service)" {
			t.Errorf("labels %q, %q", pn.xLabel, pn.yLabel)
		}
		pod, ok := resp.series("pod")
		if !ok || len(pod.pts) != 3 {
			t.Fatalf("pod series %+v", pod)
		}
		for i, p := range pod.pts {
			want := 2 + 1/xs[i] + 0.05
			if p.x != xs[i] || math.Abs(p.y-want) > 1e-9 || !(p.lo < p.y && p.y < p.hi) {
				t.Errorf("point %d: %+v, want x %g, y %g with an interval", i, p, xs[i], want)
			}
		}
		// The supermarket limit does not depend on N: a flat line at its
		// value; perfect sharing (M/M/N) falls with N and is named by its role.
		sm, ok := resp.series("supermarket d=2 (N→∞)")
		if !ok || len(sm.pts) != 3 {
			t.Fatalf("no supermarket line along nodes: %+v", resp.panels[0].series)
		}
		for _, p := range sm.pts {
			if math.Abs(p.y-stats.Supermarket(0.9, 2)) > 1e-9 {
				t.Errorf("supermarket at N=%g: %g, want %g", p.x, p.y, stats.Supermarket(0.9, 2))
			}
		}
		// Perfect sharing (M/M/N) falls with N, named by its role; at N=2
		// it is above the axis and left out.
		ps, ok := resp.series("M/M/k (perfect sharing)")
		if !ok || len(ps.pts) != 2 || ps.pts[0].x != 8 || math.Abs(ps.pts[0].y-stats.MMk(8, 0.9)) > 1e-9 || math.Abs(ps.pts[1].y-stats.MMk(32, 0.9)) > 1e-9 {
			t.Errorf("perfect sharing along nodes: %+v", ps)
		}
		if resp.csv[0][3] != "nodes" {
			t.Errorf("CSV header %v", resp.csv[0])
		}
	})
	t.Run("d", func(t *testing.T) {
		xs := []float64{1, 2, 4}
		figs, err := sweepFigures(stats.Summarize(axisRecords("d", xs, []float64{0.8})), []string{"pod"}, FigureOptions{Metrics: []string{"mean_response"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(figs) != 1 || figs[0].base != "mean_response_vs_d" {
			t.Fatalf("figures %+v", figs)
		}
		sm, ok := figs[0].series("supermarket d (N→∞)")
		if !ok || len(sm.pts) != 3 {
			t.Fatalf("no supermarket curve along d: %+v", figs[0].panels[0].series)
		}
		for i, p := range sm.pts {
			if want := stats.Supermarket(0.8, int(xs[i])); math.Abs(p.y-want) > 1e-9 {
				t.Errorf("supermarket at d=%g: %g, want %g", p.x, p.y, want)
			}
		}
	})
	t.Run("several loads", func(t *testing.T) {
		figs, err := sweepFigures(stats.Summarize(axisRecords("nodes", []float64{2, 4}, []float64{0.5, 0.9})), []string{"pod"}, FigureOptions{Metrics: []string{"p99_response"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(figs) != 2 || figs[0].base != "p99_response_vs_nodes_rho0.5" || figs[1].base != "p99_response_vs_nodes_rho0.9" {
			t.Fatalf("figures %+v", figs)
		}
	})
	t.Run("metrics along load", func(t *testing.T) {
		recs := axisRecords("", []float64{2}, []float64{0.5, 0.9})
		figs, err := sweepFigures(stats.Summarize(recs), []string{"pod"}, FigureOptions{Metrics: []string{"probes_per_job"}})
		if err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, f := range figs {
			found = found || f.base == "probes_per_job_vs_load"
		}
		if !found || figs[0].base != "response" {
			t.Errorf("a sweep along load keeps its figures and adds the chosen metrics: %d figures, first %s", len(figs), figs[0].base)
		}
	})
}

// TestAxisFiguresWritten writes the figures of a sweep along nodes and
// checks their files.
func TestAxisFiguresWritten(t *testing.T) {
	dir := t.TempDir()
	paths, err := WriteFigures(dir, stats.Summarize(axisRecords("nodes", []float64{2, 8}, []float64{0.9})), []string{"pod"}, FigureOptions{Formats: []string{"pdf", "svg"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"mean_response_vs_nodes.pdf", "mean_response_vs_nodes.svg", "mean_response_vs_nodes.csv"} {
		if !slices.Contains(paths, filepath.Join(dir, f)) {
			t.Errorf("%s not written: %v", f, paths)
		}
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestMetricsRegistry checks every metric of the registry: a unique name,
// a label, and a value from a result whose every number is set; a metric
// named like a result field (its JSON name) reads that field.
func TestMetricsRegistry(t *testing.T) {
	var r results.Result
	fields := map[string]float64{}
	rv := reflect.ValueOf(&r).Elem()
	for i := range rv.NumField() {
		name, _, _ := strings.Cut(rv.Type().Field(i).Tag.Get("json"), ",")
		v := 0.25 + float64(i)/128 // distinct, and a fraction where a fraction is due
		switch f := rv.Field(i); f.Kind() {
		case reflect.Float64:
			f.SetFloat(v)
		case reflect.Int64, reflect.Int:
			v = float64(i + 1)
			f.SetInt(int64(v))
		default:
			continue
		}
		fields[name] = v
	}
	seen := map[string]bool{}
	for _, m := range stats.Metrics() {
		if seen[m.Name] || m.Label == "" || m.Value == nil {
			t.Errorf("metric %+v: duplicate or incomplete", m)
		}
		seen[m.Name] = true
		v, ok := m.Value(r)
		if !ok {
			t.Errorf("%s: no value from a result with every number set", m.Name)
		}
		if want, named := fields[m.Name]; named && ok && v != want {
			t.Errorf("%s = %v, want the field of that name, %v", m.Name, v, want)
		}
	}
	if err := stats.CheckMetrics([]string{"mean_response", "nope"}); err == nil {
		t.Error("an unknown metric passed")
	}
	// A cell's estimate of the registry's mean response is the cell's Mean.
	cells := stats.Summarize(axisRecords("nodes", []float64{2}, []float64{0.5}))
	m, _ := stats.MetricByName("mean_response")
	if v, h := cells[0].Estimate(m); v != cells[0].Mean || h != cells[0].MeanHalf {
		t.Errorf("estimate %g ± %g, cell %g ± %g", v, h, cells[0].Mean, cells[0].MeanHalf)
	}
}
