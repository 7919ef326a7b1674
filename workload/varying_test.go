package workload

import (
	"math"
	"strings"
	"testing"
)

// TestVaryingCounts holds each time-varying process to its rate: the
// arrivals in each window of a run are Poisson with mean the integral of
// rate·f over the window (integrated numerically here), so over k windows
// Σ (count − mean)²/mean is χ² with k degrees of freedom. It must stay
// below k + 4·√(2k) (about a 1-in-10,000 event for a correct process; the
// seed is fixed, so the test gives the same answer every run), and no
// window may stray by more than 4.5 standard deviations.
func TestVaryingCounts(t *testing.T) {
	const rate, horizon, window = 20.0, 2000.0, 10.0
	for spec, canonical := range map[string]string{
		"ramp(from=0.2, to=1.5, start=300, over=1000)":                             "ramp(from=0.2, to=1.5, start=300, over=1000)",
		"step(at=[500, 1200], to=[2, 0.5])":                                        "step(at=[500,1200], to=[2,0.5], from=1)",
		"sine(amplitude=0.8, period=400, phase=50)":                                "sine(amplitude=0.8, period=400, phase=50)",
		"spike(duration=60, at=700, factor=4)":                                     "spike(at=700, duration=60, factor=4)",
		"piecewise(at=[0, 150, 300], to=[0.2, 2, 0.6], interp=linear, period=600)": "piecewise(at=[0,150,300], to=[0.2,2,0.6], interp=linear, period=600)",
	} {
		a, err := ParseArrival(spec)
		if err != nil {
			t.Fatal(err)
		}
		if a.String() != canonical {
			t.Errorf("canonical form %q, want %q", a.String(), canonical)
		}
		f := a.(Varying).Factor
		k := int(horizon / window)
		counts := make([]float64, k)
		p, r := a.New(rate), Stream(7, "arrivals")
		for tm := p.Gap(r); tm < horizon; tm += p.Gap(r) {
			counts[int(tm/window)]++
		}
		chi2, worst := 0.0, 0.0
		for i, c := range counts {
			mean := 0.0 // ∫ rate·f over the window, by the midpoint rule on 1,000 steps
			for j := range 1000 {
				mean += rate * f(float64(i)*window+(float64(j)+0.5)*window/1000) * window / 1000
			}
			if mean == 0 {
				if c != 0 {
					t.Errorf("%s: %v arrivals in window %d, where the rate is 0", spec, c, i)
				}
				continue
			}
			chi2 += (c - mean) * (c - mean) / mean
			worst = max(worst, math.Abs(c-mean)/math.Sqrt(mean))
		}
		limit := float64(k) + 4*math.Sqrt(2*float64(k))
		t.Logf("%s: χ² = %.1f over %d windows (limit %.1f), worst window %.2f σ", spec, chi2, k, limit, worst)
		if chi2 > limit || worst > 4.5 {
			t.Errorf("%s: χ² = %.1f over %d windows (limit %.1f), worst window %.2f σ: the counts do not follow the rate", spec, chi2, k, limit, worst)
		}
	}
}

// TestVaryingDeterministic: the same seed gives the same arrivals.
func TestVaryingDeterministic(t *testing.T) {
	a, _ := ParseArrival("sine(amplitude=0.5, period=100)")
	draw := func() []float64 {
		p, r := a.New(3), Stream(11, "arrivals")
		out := make([]float64, 1000)
		for i := range out {
			out[i] = p.Gap(r)
		}
		return out
	}
	x, y := draw(), draw()
	for i := range x {
		if x[i] != y[i] {
			t.Fatalf("gap %d: %v then %v with the same seed", i, x[i], y[i])
		}
	}
}

func TestVaryingErrors(t *testing.T) {
	for spec, want := range map[string]string{
		"ramp(to=1)":                         "over",
		"ramp(to=-1, over=10)":               "to: must be a finite factor >= 0",
		"ramp(from=0, to=0, over=10)":        "the rate is 0 throughout",
		"step(at=[10, 5], to=[1, 2])":        "at: want finite times >= 0, increasing",
		"step(at=[10], to=[1, 2])":           "to: want one factor per step",
		"sine(amplitude=1.5, period=10)":     "amplitude: must be from 0 to 1",
		"sine(amplitude=0.5, period=0)":      "period: must be a finite time > 0",
		"spike(at=5, duration=0, factor=2)":  "duration: must be a finite time > 0",
		"spike(at=-5, duration=1, factor=2)": "at: must be a finite time >= 0",
	} {
		_, err := ParseArrival(spec)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseArrival(%q) = %v, want an error containing %q", spec, err, want)
		}
	}
}
