package analysis

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

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
