package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// transient returns n observations 10 + a·exp(−i/tau) + e_i, where e is a
// stationary AR(1) process e_i = phi·e_{i−1} + N(0, 1): a queue's output
// started away from its steady state, seeded.
func transient(seed uint64, n int, a, tau, phi float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 6))
	xs := make([]float64, n)
	e := rng.NormFloat64() / math.Sqrt(1-phi*phi) // start the noise in steady state
	for i := range xs {
		e = phi*e + rng.NormFloat64()
		xs[i] = 10 + a*math.Exp(-float64(i)/tau) + e
	}
	return xs
}

func TestMSEREdges(t *testing.T) {
	step := func(n, high int) []float64 {
		xs := make([]float64, n)
		for i := range high {
			xs[i] = 100
		}
		return xs
	}
	ramp := make([]float64, 1000)
	for i := range ramp {
		ramp[i] = float64(i)
	}
	cases := []struct {
		name   string
		xs     []float64
		batch  int
		d      int
		wantOK bool
	}{
		{"empty", nil, 5, 0, false},
		{"two batches", make([]float64, 14), 5, 0, false},
		{"constant", make([]float64, 100), 5, 0, true},
		{"step of 100, batch 1", step(1000, 100), 1, 100, true},
		{"step of 100, batch 5", step(1000, 100), 5, 100, true},
		{"step of 103, batch 5", step(1000, 103), 5, 105, true}, // the batch holding the edge goes too
		{"ramp: no steady state", ramp, 5, 500, false},
		{"batch 0 is batch 1", step(50, 7), 0, 7, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, ok := MSER(c.xs, c.batch)
			if d != c.d || ok != c.wantOK {
				t.Errorf("MSER(batch %d) = %d, %v; want %d, %v", c.batch, d, ok, c.d, c.wantOK)
			}
		})
	}
}

// TestMSER5Transient checks MSER-5 on a known transient with correlated
// noise, 20 seeds per case. The transient's end T is where a·exp(−i/tau)
// has fallen to one stationary standard deviation of the noise, which is
// where MSER's criterion stops gaining; each truncation must lie in
// [T/2, 4T]. Averaged over the seeds, the truncated mean must keep at most
// a third of the whole series' bias (MSER leaves the tail beyond T, about
// sd·tau/(n−d)), and its root-mean-square error must be smaller.
func TestMSER5Transient(t *testing.T) {
	const n, seeds, steady = 20000, 20, 10.0
	cases := []struct{ a, tau, phi float64 }{
		{a: 10, tau: 200, phi: 0.7},
		{a: 10, tau: 500, phi: 0.9},
		{a: -5, tau: 1000, phi: 0.5},
		{a: 3, tau: 100, phi: 0},
	}
	for _, c := range cases {
		sd := 1 / math.Sqrt(1-c.phi*c.phi)
		end := c.tau * math.Log(math.Abs(c.a)/sd)
		var truncated, whole, mseTruncated, mseWhole float64
		for seed := uint64(1); seed <= seeds; seed++ {
			xs := transient(seed, n, c.a, c.tau, c.phi)
			d, ok := MSER5(xs)
			if !ok || float64(d) < end/2 || float64(d) > 4*end {
				t.Errorf("a=%g tau=%g phi=%g seed %d: MSER5 = %d, %v; want [%.0f, %.0f], true", c.a, c.tau, c.phi, seed, d, ok, end/2, 4*end)
			}
			mt, mw := mean(xs[d:])-steady, mean(xs)-steady
			truncated += mt / seeds
			whole += mw / seeds
			mseTruncated += mt * mt / seeds
			mseWhole += mw * mw / seeds
		}
		if math.Abs(truncated) > math.Abs(whole)/3 {
			t.Errorf("a=%g tau=%g phi=%g: bias %.4f after truncation, %.4f before; want at most a third", c.a, c.tau, c.phi, truncated, whole)
		}
		if mseTruncated >= mseWhole {
			t.Errorf("a=%g tau=%g phi=%g: RMS error %.4f after truncation, %.4f before", c.a, c.tau, c.phi, math.Sqrt(mseTruncated), math.Sqrt(mseWhole))
		}
		t.Logf("a=%g tau=%g phi=%g: T %.0f, bias %.4f → %.4f, RMS error %.4f → %.4f", c.a, c.tau, c.phi, end, whole, truncated, math.Sqrt(mseWhole), math.Sqrt(mseTruncated))
	}
}

// TestMSER5Stationary checks that a series already in steady state loses
// about nothing: the median truncation over 50 seeds is 0 and none is
// above 2% of the series.
func TestMSER5Stationary(t *testing.T) {
	const n = 20000
	for _, phi := range []float64{0, 0.7, 0.9} {
		var ds []int
		for seed := uint64(1); seed <= 50; seed++ {
			d, ok := MSER5(transient(seed, n, 0, 1, phi))
			if !ok || d > n/50 {
				t.Errorf("phi=%g seed %d: MSER5 = %d, %v; want at most %d, true", phi, seed, d, ok, n/50)
			}
			ds = append(ds, d)
		}
		slices.Sort(ds)
		if med := ds[len(ds)/2]; med != 0 {
			t.Errorf("phi=%g: median truncation %d, want 0", phi, med)
		}
	}
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
