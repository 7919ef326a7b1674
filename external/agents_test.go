package external_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadlab/loadlab/node"
)

// TestOnAgents runs the Python examples in the coordinator of 4 local
// agents (serf, TCP, executors): every job completes, exactly once, and
// pod probes 2 nodes a job as real messages. A policy that crashes fails
// the run naming itself, and the run's counts still hold every job once.
func TestOnAgents(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster")
	}
	const jobs = 1500
	for _, c := range []struct {
		name, cmd, args string
		probes          float64
		fails           string
	}{
		{"random", example(t, "random_policy.py"), "", 0, ""},
		{"pod", example(t, "pod_policy.py", "2"), ", view=0, probes=2", 2, ""},
		{"crash", python(t) + " " + filepath.Join("testdata", "crash.py"), "", 0, "call pick (job 0)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			sc := point(t, `external(cmd="`+c.cmd+`"`+c.args+`)`, 4, jobs, 0.5, 3)
			res, err := node.RunLocal(context.Background(), node.PointConfig{Model: sc.Model, TimeUnit: 5 * time.Millisecond})
			if c.fails != "" {
				if err == nil || !strings.Contains(err.Error(), `external policy "`+c.cmd+`": `+c.fails) {
					t.Errorf("got error %v, want one naming the policy and %q", err, c.fails)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if res.JobsIssued != jobs || res.JobsCompleted != jobs || res.JobsFailed != 0 {
				t.Errorf("issued %d, completed %d, failed %d; want all %d completed once", res.JobsIssued, res.JobsCompleted, res.JobsFailed, jobs)
			}
			if c.fails == "" && res.ProbesPerJob != c.probes {
				t.Errorf("%.3f probes per job, want %g", res.ProbesPerJob, c.probes)
			}
			t.Logf("%s on 4 agents: %d jobs completed, mean response %.3f, %.2f probes per job", c.name, res.JobsCompleted, res.MeanResponse, res.ProbesPerJob)
		})
	}
}
