package analysis

import (
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/loadlab/loadlab/stats"
)

// TestCompareFigures checks the compare figure: each policy drawn as in
// WriteFigures' figures, B's cells without a positive mean (every job
// failed) left out with a note in the legend while A spans a log axis,
// the CSV keeping every cell, and the legend covering no data.
func TestCompareFigures(t *testing.T) {
	pols := []string{"random", "pod(d=2)", "sender.shortest"}
	cells := stats.Summarize(syntheticRecords(pols, testLoads, 2, 300, 15))
	cmp := Compared{A: "before", B: "after", Policies: pols}
	for _, c := range cells {
		b := c.Mean * 0.9
		if c.Policy == "random" {
			b = 0
		}
		a := c.Mean
		if c.Policy == "pod(d=2)" && c.Load == 0.95 {
			a = 100 * c.Mean // a span of more than 30: a log axis
		}
		cmp.Cells = append(cmp.Cells, ComparedCell{Workload: c.Workload, Policy: c.Policy, Load: c.Load, A: a, AHalf: c.MeanHalf, B: b, BHalf: math.NaN()})
	}
	dir := t.TempDir()
	opt := FigureOptions{Formats: []string{"svg", "png"}}
	paths, err := WriteCompareFigures(dir, cmp, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 3 {
		t.Errorf("wrote %v, want compare_response.png, .svg and .csv", paths)
	}
	sweepDir := t.TempDir()
	if _, err := WriteFigures(sweepDir, cells, pols, FigureOptions{Formats: []string{"svg"}}); err != nil {
		t.Fatal(err)
	}
	want := legendStyles(t, filepath.Join(sweepDir, "response.svg"), pols...)
	got := legendStyles(t, filepath.Join(dir, "compare_response.svg"), pols...)
	for _, p := range pols {
		if got[p] != want[p] {
			t.Errorf("%s: %s in the compare figure, %s in the sweep's", p, got[p], want[p])
		}
	}
	note := "B: after (" + "6 without a mean: left out)"
	if texts := svgTexts(t, filepath.Join(dir, "compare_response.svg")); !slices.Contains(texts, note) || !slices.Contains(texts, "A: before") {
		t.Errorf("compare_response.svg: no legend entries %q and %q in %q", "A: before", note, texts)
	}
	rows := checkCSV(t, filepath.Join(dir, "compare_response.csv"), []string{"workload", "policy", "side", "load", "value", "ci_low", "ci_high"}, 2*len(cells))
	for _, r := range rows[1:] {
		if r[1] == "random" && r[2] == "after" && r[4] != "0" {
			t.Errorf("compare_response.csv row %v: want the mean of 0 kept", r)
		}
	}
	figs := compareFigures(cmp)
	if len(figs) != 1 || !figs[0].panels[0].logY {
		t.Fatalf("%d figures, want one with a log y axis", len(figs))
	}
	checkFigureLayout(t, figs[0], DefaultFigureOptions())
	if figs[0].base != "compare_response" {
		t.Errorf("one workload: file %s, want no workload prefix", figs[0].base)
	}
}
