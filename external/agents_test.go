package external_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadlab/loadlab/external"
	"github.com/loadlab/loadlab/node"
)

// TestOnAgents runs the Python examples on 4 local agents (serf, TCP,
// executors): the dispatch strategies in the coordinator, the migration
// policy in each agent, one process per agent. Every job completes,
// exactly once; pod probes 2 nodes a job as real messages; the
// sender-initiated threshold policy moves jobs by real transfers after
// real probes; testdata/every_call.py receives every call on every agent
// (requests, hand-overs, pushes, wake-ups, messages, later probes). A
// policy that crashes fails the run naming itself and the call, and the
// run's counts still hold every job once; one that refuses init fails the
// point as the agents are configured, before any job.
func TestOnAgents(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster")
	}
	const jobs = 1500
	crash := python(t) + " " + filepath.Join("testdata", "crash.py")
	for _, c := range []struct {
		name, cmd, args string
		migrate         bool    // cmd is the migration policy (dispatch: random)
		rho             float64 // load
		probes          float64 // per job; -1: not checked
		fails           string
	}{
		{"random", example(t, "random_policy.py"), "", false, 0.5, 0, ""},
		{"pod", example(t, "pod_policy.py", "2"), ", view=0, probes=2", false, 0.5, 2, ""},
		{"crash", crash, "", false, 0.5, 0, "call pick (job 0)"},
		{"migrate/sender.threshold", example(t, "sender_threshold.py", "2", "2"), ", view=0, probes=2", true, 0.8, -1, ""},
		{"migrate/crash", crash, "", true, 0.8, -1, "call arrived (job "},
		{"migrate/every-call", "", ", view=0, probes=1", true, 0.8, -1, ""}, // testdata/every_call.py
		{"migrate/refuse", python(t) + " " + filepath.Join("testdata", "refuse.py"), "", true, 0.8, -1, "call init: the policy refused"},
	} {
		t.Run(c.name, func(t *testing.T) {
			counts := ""
			if c.cmd == "" {
				counts = filepath.Join(t.TempDir(), "counts")
				c.cmd = python(t) + " " + filepath.Join("testdata", "every_call.py") + " " + counts
			}
			spec := `external(cmd="` + c.cmd + `"` + c.args + `)`
			sc := point(t, spec, 4, jobs, c.rho, 3)
			if c.migrate {
				sc = pointMigrate(t, "random", spec, 4, jobs, c.rho, 3)
			}
			res, err := node.RunLocal(context.Background(), node.PointConfig{Model: sc.Model, TimeUnit: 5 * time.Millisecond, Registry: external.Builtin()})
			if c.fails != "" {
				if err == nil || !strings.Contains(err.Error(), `external policy "`+c.cmd+`": `+c.fails) {
					t.Errorf("got error %v, want one naming the policy and %q", err, c.fails)
				}
				issued := int64(jobs)
				if strings.Contains(c.fails, "call init") {
					issued = 0 // the agents refuse the point as it is configured
				}
				if res.JobsIssued != issued || res.JobsCompleted+res.JobsFailed != issued {
					t.Errorf("issued %d, completed %d, failed %d; want all %d ended once", res.JobsIssued, res.JobsCompleted, res.JobsFailed, issued)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.JobsIssued != jobs || res.JobsCompleted != jobs || res.JobsFailed != 0 {
				t.Errorf("issued %d, completed %d, failed %d; want all %d completed once", res.JobsIssued, res.JobsCompleted, res.JobsFailed, jobs)
			}
			if c.probes >= 0 && res.ProbesPerJob != c.probes {
				t.Errorf("%.3f probes per job, want %g", res.ProbesPerJob, c.probes)
			}
			if c.migrate && res.Migrations == 0 {
				t.Errorf("no migrations at rho=%g", c.rho)
			}
			if counts != "" {
				checkCounts(t, counts, 4) // each agent's process received each call
			}
			t.Logf("%s on 4 agents: %d jobs completed, mean response %.3f, %.2f probes per job, %d migrations", c.name, res.JobsCompleted, res.MeanResponse, res.ProbesPerJob, res.Migrations)
		})
	}
}
