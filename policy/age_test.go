package policy_test

import (
	"slices"
	"testing"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/workload"
)

// running and waiting make JobInfo entries for a view's job list.
func running(id int64, done float64) policy.JobInfo {
	j := policy.JobInfo{Running: true, Done: done}
	j.ID, j.Size = id, 10
	return j
}

func waiting(id int64) policy.JobInfo {
	j := policy.JobInfo{}
	j.ID, j.Size = id, 10
	return j
}

func TestAgePreemptive(t *testing.T) {
	push := func(to, job int) policy.Action {
		return policy.Action{Verb: policy.Push, Node: policy.NodeID(to), Job: job, Wake: 11}
	}
	keep := policy.Action{Wake: 11}
	for _, c := range []struct {
		name  string
		spec  string
		loads []int // node 0 first; probes reach every other node
		jobs  []policy.JobInfo
		want  policy.Action
		probe bool
	}{
		{name: "old job to an idle node", spec: "age(cost=1, period=1, probes=9)", loads: []int{3, 2, 0, 1},
			jobs: []policy.JobInfo{running(7, 0.34), waiting(8), waiting(9)}, want: push(2, 0), probe: true},
		{name: "too young for the least loaded", spec: "age(cost=1, period=1, probes=9)", loads: []int{3, 2, 0, 1},
			jobs: []policy.JobInfo{running(7, 0.33), waiting(8), waiting(9)}, want: keep},
		{name: "threshold cost / (n − m)", spec: "age(cost=1, period=1, probes=9)", loads: []int{3, 2, 1, 3},
			jobs: []policy.JobInfo{running(7, 0.5), waiting(8), waiting(9)}, want: keep, probe: true},
		{name: "older than cost / (n − m)", spec: "age(cost=1, period=1, probes=9)", loads: []int{3, 2, 1, 3},
			jobs: []policy.JobInfo{running(7, 0.51), waiting(8), waiting(9)}, want: push(2, 0), probe: true},
		{name: "n − m = 1 only swaps the loads", spec: "age(cost=1, period=1, probes=9)", loads: []int{3, 2, 4, 3},
			jobs: []policy.JobInfo{running(7, 100), waiting(8), waiting(9)}, want: keep, probe: true},
		{name: "a job alone stays", spec: "age(cost=0, period=1, probes=9)", loads: []int{1, 0, 0},
			jobs: []policy.JobInfo{running(7, 100)}, want: keep},
		{name: "the oldest running job", spec: "age(cost=2, period=1, probes=9)", loads: []int{4, 0, 5},
			jobs: []policy.JobInfo{running(1, 0.6), running(2, 3), running(3, 1), waiting(4)}, want: push(1, 1), probe: true},
		{name: "waiting jobs never move", spec: "age(cost=1, period=1, probes=9)", loads: []int{3, 0},
			jobs: []policy.JobInfo{waiting(1), waiting(2), waiting(3)}, want: keep},
		{name: "cost 0: any running job", spec: "age(cost=0, period=1, probes=9)", loads: []int{2, 0},
			jobs: []policy.JobInfo{running(1, 0.01), waiting(2)}, want: push(1, 0), probe: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := mustMigrate(t, c.spec, policy.Env{Nodes: len(c.loads), Servers: 1, Node: 0})
			v := newView(t, 0, queues(c.loads...))
			v.jobs = c.jobs
			v.now = 10
			a := m.Timer(v)
			if a != c.want {
				t.Errorf("Timer: %+v, want %+v", a, c.want)
			}
			if want := len(c.loads) - 1; c.probe != (len(v.rounds) == 1) || (c.probe && len(v.rounds[0]) != want) {
				t.Errorf("probed %v, want one round of every other node: %v", v.rounds, c.probe)
			}
		})
	}
}

