package scenario

import (
	"math"
	"strings"
	"testing"
)

func TestParseWarmStart(t *testing.T) {
	for _, c := range []struct {
		spec, canon, err string
	}{
		{"", "", ""},
		{"empty", "", ""},
		{"meanfield", "meanfield(d=2)", ""},
		{"meanfield(d=1)", "meanfield(d=1)", ""},
		{"tail(at_least=[0.9, 0.5])", "tail(at_least=[0.9,0.5])", ""},
		{"meanfield(d=0)", "", "at least 1"},
		{"tail(at_least=[0.5, 0.9])", "", "must fall from 1 to 0"},
		{"tail(at_least=[1.5])", "", "must fall from 1 to 0"},
		{"full", "", `unknown warm start "full"`},
	} {
		w, err := ParseWarmStart(c.spec)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q: err = %v, want one with %q", c.spec, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("%q: %v", c.spec, err)
		case c.err == "" && w.String() != c.canon:
			t.Errorf("%q: canonical %q, want %q", c.spec, w.String(), c.canon)
		}
	}
}

// TestWarmStartTail: meanfield(d=1) is M/M/1's ρ^k; meanfield(d=2) is
// ρ^(2^k − 1) (Mitzenmacher); Jobs counts the fractions u falls under.
func TestWarmStartTail(t *testing.T) {
	one, _ := ParseWarmStart("meanfield(d=1)")
	two, _ := ParseWarmStart("meanfield(d=2)")
	t1, t2 := one.Tail(0.5), two.Tail(0.9)
	for k := 1; k <= 4; k++ {
		if w := math.Pow(0.5, float64(k)); math.Abs(t1[k-1]-w) > 1e-15 {
			t.Errorf("d=1, k=%d: %g, want %g", k, t1[k-1], w)
		}
		if w := math.Pow(0.9, math.Pow(2, float64(k))-1); math.Abs(t2[k-1]-w) > 1e-15 {
			t.Errorf("d=2, k=%d: %g, want %g", k, t2[k-1], w)
		}
	}
	if last := t2[len(t2)-1]; last < 1e-12 || len(t2) != 8 {
		t.Errorf("d=2 at 0.9: %d fractions ending at %g, want the 8 of at least 1e-12", len(t2), last)
	}
	tail := []float64{1, 0.5, 0.25}
	for _, c := range []struct {
		u    float64
		want int
	}{{0, 3}, {0.2, 3}, {0.25, 2}, {0.49, 2}, {0.5, 1}, {0.99, 1}} {
		if got := Jobs(tail, c.u); got != c.want {
			t.Errorf("Jobs(%v, %g) = %d, want %d", tail, c.u, got, c.want)
		}
	}
}
