package policy_test

import (
	"testing"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/workload"
)

// TestDispatchHonoursRuns: with nodes of different platforms
// (Env.Runs), the dispatchers that see the constraint place each job only
// where its class can run, and still spread over those nodes.
func TestDispatchHonoursRuns(t *testing.T) {
	runs := [][]bool{{false, true, false, true, false}, {true, true, true, true, true}}
	env := policy.Env{Nodes: 5, Servers: 1, ClassWeights: []float64{0.5, 0.5}, Runs: runs}
	for _, spec := range []string{"random", "pod(d=2)", "pod(d=3)", "jsq", "lwl"} {
		t.Run(spec, func(t *testing.T) {
			d := mustDispatch(t, spec, env)
			v := newView(t, policy.None, queues(0, 0, 0, 0, 0))
			for class := int32(0); class < 2; class++ {
				used := map[policy.NodeID]int{}
				for range 400 {
					v.reset() // one decision each
					n := d.Pick(v, &policy.Job{Job: workload.Job{Class: class}})
					if !env.CanRun(class, n) {
						t.Fatalf("class %d placed on node %d, which cannot run it", class, n)
					}
					used[n]++
				}
				want := 2
				if class == 1 {
					want = 5
				}
				if len(used) != want {
					t.Errorf("class %d spread over %v, want all %d nodes that can run it", class, used, want)
				}
			}
		})
	}
}

func TestEnvCanRun(t *testing.T) {
	env := policy.Env{Nodes: 2, Runs: [][]bool{{true, false}}}
	for _, tc := range []struct {
		class int32
		n     policy.NodeID
		want  bool
	}{{0, 0, true}, {0, 1, false}, {1, 0, false}, {-1, 0, false}, {0, 2, false}, {0, -1, false}} {
		if got := env.CanRun(tc.class, tc.n); got != tc.want {
			t.Errorf("CanRun(%d, %d) = %v, want %v", tc.class, tc.n, got, tc.want)
		}
	}
	if !(policy.Env{Nodes: 2}).CanRun(5, 1) {
		t.Error("without Runs every node runs every class")
	}
}
