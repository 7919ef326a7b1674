package node

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/loadlab/loadlab/fault"
	"github.com/loadlab/loadlab/node/executor"
	"github.com/loadlab/loadlab/node/wire"
)

// TestFaultGate checks, for agent 1 of 4, which requests each fault lets
// through, holds or refuses.
func TestFaultGate(t *testing.T) {
	part := fault.Fault{Kind: fault.Partition, Nodes: []int{0, 1}, Duration: 10}
	for _, tc := range []struct {
		name   string
		fault  fault.Fault
		from   int32
		refuse bool
		hold   time.Duration // at least
	}{
		{"no fault", fault.Fault{Kind: fault.Slow, Nodes: []int{2}, Factor: 2}, 0, false, 0},
		{"partition, same side", part, 0, false, 0},
		{"partition, other side", part, 3, true, 0},
		{"partition, coordinator", part, -1, false, 0},
		{"cut, the link", fault.Fault{Kind: fault.Cut, Nodes: []int{3}, Peers: []int{1}}, 3, true, 0},
		{"cut, another link", fault.Fault{Kind: fault.Cut, Nodes: []int{3}, Peers: []int{0}}, 2, false, 0},
		{"drop all to me", fault.Fault{Kind: fault.Drop, Nodes: []int{1}, Fraction: 1}, -1, true, 0},
		{"drop all from a sender", fault.Fault{Kind: fault.Drop, Nodes: []int{2}, Fraction: 1}, 2, true, 0},
		{"drop elsewhere", fault.Fault{Kind: fault.Drop, Nodes: []int{2}, Fraction: 1}, 3, false, 0},
		{"delay all", fault.Fault{Kind: fault.Delay, Nodes: []int{1}, Fraction: 1, Delay: 500}, 0, false, 500 * time.Millisecond},
		{"pause beyond the hold", fault.Fault{Kind: fault.Pause, Nodes: []int{1}, Duration: 1000}, 0, true, maxHold},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ex, err := executor.New(executor.Config{TimeUnit: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer ex.Close(context.Background())
			f := newFaults(&Setup{ID: 1, Seed: 1, Speed: 1, TimeUnit: time.Millisecond}, ex)
			if err := f.set(faultOp{Index: 0, Fault: tc.fault, On: true}); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			err = f.gate(context.Background(), &wire.Msg{Type: wire.TypeProbe, From: tc.from})
			took := time.Since(start)
			if got := errors.Is(err, errDropped); got != tc.refuse {
				t.Errorf("refused %v (%v), want %v", got, err, tc.refuse)
			}
			// A request not held passes at once; "at once" is judged
			// against the shortest hold here (0.5 s), with room for a busy
			// machine's scheduling.
			if took < tc.hold || (tc.hold == 0 && took > 250*time.Millisecond) {
				t.Errorf("held %v, want %v", took, tc.hold)
			}
			if err := f.set(faultOp{Index: 0, Fault: tc.fault, On: false}); err != nil {
				t.Fatal(err)
			}
			if err := f.gate(context.Background(), &wire.Msg{Type: wire.TypeProbe, From: tc.from}); err != nil {
				t.Errorf("after the fault ended: %v", err)
			}
		})
	}
}

