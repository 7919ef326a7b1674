package policy_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/loadlab/loadlab/policy"
)

// home maps keys to nodes with the bound out of reach and every job
// completed at once: plain consistent hashing.
func home(t *testing.T, nodes, vnodes, keys int) []policy.NodeID {
	t.Helper()
	spec := fmt.Sprintf("hash(eps=1000, vnodes=%d)", vnodes)
	d := mustDispatch(t, spec, policy.Env{Nodes: nodes, Servers: 1})
	v := newView(t, policy.None, queues(make([]int, nodes)...))
	out := make([]policy.NodeID, keys)
	for k := range out {
		j := job(int64(k), 1, int32(k))
		out[k] = d.Pick(v, j)
		j.Origin = out[k]
		d.(policy.DoneWatcher).Done(v, j)
	}
	if len(v.rounds) != 0 || len(v.later) != 0 {
		t.Fatalf("hash probed %v %v", v.rounds, v.later)
	}
	return out
}

// Keys spread evenly over the nodes, the same key always goes home, and a
// node added to the ring takes keys only for itself, about 1/N of them.
func TestHashRing(t *testing.T) {
	const keys = 4000
	for _, c := range []struct {
		nodes, vnodes int
		tol           float64 // of an equal share: a node's arc varies by about 1/√vnodes
	}{
		{4, 100, 0.35},
		{10, 100, 0.35},
		{5, 400, 0.2},
	} {
		a := home(t, c.nodes, c.vnodes, keys)
		if b := home(t, c.nodes, c.vnodes, keys); !equalIDs(a, b) {
			t.Errorf("%d nodes: two rings map keys differently", c.nodes)
		}
		spread(t, "keys per node", counts(c.nodes, a), ids(seq(c.nodes)...), c.tol)

		grown := home(t, c.nodes+1, c.vnodes, keys)
		moved := 0
		for k := range grown {
			if grown[k] != a[k] {
				moved++
				if grown[k] != policy.NodeID(c.nodes) {
					t.Fatalf("%d→%d nodes: key %d moved from %d to %d, want only to the new node", c.nodes, c.nodes+1, k, a[k], grown[k])
				}
			}
		}
		want := float64(keys) / float64(c.nodes+1)
		if f := float64(moved); f < want*(1-c.tol) || f > want*(1+c.tol) {
			t.Errorf("%d→%d nodes: %d keys moved, want about %.0f", c.nodes, c.nodes+1, moved, want)
		}
	}
}

func equalIDs(a, b []policy.NodeID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// One hot key and no completions: every pick goes to a node under
// ceil((1+ε)(m+1)/N), so after m picks no node holds more than
// ceil((1+ε)m/N); the first pick goes home and, with the bound out of
// reach, all of them do.
func TestHashBoundedLoads(t *testing.T) {
	const nodes, picks = 5, 200
	for _, c := range []struct {
		spec   string
		eps    float64
		atHome int // picks that must go home: all, or just the first
	}{
		{"hash(eps=0)", 0, 1},
		{"hash", 0.25, 1},
		{"hash(eps=1, vnodes=1)", 1, 1},
		{"hash(eps=4)", 4, picks}, // 1+ε = N: the bound is never reached
	} {
		h := home(t, nodes, 100, 8)[7]
		if c.spec == "hash(eps=1, vnodes=1)" {
			h = home(t, nodes, 1, 8)[7]
		}
		d := mustDispatch(t, c.spec, policy.Env{Nodes: nodes, Servers: 1})
		v := newView(t, policy.None, queues(make([]int, nodes)...))
		got := make([]int, nodes)
		for m := 1; m <= picks; m++ {
			n := d.Pick(v, job(int64(m), 1, 7))
			if m <= c.atHome && n != h {
				t.Fatalf("%s: pick %d went to %d, want home %d", c.spec, m, n, h)
			}
			got[n]++
			limit := int(math.Ceil((1 + c.eps) * float64(m) / nodes))
			for x, k := range got {
				if k > limit {
					t.Fatalf("%s after %d picks: node %d holds %d, want ≤ %d (counts %v)", c.spec, m, x, k, limit, got)
				}
			}
		}
		if c.eps == 0 {
			spread(t, c.spec, got, ids(seq(nodes)...), 0)
		}
	}
}

// With ε = 0 and one job in flight per node, a completion makes its node
// the only one under the bound; once all are even again, the key goes home
// until home holds one more than the rounded-up mean.
func TestHashDone(t *testing.T) {
	const nodes = 4
	d := mustDispatch(t, "hash(eps=0)", policy.Env{Nodes: nodes, Servers: 1})
	done := d.(policy.DoneWatcher)
	v := newView(t, policy.None, queues(make([]int, nodes)...))
	var placed []*policy.Job
	for i := range nodes { // bound ceil((m+1)/4) = 1: one per node
		j := job(int64(i), 1, 3)
		j.Origin = d.Pick(v, j)
		placed = append(placed, j)
	}
	spread(t, "first picks", counts(nodes, []policy.NodeID{placed[0].Origin, placed[1].Origin, placed[2].Origin, placed[3].Origin}), ids(0, 1, 2, 3), 0)
	h := placed[0].Origin
	done.Done(v, placed[2])
	done.Done(v, &policy.Job{Origin: 9}) // never counted: ignored
	if n := d.Pick(v, job(9, 1, 3)); n != placed[2].Origin {
		t.Errorf("after a completion at %d: picked %d, want %d, the only node under the bound", placed[2].Origin, n, placed[2].Origin)
	}
	// One each, 4 in flight: the bound is ceil(5/4) = 2.
	if n := d.Pick(v, job(10, 1, 3)); n != h {
		t.Errorf("one job each: picked %d, want home %d", n, h)
	}
	// Home holds 2 of 5: the bound is ceil(6/4) = 2, home is full.
	if n := d.Pick(v, job(11, 1, 3)); n == h {
		t.Errorf("home %d holds 2 of 5 with ε = 0: picked it again", h)
	}
}

func TestHashParams(t *testing.T) {
	checkParams(t, []paramCase{
		{spec: "hash", canonical: "hash(eps=0.25, vnodes=100)"},
		{spec: "hash(vnodes=3, eps=0)", canonical: "hash(eps=0, vnodes=3)"},
		{spec: "hash(eps=-0.1)", errs: []string{"hash: parameter eps", "must be ≥ 0, got -0.1"}},
		{spec: "hash(vnodes=0)", errs: []string{"hash: parameter vnodes", "at least 1"}},
		{spec: "hash(vnodes=1.5)", errs: []string{"parameter vnodes", "whole number"}},
	})
}
