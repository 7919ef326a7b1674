package sim

import (
	"context"
	"math"
	"testing"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/scale"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/workload"
)

// TestElasticSchedule holds a schedule's node-seconds to the plan, exactly.
// Deterministic arrivals, one a unit, of jobs of size 0.25 on 4 slots, 2
// in service at first: 2 nodes join at 100 and start for 10 units (present,
// so counted), 2 leave at 300.5, when every node is idle (a job ends a
// quarter unit after its arrival), so each drains at once. The nodes
// present are 2 on [0, 100), 4 on [100, 300.5) and 2 to the last
// completion: node-seconds 2·100 + 4·200.5 + 2·(end − 300.5). The nodes
// that joined take work once started, every job completes, and the same
// point with a migration policy (which hands a drained node's waiting
// jobs over) measures the same. Strategies that draw among View.Nodes
// never name a node out of service (no job redirected); jiq, whose idle
// list is its own, may (it starts with every node listed), and its jobs
// go on to a node in service; a node that joins is listed idle.
func TestElasticSchedule(t *testing.T) {
	w, err := workload.New(workload.Config{Size: "det(value=0.25)", Arrival: "det"})
	if err != nil {
		t.Fatal(err)
	}
	plan := &scale.Config{Initial: 2, Startup: 10, Schedule: []scale.Step{{At: 100, Add: 2}, {At: 300.5, Remove: 2}}}
	for _, tc := range []struct {
		dispatch, migrate string
		redirects         bool
	}{{"rr", "none", false}, {"random", "none", false}, {"jsq", "sender.threshold(T=2, probes=1)", false}, {"jiq", "none", true}} {
		// ρ = λ·size/N: λ = 1 on 4 slots of one server.
		cfg := config(t, Config{Model: scenario.Model{Nodes: 4, Load: 0.0625, Jobs: 500, Warmup: 1, Seed: 3, Workload: w, Elastic: plan, FaultBin: 50}}, tc.dispatch, tc.migrate, "")
		r, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		want := 2*100 + 4*200.5 + 2*(r.SimTime-300.5)
		t.Logf("%s + %s: node-seconds %.6f, plan %.6f (end %.4f); %d jobs redirected; nodes over time %v", tc.dispatch, tc.migrate, r.NodeSeconds, want, r.SimTime, r.RedirectedJobs, r.NodesOverTime)
		if r.RedirectedJobs > 0 && !tc.redirects {
			t.Errorf("%s: %d jobs sent to a node out of service, want none", tc.dispatch, r.RedirectedJobs)
		}
		if math.Abs(r.NodeSeconds-want) > 1e-9*want {
			t.Errorf("%s: node-seconds %v, want %v", tc.dispatch, r.NodeSeconds, want)
		}
		if r.JobsCompleted != 500 || r.JobsFailed != 0 {
			t.Errorf("%s: %d completed, %d failed, want 500 completed", tc.dispatch, r.JobsCompleted, r.JobsFailed)
		}
		if r.NodeUtilization[2] == 0 || r.NodeUtilization[3] == 0 {
			t.Errorf("%s: nodes that joined never served: utilisation %v", tc.dispatch, r.NodeUtilization)
		}
		if got := r.NodesOverTime[1]; got != 2 { // [50, 100)
			t.Errorf("%s: nodes at 50–100 %v, want 2", tc.dispatch, got)
		}
		if got := r.NodesOverTime[3]; got != 4 { // [150, 200)
			t.Errorf("%s: nodes at 150–200 %v, want 4", tc.dispatch, got)
		}
	}
}

