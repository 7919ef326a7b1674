package sim

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/fault"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/server"
	"github.com/loadlab/loadlab/workload"
)

// TestFaults runs kills and slow-downs under several policies: every job
// ends exactly once (completed + failed = issued), a kill fails jobs with
// a reason and is attributed to its fault, a slow node makes the run
// slower than without it, and the same seed gives the same bytes.
func TestFaults(t *testing.T) {
	kill := fault.Fault{At: 500, Kind: fault.Kill, Nodes: []int{2}}
	slow := fault.Fault{At: 300, Kind: fault.Slow, Nodes: []int{1}, Factor: 4, Duration: 600}
	for _, tc := range []struct {
		name, dispatch, migrate string
		faults                  []fault.Fault
		wantFailed              bool
	}{
		{"kill random", "random", "none", []fault.Fault{kill}, true},
		{"kill jsq", "jsq", "none", []fault.Fault{kill}, true},
		{"kill leastconn", "leastconn", "none", []fault.Fault{kill}, true},
		{"kill sender pushes", "random", "sender.random(T=1)", []fault.Fault{kill}, true},
		{"kill receiver steals", "random", "receiver.threshold(T=1, probes=2)", []fault.Fault{kill}, true},
		{"slow pod", "pod(d=2)", "none", []fault.Fault{slow}, false},
		{"slow then kill", "random", "age", []fault.Fault{slow, kill}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Model: scenario.Model{Nodes: 4, Load: 0.7, Jobs: 8000, Seed: 3, FaultBin: 50, Faults: tc.faults}, Costs: Costs{Latency: 0.01}}
			r := mustRun(t, cfg, tc.dispatch, tc.migrate, "exp(mean=1)")
			if r.JobsCompleted+r.JobsFailed != r.JobsIssued {
				t.Fatalf("completed %d + failed %d != issued %d", r.JobsCompleted, r.JobsFailed, r.JobsIssued)
			}
			if got := r.JobsFailed > 0; got != tc.wantFailed {
				t.Errorf("failed %d jobs (%v), want failures: %v", r.JobsFailed, r.Failures, tc.wantFailed)
			}
			sum := int64(0)
			for reason, n := range r.Failures {
				if reason != "agent gone: node 2" { // one reason for the one cause
					t.Errorf("unexpected reason %q (%d)", reason, n)
				}
				sum += n
			}
			attributed := int64(0)
			for _, e := range r.FaultLog {
				attributed += e.Failed
				if e.Applied != e.At {
					t.Errorf("%s applied at %g, want %g", e.Kind, e.Applied, e.At)
				}
			}
			if sum != r.JobsFailed || attributed != r.JobsFailed {
				t.Errorf("failures by reason %d, attributed to faults %d, want %d", sum, attributed, r.JobsFailed)
			}
			if len(r.ResponseOverTime) < 10 || len(r.FailedOverTime) != len(r.ResponseOverTime) {
				t.Errorf("series of %d and %d bins", len(r.ResponseOverTime), len(r.FailedOverTime))
			}
			base := mustRun(t, Config{Model: scenario.Model{Nodes: 4, Load: 0.7, Jobs: 8000, Seed: 3}, Costs: Costs{Latency: 0.01}}, tc.dispatch, tc.migrate, "exp(mean=1)")
			if tc.faults[0].Kind == fault.Slow && r.MeanResponse <= base.MeanResponse {
				t.Errorf("mean response %.3f with a slow node, %.3f without", r.MeanResponse, base.MeanResponse)
			}
			again := mustRun(t, cfg, tc.dispatch, tc.migrate, "exp(mean=1)")
			a, _ := json.Marshal(r)
			b, _ := json.Marshal(again)
			if string(a) != string(b) {
				t.Errorf("same seed, different bytes")
			}
		})
	}
}

