package node

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/loadlab/loadlab/fault"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/sim"
	"github.com/loadlab/loadlab/workload"
)

// TestFaultsAgreeWithSimulator runs drop, delay, pause (within and beyond
// the hold limit) and partition points on 6 real agents (20 ms unit: on two
// busy cores a goroutine wakes a millisecond or more late at times; load
// 0.5) and the same points in the simulator, calibrated with the measured
// dispatch delay and holding requests at most 1 s of the unit, as agents
// do: failed jobs and mean response agree within 15% (the issue's
// bound). The measured dispatch delay includes half of each held
// submission's hold (the coordinator counts half the round trip), which
// the simulator adds itself too: a pause beyond the hold puts the
// simulator's response above the agents' (0.7 unit, 8%, at a 10 ms unit,
// where 1 s is 100 units; the bias goes as the square of the hold limit in
// units, hence the 20 ms unit). A dispatch delay measured on a point
// without faults would be fairer, but on a busy machine it differs from
// the point's own by more than that. Same seed, same jobs, same random dispatch, and the same
// stream of fault draws at each node: the agents follow the simulator's
// sample path up to their timing, so the counts differ by far less than
// their binomial noise across seeds.
func TestFaultsAgreeWithSimulator(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real clusters")
	}
	unit := raceScale * 20 * time.Millisecond
	for _, tc := range []struct {
		name, migrate string
		f             fault.Fault
	}{
		// Faults from 100 to 400 of a run of 500 units (1,500 jobs at 3
		// a unit, 10 s); the hold limit is 1 s, 50 units.
		{"drop", "none", fault.Fault{Kind: fault.Drop, At: 100, Duration: 300, Nodes: []int{0, 1}, Fraction: 0.5}},
		{"delay", "none", fault.Fault{Kind: fault.Delay, At: 100, Duration: 300, Nodes: []int{0, 1}, Fraction: 0.5, Delay: 4}},
		{"pause", "none", fault.Fault{Kind: fault.Pause, At: 100, Duration: 30, Nodes: []int{0}}},
		{"pause beyond the hold", "none", fault.Fault{Kind: fault.Pause, At: 100, Duration: 120, Nodes: []int{0}}},
		{"partition", "sender.threshold(T=2, probes=2)", fault.Fault{Kind: fault.Partition, At: 100, Duration: 300, Nodes: []int{0, 1, 2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jobs := 1500 / raceScale
			cfg := agentPoint(t, "random", workload.Config{Size: "exp(mean=1)"}, 0.5, jobs, 11, unit)
			cfg.Nodes = 6
			m, err := policy.Builtin().Migrate(tc.migrate)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Migrate = m
			cfg.Faults, cfg.FaultBin = []fault.Fault{tc.f}, 50
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			real, err := RunLocal(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			simulated, err := sim.Run(ctx, sim.Config{Model: cfg.Model, Costs: sim.Costs{Dispatch: real.DispatchDelay},
				HoldLimit: float64(time.Second) / float64(unit)})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("failed agents %d sim %d; mean response agents %.3f sim %.3f (%+.1f%%); migrations %d / %d; dispatch delay %.4f; schedule lag p99 %.3f, emulation lag p99 %.3f",
				real.JobsFailed, simulated.JobsFailed, real.MeanResponse, simulated.MeanResponse, 100*(real.MeanResponse/simulated.MeanResponse-1),
				real.Migrations, simulated.Migrations, real.DispatchDelay, real.ScheduleLagP99, real.EmulationLag)
			for _, r := range []results.Result{real, simulated} {
				if r.JobsCompleted+r.JobsFailed != r.JobsIssued || r.JobsIssued != int64(jobs) {
					t.Fatalf("completed %d + failed %d, issued %d of %d", r.JobsCompleted, r.JobsFailed, r.JobsIssued, jobs)
				}
			}
			skipIfLate(t, real, float64(raceScale*100*time.Millisecond)/float64(unit))
			if raceScale > 1 {
				return // under the race detector the points run for races and conservation
			}
			if d := math.Abs(float64(real.JobsFailed-simulated.JobsFailed)) / math.Max(1, float64(simulated.JobsFailed)); d > 0.15 {
				t.Errorf("failed: agents %d, simulator %d: %.0f%% apart, want within 15%%", real.JobsFailed, simulated.JobsFailed, 100*d)
			}
			if d := math.Abs(real.MeanResponse/simulated.MeanResponse - 1); !(d <= 0.15) {
				t.Errorf("mean response: agents %.3f, simulator %.3f: %.1f%% apart, want within 15%%", real.MeanResponse, simulated.MeanResponse, 100*d)
			}
		})
	}
}
