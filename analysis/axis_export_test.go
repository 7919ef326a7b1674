package analysis

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"

	"github.com/loadlab/loadlab/results"
)

// TestWriteBenchfmtAxis writes a sweep along an axis in the benchmark
// format: the axis value is part of each name, so benchstat keeps the
// points apart, and every unit of the registry's Bench metrics is there.
func TestWriteBenchfmtAxis(t *testing.T) {
	var recs []results.Record
	for _, x := range []float64{3, 1} {
		for rep := 0; rep < 2; rep++ {
			r := results.Record{Point: results.Point{Policy: "sender", Workload: "exp", Load: 0.9, Axis: "probes", X: x, Replication: rep}}
			r.Result.MeanResponse = 10*x + float64(rep)
			r.Result.ProbesPerJob = x
			recs = append(recs, r)
		}
	}
	var buf bytes.Buffer
	if err := WriteBenchfmt(&buf, "axis", recs, nil); err != nil {
		t.Fatal(err)
	}
	rd := benchfmt.NewReader(&buf, "x.txt")
	var names []string
	for rd.Scan() {
		switch r := rd.Result().(type) {
		case *benchfmt.Result:
			mean, _ := r.Value("mean-response")
			probes, _ := r.Value("probes/job")
			names = append(names, fmt.Sprintf("%s %g %g", r.Name, mean, probes))
			for _, m := range benchMetrics() {
				if _, ok := r.Value(m.Bench); !ok {
					t.Errorf("%s: no %s", r.Name, m.Bench)
				}
			}
		case *benchfmt.SyntaxError:
			t.Errorf("syntax error: %v", r)
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	want := "axis/workload=exp/load=0.9/probes=1 10 1|axis/workload=exp/load=0.9/probes=1 11 1|" +
		"axis/workload=exp/load=0.9/probes=3 30 3|axis/workload=exp/load=0.9/probes=3 31 3"
	if got := strings.Join(names, "|"); got != want {
		t.Errorf("results\n%s\nwant\n%s", got, want)
	}
}

// TestPairedRecordsAxis refuses to pair records at different values of
// the axis.
func TestPairedRecordsAxis(t *testing.T) {
	rec := func(x float64, seed uint64) results.Record {
		return results.Record{Point: results.Point{Policy: "p", Workload: "w", Load: 0.5, Axis: "probes", X: x, Seed: seed}}
	}
	mean := func(r results.Result) float64 { return r.MeanResponse }
	if _, err := PairedRecords([]results.Record{rec(1, 1), rec(1, 2)}, []results.Record{rec(1, 1), rec(1, 2)}, mean); err != nil {
		t.Errorf("same axis value: %v", err)
	}
	_, err := PairedRecords([]results.Record{rec(1, 1), rec(1, 2)}, []results.Record{rec(1, 1), rec(3, 2)}, mean)
	if err == nil || !strings.Contains(err.Error(), "probes=3") {
		t.Errorf("probes 1 against 3: %v, want an error naming probes=3", err)
	}
}

// TestCompareFiguresAxis draws the compare figure along an axis: x is the
// axis value, one figure per load when there are several, named and
// titled by it.
func TestCompareFiguresAxis(t *testing.T) {
	cmp := Compared{A: "before", B: "after", Policies: []string{"sender"}}
	for _, load := range []float64{0.9, 0.5} {
		for _, x := range []float64{1, 2, 8} {
			cmp.Cells = append(cmp.Cells, ComparedCell{Workload: "exp", Policy: "sender", Load: load, Axis: "probes", X: x,
				A: load * x, AHalf: 0.1, B: load*x + 1, BHalf: 0.1})
		}
	}
	figs := compareFigures(cmp)
	if len(figs) != 2 {
		t.Fatalf("%d figures, want one per load", len(figs))
	}
	for i, load := range []float64{0.5, 0.9} {
		f := figs[i]
		if want := fmt.Sprintf("compare_response_rho%g", load); f.base != want {
			t.Errorf("figure %d: %s, want %s", i, f.base, want)
		}
		pn := f.panels[0]
		if pn.xLabel != "probe limit" || !strings.Contains(pn.title, fmt.Sprintf("vs probes at ρ = %g", load)) {
			t.Errorf("%s: x label %q, title %q", f.base, pn.xLabel, pn.title)
		}
		a := pn.series[0]
		if len(a.pts) != 3 {
			t.Fatalf("%s: %d points of A, want 3", f.base, len(a.pts))
		}
		for j, x := range []float64{1, 2, 8} {
			if p := a.pts[j]; p.x != x || p.y != load*x {
				t.Errorf("%s: A's point %d at (%g, %g), want (%g, %g)", f.base, j, p.x, p.y, x, load*x)
			}
		}
		if got := strings.Join(f.csv[0], ","); got != "workload,policy,side,probes,value,ci_low,ci_high" {
			t.Errorf("%s: CSV header %s", f.base, got)
		}
		checkFigureLayout(t, f, DefaultFigureOptions())
	}
	paths, err := WriteCompareFigures(t.TempDir(), cmp, FigureOptions{Formats: []string{"svg"}})
	if err != nil {
		t.Fatal(err)
	}
	var bases []string
	for _, p := range paths {
		bases = append(bases, filepath.Base(p))
	}
	if got := strings.Join(bases, " "); got != "compare_response_rho0.5.csv compare_response_rho0.5.svg compare_response_rho0.9.csv compare_response_rho0.9.svg" {
		t.Errorf("wrote %s", got)
	}
}
