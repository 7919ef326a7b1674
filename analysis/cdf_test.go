package analysis

import (
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/stats"
)

// svgTexts returns the texts of an SVG file.
func svgTexts(t *testing.T, path string) []string {
	t.Helper()
	var out []string
	for _, e := range svgElements(t, path) {
		if e.text != "" {
			out = append(out, e.text)
		}
	}
	return out
}

// TestCDFAtMiddleLoad checks the default CDF figure: at the load nearest
// the middle of the sweep's range (0.5 to 0.95: 0.7), not the highest,
// its CSV naming the load, and its x axis starting near the data: no tick
// label a decade or more below the value that the fastest policy's 1% of
// jobs stay under (it started at 0.0001, 40% of the width a flat line).
func TestCDFAtMiddleLoad(t *testing.T) {
	dir := t.TempDir()
	recs := syntheticRecords(testPolicies, testLoads, 2, 2000, 13)
	if _, err := WriteFigures(dir, stats.Summarize(recs), testPolicies, FigureOptions{Formats: []string{"svg"}}); err != nil {
		t.Fatal(err)
	}
	rows := checkCSV(t, filepath.Join(dir, "cdf.csv"), []string{"policy", "load", "value", "fraction"}, -1)
	first := math.Inf(1) // the lowest value with 1% of a policy's jobs at or below it
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		if r[1] != "0.7" {
			t.Fatalf("cdf.csv row %v: load %s, want 0.7", r, r[1])
		}
		v, _ := strconv.ParseFloat(r[2], 64)
		f, _ := strconv.ParseFloat(r[3], 64)
		if f >= 0.01 && !seen[r[0]] {
			seen[r[0]] = true
			first = math.Min(first, v)
		}
	}
	texts := svgTexts(t, filepath.Join(dir, "cdf.svg"))
	if !slices.ContainsFunc(texts, func(s string) bool { return strings.HasSuffix(s, "ρ = 0.7") }) {
		t.Errorf("cdf.svg: no title at ρ = 0.7 in %q", texts)
	}
	for _, s := range texts {
		// x tick labels are powers of ten; y labels have one decimal.
		if v, err := strconv.ParseFloat(s, 64); err == nil && v > 0 && v < first/10 && !strings.HasSuffix(s, "0") {
			t.Errorf("cdf.svg: x axis labelled %s, a decade or more below %.3g (1%% of the fastest policy's jobs)", s, first)
		}
	}
}

// TestCDFLoads checks FigureOptions.CDFLoads: one panel per load, the
// CSV's rows at those loads, and a load the sweep lacks refused with the
// loads it has.
func TestCDFLoads(t *testing.T) {
	cells := stats.Summarize(syntheticRecords(testPolicies, testLoads, 2, 500, 14))
	dir := t.TempDir()
	opt := FigureOptions{Formats: []string{"svg"}, CDFLoads: []float64{0.5, 0.9}}
	if _, err := WriteFigures(dir, cells, testPolicies, opt); err != nil {
		t.Fatal(err)
	}
	rows := checkCSV(t, filepath.Join(dir, "cdf.csv"), []string{"policy", "load", "value", "fraction"}, -1)
	loads := map[string]bool{}
	for _, r := range rows[1:] {
		loads[r[1]] = true
	}
	if len(loads) != 2 || !loads["0.5"] || !loads["0.9"] {
		t.Errorf("cdf.csv loads %v, want 0.5 and 0.9", loads)
	}
	texts := strings.Join(svgTexts(t, filepath.Join(dir, "cdf.svg")), "\n")
	for _, want := range []string{"ρ = 0.5", "ρ = 0.9"} {
		if !strings.Contains(texts, want) {
			t.Errorf("cdf.svg: no panel titled %q", want)
		}
	}

	opt.CDFLoads = []float64{0.55}
	_, err := WriteFigures(t.TempDir(), cells, testPolicies, opt)
	if err == nil || !strings.Contains(err.Error(), "0.55") || !strings.Contains(err.Error(), "0.5, 0.6, 0.7, 0.8, 0.9, 0.95") {
		t.Errorf("CDF load 0.55: error %v, want one naming 0.55 and the loads 0.5, 0.6, 0.7, 0.8, 0.9, 0.95", err)
	}
}

func TestMiddleLoad(t *testing.T) {
	for _, c := range []struct {
		loads []float64
		want  float64
	}{
		{[]float64{0.3, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95}, 0.6},
		{[]float64{0.5, 0.9}, 0.9}, // as near: the higher
		{[]float64{0.8}, 0.8},
		{[]float64{0.1, 0.5, 0.9}, 0.5},
	} {
		if got := middleLoad(c.loads); got != c.want {
			t.Errorf("middleLoad(%v) = %g, want %g", c.loads, got, c.want)
		}
	}
}

// TestNoTitles checks FigureOptions.NoTitles: the titles go, a
// multi-panel figure's panel names stay.
func TestNoTitles(t *testing.T) {
	cells := stats.Summarize(spreadRecords(true))
	for _, noTitles := range []bool{false, true} {
		dir := t.TempDir()
		if _, err := WriteFigures(dir, cells, nil, FigureOptions{Formats: []string{"svg"}, NoTitles: noTitles}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			file, text string
			kept       bool // with NoTitles
		}{
			{"response.svg", "exp: mean response time vs load", false},
			{"overhead.svg", "exp: overhead per job vs load", false},
			{"utilization.svg", "exp: utilisation across nodes vs load", false},
			{"utilization.svg", "spread", true},
		} {
			has := slices.Contains(svgTexts(t, filepath.Join(dir, c.file)), c.text)
			if want := !noTitles || c.kept; has != want {
				t.Errorf("NoTitles %v: %s has %q: %v, want %v", noTitles, c.file, c.text, has, want)
			}
		}
	}
}
