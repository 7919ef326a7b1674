package sim

import (
	"context"
	"math"
	"testing"

	"github.com/loadlab/loadlab/fault"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/session"
	"github.com/loadlab/loadlab/workload"
)

// runState runs reps replications of a point of 4 nodes whose servers keep
// per-client state st, for the clients keys, with exponential sizes of
// mean 1.
func runState(t *testing.T, st, keys, dispatch string, load float64, reps int, faults []fault.Fault) []results.Result {
	t.Helper()
	s, err := session.Parse(st)
	if err != nil {
		t.Fatal(err)
	}
	w, err := workload.New(workload.Config{Size: "exp(mean=1)", Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	var out []results.Result
	for seed := range reps {
		cfg := config(t, Config{Model: scenario.Model{Nodes: 4, Load: load, Jobs: 50_000, Warmup: 5_000, Seed: uint64(40 + seed), State: s, Workload: w, Faults: faults}}, dispatch, "none", "")
		r, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if r.JobsCompleted+r.JobsFailed != r.JobsIssued {
			t.Fatalf("%s: %d issued, %d completed, %d failed", st, r.JobsIssued, r.JobsCompleted, r.JobsFailed)
		}
		out = append(out, r)
	}
	return out
}

// Clients: many, so that a client's requests come far apart and whether
// one finds its state is independent of its node's queue (with few hot
// clients, a node busy with a client's requests is also where its next
// request finds its state, cheaper exactly when the queue is long); few,
// so that every client comes back after a crash.
const (
	many = "zipf(n=2000, s=1.05)"
	few  = "zipf(n=20, s=1.5)"
)

// TestStateAffinity holds stateful servers to a model. Random dispatch
// to N nodes sends a client's request to the node holding its state
// with probability 1/N, independently of everything else, so a request
// costs transfer more with probability p = 1 − 1/N: each node is an M/G/1
// queue with service S = X + T·B (X exp(1), B Bernoulli(p)) and the mean
// response is E[S] + λE[S²]/(2(1 − λE[S])) (Pollaczek–Khinchine). Both
// are held within three half-widths of ten replications' 95% interval.
// Consistent hashing keeps every client at its node: affinity 1.
func TestStateAffinity(t *testing.T) {
	const nodes, load, transfer = 4, 0.5, 0.5
	rs := runState(t, "stateful(transfer=0.5, rebuild=2)", many, "random", load, 10, nil)
	p := 0.0 // measured requests whose state moved
	for _, r := range rs {
		p += (1 - r.StateAffinity - r.StateLost) * float64(r.StateReturning) / float64(r.JobsMeasured) / float64(len(rs))
	}
	es, es2 := 1+p*transfer, 2+2*p*transfer+p*transfer*transfer
	want := es + load*es2/(2*(1-load*es))
	aff, affHalf := meanCI(rs, func(r results.Result) float64 { return r.StateAffinity })
	resp, respHalf := meanCI(rs, func(r results.Result) float64 { return r.MeanResponse })
	t.Logf("random: affinity %.4f ± %.4f (model %.4f), mean response %.4f ± %.4f (Pollaczek–Khinchine %.4f)", aff, affHalf, 1.0/nodes, resp, respHalf, want)
	if math.Abs(aff-1.0/nodes) > 3*affHalf || affHalf > 0.01 {
		t.Errorf("affinity %.4f ± %.4f, model %.4f", aff, affHalf, 1.0/nodes)
	}
	if math.Abs(resp-want) > 3*respHalf || respHalf > 0.03*want {
		t.Errorf("mean response %.4f ± %.4f, model %.4f", resp, respHalf, want)
	}
	for _, r := range rs {
		if r.StateLost != 0 {
			t.Errorf("%.4f of the states lost with no crash and room for every client", r.StateLost)
		}
	}
	h := runState(t, "stateful(transfer=0.5, rebuild=2)", many, "hash(eps=3)", 0.3, 1, nil)[0]
	if h.StateAffinity != 1 || h.StateReturning == 0 {
		t.Errorf("hash without a load bound: affinity %v over %d requests, want 1", h.StateAffinity, h.StateReturning)
	}
}

// TestStateCrash: a crash loses the states its node held, and only those:
// each of its clients rebuilds once, so the requests that found their
// state lost are at least one and at most the clients (20). Stateless
// servers have nothing to lose, and every request pays its fetch.
func TestStateCrash(t *testing.T) {
	kill := []fault.Fault{{At: 20_000, Kind: fault.Kill, Nodes: []int{0}}}
	r := runState(t, "stateful(transfer=0.5, rebuild=2)", few, "pod(d=2)", 0.5, 1, kill)[0]
	lost := math.Round(r.StateLost * float64(r.StateReturning))
	t.Logf("stateful: %d failed with the node, %.0f of %d returning requests found their state lost; affinity %.4f", r.JobsFailed, lost, r.StateReturning, r.StateAffinity)
	if r.JobsFailed == 0 || lost < 1 || lost > 20 {
		t.Errorf("stateful: %d jobs failed, %v states lost, want some jobs and 1 to 20 states", r.JobsFailed, lost)
	}
	noCrash := runState(t, "stateless(fetch=0.25)", few, "pod(d=2)", 0.5, 1, nil)[0]
	s := runState(t, "stateless(fetch=0.25)", few, "pod(d=2)", 0.5, 1, kill)[0]
	if s.StateReturning != 0 || noCrash.StateReturning != 0 {
		t.Errorf("stateless: %d returning requests recorded, want none", s.StateReturning)
	}
	if math.Abs(s.MeanCPU-1.25) > 0.02 || math.Abs(noCrash.MeanCPU-1.25) > 0.02 {
		t.Errorf("stateless: mean CPU %.4f (no crash %.4f), want 1 + fetch = 1.25", s.MeanCPU, noCrash.MeanCPU)
	}
}
