package external_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/sim"
)

// TestSenderThreshold holds the Python sender-initiated threshold policy
// to the built-in sender.threshold(T=2, probes=2) on 10 nodes at ρ = 0.8
// under random dispatch, over runs of the same length (their random draws
// differ: Python's generator is not Go's). The difference must lie within
// 3 standard errors, each mean's standard error must be under 3% of it, and
// both must be well below no migration (10 M/M/1 queues).
func TestSenderThreshold(t *testing.T) {
	if testing.Short() {
		t.Skip("agreement needs long runs")
	}
	t.Parallel()
	const rho, nodes, jobs, reps, goReps = 0.8, 10, 20000, 6, 30
	spec := `external(cmd="` + example(t, "sender_threshold.py", "2", "2") + `", view=0, probes=2)`
	py, pySD := replicateMigrate(t, "random", spec, nodes, jobs, reps, rho)
	ref, refSD := replicateMigrate(t, "random", "sender.threshold(T=2, probes=2)", nodes, jobs, goReps, rho)
	none, noneSD := replicateMigrate(t, "random", "none", nodes, jobs, goReps, rho)
	se := math.Sqrt(pySD*pySD/reps + refSD*refSD/goReps)
	t.Logf("%d nodes, rho=%g, %d jobs: python sender.threshold %.4f (sd %.4f, %d runs); builtin %.4f (sd %.4f, %d runs), %.1f standard errors apart; none %.4f (sd %.4f)",
		nodes, rho, jobs, py, pySD, reps, ref, refSD, goReps, math.Abs(py-ref)/se, none, noneSD)
	if pySD/math.Sqrt(reps) > 0.03*ref {
		t.Errorf("standard error %.4f is over 3%% of %.4f: runs too short to test anything", pySD/math.Sqrt(reps), ref)
	}
	if math.Abs(py-ref) > 3*se {
		t.Errorf("python sender.threshold %.4f, builtin %.4f: off by %.1f standard errors", py, ref, math.Abs(py-ref)/se)
	}
	if py > 0.75*none {
		t.Errorf("python sender.threshold %.4f is not well below no migration %.4f", py, none)
	}
}

// TestMigrateDeterministic runs a point with the Python policy twice: each
// node's process is seeded from the node's stream, so the results are
// equal, and jobs did move.
func TestMigrateDeterministic(t *testing.T) {
	t.Parallel()
	spec := `external(cmd="` + example(t, "sender_threshold.py") + `")`
	var means [2]float64
	for i := range means {
		r, err := sim.Run(context.Background(), pointMigrate(t, "random", spec, 6, 3000, 0.8, 5))
		if err != nil {
			t.Fatal(err)
		}
		if r.Migrations == 0 {
			t.Errorf("no migrations at rho=0.8")
		}
		means[i] = r.MeanResponse
	}
	if means[0] != means[1] {
		t.Errorf("same seed, mean response %v then %v", means[0], means[1])
	}
}

// TestEveryCall runs a Python policy that uses every migration call and
// every answer (testdata/every_call.py: requests when idle, hand-overs,
// pushes, wake-ups, messages, later probes) on 6 nodes at ρ = 0.8: every
// job completes once, jobs move, messages are sent, and each node's
// process received each of the seven calls.
func TestEveryCall(t *testing.T) {
	t.Parallel()
	counts := filepath.Join(t.TempDir(), "counts")
	spec := `external(cmd="` + python(t) + " " + filepath.Join("testdata", "every_call.py") + " " + counts + `", view=0, probes=1)`
	r, err := sim.Run(context.Background(), pointMigrate(t, "pod(d=2)", spec, 6, 4000, 0.8, 7))
	if err != nil {
		t.Fatal(err)
	}
	if r.JobsIssued != 4000 || r.JobsCompleted != 4000 || r.JobsFailed != 0 {
		t.Errorf("issued %d, completed %d, failed %d; want all 4000 completed once", r.JobsIssued, r.JobsCompleted, r.JobsFailed)
	}
	if r.Migrations == 0 || r.Messages == 0 {
		t.Errorf("%d migrations, %d messages: want some of each", r.Migrations, r.Messages)
	}
	checkCounts(t, counts, 6)
	t.Logf("every call, 6 nodes, rho=0.8: mean response %.3f, %d migrations, %d messages", r.MeanResponse, r.Migrations, r.Messages)
}

// checkCounts reads the per-node call counts every_call.py wrote: one line
// per node, each call counted at least once.
func checkCounts(t *testing.T, file string, nodes int) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != nodes {
		t.Fatalf("%d lines of counts, want one per node (%d):\n%s", len(lines), nodes, b)
	}
	for _, l := range lines {
		for _, f := range strings.Fields(l)[1:] {
			if strings.HasSuffix(f, "=0") {
				t.Errorf("node %s: %s", strings.Fields(l)[0], f)
			}
		}
	}
}
