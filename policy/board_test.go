package policy_test

import (
	"math/rand/v2"
	"testing"

	"github.com/loadlab/loadlab/policy"
)

// TestJSQBoard holds jsq's index to its scan: posted the board, jsq picks
// only among the nodes whose gossiped queue per server is least, and each
// of them about equally often, through many posts that move nodes between
// keys (queues, fractional keys of nodes with several servers, a least key
// left empty) as a cluster's changes do.
func TestJSQBoard(t *testing.T) {
	const nodes, steps = 40, 20000
	rng := rand.New(rand.NewPCG(3, 4))
	env := policy.Env{Nodes: nodes, Servers: 1}
	d := mustDispatch(t, "jsq", env)
	board := d.(policy.BoardWatcher)
	gossip := make([]policy.Load, nodes)
	for i := range gossip {
		gossip[i] = policy.Load{Queue: 3 + rng.IntN(5), Servers: 1 + rng.IntN(3)*(i%2)}
		board.Posted(policy.NodeID(i), gossip[i])
	}
	v := newView(t, policy.None, gossip)
	v.gossip = gossip
	least := func() (float64, []policy.NodeID) {
		min, at := perServer(gossip[0]), []policy.NodeID{0}
		for i := 1; i < nodes; i++ {
			switch k := perServer(gossip[i]); {
			case k < min:
				min, at = k, []policy.NodeID{policy.NodeID(i)}
			case k == min:
				at = append(at, policy.NodeID(i))
			}
		}
		return min, at
	}
	for s := range steps {
		n := rng.IntN(nodes)
		gossip[n].Queue = max(0, gossip[n].Queue+rng.IntN(3)-1)
		board.Posted(policy.NodeID(n), gossip[n])
		v.reset()
		got := d.Pick(v, nil)
		if min, _ := least(); perServer(gossip[got]) != min {
			t.Fatalf("step %d: picked node %d at %g per server, least is %g", s, got, perServer(gossip[got]), min)
		}
		if len(v.rounds) != 0 {
			t.Fatalf("step %d: probed", s)
		}
		if v.reads != 1 { // the chosen node's entry, for the record of gossip's age
			t.Fatalf("step %d: read the board %d times, want once (the index)", s, v.reads)
		}
	}

	// Ties: the least nodes equally likely (a binomial count each).
	for i := range gossip {
		gossip[i] = policy.Load{Queue: 5, Servers: 1}
		board.Posted(policy.NodeID(i), gossip[i])
	}
	for _, i := range []int{4, 9, 17, 30} {
		gossip[i].Queue = 1
		board.Posted(policy.NodeID(i), gossip[i])
	}
	_, tied := least()
	count := map[policy.NodeID]int{}
	const picks = 8000
	for range picks {
		count[d.Pick(v, nil)]++
	}
	for _, n := range tied {
		// 2,000 expected, standard deviation 38.7: 5 of them.
		if c := count[n]; c < 1806 || c > 2194 {
			t.Errorf("tied node %d picked %d times of %d, want about %d", n, c, picks, picks/len(tied))
		}
	}
	if len(count) != len(tied) {
		t.Errorf("picked %d nodes, want only the %d tied", len(count), len(tied))
	}
}

// TestJSQScansUntilPosted: a backend that posts only some nodes (or none)
// leaves jsq scanning, so that it decides on the whole board.
func TestJSQScansUntilPosted(t *testing.T) {
	gossip := queues(4, 4, 0, 4)
	d := mustDispatch(t, "jsq", policy.Env{Nodes: 4, Servers: 1})
	d.(policy.BoardWatcher).Posted(0, policy.Load{Queue: 0, Servers: 1}) // node 0 looks empty to the index alone
	v := newView(t, policy.None, gossip)
	v.gossip = gossip
	for range 100 {
		v.reset()
		if n := d.Pick(v, nil); n != 2 {
			t.Fatalf("picked %d, want 2, the shortest on the board", n)
		}
		if v.reads != 4 {
			t.Fatalf("read the board %d times, want 4 (a scan)", v.reads)
		}
	}
}
