package sim

import (
	"testing"

	"github.com/loadlab/loadlab/client"
	"github.com/loadlab/loadlab/fault"
	"github.com/loadlab/loadlab/scenario"
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
