package experiment

import (
	"testing"

	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/server"
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

// TestCalibrateServer: a simulated point on a server architecture takes
// the creation, switch and event costs its real twin measured, where the
// architecture's text left them at their defaults; its stored description
// says so, and its key stays the uncalibrated point's.
func TestCalibrateServer(t *testing.T) {
	costs := &results.ServerCosts{Create: 0.0003, Switch: 0, Event: 0.004, Handoff: 0.001, Resume: 0.007}
	for _, tc := range []struct{ arch, want string }{
		{"thread-per-request", "thread-per-request(limit=0, create=0.0003, switch=0, quantum=0.4)"},
		{"process-per-request(create=0.1)", "process-per-request(limit=0, create=0.1, switch=0, quantum=0.4)"},
		{"event-loop(loops=2)", "event-loop(loops=2, event=0.004, switch=0, quantum=0.4)"},
		{"iterative", "iterative"},
	} {
		arch, err := server.Parse(tc.arch)
		if err != nil {
			t.Fatal(err)
		}
		pt := func(backend string) Point {
			return Point{Point: results.Point{Policy: "p (" + backend + ")", Backend: backend, Workload: "w", Load: 0.5, Server: arch.String(), Key: "k"},
				Model: scenario.Model{Server: arch}}
		}
		real := results.Record{Point: pt("local").Point, Result: results.Result{ServerCosts: costs}}
		sims := []Point{pt("sim")}
		if err := calibrate(sims, []results.Record{real}); err != nil {
			t.Fatal(err)
		}
		if got := sims[0].Model.Server.String(); got != tc.want || sims[0].Point.Server != tc.want {
			t.Errorf("%s calibrated to %s (stored as %s), want %s", tc.arch, got, sims[0].Point.Server, tc.want)
		}
		if sims[0].Key != "k" || arch.String() == tc.want && tc.arch != "iterative" {
			t.Errorf("%s: key %s, architecture %s: calibration must leave both", tc.arch, sims[0].Key, arch)
		}
	}
}
