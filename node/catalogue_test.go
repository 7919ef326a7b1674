package node

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/loadlab/loadlab/policy"
)

// TestCatalogueOnAgents runs every registered dispatch strategy (without
// migration) and every migration policy (under random dispatch) on one
// reused cluster of real agents: each point must end every job exactly
// once, none failed, and make no decision the simulator would reject.
// Dispatch strategies see emulated distances (agent n is n·0.02 units
// away), so local has something to trade. Two clusters take the points in
// turn, at the same time.
func TestCatalogueOnAgents(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster")
	}
	t.Parallel() // asserts no timing
	const nodes, jobs, clusters = 4, 300, 2
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	reg := policy.Builtin()
	var pairs [][2]string
	for _, d := range reg.List(policy.Dispatch) {
		pairs = append(pairs, [2]string{d.Name, "none"})
	}
	for _, m := range reg.List(policy.Migrate) {
		// energy runs in the simulator only (agents are not told the
		// power model); TestEnergyRefused checks that agents refuse it.
		if m.Name != "none" && m.Name != "energy" {
			pairs = append(pairs, [2]string{"random", m.Name})
		}
	}
	// The points take turns on two clusters at once: each point waits
	// mostly for its arrivals and for the coordinator's leave.
	var wg sync.WaitGroup
	for k := range clusters {
		label := fmt.Sprintf("catalogue-%d-%s", k, runLabel())
		agents := startAgents(ctx, t, nodes, fmt.Sprintf("cat%d-", k), label)
		defer closeAgents(agents)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := k; i < len(pairs); i += clusters {
				pc := pairs[i]
				t.Run(pc[0]+"+"+pc[1], func(t *testing.T) {
					cfg := localPoint(t, nodes, pc[0], pc[1], 0.7, jobs, 2*time.Millisecond)
					if pc[1] == "none" {
						cfg.Distances = []float64{0, 0.02, 0.04, 0.06}
					}
					r, err := RunTestbed(ctx, cfg, agents[0].GossipAddr(), "127.0.0.1", label)
					if err != nil {
						t.Fatal(err)
					}
					if r.JobsIssued != jobs || r.JobsCompleted != jobs || r.JobsFailed != 0 {
						t.Errorf("issued %d completed %d failed %d (%v)", r.JobsIssued, r.JobsCompleted, r.JobsFailed, r.Failures)
					}
					t.Logf("mean %.3f migrations/job %.3f probes/job %.3f messages %d preemptions %d",
						r.MeanResponse, r.MigrationsPerJob, r.ProbesPerJob, r.Messages, r.Preemptions)
				})
			}
		}()
	}
	wg.Wait()
}
