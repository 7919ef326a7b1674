package policy_test

import (
	"slices"
	"testing"

	"github.com/loadlab/loadlab/policy"
)

func TestWRR(t *testing.T) {
	for _, c := range []struct {
		name   string
		speeds []float64
		seq    []policy.NodeID // one full cycle
	}{
		{"nginx's example: weights 5, 1, 1", []float64{5, 1, 1}, ids(0, 0, 1, 0, 2, 0, 0)},
		{"equal speeds: round-robin", nil, ids(0, 1, 2, 3)},
		{"2:1", []float64{2, 1}, ids(0, 1, 0)},
		{"fractional speeds", []float64{0.5, 1, 0.5}, ids(1, 0, 2, 1)},
		{"one node", []float64{3}, ids(0)},
	} {
		t.Run(c.name, func(t *testing.T) {
			nodes := len(c.speeds)
			if c.speeds == nil {
				nodes = len(c.seq)
			}
			d := mustDispatch(t, "wrr", policy.Env{Nodes: nodes, Servers: 1, Speeds: c.speeds})
			v := newView(t, policy.None, queues(make([]int, nodes)...))
			for cycle := range 5 { // smooth WRR repeats its cycle exactly
				var got []policy.NodeID
				for range c.seq {
					got = append(got, d.Pick(v, &policy.Job{}))
				}
				if !slices.Equal(got, c.seq) {
					t.Fatalf("cycle %d: picks %v, want %v", cycle, got, c.seq)
				}
			}
			if len(v.rounds) != 0 || len(v.later) != 0 {
				t.Errorf("wrr probed %v %v", v.rounds, v.later)
			}
		})
	}
}

func TestSED(t *testing.T) {
	for _, c := range []struct {
		name   string
		env    policy.Env
		gossip []policy.Load
		want   []policy.NodeID
	}{
		// LVS's example: weights 1, 2, 3 with 1, 2, 3 connections: (1+1)/1,
		// (2+1)/2, (3+1)/3 — the fastest wins though it has the most.
		{"the fast busy node", policy.Env{Nodes: 3, Servers: 1}, []policy.Load{
			{Queue: 1, Servers: 1, Speed: 1}, {Queue: 2, Servers: 1, Speed: 2}, {Queue: 3, Servers: 1, Speed: 3}}, ids(2)},
		// Unlike jsq, the +1 counts: an empty slow node (1/1) loses to a
		// fast node with one job (2/4).
		{"+1 for the new job", policy.Env{Nodes: 2, Servers: 1}, []policy.Load{
			{Queue: 0, Servers: 1, Speed: 1}, {Queue: 1, Servers: 1, Speed: 4}}, ids(1)},
		{"servers count", policy.Env{Nodes: 2, Servers: 4}, []policy.Load{
			{Queue: 3, Servers: 4, Speed: 1}, {Queue: 1, Servers: 1, Speed: 1}}, ids(0)},
		{"ties at random", policy.Env{Nodes: 3, Servers: 1}, queues(2, 2, 2), ids(0, 1, 2)},
		{"equal delay ties", policy.Env{Nodes: 2, Servers: 1}, []policy.Load{
			{Queue: 1, Servers: 1, Speed: 1}, {Queue: 3, Servers: 1, Speed: 2}}, ids(0, 1)},
		// Nothing published (Load{}): Env's servers and speeds stand in.
		{"nothing published yet", policy.Env{Nodes: 3, Servers: 1, Speeds: []float64{1, 3, 1}},
			make([]policy.Load, 3), ids(1)},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := mustDispatch(t, "sed", c.env)
			v := newView(t, policy.None, queues(make([]int, c.env.Nodes)...)) // current loads: all idle, unread
			v.gossip = c.gossip
			var got []policy.NodeID
			for i := range 3000 {
				got = append(got, d.Pick(v, job(int64(i), 1, 0)))
			}
			spread(t, "picks", counts(c.env.Nodes, got), c.want, 0.1)
			if len(v.rounds) != 0 || len(v.later) != 0 {
				t.Errorf("sed probed %v %v", v.rounds, v.later)
			}
		})
	}
}

func TestWeightedParams(t *testing.T) {
	checkParams(t, []paramCase{
		{spec: "wrr", canonical: "wrr"},
		{spec: "sed()", canonical: "sed"},
		{spec: "wrr(w=1)", errs: []string{"wrr: unknown parameter w", "wrr takes no parameters"}},
	})
}
