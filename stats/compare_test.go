package stats

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/results"
)

func TestPaired(t *testing.T) {
	cases := []struct {
		name        string
		a, b        []float64
		mean, half  float64
		significant bool
		err         bool
	}{
		{name: "equal shift", a: []float64{3, 5, 9}, b: []float64{2, 4, 8}, mean: 1, half: 0, significant: true},
		// differences 1..5: t(0.975, 4)·√2.5/√5
		{name: "spread", a: []float64{11, 12, 13, 14, 15}, b: []float64{10, 10, 10, 10, 10}, mean: 3, half: 2.776445 * math.Sqrt(2.5) / math.Sqrt(5), significant: true},
		// differences ±1: t(0.975, 3)·√(4/3)/√4
		{name: "no difference", a: []float64{1, 2, 1, 2}, b: []float64{2, 1, 2, 1}, mean: 0, half: 3.182446 * math.Sqrt(4.0/3) / 2, significant: false},
		{name: "one pair", a: []float64{5}, b: []float64{1}, mean: 4, half: 0, significant: false},
		{name: "lengths differ", a: []float64{1, 2}, b: []float64{1}, err: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := Paired(c.a, c.b)
			if c.err {
				if err == nil {
					t.Fatalf("Paired = %+v, want an error", d)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.N != len(c.a) || math.Abs(d.Mean-c.mean) > 1e-9 || math.Abs(d.Half-c.half) > 1e-5 || d.Significant() != c.significant {
				t.Errorf("Paired = %+v (significant %v), want mean %v ± %v (significant %v)", d, d.Significant(), c.mean, c.half, c.significant)
			}
		})
	}
}

// TestPairedCommonRandomNumbers mimics two policies on the same seeds: each
// replication's level varies a lot from seed to seed (base), policy a adds
// delta, and each run adds a little noise of its own. The paired interval
// must cover delta 95% of the time and find a difference that intervals of
// the two policies taken separately cannot tell apart.
func TestPairedCommonRandomNumbers(t *testing.T) {
	const trials, n, delta = 2000, 10, 0.5
	rng := rand.New(rand.NewPCG(5, 8))
	covered, found, overlapping := 0, 0, 0
	a, b := make([]float64, n), make([]float64, n)
	for range trials {
		for i := range a {
			base := 10 + 2*rng.NormFloat64()
			a[i] = base + delta + 0.2*rng.NormFloat64()
			b[i] = base + 0.2*rng.NormFloat64()
		}
		d, err := Paired(a, b)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(d.Mean-delta) <= d.Half {
			covered++
		}
		if d.Significant() {
			found++
		}
		ma, ha := TInterval(a)
		mb, hb := TInterval(b)
		if math.Abs(ma-mb) <= ha+hb {
			overlapping++
		}
	}
	if f := float64(covered) / trials; f < 0.93 || f > 0.97 {
		t.Errorf("paired interval covers the true difference %.3f of the time, want 0.93–0.97", f)
	}
	// Differences have standard deviation 0.2·√2 ≈ 0.28 against a mean of
	// 0.5: with 10 pairs the interval (± 0.2) excludes 0 nearly always.
	if f := float64(found) / trials; f < 0.99 {
		t.Errorf("paired comparison found the difference %.3f of the time, want at least 0.99", f)
	}
	if f := float64(overlapping) / trials; f < 0.95 {
		t.Errorf("separate intervals overlap only %.3f of the time: the case does not show what pairing gains", f)
	}
}

func TestPairedRecords(t *testing.T) {
	rec := func(policy, workload string, load float64, seed uint64, mean float64) results.Record {
		return results.Record{
			Point:  results.Point{Policy: policy, Workload: workload, Load: load, Seed: seed},
			Result: results.Result{MeanResponse: mean},
		}
	}
	meanResponse := func(r results.Result) float64 { return r.MeanResponse }
	a := []results.Record{rec("a", "w", 0.5, 1, 3), rec("a", "w", 0.5, 2, 5), rec("a", "w", 0.5, 3, 9)}
	cases := []struct {
		name string
		b    []results.Record
		mean float64
		err  string
	}{
		{name: "paired by seed, not order", b: []results.Record{rec("b", "w", 0.5, 3, 8), rec("b", "w", 0.5, 1, 2), rec("b", "w", 0.5, 2, 4)}, mean: 1},
		{name: "missing seed", b: []results.Record{rec("b", "w", 0.5, 1, 2), rec("b", "w", 0.5, 2, 4), rec("b", "w", 0.5, 4, 8)}, err: "seed 3"},
		{name: "duplicate seed", b: []results.Record{rec("b", "w", 0.5, 1, 2), rec("b", "w", 0.5, 1, 4), rec("b", "w", 0.5, 2, 8)}, err: "twice"},
		{name: "other load", b: []results.Record{rec("b", "w", 0.5, 1, 2), rec("b", "w", 0.5, 2, 4), rec("b", "w", 0.7, 3, 8)}, err: "load 0.7"},
		{name: "other count", b: []results.Record{rec("b", "w", 0.5, 1, 2)}, err: "3 replications against 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := PairedRecords(a, c.b, meanResponse)
			switch {
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
				t.Errorf("PairedRecords = %+v, %v; want an error containing %q", d, err, c.err)
			case c.err == "" && err != nil:
				t.Errorf("PairedRecords: %v", err)
			case c.err == "" && (d.N != 3 || d.Mean != c.mean || d.Half != 0):
				t.Errorf("PairedRecords = %+v, want mean %v ± 0 over 3", d, c.mean)
			}
		})
	}
}
