package workload

import (
	"math"
	"testing"
)

// batchStats draws batches of gaps and returns the mean over batches of the
// batch mean gap and batch gap SCV, with standard errors from the spread of
// the batches (batch means: valid for correlated gaps such as MMPP's).
func batchStats(a Arrivals, seed uint64, batches, per int) (mean, scv, seMean, seSCV float64) {
	r := Stream(seed, "arrivals")
	ms, cs := make([]float64, batches), make([]float64, batches)
	xs := make([]float64, per)
	for b := range batches {
		for i := range xs {
			xs[i] = a.Gap(r)
		}
		m, c, _, _ := sampleStats(xs)
		ms[b], cs[b] = m, c
	}
	avg := func(v []float64) (float64, float64) {
		s, s2 := 0.0, 0.0
		for _, x := range v {
			s += x
		}
		s /= float64(len(v))
		for _, x := range v {
			s2 += (x - s) * (x - s)
		}
		return s, math.Sqrt(s2 / float64(len(v)-1) / float64(len(v)))
	}
	mean, seMean = avg(ms)
	scv, seSCV = avg(cs)
	return
}

func TestArrivals(t *testing.T) {
	const rate, z = 2.0, 5
	for _, c := range []struct {
		spec string
		scv  float64 // expected gap SCV; -1: compare with SCV() only and require > 1
	}{
		{"poisson", 1},
		{"det", 0},
		{"mmpp(rates=[0.5, 2], switch=[0.1, 0.1])", -1},
		{"mmpp(rates=[0, 1], switch=[1, 0.5])", -1}, // interrupted Poisson
		{"mmpp(rates=[3, 3], switch=[0.3, 3])", 1},  // equal rates: Poisson
	} {
		t.Run(c.spec, func(t *testing.T) {
			spec, err := ParseArrival(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			if spec.String() != c.spec {
				t.Errorf("String() = %q, want %q", spec.String(), c.spec)
			}
			if c.scv >= 0 && math.Abs(spec.SCV()-c.scv) > 1e-12 {
				t.Errorf("SCV() = %v, want %v", spec.SCV(), c.scv)
			}
			if c.scv < 0 && !(spec.SCV() > 1) {
				t.Errorf("SCV() = %v, want > 1", spec.SCV())
			}
			mean, scv, seMean, seSCV := batchStats(spec.New(rate), 3, 40, 25_000)
			if math.Abs(mean-1/rate) > z*seMean+1e-12 {
				t.Errorf("mean gap %v, want %v ± %v", mean, 1/rate, z*seMean)
			}
			if math.Abs(scv-spec.SCV()) > z*seSCV+1e-12 {
				t.Errorf("gap SCV %v, want %v ± %v", scv, spec.SCV(), z*seSCV)
			}
		})
	}
}

func TestArrivalStartState(t *testing.T) {
	// Started in the stationary distribution, the counting process is
	// stationary from time 0: E[arrivals in [0, T]] = rate*T for every T.
	// Starting in a fixed state would make a short window far off (here the
	// silent state 0 holds 90% of the time, the busy one 10%).
	spec, err := ParseArrival("mmpp(rates=[0, 1], switch=[0.1, 0.9])")
	if err != nil {
		t.Fatal(err)
	}
	const n, rate, window = 40_000, 1.0, 0.2
	r := Stream(5, "arrivals")
	counts := make([]float64, n)
	for i := range counts {
		a := spec.New(rate)
		for s := a.Gap(r); s <= window; s += a.Gap(r) {
			counts[i]++
		}
	}
	mean, _, se, _ := sampleStats(counts)
	if math.Abs(mean-rate*window) > 5*se {
		t.Errorf("mean arrivals in [0, %v] = %v ± %v, want %v", window, mean, se, rate*window)
	}
}

func TestArrivalNewPanics(t *testing.T) {
	for _, rate := range []float64{0, -1, math.Inf(1), math.NaN()} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%v) did not panic", rate)
				}
			}()
			poissonSpec{}.New(rate)
		}()
	}
}
