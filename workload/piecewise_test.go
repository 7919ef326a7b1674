package workload

import (
	"math"
	"strings"
	"testing"
)

// TestPiecewiseFactor checks the factor between, at and around the points,
// held and joined, with and without a period.
func TestPiecewiseFactor(t *testing.T) {
	for _, tc := range []struct {
		spec string
		at   []float64
		want []float64
	}{
		{"piecewise(at=[10, 20, 30], to=[1, 2, 0.5])", []float64{0, 10, 15, 20, 29.9, 30, 1000}, []float64{1, 1, 1, 2, 2, 0.5, 0.5}},
		{"piecewise(at=[10, 20, 30], to=[1, 2, 0.5], interp=linear)", []float64{0, 10, 15, 20, 25, 30, 1000}, []float64{1, 1, 1.5, 2, 1.25, 0.5, 0.5}},
		{"piecewise(at=[10, 20, 30], to=[1, 2, 0.5], period=40)", []float64{5, 15, 35, 45, 55, 75}, []float64{0.5, 1, 0.5, 0.5, 1, 0.5}},
		// linear around the period: from 0.5 at 30 to 1 at 10 + 40 = 50.
		{"piecewise(at=[10, 20, 30], to=[1, 2, 0.5], interp=linear, period=40)", []float64{0, 35, 40, 45, 50, 60, 95}, []float64{0.75, 0.625, 0.75, 0.875, 1, 2, 1.5}},
	} {
		a, err := ParseArrival(tc.spec)
		if err != nil {
			t.Fatalf("%s: %v", tc.spec, err)
		}
		f := a.(Varying).Factor
		for i, x := range tc.at {
			if got := f(x); math.Abs(got-tc.want[i]) > 1e-12 {
				t.Errorf("%s: f(%g) = %g, want %g", tc.spec, x, got, tc.want[i])
			}
		}
	}
}

// TestPiecewiseFile reads the points from a CSV file relative to the
// workload's directory; the workload's arrival names them inline, so a
// record's arrival parses again without the file.
func TestPiecewiseFile(t *testing.T) {
	w, err := New(Config{Arrival: "piecewise(file=rates/day.csv, interp=linear, period=24)", Dir: "testdata"})
	if err != nil {
		t.Fatal(err)
	}
	spec := w.Arrival().String()
	if !strings.HasPrefix(spec, "piecewise(at=[0,1,2,") || !strings.Contains(spec, "to=[0.3,0.25,0.22,") || !strings.HasSuffix(spec, "interp=linear, period=24)") {
		t.Fatalf("arrival %q: want the file's 24 points inline", spec)
	}
	again, err := ParseArrival(spec)
	if err != nil {
		t.Fatalf("the canonical form does not parse again: %v", err)
	}
	for _, x := range []float64{0, 6.5, 12, 23.5, 36} {
		if a, b := w.Arrival().(Varying).Factor(x), again.(Varying).Factor(x); a != b {
			t.Errorf("f(%g) = %g from the file, %g from its canonical form", x, a, b)
		}
	}
	if got, want := again.(Varying).Factor(12.5), 1.55; math.Abs(got-want) > 1e-12 {
		t.Errorf("f(12.5) = %g, want %g (halfway from lunch's 1.6 to 1.5)", got, want)
	}
	if !ReadsFile("piecewise(file=rates/day.csv)") || ReadsFile("piecewise(at=[0], to=[1])") || !ReadsFile("trace(file=x.csv)") {
		t.Error("ReadsFile: wrong answer")
	}
}

// TestPiecewiseErrors: bad points, files and options name what is wrong.
func TestPiecewiseErrors(t *testing.T) {
	for spec, want := range map[string]string{
		"piecewise(at=[0, 10], to=[1])":                 "want one factor per time",
		"piecewise(at=[10, 5], to=[1, 2])":              "increasing",
		"piecewise(at=[0, 5], to=[1, -2])":              "factors must be finite and >= 0",
		"piecewise(at=[0, 5], to=[0, 0])":               "the rate is 0 throughout",
		"piecewise(at=[0, 5], to=[1, 2], interp=cubic)": "want step or linear",
		"piecewise(at=[0, 5], to=[1, 2], period=5)":     "a time > the last point's",
		"piecewise(file=rates/none.csv)":                "no such file",
		"piecewise(file=rates/day.csv, at=[0], to=[1])": "not both",
		"piecewise(file=traces/sample.csv)":             "has no column time",
	} {
		_, err := New(Config{Arrival: spec, Dir: "testdata"})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to contain %q", spec, err, want)
		}
	}
}
