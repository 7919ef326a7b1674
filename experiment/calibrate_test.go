package experiment

import (
	"testing"

	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/sim"
)

// TestCalibrateKeepsSpecCosts: calibration takes the latency and the
// dispatch delay from the real twin only where the spec left them at 0.
func TestCalibrateKeepsSpecCosts(t *testing.T) {
	pt := func(backend string, costs sim.Costs) Point {
		return Point{Point: results.Point{Policy: "p (" + backend + ")", Backend: backend, Workload: "w", Load: 0.5}, CostModel: costs}
	}
	real := results.Record{Point: pt("local", sim.Costs{}).Point, Result: results.Result{ProbeRTT: 0.2, DispatchDelay: 0.07}}
	sims := []Point{pt("sim", sim.Costs{}), pt("sim", sim.Costs{Latency: 0.016, Bandwidth: 1e7})}
	if err := calibrate(sims, []results.Record{real}); err != nil {
		t.Fatal(err)
	}
	if c := sims[0].CostModel; c.Latency != 0.1 || c.Dispatch != 0.07 {
		t.Errorf("costs left at 0: calibrated to %+v, want latency 0.1 (half the probe round trip) and dispatch 0.07", c)
	}
	if c := sims[1].CostModel; c.Latency != 0.016 || c.Dispatch != 0.07 || c.Bandwidth != 1e7 {
		t.Errorf("the spec's latency: calibrated to %+v, want it kept (0.016), dispatch 0.07 and bandwidth 1e7", c)
	}
}