// TestFaultsRejected: the simulator refuses what it does not model, and
// a hold limit out of range.
func TestFaultsRejected(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Nodes = 2
	cfg.Faults = []fault.Fault{{At: 1, Kind: fault.Partition, Nodes: []int{0}, Duration: 1}}
	cfg.HoldLimit = -1
	if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "hold_limit") {
		t.Errorf("hold limit -1: got %v", err)
	}
	cfg.HoldLimit = 0
	cfg.Faults = []fault.Fault{{At: 1, Kind: "flood", Nodes: []int{0}, Duration: 1}}
	if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), `unknown kind "flood"`) {
		t.Errorf("an unknown kind: got %v", err)
	}
}

// loadReader dispatches at random and reads node 0's load at every pick,
// by Gossip (the exact view) and by a probe, beside what the node holds.
type loadReader struct{ seen *[]loadSeen }

type loadSeen struct {
	t              float64
	gossip, probe  policy.Load
	threads, ofAll int // threads node 0 holds (server architectures), and its real jobs in service
}

func (d loadReader) Pick(v policy.View, j *policy.Job) policy.NodeID {
	g, _ := v.Gossip(0)
	p := make([]policy.Load, 1)
	v.Probe([]policy.NodeID{0}, p)
	s := loadSeen{t: v.Now(), gossip: g, probe: p[0]}
	if n := &v.(*view).c.nodes[0]; n.threaded {
		s.threads, s.ofAll = n.x.th.held, int(n.nRunReal)
	}
	*d.seen = append(*d.seen, s)
	return randomD{}.Pick(v, j)
}

// readLoads runs cfg with loadReader as its dispatcher (run) and returns
// what it read.
func readLoads(t *testing.T, cfg Config, work workload.Config) []loadSeen {
	t.Helper()
	var seen []loadSeen
	cfg.Jobs, cfg.Warmup, cfg.Seed = 4000, 400, 3
	var err error
	if cfg.Workload, err = workload.New(work); err != nil {
		t.Fatal(err)
	}
	run(t, cfg, func(policy.Env) policy.Dispatcher { return loadReader{&seen} }, nil)
	return seen
}

// TestPausedLoad: a paused node's load reports the speed it had before
// the pause, as a paused agent keeps publishing it, and its own speed
// again once the pause ends.
func TestPausedLoad(t *testing.T) {
	seen := readLoads(t, Config{Model: scenario.Model{Nodes: 4, Load: 0.5, Speeds: []float64{2, 1, 1, 1},
		Faults: []fault.Fault{{Kind: fault.Pause, At: 200, Nodes: []int{0}, Duration: 100}}}}, workload.DefaultConfig())
	var during, after int
	for _, s := range seen {
		switch {
		case s.t > 200 && s.t < 300:
			during++
		case s.t > 300:
			after++
		default:
			continue
		}
		if s.gossip.Speed != 2 || s.probe.Speed != 2 {
			t.Fatalf("at t=%g node 0 (speed 2, paused over [200, 300)) reports speed %g by gossip and %g by probe, want 2", s.t, s.gossip.Speed, s.probe.Speed)
		}
	}
	if during == 0 || after == 0 {
		t.Fatalf("%d picks during the pause and %d after: the test sees neither", during, after)
	}
}

// TestThreadedLoad: a node with a server architecture reports as running
// the requests holding a thread, those blocked on I/O included.
func TestThreadedLoad(t *testing.T) {
	arch, err := server.Parse("thread-per-request(create=0.01, switch=0.001)")
	if err != nil {
		t.Fatal(err)
	}
	seen := readLoads(t, Config{Model: scenario.Model{Nodes: 4, Servers: 2, Load: 0.6, Server: arch}},
		workload.Config{Phases: "cpu(exp(mean=1)), io(det(value=1))"})
	blocked := 0
	for _, s := range seen {
		if s.gossip.Running != s.threads || s.probe.Running != s.threads {
			t.Fatalf("at t=%g node 0 holds %d threads and reports %d running by gossip, %d by probe", s.t, s.threads, s.gossip.Running, s.probe.Running)
		}
		if s.threads > s.ofAll {
			blocked++
		}
	}
	if blocked == 0 {
		t.Fatalf("no pick saw a request blocked on I/O: the test cannot tell threads from jobs in service")
	}
}