// The periodic timer starts at the first call and runs every period.
func TestAgeTimer(t *testing.T) {
	m := mustMigrate(t, "age(cost=1, period=0.5, probes=2)", policy.Env{Nodes: 3, Servers: 1, Node: 1})
	v := newView(t, 1, queues(0, 0, 0))
	v.now = 3
	if a := m.Departed(v); a != (policy.Action{Wake: 3.5}) {
		t.Fatalf("first call: %+v, want a wake-up at 3.5", a)
	}
	for _, now := range []float64{3.2, 3.4} {
		v.now = now
		if a := m.Arrived(v, &policy.Job{}); a != (policy.Action{}) {
			t.Fatalf("arrival at %g: %+v, want nothing (timer running)", now, a)
		}
	}
	for _, now := range []float64{3.5, 4, 4.5} {
		v.now = now
		if a := m.Timer(v); a != (policy.Action{Wake: now + 0.5}) {
			t.Fatalf("Timer at %g: %+v, want the next at %g", now, a, now+0.5)
		}
	}
	if len(v.rounds) != 0 {
		t.Errorf("an idle node probed %v", v.rounds)
	}
	if a := m.Message(v, 0, policy.Message{Kind: 1}); a != (policy.Action{}) {
		t.Errorf("Message: %+v, want nothing", a)
	}
	if first, n := m.Requested(v, 0); n != 0 {
		t.Errorf("Requested: jobs %d+%d, want none", first, n)
	}
}

// preemptive=0 places only new arrivals, when n − m ≥ 2 with n counting
// the new job.
func TestAgeRemoteExecution(t *testing.T) {
	for _, c := range []struct {
		name  string
		loads []int
		hops  int32
		ev    event
		want  policy.Action
		probe bool
	}{
		{name: "to an idle node", loads: []int{1, 2, 0, 1}, ev: arrived, want: transfer(2), probe: true},
		{name: "n − m = 1 stays", loads: []int{1, 2, 1, 1}, ev: arrived, probe: true},
		{name: "to the least loaded", loads: []int{4, 3, 2, 5}, ev: arrived, want: transfer(2), probe: true},
		{name: "an idle node keeps it without probing", loads: []int{0, 0, 0}, ev: arrived},
		{name: "a transferred job stays", loads: []int{5, 0}, ev: arrived, hops: 1},
		{name: "no timer", loads: []int{5, 0}, ev: timer},
		{name: "completions do nothing", loads: []int{5, 0}, ev: departed},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := mustMigrate(t, "age(cost=1, period=1, probes=9, preemptive=0)", policy.Env{Nodes: len(c.loads), Servers: 1, Node: 0})
			v := newView(t, 0, queues(c.loads...))
			v.now = 4
			a, _, _ := call(m, v, c.ev, c.hops)
			if a != c.want {
				t.Errorf("%v: %+v, want %+v", c.ev, a, c.want)
			}
			others := ids(1, 2, 3)[:len(c.loads)-1]
			if c.probe && (len(v.rounds) != 1 || !sameSet(v.rounds[0], others)) || !c.probe && len(v.rounds) != 0 {
				t.Errorf("probed %v, want %v", v.rounds, c.probe)
			}
		})
	}
	m := mustMigrate(t, "age(preemptive=0)", policy.Env{Nodes: 2, Servers: 1, Node: 0})
	v := newView(t, 0, queues(3, 0))
	v.now = 1
	if a := m.Arrived(v, &policy.Job{Job: workload.Job{Size: 1}}); a != transfer(1) {
		t.Errorf("default probes: %+v, want a transfer to 1", a)
	}
}

func sameSet(a, b []policy.NodeID) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestAgeSpecs(t *testing.T) {
	checkSpecs(t, []specCase{
		{spec: "age", want: "age(cost=1, period=1, probes=3, preemptive=1)"},
		{spec: "age(preemptive=0, cost=0.25)", want: "age(cost=0.25, period=1, probes=3, preemptive=0)"},
		{spec: "age(cost=-1)", errs: []string{"age: parameter cost", "must be ≥ 0, got -1"}},
		{spec: "age(period=0)", errs: []string{"parameter period", "must be > 0, got 0"}},
		{spec: "age(probes=0)", errs: []string{"parameter probes", "at least 1"}},
		{spec: "age(preemptive=2)", errs: []string{"parameter preemptive", "want 0 or 1, got 2"}},
		{spec: "age(preemptive=0.5)", errs: []string{"parameter preemptive", "whole number"}},
	})
}
