package workload

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/loadlab/loadlab/param"
)

// Piecewise load: the rate factor f(t) given at points, held from one to
// the next (interp=step) or joined by straight lines (interp=linear),
// optionally repeated with a period (a measured day replayed every day).
// The points come inline, piecewise(at=[0, 6, 12, 18], to=[0.4, 1.2,
// 1.5, 0.8]), or from a CSV file, piecewise(file=day.csv): a header
// naming the columns time and factor (others ignored; # starts a comment
// line), then one row a point. A file is read once, when the workload is built, and the spec's
// canonical form lists its points inline, so that a record names the load
// it ran without the file.

var piecewiseSchema = param.Schema{
	{Name: "at", Kind: param.Floats, Doc: "model times of the points, increasing, >= 0 (or file=…: a CSV with columns time and factor)"},
	{Name: "to", Kind: param.Floats, Doc: "rate factor at each time, >= 0 (one per time)"},
	{Name: "interp", Kind: param.Word, Default: "step", Doc: "step (each factor holds until the next time) or linear (straight lines between the points)"},
	{Name: "period", Kind: param.Float, Default: "0", Doc: "repeat the points every period (> the last time); 0: the last factor holds to the end"},
}

// maxPiecewise bounds the points of a piecewise load: the canonical form
// lists them all.
const maxPiecewise = 10000

func newPiecewise(v param.Values) (ArrivalSpec, error) {
	at, to := v.Floats("at"), v.Floats("to")
	if len(at) == 0 || len(at) != len(to) {
		return nil, v.Errorf("to", "want one factor per time (%d times in at), got %d", len(at), len(to))
	}
	if len(at) > maxPiecewise {
		return nil, v.Errorf("at", "at most %d points, got %d", maxPiecewise, len(at))
	}
	for i := range at {
		if !(at[i] >= 0) || math.IsInf(at[i], 0) || (i > 0 && at[i] <= at[i-1]) {
			return nil, v.Errorf("at", "want finite times >= 0, increasing, got %v at point %d", at[i], i)
		}
		if !(to[i] >= 0) || math.IsInf(to[i], 0) {
			return nil, v.Errorf("to", "factors must be finite and >= 0, got %v at point %d", to[i], i)
		}
	}
	linear := false
	switch v.Word("interp") {
	case "step":
	case "linear":
		linear = true
	default:
		return nil, v.Errorf("interp", "want step or linear, got %q", v.Word("interp"))
	}
	period := v.Float("period")
	if !(period >= 0) || math.IsInf(period, 0) || (period > 0 && period <= at[len(at)-1]) {
		return nil, v.Errorf("period", "want 0 (no repeat) or a time > the last point's (%v), got %v", at[len(at)-1], period)
	}
	f := func(t float64) float64 {
		if period > 0 {
			t = math.Mod(t, period)
		}
		i, found := slices.BinarySearch(at, t) // at[i-1] < t <= at[i]
		if found {
			return to[i]
		}
		switch {
		case i == 0 && period == 0:
			return to[0] // before the first point: its factor
		case i == len(at) && period == 0:
			return to[len(to)-1]
		case !linear:
			if i == 0 {
				return to[len(to)-1] // a repeated cycle: the last point holds until the next cycle's first
			}
			return to[i-1]
		}
		// linear, between point a (time ta) and b (time tb), wrapping
		// around the period.
		a, b := i-1, i
		ta, tb := 0.0, 0.0
		switch {
		case i == 0:
			a, ta, tb = len(at)-1, at[len(at)-1]-period, at[0]
		case i == len(at):
			b, ta, tb = 0, at[i-1], at[0]+period
		default:
			ta, tb = at[a], at[b]
		}
		return to[a] + (to[b]-to[a])*(t-ta)/(tb-ta)
	}
	return newVarying(v, piecewiseSchema, f, slices.Max(to))
}

// ReadsFile reports whether an arrival spec reads a file relative to the
// spec's directory (Config.Dir): a trace, or piecewise(file=…).
// ParseArrival cannot read those; New does.
func ReadsFile(spec string) bool {
	c, err := param.Parse(spec)
	if err != nil {
		return false
	}
	_, file := c.Args["file"]
	return c.Name == "trace" || c.Name == "piecewise" && file
}

// inlinePiecewise rewrites piecewise(file=…, …) as piecewise(at=[…],
// to=[…], …) with the points the file (relative to dir) gives; any other
// spec is returned as is.
func inlinePiecewise(spec, dir string) (string, error) {
	c, err := param.Parse(spec)
	if err != nil || c.Name != "piecewise" {
		return spec, nil
	}
	name, ok := c.Args["file"]
	if !ok {
		return spec, nil
	}
	if _, ok := c.Args["at"]; ok {
		return "", fmt.Errorf("piecewise: give the points as at and to, or as file, not both")
	}
	if _, ok := c.Args["to"]; ok {
		return "", fmt.Errorf("piecewise: give the points as at and to, or as file, not both")
	}
	if !filepath.IsAbs(name) {
		name = filepath.Join(dir, name)
	}
	f, err := os.Open(name)
	if err != nil {
		return "", fmt.Errorf("piecewise: %w", err)
	}
	defer f.Close()
	at, to, err := readRates(f)
	if err != nil {
		return "", fmt.Errorf("piecewise: %s: %w", name, err)
	}
	parts := []string{"at=" + floatList(at), "to=" + floatList(to)}
	for _, k := range c.Keys {
		if k != "file" {
			parts = append(parts, k+"="+c.Args[k])
		}
	}
	return "piecewise(" + strings.Join(parts, ", ") + ")", nil
}

// readRates reads a CSV of rate factors: a header naming the columns
// time and factor (others ignored), then one row a point; lines
// starting with # are comments.
func readRates(r io.Reader) (at, to []float64, err error) {
	err = eachCSVRow(r, []string{"time", "factor"}, "time and factor", true, func(line int, f []string, col map[string]int) error {
		t, err := number(f[col["time"]], "time")
		if err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		x, err := number(f[col["factor"]], "factor")
		if err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		at, to = append(at, t), append(to, x)
		return nil
	})
	if err == nil && len(at) == 0 {
		err = fmt.Errorf("no points (want a header naming time and factor, then rows)")
	}
	return at, to, err
}

// floatList writes xs as a parameter list: [0, 6.5, 12].
func floatList(xs []float64) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return "[" + strings.Join(s, ", ") + "]"
}
