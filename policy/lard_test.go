package policy_test

import (
	"testing"

	"github.com/loadlab/loadlab/policy"
)

// TestLard follows LARD (Pai et al. 1998) through a script on 4 nodes of
// one server, T_low 1, T_high 2: a key sticks to its node while the node
// is not overloaded, moves to the least loaded node when it is (more than
// T_high in flight while another has fewer than T_low, or 2·T_high in
// any case), and with replication the key's set grows instead, and
// shrinks again after `keep` unchanged.
func TestLard(t *testing.T) {
	env := policy.Env{Nodes: 4, Servers: 1}
	v := newView(t, policy.None, queues(0, 0, 0, 0))
	pick := func(d policy.Dispatcher, id int64, key int32) *policy.Job {
		j := job(id, 1, key)
		j.Origin = d.Pick(v, j)
		return j
	}
	d := mustDispatch(t, "lard(low=1, high=2)", env)
	first := pick(d, 0, 7)
	for i := int64(1); i <= 2; i++ { // 2 and then 3 in flight at the key's node: only 3 > T_high
		if j := pick(d, i, 7); j.Origin != first.Origin {
			t.Fatalf("request %d for key 7 went to %d, want its node %d (not overloaded yet)", i, j.Origin, first.Origin)
		}
	}
	moved := pick(d, 3, 7) // 3 in flight > T_high and every other node has 0 < T_low
	if moved.Origin == first.Origin {
		t.Fatalf("key 7 stayed at overloaded node %d", first.Origin)
	}
	if j := pick(d, 4, 7); j.Origin != moved.Origin {
		t.Errorf("key 7 went to %d after moving to %d: it sticks to its new node", j.Origin, moved.Origin)
	}
	other := pick(d, 5, 9) // a new key goes to the least loaded node: not either of 7's
	if other.Origin == first.Origin || other.Origin == moved.Origin {
		t.Errorf("key 9 went to %d, a loaded node", other.Origin)
	}
	d.(policy.DoneWatcher).Done(v, first) // completions lower loads

	// Replication: the set grows to the new node and both serve the key.
	r := mustDispatch(t, "lard(low=1, high=2, replicate=1, keep=10)", env)
	a := pick(r, 0, 3).Origin
	for i := int64(1); i <= 2; i++ {
		pick(r, i, 3)
	}
	b := pick(r, 3, 3).Origin // a overloaded: b joins the set
	if b == a {
		t.Fatalf("replicate: key 3 stayed at overloaded node %d", a)
	}
	if c := pick(r, 4, 3).Origin; c != b {
		t.Errorf("replicate: key 3 went to %d, want the set's least loaded %d", c, b)
	}
	v.now = 11 // the set unchanged for longer than keep: the busiest (a) leaves it
	if c := pick(r, 5, 3).Origin; c != b {
		t.Errorf("replicate: key 3 went to %d after its set shrank, want %d", c, b)
	}
	for i := int64(6); i < 8; i++ {
		if c := pick(r, i, 3).Origin; c == a {
			t.Errorf("replicate: key 3 went back to %d, which left its set", a)
		}
	}
}
