package stats

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/loadlab/loadlab/latency"
)

func TestOrderRanks(t *testing.T) {
	cases := []struct {
		n    int64
		q    float64
		r, s int64
	}{
		{n: 10, q: 0.5, r: 2, s: 9},       // Conover, Table A3: X(2), X(9), 97.9%
		{n: 20, q: 0.5, r: 6, s: 15},      // 95.9%
		{n: 1, q: 0.5, r: 0, s: 2},        // unbounded both sides
		{n: 100, q: 0.99, r: 97, s: 101},  // 98.2%
		{n: 1000, q: 0.9, r: 881, s: 919}, // 95.5%
	}
	for _, c := range cases {
		r, s := orderRanks(c.n, c.q)
		if r != c.r || s != c.s {
			t.Errorf("orderRanks(%d, %g) = %d, %d; want %d, %d", c.n, c.q, r, s, c.r, c.s)
		}
	}
}

func TestQuantileInterval(t *testing.T) {
	hist := func(vs ...float64) *latency.Histogram {
		h := latency.New()
		for _, v := range vs {
			h.Record(v)
		}
		return h
	}
	oneTo := func(n int) *latency.Histogram {
		h := latency.New()
		for i := 1; i <= n; i++ {
			h.Record(float64(i))
		}
		return h
	}
	nan := math.NaN()
	inf := math.Inf(1)
	cases := []struct {
		name          string
		h             *latency.Histogram
		q             float64
		value, lo, hi float64
	}{
		{"median of 1..10", oneTo(10), 0.5, 5, 2, 9},
		{"median of 1..20", oneTo(20), 0.5, 10, 6, 15},
		{"p99 of 1..100: no upper bound", oneTo(100), 0.99, 99, 97, inf},
		{"one value", hist(3), 0.5, 3, 0, inf},
		{"empty", latency.New(), 0.5, nan, nan, nan},
		{"q = 1", oneTo(10), 1, nan, nan, nan},
		{"q = 0", oneTo(10), 0, nan, nan, nan},
	}
	// The histogram keeps 3 significant digits.
	near := func(got, want float64) bool {
		if math.IsNaN(want) || math.IsInf(want, 0) || want == 0 {
			return got == want || math.IsNaN(got) && math.IsNaN(want)
		}
		return math.Abs(got-want) <= 1e-3*want
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, lo, hi := QuantileInterval(c.h, c.q)
			if !near(v, c.value) || !near(lo, c.lo) || !near(hi, c.hi) {
				t.Errorf("QuantileInterval(q=%g) = %v [%v, %v]; want %v [%v, %v]", c.q, v, lo, hi, c.value, c.lo, c.hi)
			}
		})
	}
}

// TestQuantileIntervalCoverage checks that the interval covers the true
// quantile of independent exponential values at least 95% of the time,
// and not much more (the method is exact but for the discreteness of
// ranks and the histogram's resolution).
func TestQuantileIntervalCoverage(t *testing.T) {
	const trials, n = 600, 1000
	rng := rand.New(rand.NewPCG(3, 11))
	for _, q := range []float64{0.5, 0.9, 0.99} {
		truth := -math.Log(1 - q) // exponential with mean 1
		covered := 0
		for range trials {
			h := latency.New()
			for range n {
				h.Record(rng.ExpFloat64())
			}
			_, lo, hi := QuantileInterval(h, q)
			if lo <= truth && truth <= hi {
				covered++
			}
		}
		if f := float64(covered) / trials; f < 0.935 || f > 0.985 {
			t.Errorf("q=%g: coverage %.3f, want 0.935–0.985", q, f)
		}
	}
}