// TestFaultsOnAgents runs a point on 4 local agents under age-based
// preemptive migration (running jobs move between agents all the time)
// and least-connections dispatch, with a slow agent, a partition and a
// kill while transfers are under way. Every job ends exactly once: the
// completed and failed add up to the jobs issued, with no duplicate
// completion report (the coordinator counts them under an "ignored"
// reason); the failures are the killed agent's, attributed to the kill;
// serf noticed the kill; the series around the faults are there.
func TestFaultsOnAgents(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster")
	}
	t.Parallel() // waits mostly for serf to find the kill
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg := localPoint(t, 4, "leastconn", "age(cost=0.5, period=0.5, probes=2)", 0.7, 2000, raceScale*5*time.Millisecond)
	cfg.FaultBin = 25
	// Agent 3, slowed, holds a queue when it is killed: the point then
	// waits for serf to find it failed, so detection is measured.
	cfg.Faults = []fault.Fault{
		{At: 20, Kind: fault.Slow, Nodes: []int{3}, Factor: 4},
		{At: 150, Kind: fault.Partition, Nodes: []int{0}, Peers: []int{2}, Duration: 50},
		{At: 100, Kind: fault.Kill, Nodes: []int{3}},
	}
	r, err := RunLocal(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("completed %d failed %d migrations %d transfer fails %d detection %.1f units; log %+v; failures %v",
		r.JobsCompleted, r.JobsFailed, r.Migrations, r.TransferFails, r.DetectionTime, r.FaultLog, r.Failures)
	if r.JobsCompleted+r.JobsFailed != 2000 {
		t.Errorf("completed %d + failed %d, want 2000", r.JobsCompleted, r.JobsFailed)
	}
	if r.Migrations == 0 {
		t.Errorf("no migrations: the kill hit no transfer")
	}
	attributed := int64(0)
	for i, e := range r.FaultLog {
		if e.Applied < e.At || e.Applied > e.At+20 || e.Error != "" {
			t.Errorf("fault %d (%s) applied at %.1f (want %g) error %q", i, e.Kind, e.Applied, e.At, e.Error)
		}
		attributed += e.Failed
	}
	kill := r.FaultLog[2]
	if kill.Detected <= 0 || r.DetectionTime != kill.Detected {
		t.Errorf("kill detected after %g units (result %g), want > 0", kill.Detected, r.DetectionTime)
	}
	if kill.Failed == 0 || attributed != r.JobsFailed {
		t.Errorf("%d failures attributed (%d to the kill), want all %d", attributed, kill.Failed, r.JobsFailed)
	}
	if got := failureReasons(r.Failures); !slices.Equal(got, []string{"agent gone: agent-0003"}) {
		t.Errorf("failure reasons %q (%v): want the killed agent's one reason", got, r.Failures)
	}
	if len(r.ResponseOverTime) < 10 || len(r.FailedOverTime) != len(r.ResponseOverTime) || r.ResponseBin != 25 {
		t.Errorf("series: %d and %d bins of %g", len(r.ResponseOverTime), len(r.FailedOverTime), r.ResponseBin)
	}
}

// TestKilledAgentUtilization: an agent killed at 60% of a point is
// recorded with the utilisation it had while it lived, from the
// completions it reported, not 0. Its true busy time at the kill is read
// from the agent itself. The coordinator cannot know the service the job
// in service at the kill had received: exp(1) sizes make that elapsed
// service exp(1)-distributed, above 10 units with probability 5e-5, so
// the recorded busy time may fall short of the truth by up to 10 units
// (completion reports in flight at the kill add well under one). The life
// is counted from the first arrival, which comes after at most 5 units
// but with probability e^-12.
func TestKilledAgentUtilization(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster")
	}
	t.Parallel() // waits mostly for serf to find the kill
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg := localPoint(t, 3, "random", "none", 0.8, 1500, 5*time.Millisecond)
	cfg.Faults = []fault.Fault{{At: 375, Kind: fault.Kill, Nodes: []int{2}}} // 1500 jobs arrive over ~625 units
	var truth AgentStats
	crashed := make(chan struct{})
	cfg.agentHook = func(ac *AgentConfig) {
		if ac.Gossip.Name == "agent-0002" {
			ac.onCrash = func(s AgentStats) { truth = s; close(crashed) }
		}
	}
	r, err := RunLocal(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	<-crashed
	life := r.FaultLog[0].Applied
	busy := float64(truth.Busy) / float64(cfg.TimeUnit)
	lo, hi := (busy-10)/life, busy/(life-5)
	t.Logf("killed agent: busy %.1f units over %.1f, %d completed; recorded utilisation %.3f, want %.3f to %.3f; others %v",
		busy, life, truth.Completed, r.NodeUtilization[2], lo, hi, r.NodeUtilization[:2])
	if u := r.NodeUtilization[2]; u < lo || u > hi {
		t.Errorf("killed agent's utilisation %.3f, want %.3f to %.3f (its busy time over its life)", u, lo, hi)
	}
}
