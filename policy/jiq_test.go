package policy_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/loadlab/loadlab/policy"
)

// Three dispatchers, I-queues drained, then nodes 0, 1, 2 go idle one after
// the other. The next job reaches a random dispatcher and finds an idle node
// if that dispatcher's I-queue got one: with probability (queues used)/3.
// JIQ-Random: 3·(1−(2/3)³)/3 = 19/27. JIQ-SQ(2): the second report always
// finds an empty queue among its two samples, the third with probability
// 2/3, so 2/3·1 + 1/3·2/3 = 8/9. JIQ-SQ(3) samples all: always 1. A job
// that finds no idle node goes to a random node, an idle one with
// probability 3/nodes.
func TestJIQReport(t *testing.T) {
	const nodes, trials = 60, 2000
	for _, c := range []struct {
		spec string
		hit  float64 // probability that the first queue chosen holds an idle node
	}{
		{"jiq(dispatchers=3)", 19.0 / 27},
		{"jiq(dispatchers=3, report=random, d=3)", 19.0 / 27}, // d is for sq only
		{"jiq(dispatchers=3, report=sq, d=1)", 19.0 / 27},
		{"jiq(dispatchers=3, report=sq, d=2)", 8.0 / 9},
		{"jiq(dispatchers=3, report=sq)", 8.0 / 9},
		{"jiq(dispatchers=3, report=sq, d=3)", 1},
		{"jiq(dispatchers=3, report=sq, d=7)", 1},
	} {
		spec, err := policy.Builtin().Dispatch(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for trial := range trials {
			d := spec.New(policy.Env{Nodes: nodes, Servers: 1})
			v := newView(t, policy.None, queues(make([]int, nodes)...))
			v.rng = rand.New(rand.NewPCG(uint64(trial), 5))
			for range 10 * nodes { // drains the initial 20 per queue with overwhelming probability
				d.Pick(v, &policy.Job{})
			}
			for n := range 3 {
				d.(policy.IdleWatcher).Idle(v, policy.NodeID(n))
			}
			if n := d.Pick(v, &policy.Job{}); n < 3 {
				got++
			}
			if len(v.rounds) != 0 || len(v.later) != 0 || len(v.sent) != 0 {
				t.Fatalf("%s communicated: %v %v %v", c.spec, v.rounds, v.later, v.sent)
			}
		}
		want := c.hit + (1-c.hit)*3/nodes
		if f := float64(got) / trials; f < want-0.03 || f > want+0.03 { // 3σ ≤ 0.031
			t.Errorf("%s: an idle node got the next job in %.3f of trials, want %.3f", c.spec, f, want)
		}
	}
}

// With one dispatcher, sq reporting keeps JIQ's FIFO I-queue: idle nodes
// are served in the order they reported, each once.
func TestJIQReportOneQueue(t *testing.T) {
	d := mustDispatch(t, "jiq(report=sq, d=2)", policy.Env{Nodes: 4, Servers: 1})
	v := newView(t, policy.None, queues(9, 9, 9, 9))
	for range 4 {
		d.Pick(v, &policy.Job{})
	}
	idle := d.(policy.IdleWatcher)
	for _, n := range ids(2, 0, 2, 3) {
		idle.Idle(v, n)
	}
	var got []policy.NodeID
	for range 3 {
		got = append(got, d.Pick(v, &policy.Job{}))
	}
	if !slices.Equal(got, ids(2, 0, 3)) {
		t.Errorf("picks %v, want [2 0 3]", got)
	}
}

func TestJIQParams(t *testing.T) {
	checkParams(t, []paramCase{
		{spec: "jiq", canonical: "jiq(dispatchers=1, report=random, d=2)"},
		{spec: "jiq(report=sq, d=3, dispatchers=8)", canonical: "jiq(dispatchers=8, report=sq, d=3)"},
		{spec: "jiq(report=shortest)", errs: []string{"jiq: parameter report", `want random or sq, got "shortest"`}},
		{spec: "jiq(report=sq, d=0)", errs: []string{"jiq: parameter d", "at least 1"}},
		{spec: "jiq(d=0)", errs: []string{"parameter d", "at least 1"}},
		{spec: "jiq(dispatchers=0)", errs: []string{"parameter dispatchers", "at least 1"}},
	})
}
