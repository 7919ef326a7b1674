package node

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/workload"
)

func localPoint(t *testing.T, nodes int, dispatch, migrate string, load float64, jobs int, unit time.Duration) PointConfig {
	t.Helper()
	return pointWith(t, policy.Builtin(), nodes, dispatch, migrate, load, jobs, unit)
}

// pointWith is localPoint with the policies looked up in reg, which the
// agents use too.
func pointWith(t *testing.T, reg *policy.Registry, nodes int, dispatch, migrate string, load float64, jobs int, unit time.Duration) PointConfig {
	t.Helper()
	d, err := reg.Dispatch(dispatch)
	if err != nil {
		t.Fatal(err)
	}
	m, err := reg.Migrate(migrate)
	if err != nil {
		t.Fatal(err)
	}
	w, err := workload.New(workload.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return PointConfig{Model: scenario.Model{Nodes: nodes, Load: load, Jobs: jobs, Warmup: jobs / 10, Seed: 3, Workload: w, Dispatch: d, Migrate: m}, TimeUnit: unit, Registry: reg}
}

// TestLocalCluster runs real agents (serf, TCP, executors) on 127.0.0.1
// and checks that every job ends exactly once and the policies act.
func TestLocalCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster")
	}
	for _, tc := range []struct {
		dispatch, migrate string
		check             func(t *testing.T, probesPerJob, migrationsPerJob float64)
	}{
		{"random", "none", func(t *testing.T, p, m float64) {
			if p != 0 || m != 0 {
				t.Errorf("random/none probed %.2f and migrated %.2f per job", p, m)
			}
		}},
		{"pod(d=2)", "none", func(t *testing.T, p, m float64) {
			if p != 2 {
				t.Errorf("pod(d=2) probed %.2f per job, want 2", p)
			}
		}},
		{"random", "sender.threshold(T=1, probes=2)", func(t *testing.T, p, m float64) {
			if m == 0 || p == 0 {
				t.Errorf("sender.threshold moved %.3f and probed %.3f per job", m, p)
			}
		}},
		{"random", "receiver.threshold(T=1, probes=2)", func(t *testing.T, p, m float64) {
			if m == 0 {
				t.Errorf("receiver.threshold moved %.3f per job", m)
			}
		}},
	} {
		t.Run(tc.dispatch+"+"+tc.migrate, func(t *testing.T) {
			// pod(d=2) decides after two probes: at a 10 ms unit the
			// dispatcher has 3.6 ms a job, room enough on a busy machine
			// (at 5 ms, beside other tests, it fell 40 units behind).
			cfg := localPoint(t, 4, tc.dispatch, tc.migrate, 0.7, 600, raceScale*10*time.Millisecond)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			r, err := RunLocal(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("mean %.3f ± %.3f p99 %.3f util %.3f probes/job %.3f migrations/job %.3f gossip age p50 %.3f lag p99 %.4f probe rtt p50 %.4f p99 %.4f failures %v",
				r.MeanResponse, r.CI95HalfWidth, r.P99Response, r.Utilization, r.ProbesPerJob, r.MigrationsPerJob, r.GossipAgeP50, r.ScheduleLagP99, r.ProbeRTTP50, r.ProbeRTTP99, r.Failures)
			if r.JobsIssued != int64(cfg.Jobs) || r.JobsCompleted+r.JobsFailed != r.JobsIssued {
				t.Errorf("conservation: issued %d completed %d failed %d", r.JobsIssued, r.JobsCompleted, r.JobsFailed)
			}
			if r.JobsFailed != 0 {
				t.Errorf("%d jobs failed: %v", r.JobsFailed, r.Failures)
			}
			// Quiet: lag p99 0.05–1.18 units (pod(d=2) the most). One run
			// beside two other test suites fell 153 units behind, and
			// pod(d=2) gave a mean of 81.7.
			skipIfLate(t, r, 5)
			if r.MeanResponse < 1 || r.MeanResponse > 10 {
				t.Errorf("mean response %.3f is implausible for ρ=0.7", r.MeanResponse)
			}
			if r.ServiceError < -0.01 || r.ServiceError > 0.05 {
				t.Errorf("emulated service time off by %.2f%%", 100*r.ServiceError)
			}
			if r.TLP != 1 || len(r.NodeTLP) != cfg.Nodes {
				t.Errorf("single-server agents: TLP %v (per node %v), want 1", r.TLP, r.NodeTLP)
			}
			if r.ProcessCPU <= 0 || r.SerfHealth < 0 {
				t.Errorf("process CPU %.3f s, serf health %d: want both recorded", r.ProcessCPU, r.SerfHealth)
			}
			tc.check(t, r.ProbesPerJob, r.MigrationsPerJob)
		})
	}
}

