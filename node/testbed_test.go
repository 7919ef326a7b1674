package node

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
	t.Parallel()
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

// TestAgentLost kills an agent in the middle of a point: its jobs end as
// failed with the one reason "agent gone: NAME", whichever path found it
// gone (serf, a refused submit, a pick of a member serf dropped), promptly,
// and every other job completes; nothing is lost or counted twice.
func TestAgentLost(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster")
	}
	t.Parallel() // waits mostly for serf to find the kill
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	label := "lost-" + runLabel()
	agents := startAgents(ctx, t, 3, "host-", label)
	defer closeAgents(agents[:2]) // the third is killed
	cfg := localPoint(t, 3, "random", "none", 0.8, 1500, 5*time.Millisecond)
	cfg.Drain = time.Minute // lost jobs not failed promptly would keep the point this long
	go func() {
		time.Sleep(2 * time.Second) // well inside the ~3 s point
		agents[2].crash()
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
	if got := failureReasons(r.Failures); !slices.Equal(got, []string{"agent gone: host-2"}) {
		t.Errorf("failure reasons %q (%v): want the one reason \"agent gone: host-2\"", got, r.Failures)
	}
	if took > 30*time.Second { // serf finds a crash within about 10 s; the drain alone would take a minute
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

// failureReasons lists the reasons jobs failed for, sorted, leaving out
// the count of ignored reports, which are no job's failure.
func failureReasons(failures map[string]int64) []string {
	var out []string
	for reason := range failures {
		if reason != reasonIgnored {
			out = append(out, reason)
		}
	}
	slices.Sort(out)
	return out
}

// TestTooFewAgents: a point that needs more agents than run says, when its
// wait ends, how many it found of how many, whom serf showed, and the
// label, rather than just that a deadline passed.
func TestTooFewAgents(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster")
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	label := "few-" + runLabel()
	agents := startAgents(ctx, t, 2, "few-", label)
	defer closeAgents(agents)
	cfg := localPoint(t, 3, "random", "none", 0.5, 100, 5*time.Millisecond)
	cfg.FindTimeout = time.Second
	start := time.Now()
	_, err := RunTestbed(ctx, cfg, agents[0].GossipAddr(), "127.0.0.1", label)
	took := time.Since(start)
	var fe *FindError
	if !errors.As(err, &fe) || fe.Found != 2 || fe.Want != 3 {
		t.Fatalf("3 agents wanted, 2 running: got %v, want a FindError with 2 of 3", err)
	}
	for _, w := range []string{"found 2 live agents of the 3", "few-0 (agent, alive)", "few-1 (agent, alive)", `label "` + label + `"`} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	if took > 10*time.Second {
		t.Errorf("gave up after %v, want about the FindTimeout of 1s", took)
	}
}