// TestElasticDrain: a node removed while it holds work finishes that work
// before it leaves, so no job is lost and its node-seconds exceed the
// plan's by the drain. Random dispatch at load 0.9 on 4 nodes (M/M/1
// queues, 9 jobs a node on average; with this seed the two removed hold
// 43 at 1000), 2 removed at 1000 and back at 1500: every job completes. Without a migration policy the removed nodes
// finish all they hold; with one (sender.threshold with a threshold it
// never reaches, so that the runs are the same up to 1000) they hand
// their waiting jobs over, each counted a migration, and finish only what
// runs: a shorter drain.
func TestElasticDrain(t *testing.T) {
	plan := &scale.Config{Schedule: []scale.Step{{At: 1000, Remove: 2}, {At: 1500, Add: 2}}}
	var excess [2]float64
	for k, migrate := range []string{"none", "sender.threshold(T=1000, probes=1)"} {
		cfg := config(t, Config{Model: scenario.Model{Nodes: 4, Load: 0.9, Jobs: 20000, Warmup: 1, Seed: 1, Elastic: plan, FaultBin: 100}}, "random", migrate, "exp(mean=1)")
		r, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		plain := 4*1000 + 2*500 + 4*(r.SimTime-1500)
		excess[k] = r.NodeSeconds - plain
		t.Logf("%s: node-seconds %.2f, the plan's %.2f; %d jobs handed over; %d completed, %d failed", migrate, r.NodeSeconds, plain, r.Migrations, r.JobsCompleted, r.JobsFailed)
		if r.JobsCompleted != 20000 || r.JobsFailed != 0 {
			t.Errorf("%s: %d completed, %d failed, want every one of 20000 completed", migrate, r.JobsCompleted, r.JobsFailed)
		}
		if !(excess[k] > 0 && excess[k] < 2*500) {
			t.Errorf("%s: node-seconds %v, want above the plan's %v (the drains) and below it + 1000", migrate, r.NodeSeconds, plain)
		}
		if (r.Migrations > 0) != (k == 1) {
			t.Errorf("%s: %d jobs handed over", migrate, r.Migrations)
		}
	}
	if !(excess[1] < excess[0]) {
		t.Errorf("drains of %.2f node-units handing waiting jobs over, %.2f finishing them: want the first shorter", excess[1], excess[0])
	}
}

// TestTargetAutoscaler: target tracking under a step in load. 16 slots,
// Poisson arrivals at λ = 3.2 (load 0.2 of the slots), exponential sizes
// of mean 1, doubled from t = 3000 to 6000. Target utilisation 0.7 wants
// ⌈λ/(μ·0.7)⌉ nodes: ⌈4.57⌉ = 5 before and after, ⌈9.14⌉ = 10 during the
// step (the nodes present also count those starting and draining). Held,
// over ten replications: the mean nodes present in each phase's settled
// part (1500–3000, 4000–6000, 7500–9000) within one node of the target's
// count, and the nodes rising past the midpoint within 300 units of the
// step up, falling below it within 600 of the step down (the window
// holds a count for three periods before it scales in). Every job ends,
// completed.
func TestTargetAutoscaler(t *testing.T) {
	w, err := workload.New(workload.Config{Size: "exp(mean=1)", Arrival: "step(at=[3000, 6000], to=[2, 1])"})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := policy.Builtin().Scale("target(util=0.7, period=50)")
	if err != nil {
		t.Fatal(err)
	}
	const bin, reps = 100.0, 10
	cfg := config(t, Config{Model: scenario.Model{Nodes: 16, Load: 0.2, Jobs: 40000, Warmup: 1, Workload: w,
		Elastic: &scale.Config{Initial: 4, Startup: 20}, Scale: sc, FaultBin: bin}}, "jsq", "none", "")
	rs := replicate(t, reps, 40, cfg)
	over := make([]float64, 90)
	for _, r := range rs {
		if r.JobsCompleted != 40000 || r.JobsFailed != 0 {
			t.Errorf("%d completed, %d failed, want 40000 completed", r.JobsCompleted, r.JobsFailed)
		}
		for i := range over {
			if i < len(r.NodesOverTime) {
				over[i] += r.NodesOverTime[i] / reps
			}
		}
	}
	mean := func(from, to float64) float64 {
		s := 0.0
		for i := int(from / bin); i < int(to/bin); i++ {
			s += over[i]
		}
		return s / ((to - from) / bin)
	}
	low, high := math.Ceil(3.2/0.7), math.Ceil(6.4/0.7)
	before, during, after := mean(1500, 3000), mean(4000, 6000), mean(7500, 9000)
	up, down := -1.0, -1.0
	mid := (low + high) / 2
	for i, v := range over {
		tt := float64(i) * bin
		if up < 0 && tt >= 3000 && v > mid {
			up = tt
		}
		if down < 0 && tt >= 6000 && v < mid {
			down = tt
		}
	}
	ns, _ := meanCI(rs, func(r results.Result) float64 { return r.NodeSeconds })
	resp, half := meanCI(rs, func(r results.Result) float64 { return r.MeanResponse })
	t.Logf("mean nodes %.2f before (target %.2f), %.2f during (%.2f), %.2f after; above %.2f from %v, below from %v; node-seconds %.0f, mean response %.3f ± %.3f", before, low, during, high, after, mid, up, down, ns, resp, half)
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"before", before, low}, {"during", during, high}, {"after", after, low}} {
		if math.Abs(c.got-c.want) > 1 {
			t.Errorf("%s the step: %.2f nodes, want %.2f within one", c.name, c.got, c.want)
		}
	}
	if up < 3000 || up > 3300 || down < 6000 || down > 6600 {
		t.Errorf("nodes crossed %.2f at %v after the step up at 3000 and %v after the step down at 6000", mid, up, down)
	}
}
