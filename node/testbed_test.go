package node

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadlab/loadlab/node/gossip"
	"github.com/loadlab/loadlab/policy"
)

// TestTestbed starts agents the way `loadlab agent` does (each on its own,
// joining the first), then runs two points on them from a coordinator that
// only knows one gossip address: agents are found through serf,
// configured per point, and reused.
func TestTestbed(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	label := "testbed-" + runLabel()
	agents := startAgents(ctx, t, 3, "host-", label)
	defer closeAgents(agents)
	for _, pc := range [][2]string{{"jsq", "none"}, {"random", "receiver.threshold(T=1, probes=2)"}} {
		cfg := localPoint(t, 3, pc[0], pc[1], 0.6, 600, 10*time.Millisecond)
		r, err := RunTestbed(ctx, cfg, agents[2].GossipAddr(), "127.0.0.1", label)
		if err != nil {
			t.Fatalf("%v: %v", pc, err)
		}
		t.Logf("%v: mean %.3f completed %d failed %d gossip age p50 %.3f p99 %.3f migrations/job %.3f", pc,
			r.MeanResponse, r.JobsCompleted, r.JobsFailed, r.GossipAgeP50, r.GossipAgeP99, r.MigrationsPerJob)
		if r.JobsCompleted != 600 || r.JobsFailed != 0 {
			t.Errorf("%v: completed %d failed %d (%v)", pc, r.JobsCompleted, r.JobsFailed, r.Failures)
		}
		if pc[0] == "jsq" && (r.GossipAgeP50 <= 0 || r.GossipAgeP99 > 200) {
			t.Errorf("jsq read gossip of age p50 %.3f p99 %.3f units", r.GossipAgeP50, r.GossipAgeP99)
		}
		if len(r.NodeUtilization) != 3 || r.Utilization < 0.4 {
			t.Errorf("utilization %v", r.NodeUtilization)
		}
	}
	// Agents that are not configured refuse jobs with a clear error.
	for _, a := range agents {
		if a.current() != nil {
			t.Errorf("agent %s still holds a point after it ended", a.Name())
		}
	}
}

// kill stops an agent the way a crash would: no leave, no goodbye.
func (a *Agent) kill() {
	a.g.Close()
	a.stop()
	a.ln.Close()
	if p := a.current(); p != nil {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		p.ex.Close(ctx) // drop its jobs without reporting them
	}
}

// TestAgentLost kills an agent in the middle of a point: its jobs end as
// failed with the reason "agent gone", promptly, and every other job
// completes; nothing is lost or counted twice.
func TestAgentLost(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	label := "lost-" + runLabel()
	agents := startAgents(ctx, t, 3, "host-", label)
	defer closeAgents(agents[:2]) // the third is killed
	cfg := localPoint(t, 3, "random", "none", 0.8, 1500, 10*time.Millisecond)
	go func() {
		time.Sleep(4 * time.Second) // well inside the ~6 s point
		agents[2].kill()
	}()
	start := time.Now()
	r, err := RunTestbed(ctx, cfg, agents[0].GossipAddr(), "127.0.0.1", label)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("completed %d failed %d in %v: %v", r.JobsCompleted, r.JobsFailed, took, r.Failures)
	if r.JobsCompleted+r.JobsFailed != 1500 || r.JobsFailed == 0 || r.JobsCompleted < 900 {
		t.Errorf("completed %d + failed %d, want 1500 with some failed", r.JobsCompleted, r.JobsFailed)
	}
	gone := int64(0)
	for reason, n := range r.Failures {
		if strings.HasPrefix(reason, "agent gone: host-2") || strings.Contains(reason, "no such agent") || strings.HasPrefix(reason, "submit failed: agent host-2") {
			gone += n
		} else if !strings.HasPrefix(reason, "ignored") {
			t.Errorf("unexpected failure reason %q (%d)", reason, n)
		}
	}
	if gone == 0 {
		t.Errorf("no job failed as agent gone: %v", r.Failures)
	}
	if took > 25*time.Second { // the drain timeout alone would be 12 s after the last arrival
		t.Errorf("point took %v: lost jobs were not failed promptly", took)
	}
}

// startAgents starts n agents on 127.0.0.1 named prefix0.., joined into one
// cluster with the given label, as `loadlab agent` would.
func startAgents(ctx context.Context, tb testing.TB, n int, prefix, label string) []*Agent {
	tb.Helper()
	return startAgentsWith(ctx, tb, n, prefix, label, nil)
}

// startAgentsWith is startAgents with agents that look policies up in reg.
func startAgentsWith(ctx context.Context, tb testing.TB, n int, prefix, label string, reg *policy.Registry) []*Agent {
	tb.Helper()
	var agents []*Agent
	for i := 0; i < n; i++ {
		g := gossip.Config{Name: fmt.Sprintf("%s%d", prefix, i), BindAddr: "127.0.0.1", Label: label}
		if i > 0 {
			g.Join = []string{agents[0].GossipAddr()}
		}
		a, err := StartAgent(ctx, AgentConfig{Gossip: g, Registry: reg})
		if err != nil {
			closeAgents(agents)
			tb.Fatal(err)
		}
		agents = append(agents, a)
	}
	return agents
}

// closeAgents closes agents in parallel: each graceful leave waits for
// serf to spread it.
func closeAgents(agents []*Agent) {
	var wg sync.WaitGroup
	for _, a := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.Close(context.Background())
		}()
	}
	wg.Wait()
}