func TestPublishInterval(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want time.Duration
	}{{1, 50 * time.Millisecond}, {8, 50 * time.Millisecond}, {32, 496 * time.Millisecond}, {64, 2016 * time.Millisecond}} {
		if got := PublishInterval(tc.n); got != tc.want {
			t.Errorf("PublishInterval(%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
}

// TestLocalProcessorSharing: agents can serve by processor sharing; jobs
// end exactly once and the discipline shows in the load (no waiting jobs).
func TestLocalProcessorSharing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster")
	}
	t.Parallel()
	cfg := localPoint(t, 3, "random", "none", 0.6, 900, raceScale*10*time.Millisecond)
	cfg.Discipline = "ps"
	r, err := RunLocal(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("PS: mean %.3f ± %.3f (M/G/1-PS: 2.5), slowdown %.3f, util %.3f; schedule lag p99 %.3f, emulation lag p99 %.3f",
		r.MeanResponse, r.CI95HalfWidth, r.MeanSlowdown, r.Utilization, r.ScheduleLagP99, r.EmulationLag)
	if r.JobsCompleted != 900 || r.JobsFailed != 0 {
		t.Errorf("completed %d failed %d", r.JobsCompleted, r.JobsFailed)
	}
	// Quiet: schedule lag p99 0.03–0.13, emulation lag 3.4–3.5 units (a
	// processor-sharing executor notices ends late); one run beside two
	// other test suites gave a mean of 5.6.
	skipIfLateBy(t, r, 5, 10)
	if r.MeanResponse < 1.5 || r.MeanResponse > 4 || r.MeanSlowdown < 1.5 {
		t.Errorf("PS mean response %.3f, slowdown %.3f: implausible at ρ=0.6", r.MeanResponse, r.MeanSlowdown)
	}
}

// TestLocalFiniteQueue: a point's finite queue bounds each agent as it
// bounds a simulated node: 3 agents with room for 3 jobs each, random
// dispatch at ρ = 0.8, drop what M/M/1/3 drops (0.1734; within 0.05, some
// five standard deviations of 1,500 jobs), with the simulator's reason.
func TestLocalFiniteQueue(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster")
	}
	t.Parallel()
	cfg := localPoint(t, 3, "random", "none", 0.8, 1500, raceScale*10*time.Millisecond)
	cfg.Queue = 3
	r, err := RunLocal(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	drop := float64(r.JobsFailed) / float64(r.JobsIssued)
	t.Logf("K=3: dropped %.4f (M/M/1/3 0.1734), mean response %.3f (1.853), failures %v; schedule lag p99 %.3f, emulation lag p99 %.3f",
		drop, r.MeanResponse, r.Failures, r.ScheduleLagP99, r.EmulationLag)
	if r.JobsCompleted+r.JobsFailed != 1500 || r.Failures[scenario.ShedReason] != r.JobsFailed {
		t.Fatalf("completed %d failed %d (%v)", r.JobsCompleted, r.JobsFailed, r.Failures)
	}
	// Late arrivals come in bursts, which a queue of 3 drops more of.
	// Quiet: both lags 0.03–0.15 units at p99; one run beside two other
	// test suites dropped 0.268.
	skipIfLate(t, r, 2)
	if math.Abs(drop-0.1734) > 0.05 {
		t.Errorf("dropped %.4f of the jobs, M/M/1/3 drops 0.1734", drop)
	}
}
