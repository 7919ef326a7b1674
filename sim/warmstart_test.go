package sim

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/fault"
	"github.com/loadlab/loadlab/scenario"
)

func warm(t *testing.T, spec string) *scenario.WarmStart {
	t.Helper()
	w, err := scenario.ParseWarmStart(spec)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestWarmStartSupermarket: 20,000 nodes under pod(d=2) at ρ = 0.9 run
// 20 jobs a node. Started empty they are still filling at the end (MSER
// finds no steady state and the mean is far below the supermarket
// model's); started at its fixed point they are at steady state from the
// start, and mean response and jobs in system meet the model within the
// run's interval, with the starting jobs in no count.
func TestWarmStartSupermarket(t *testing.T) {
	const rho, nodes, jobs = 0.9, 20_000, 400_000
	want := supermarket(rho, 2)
	m := scenario.Model{Nodes: nodes, Load: rho, Jobs: jobs, Warmup: jobs / 10, Seed: 3}
	cold := mustRun(t, Config{Model: m}, "pod(d=2)", "none", "exp(mean=1)")
	m.WarmStart = warm(t, "meanfield(d=2)")
	hot := mustRun(t, Config{Model: m}, "pod(d=2)", "none", "exp(mean=1)")
	t.Logf("cold: %.4f ± %.4f, steady from %d (%v); warm: %.4f ± %.4f, steady from %d (%v), in system %.1f; model %.4f",
		cold.MeanResponse, cold.CI95HalfWidth, cold.SteadyFrom, cold.SteadyFound, hot.MeanResponse, hot.CI95HalfWidth, hot.SteadyFrom, hot.SteadyFound, hot.MeanInSystem, want)
	if cold.SteadyFound && cold.SteadyFrom <= int64(m.Warmup) || cold.MeanResponse > 0.9*want {
		t.Errorf("started empty: mean %.4f, steady from %d (%v); want still filling: well below %.4f, no steady state within the warm-up", cold.MeanResponse, cold.SteadyFrom, cold.SteadyFound, want)
	}
	if !hot.SteadyFound || hot.SteadyFrom > int64(m.Warmup) {
		t.Errorf("warm start: steady from job %d (found %v), want within the warm-up of %d", hot.SteadyFrom, hot.SteadyFound, m.Warmup)
	}
	if d := math.Abs(hot.MeanResponse - want); d > hot.CI95HalfWidth+0.01*want {
		t.Errorf("warm start: mean response %.4f ± %.4f, want the supermarket model's %.4f", hot.MeanResponse, hot.CI95HalfWidth, want)
	}
	if l := rho * nodes * want; math.Abs(hot.MeanInSystem-l) > 0.03*l {
		t.Errorf("warm start: %.0f jobs in system, want λT = %.0f within 3%% (the starting jobs count there)", hot.MeanInSystem, l)
	}
	if hot.JobsIssued != jobs || hot.JobsCompleted != jobs || hot.JobsFailed != 0 {
		t.Errorf("warm start: issued / completed / failed %d / %d / %d, want %d / %d / 0: the starting jobs are not issued ones", hot.JobsIssued, hot.JobsCompleted, hot.JobsFailed, jobs, jobs)
	}
}

// TestWarmStartTail: a tail that says every node holds at least two jobs
// and half a third puts 2.5 jobs a node in the system at time 0; the
// first response seen includes the wait behind them.
func TestWarmStartTail(t *testing.T) {
	m := scenario.Model{Nodes: 1000, Load: 0.1, Jobs: 1000, Warmup: 0, Seed: 1, WarmStart: warm(t, "tail(at_least=[1, 1, 0.5])")}
	m.FaultBin = 0.5
	r := mustRun(t, Config{Model: m}, "random", "none", "det(value=1)")
	if got := r.InSystemOverTime[0]; math.Abs(got-2500) > 150 { // the first half unit: ~2,500 minus those done
		t.Errorf("jobs in system in the first bin: %.0f, want about 2,500 (1,000 × 2 + 500 ± 3σ)", got)
	}
}

// TestWarmStartRefused: a warm start that cannot go with the model is an
// error naming warm_start and what it cannot go with.
func TestWarmStartRefused(t *testing.T) {
	kill := fault.Fault{At: 5, Kind: "kill", Nodes: []int{1}}
	for _, c := range []struct {
		name string
		m    scenario.Model
		want string
	}{
		{"meanfield on two servers", scenario.Model{Nodes: 4, Servers: 2, WarmStart: warm(t, "meanfield(d=2)")}, "single-server"},
		{"faults", scenario.Model{Nodes: 4, Faults: []fault.Fault{kill}, WarmStart: warm(t, "meanfield(d=1)")}, "not with faults"},
		{"finite queue", scenario.Model{Nodes: 4, Queue: 3, WarmStart: warm(t, "meanfield(d=1)")}, "not with a finite queue"},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.m.Load, c.m.Jobs, c.m.Seed = 0.5, 100, 1
			_, err := Run(context.Background(), config(t, Config{Model: c.m}, "random", "none", "exp(mean=1)"))
			if err == nil || !strings.Contains(err.Error(), "warm_start") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want one naming warm_start and %q", err, c.want)
			}
		})
	}
}
