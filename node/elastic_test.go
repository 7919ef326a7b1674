package node

import (
	"context"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/scale"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/workload"
)

// TestElasticRefused checks that agents refuse what they do not run of
// an elastic cluster yet, naming it: a testbed (whose agents loadlab does
// not start) and a drain that hands its jobs over (a migration policy).
func TestElasticRefused(t *testing.T) {
	w, err := workload.New(workload.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	d, _ := policy.Builtin().Dispatch("random")
	none, _ := policy.Builtin().Migrate("none")
	sender, _ := policy.Builtin().Migrate("sender.threshold(T=2, probes=2)")
	sc, _ := policy.Builtin().Scale("target")
	plan := &scale.Config{Initial: 1, Schedule: []scale.Step{{At: 5, Add: 1}}}
	model := func(m scenario.Model) scenario.Model {
		m.Nodes, m.Load, m.Jobs, m.Workload, m.Dispatch = 2, 0.5, 10, w, d
		return m
	}
	for _, tc := range []struct {
		name string
		run  func(PointConfig) error
		m    scenario.Model
		want string
	}{
		{"testbed plan", func(c PointConfig) error {
			_, err := RunTestbed(context.Background(), c, "127.0.0.1:1", "", "")
			return err
		}, model(scenario.Model{Elastic: plan, Migrate: none}), "a testbed's agents are started by their user"},
		{"testbed autoscaler", func(c PointConfig) error {
			_, err := RunTestbed(context.Background(), c, "127.0.0.1:1", "", "")
			return err
		}, model(scenario.Model{Scale: sc, Migrate: none}), "a testbed's agents are started by their user"},
		{"migration", func(c PointConfig) error { return c.fill() }, model(scenario.Model{Elastic: plan, Migrate: sender}), "with migration none only so far"},
	} {
		if err := tc.run(PointConfig{Model: tc.m}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}

// elasticPoint is a point on 4 slots with random dispatch: load is
// offered relative to the 4 slots.
func elasticPoint(t *testing.T, load float64, jobs int, unit time.Duration) PointConfig {
	t.Helper()
	c := localPoint(t, 4, "random", "none", load, jobs, unit)
	c.Warmup = 0
	return c
}

// runElastic runs c on local agents and records the agents serf listed
// alive as that number changed.
func runElastic(t *testing.T, c PointConfig) (seen []int, r results.Result) {
	t.Helper()
	var mu sync.Mutex
	c.onMembers = func(n int) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := RunLocal(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	return slices.Clone(seen), res
}

// TestElasticSchedule runs a schedule 2 → 4 → 2 on local agents that
// really start, join serf, drain and leave it: every job completes (no
// graceful leave fails one), serf lists 2, then 4, then 2 agents alive,
// and the node-seconds and the mean response agree with the simulator's
// on the same point (same jobs, same random dispatch): node-seconds within
// 5% (an agent's serf leave takes real time, at least the 300 ms of the
// loopback profile's leave propagation: 60 units here for each of the two
// removed, 2.4% of the run's 6,400 node-units), the mean response within
// 15%.
func TestElasticSchedule(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster")
	}
	const jobs = 3000
	c := elasticPoint(t, 0.3, jobs, raceScale*5*time.Millisecond)
	c.Elastic = &scale.Config{Initial: 2, Startup: 40, Schedule: []scale.Step{{At: 500, Add: 2}, {At: 1200, Remove: 2}}}
	seen, real := runElastic(t, c)
	s, err := calibratedSim(context.Background(), c, real)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("serf saw %v agents; node-seconds agents %.1f sim %.1f; join time %.2f units; response agents %.3f sim %.3f; redirected %d; schedule lag p99 %.3f, emulation lag p99 %.3f",
		seen, real.NodeSeconds, s.NodeSeconds, real.JoinTime, real.MeanResponse, s.MeanResponse, real.RedirectedJobs, real.ScheduleLagP99, real.EmulationLag)
	endedOnce(t, real, jobs)
	if real.JobsCompleted != jobs {
		t.Fatalf("%d of %d jobs completed, failures %v", real.JobsCompleted, jobs, real.Failures)
	}
	if !containsRun(seen, []int{2, 4, 2}) {
		t.Errorf("serf listed %v agents alive in turn, want 2, then 4, then 2", seen)
	}
	if real.JoinTime <= 0 {
		t.Errorf("join time %v model units, want it measured", real.JoinTime)
	}
	skipIfLate(t, real, 10) // a busy machine also slows the serf joins and leaves
	if real.JoinTime > 40 { // later than the start-up time: the agents were in service later than the simulator's nodes
		t.Errorf("join time %v model units, want it within the start-up time of 40", real.JoinTime)
	}
	if d := math.Abs(real.NodeSeconds/s.NodeSeconds - 1); !(d <= 0.05) {
		t.Errorf("node-seconds: agents %.1f, simulator %.1f: %.1f%% apart, want within 5%%", real.NodeSeconds, s.NodeSeconds, 100*d)
	}
	if d := math.Abs(real.MeanResponse/s.MeanResponse - 1); !(d <= 0.15) {
		t.Errorf("mean response: agents %.4f, simulator %.4f: %.1f%% apart, want within 15%%", real.MeanResponse, s.MeanResponse, 100*d)
	}
}

// TestElasticAutoscaler runs the target autoscaler on local agents from 1
// node in service under a load that wants more: it adds agents (serf
// lists more than one alive), and every job completes.
func TestElasticAutoscaler(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster")
	}
	const jobs = 1500
	c := elasticPoint(t, 0.4, jobs, raceScale*5*time.Millisecond)
	sc, err := policy.Builtin().Scale("target(util=0.6)")
	if err != nil {
		t.Fatal(err)
	}
	c.Scale, c.Elastic = sc, &scale.Config{Initial: 1, Startup: 20}
	seen, r := runElastic(t, c)
	t.Logf("serf saw %v agents; node-seconds %.1f; nodes over time %v; join time %.2f units; response %.3f",
		seen, r.NodeSeconds, r.NodesOverTime, r.JoinTime, r.MeanResponse)
	endedOnce(t, r, jobs)
	if r.JobsCompleted != jobs {
		t.Fatalf("%d of %d jobs completed, failures %v", r.JobsCompleted, jobs, r.Failures)
	}
	if slices.Max(seen) < 2 {
		t.Errorf("serf listed %v agents alive in turn, want the autoscaler to add some", seen)
	}
}

// containsRun says whether want occurs in seen in order, not necessarily
// next to each other.
func containsRun(seen, want []int) bool {
	k := 0
	for _, n := range seen {
		if k < len(want) && n == want[k] {
			k++
		}
	}
	return k == len(want)
}

// TestElasticChurn adds and removes agents in quick turns: a removal that
// cancels agents still starting, an addition while the removed agents
// drain or leave serf (a slot's next agent starts only once its last one
// is gone). Every job completes and the run ends with 2 agents listed.
func TestElasticChurn(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster")
	}
	const jobs = 1500
	c := elasticPoint(t, 0.3, jobs, raceScale*5*time.Millisecond)
	c.Elastic = &scale.Config{Initial: 2, Schedule: []scale.Step{{At: 100, Add: 2}, {At: 101, Remove: 2}, {At: 200, Add: 2},
		{At: 400, Remove: 2}, {At: 401, Add: 2}, {At: 600, Remove: 1}, {At: 650, Remove: 1}, {At: 651, Add: 1}, {At: 800, Remove: 1}}}
	seen, r := runElastic(t, c)
	s, err := calibratedSim(context.Background(), c, r)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("serf saw %v agents; node-seconds agents %.1f sim %.1f; join time %.2f units; response agents %.3f sim %.3f",
		seen, r.NodeSeconds, s.NodeSeconds, r.JoinTime, r.MeanResponse, s.MeanResponse)
	endedOnce(t, r, jobs)
	if r.JobsCompleted != jobs {
		t.Fatalf("%d of %d jobs completed, failures %v", r.JobsCompleted, jobs, r.Failures)
	}
	if len(seen) == 0 || seen[len(seen)-1] != 2 || slices.Max(seen) < 4 {
		t.Errorf("serf listed %v agents alive in turn, want 4 at some time and 2 at the end", seen)
	}
}
