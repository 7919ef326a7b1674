package node

import (
	"context"
	"testing"
	"time"

	"github.com/loadlab/loadlab/policy"
)

// TestLocalAdmission runs admission policies on 3 agents, random dispatch
// at ρ = 0.8, 1,500 jobs: queue(k=2), which drops at arrival, and
// codel(target=0.2, interval=1), which drops at the executor's dequeue.
// Each must drop jobs, every job must end once, and each failure carry
// the policy's reason. How many it drops is logged, not checked: on a
// busy machine sleep-emulated service runs long, and the agents drop
// more than the model (the simulator drops 0.173 ± 0.006 and 0.153 ±
// 0.006 of such points over 20 seeds; M/M/1/3 0.1734; TestAdmitQueue
// holds the simulator to it).
func TestLocalAdmission(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster")
	}
	for _, spec := range []string{"queue(k=2)", "codel(target=0.2, interval=1)"} {
		t.Run(spec, func(t *testing.T) {
			t.Parallel()
			adm, err := policy.Builtin().Admit(spec)
			if err != nil {
				t.Fatal(err)
			}
			cfg := localPoint(t, 3, "random", "none", 0.8, 1500, raceScale*10*time.Millisecond)
			cfg.Admit = adm
			r, err := RunLocal(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: dropped %.4f, mean response %.3f, failures %v", spec, float64(r.JobsFailed)/float64(r.JobsIssued), r.MeanResponse, r.Failures)
			if r.JobsCompleted+r.JobsFailed != 1500 || r.Failures[adm.Reason()] != r.JobsFailed || r.JobsFailed == 0 {
				t.Fatalf("completed %d failed %d (%v): want 1500 in all, some failed with %q", r.JobsCompleted, r.JobsFailed, r.Failures, adm.Reason())
			}
		})
	}
}
