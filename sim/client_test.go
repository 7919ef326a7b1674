package sim

import (
	"context"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/client"
	"github.com/loadlab/loadlab/fault"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/workload"
)

// TestClientPolicies holds the client policies to what they are for, on
// the same jobs (common random numbers): with one node of ten slowed
// tenfold, redundancy and hedging cut the tail that plain dispatch
// suffers, hedging with far fewer copies; with a node killed, retries
// save the requests that plain dispatch loses; cancelled copies stop,
// so they waste only part of their work.
func TestClientPolicies(t *testing.T) {
	slow := []fault.Fault{{At: 100, Kind: fault.Slow, Nodes: []int{0}, Factor: 10, Duration: 1e9}}
	kill := []fault.Fault{{At: 100, Kind: fault.Kill, Nodes: []int{0}}}
	run := func(policy string, faults []fault.Fault) (r resultT) {
		t.Helper()
		cp, err := client.Parse(policy)
		if err != nil {
			t.Fatal(err)
		}
		cfg := Config{Model: scenario.Model{Nodes: 10, Load: 0.2, Jobs: 100_000, Warmup: 10_000, Seed: 11, Client: cp, Faults: faults}, Costs: Costs{Latency: 0.01}}
		res := mustRun(t, cfg, "random", "none", "exp(mean=1)")
		t.Logf("%-28s p99 %7.2f mean %6.2f failed %5d copies/job %.3f retries %d cancels %d wasted %.0f goodput %.3f",
			policy, res.P99Response, res.MeanResponse, res.JobsFailed, res.CopiesPerJob, res.Retries, res.Cancels, res.WastedWork, res.Goodput)
		return resultT{p99: res.P99Response, failed: res.JobsFailed, copies: res.CopiesPerJob, goodput: res.Goodput, issued: res.JobsIssued, done: res.JobsCompleted}
	}
	plain := run("", slow)
	red := run("redundant(d=2)", slow)
	hedge := run("hedge(after=2)", slow)
	if !(red.p99 < plain.p99/3) || !(hedge.p99 < plain.p99/3) {
		t.Errorf("p99: plain %.2f, redundant %.2f, hedge %.2f: want both under a third of plain's", plain.p99, red.p99, hedge.p99)
	}
	if !(hedge.copies < 0.4*red.copies) {
		t.Errorf("copies per job: hedge %.3f, redundant %.3f: a hedge sends a copy only when one is late", hedge.copies, red.copies)
	}
	if !(red.goodput > 0.5 && red.goodput < 1) {
		t.Errorf("redundant(d=2) goodput %.3f: cancelled copies stop where they are, so more than half the work is useful", red.goodput)
	}
	lost := run("", kill)
	saved := run("retry(max=3)", kill)
	if lost.failed == 0 || saved.failed*10 > lost.failed {
		t.Errorf("a killed node: %d requests failed without retries, %d with retry(max=3): want some and at most a tenth", lost.failed, saved.failed)
	}
	for _, r := range []resultT{plain, red, hedge, lost, saved} {
		if r.done+r.failed != r.issued {
			t.Errorf("issued %d, completed %d, failed %d", r.issued, r.done, r.failed)
		}
	}
}

type resultT struct {
	p99, copies, goodput float64
	failed, issued, done int64
}

// TestLateBinding holds batch sampling with late binding (Sparrow) to what
// it does: d·k reservations per request, every request completed once,
// also with fewer nodes than tasks and no latency, and a mean response
// below early binding's at high load, where reservations bind to whichever
// queue frees first. A model it cannot run is refused.
func TestLateBinding(t *testing.T) {
	reg := policy.Builtin()
	none, _ := reg.Migrate("none")
	run := func(dispatch string, nodes int, load, latency float64) results.Result {
		t.Helper()
		ds, err := reg.Dispatch(dispatch)
		if err != nil {
			t.Fatal(err)
		}
		w, err := workload.New(workload.Config{Size: "exp(mean=1)", Tasks: 4})
		if err != nil {
			t.Fatal(err)
		}
		cfg := Config{Model: scenario.Model{Nodes: nodes, Load: load, Jobs: 40_000, Warmup: 4000, Seed: 5, Workload: w, Dispatch: ds, Migrate: none}, Costs: Costs{Latency: latency}}
		r, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatalf("%s on %d nodes: %v", dispatch, nodes, err)
		}
		if r.JobsIssued != int64(cfg.Jobs) || r.JobsCompleted != r.JobsIssued {
			t.Errorf("%s on %d nodes, latency %g: issued %d completed %d failed %d", dispatch, nodes, latency, r.JobsIssued, r.JobsCompleted, r.JobsFailed)
		}
		return r
	}
	early := run("batch(d=2)", 20, 0.8, 0.01)
	late := run("batch(d=2, binding=late)", 20, 0.8, 0.01)
	t.Logf("ρ = 0.8, 20 nodes, 4 tasks: early %.3f ± %.3f, late %.3f ± %.3f", early.MeanResponse, early.CI95HalfWidth, late.MeanResponse, late.CI95HalfWidth)
	if !(late.MeanResponse+late.CI95HalfWidth < early.MeanResponse-early.CI95HalfWidth) {
		t.Errorf("late binding %.3f ± %.3f, early %.3f ± %.3f: want late clearly below", late.MeanResponse, late.CI95HalfWidth, early.MeanResponse, early.CI95HalfWidth)
	}
	if late.ProbesPerJob != 8 {
		t.Errorf("late binding: %v reservations per request, want d·k = 8", late.ProbesPerJob)
	}
	run("batch(d=2, binding=late)", 2, 0.5, 0.01) // two nodes for four tasks: several reservations each
	run("batch(d=1, binding=late)", 8, 0.5, 0)    // no round trip: a reservation binds as it reaches a server

	ds, _ := reg.Dispatch("batch(binding=late)")
	cp, _ := client.Parse("hedge(after=2)")
	w, _ := workload.New(workload.Config{Size: "exp(mean=1)", Tasks: 2})
	cfg := Config{Model: scenario.Model{Nodes: 4, Load: 0.5, Jobs: 100, Workload: w, Dispatch: ds, Migrate: none, Client: cp}}
	if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "binds tasks late") {
		t.Errorf("late binding with a client policy: error %v, want a refusal", err)
	}
}
