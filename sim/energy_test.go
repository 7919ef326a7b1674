package sim

import (
	"math"
	"testing"

	"github.com/loadlab/loadlab/energy"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/scenario"
)

// TestDVFS holds a DVFS level to its model. One M/M/1 node offered load
// ρ = 0.5 at its nominal speed runs at speed s: it is busy ρ/s of the
// time, its mean power is P_idle + (P_busy − P_idle)·s^α·ρ/s and its mean
// response the M/M/1 value 1/(s − ρ). Slower is cheaper per job (s^(α−1))
// and slower to answer. Ten replications of 100,000 jobs, within three
// half-widths of their 95% intervals.
func TestDVFS(t *testing.T) {
	const rho, idle, busy, alpha = 0.5, 50.0, 150.0, 3.0
	for _, s := range []float64{0.7, 1, 1.3} {
		p := &energy.Power{Idle: idle, Busy: busy, Alpha: alpha, Speed: s}
		rs := replicate(t, 10, 21, config(t, Config{Model: scenario.Model{Nodes: 1, Load: rho, Jobs: 100_000, Warmup: 10_000, Power: p}}, "random", "none", "exp(mean=1)"))
		wantP := idle + (busy-idle)*math.Pow(s, alpha)*rho/s
		wantR := 1 / (s - rho)
		gotP, halfP := meanCI(rs, func(r results.Result) float64 { return r.Power })
		gotR, halfR := meanCI(rs, func(r results.Result) float64 { return r.MeanResponse })
		gotJ, _ := meanCI(rs, func(r results.Result) float64 { return r.EnergyPerJob })
		t.Logf("speed %.1f: power %.3f ± %.3f W (model %.3f), response %.4f ± %.4f (M/M/1 %.4f), %.2f J a job", s, gotP, halfP, wantP, gotR, halfR, wantR, gotJ)
		if math.Abs(gotP-wantP) > 3*halfP || math.Abs(gotR-wantR) > 3*halfR || halfR > 0.03*wantR {
			t.Errorf("speed %v: power %.3f ± %.3f, model %.3f; response %.4f ± %.4f, model %.4f", s, gotP, halfP, wantP, gotR, halfR, wantR)
		}
	}
}
