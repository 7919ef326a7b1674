package policy_test

import (
	"testing"

	"github.com/loadlab/loadlab/policy"
)

// pod.gossip reads the board and never probes: with d = N it always joins
// the shortest published queue (ties shared at random), whatever the
// current loads say.
func TestPodGossip(t *testing.T) {
	for _, c := range []struct {
		name   string
		spec   string
		gossip []policy.Load
		want   []policy.NodeID
	}{
		{"d=N picks the shortest on the board", "pod.gossip(d=4)", queues(3, 1, 2, 5), ids(1)},
		{"ties are shared", "pod.gossip(d=4)", queues(2, 0, 0, 3), ids(1, 2)},
		{"d=1 is random", "pod.gossip(d=1)", queues(9, 0, 9, 9), ids(0, 1, 2, 3)},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := mustDispatch(t, c.spec, policy.Env{Nodes: 4})
			v := newView(t, policy.None, queues(0, 9, 9, 0)) // current loads: the opposite
			v.gossip = c.gossip
			var picks []policy.NodeID
			for range 4000 {
				v.reset()
				picks = append(picks, d.Pick(v, &policy.Job{}))
				if len(v.rounds) != 0 || len(v.later) != 0 {
					t.Fatalf("probed: %v %v", v.rounds, v.later)
				}
			}
			spread(t, c.spec, counts(4, picks), c.want, 0.1)
		})
	}
}

// sender.gossip moves a fresh arrival from a sender (Queue ≥ T) to the
// shortest published queue below T, without probing.
func TestSenderGossip(t *testing.T) {
	for _, c := range []struct {
		name   string
		loads  []policy.Load // node 0 is self
		gossip []policy.Load
		hops   int32
		verb   policy.Verb
		to     []policy.NodeID
	}{
		{"below T keeps", queues(1, 0, 0, 0), queues(1, 0, 0, 0), 0, policy.Keep, nil},
		{"sender moves to the shortest published", queues(2, 0, 0, 0), queues(2, 5, 1, 0), 0, policy.Transfer, ids(3)},
		{"the board, not the truth", queues(2, 0, 5, 5), queues(2, 5, 0, 5), 0, policy.Transfer, ids(2)},
		{"ties shared", queues(3, 9, 9, 9), queues(3, 1, 1, 4), 0, policy.Transfer, ids(1, 2)},
		{"nobody below T keeps", queues(4, 0, 0, 0), queues(4, 2, 3, 2), 0, policy.Keep, nil},
		{"a transferred job stays", queues(5, 0, 0, 0), queues(5, 0, 0, 0), 1, policy.Keep, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := mustMigrate(t, "sender.gossip(T=2)", policy.Env{Nodes: 4, Servers: 1, Node: 0})
			v := newView(t, 0, c.loads)
			v.gossip = c.gossip
			got := map[policy.NodeID]int{}
			for range 400 {
				v.reset()
				a := m.Arrived(v, &policy.Job{Hops: c.hops})
				if a.Verb != c.verb {
					t.Fatalf("verb %v, want %v", a.Verb, c.verb)
				}
				if len(v.rounds) != 0 {
					t.Fatalf("probed %v", v.rounds)
				}
				if a.Verb == policy.Transfer {
					got[a.Node]++
				}
			}
			for _, n := range c.to {
				if got[n] == 0 {
					t.Errorf("never sent to %d (sent: %v)", n, got)
				}
			}
			if len(got) > len(c.to) {
				t.Errorf("sent to %v, want only %v", got, c.to)
			}
		})
	}
}

// local takes the nearest node with room on the board, and when every node
// is full the nearest of the least loaded.
func TestLocal(t *testing.T) {
	dist := []float64{0.3, 0.1, 0.1, 0.05}
	for _, c := range []struct {
		name   string
		gossip []policy.Load
		want   []policy.NodeID
	}{
		{"the nearest has room", queues(0, 0, 0, 1), ids(3)},
		{"the nearest is full: the next nearest, ties shared", queues(0, 1, 0, 2), ids(1, 2)},
		{"all full: the least loaded", queues(3, 2, 4, 5), ids(1)},
		{"all full, equal: the nearest", queues(2, 2, 2, 2), ids(3)},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := mustDispatch(t, "local(T=2)", policy.Env{Nodes: 4, Distances: dist})
			v := newView(t, policy.None, queues(0, 0, 0, 0))
			v.gossip = c.gossip
			var picks []policy.NodeID
			for range 2000 {
				v.reset()
				picks = append(picks, d.Pick(v, &policy.Job{}))
			}
			spread(t, c.name, counts(4, picks), c.want, 0.1)
		})
	}
	// Without distances it spreads over the nodes with room.
	d := mustDispatch(t, "local", policy.Env{Nodes: 4})
	v := newView(t, policy.None, queues(0, 5, 0, 0))
	var picks []policy.NodeID
	for range 3000 {
		picks = append(picks, d.Pick(v, &policy.Job{}))
	}
	spread(t, "no distances", counts(4, picks), ids(0, 2, 3), 0.1)
}
