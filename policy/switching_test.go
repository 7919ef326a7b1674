package policy_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/loadlab/loadlab/policy"
)

// switchStep is one call to node 0 of a two-node cluster, so that every
// probe asks node 1 and the estimate is known exactly.
type switchStep struct {
	ev     event
	self   policy.Load // node 0
	other  policy.Load // node 1, as its probe reply says
	hops   int32
	want   policy.Action
	req    int // requested: first job handed over, -1 for none
	probes int // probes sent
}

// TestSwitching drives the lecture's hybrid through both modes. It starts
// sender-initiated (no estimate yet); each decision's first probe reply
// enters the mean of the last window replies as its fraction of busy
// servers; when the mean reaches L the node turns receiver-initiated, and
// sender-initiated again below L − band.
func TestSwitching(t *testing.T) {
	two := func(q, running int) policy.Load { return policy.Load{Queue: q, Running: running, Servers: 2, Speed: 1} }
	for _, c := range []struct {
		name  string
		spec  string
		steps []switchStep
	}{
		{"push, then pull, then push", "switching(T=1, probes=1, L=0.6, band=0, window=3)", []switchStep{
			{ev: departed, self: q(0), other: q(5)},                                                                // push mode: an idle node does not pull
			{ev: arrived, self: q(1), other: q(3), probes: 1},                                                      // push: probe finds no receiver; replies [1]: reaches L
			{ev: arrived, self: q(1), other: q(0)},                                                                 // pull mode: arrivals stay, no probes, though node 1 is idle
			{ev: departed, self: q(0), other: q(1), probes: 1},                                                     // pull: node 1 has nothing waiting; [1 1]
			{ev: departed, self: q(0), other: q(0), probes: 1},                                                     // [1 1 0]: 0.67, still pull
			{ev: departed, self: q(0), other: q(0), probes: 1},                                                     // [1 0 0]: 0.33 < L
			{ev: departed, self: q(0), other: q(5)},                                                                // push mode again: no pull
			{ev: arrived, self: q(1), other: q(0), probes: 1, want: policy.Action{Verb: policy.Transfer, Node: 1}}, // push; [0 0 0]
			{ev: arrived, self: q(5), other: q(0), hops: 1},                                                        // a transferred job never moves again
			{ev: requested, self: q(3), req: 2},                                                                    // either mode gives a waiting job above T
			{ev: arrived, self: q(2), other: q(4), probes: 1},                                                      // [0 0 1]: 0.33, push
			{ev: arrived, self: q(2), other: q(4), probes: 1},                                                      // [0 1 1]: 0.67, pull
			{ev: departed, self: q(0), other: q(3), probes: 1, want: policy.Action{Verb: policy.Request, Node: 1}}, // pull
			{ev: requested, self: q(1), req: -1},                                                                   // at T: nothing to give
		}},
		{"the window forgets old replies", "switching(T=1, probes=1, L=0.5, band=0, window=1)", []switchStep{
			{ev: arrived, self: q(1), other: q(2), probes: 1}, // [1]: pull
			{ev: arrived, self: q(1), other: q(0)},
			{ev: departed, self: q(0), other: q(0), probes: 1}, // nothing to take; [0]: push
			{ev: arrived, self: q(1), other: q(0), probes: 1, want: policy.Action{Verb: policy.Transfer, Node: 1}},
		}},
		{"hysteresis: back to push only below L − band", "switching(T=1, probes=1, L=1, band=0.5, window=2)", []switchStep{
			{ev: arrived, self: q(1), other: q(1), probes: 1},  // [1]: reaches L, pull
			{ev: departed, self: q(0), other: q(1), probes: 1}, // pull; nothing waiting at node 1; [1 1]
			{ev: departed, self: q(0), other: q(0), probes: 1}, // [1 0]: 0.5 is not below L − band: still pull
			{ev: departed, self: q(0), other: q(0), probes: 1}, // [0 0]
			{ev: departed, self: q(0), other: q(5)},            // 0 < 0.5: push again, so no pull
			{ev: arrived, self: q(1), other: q(0), probes: 1, want: policy.Action{Verb: policy.Transfer, Node: 1}},
		}},
		{"load is the fraction of busy servers, not the queue", "switching(T=1, probes=1, L=0.75, band=0, window=2)", []switchStep{
			{ev: arrived, self: two(2, 2), other: two(1, 1), probes: 1},  // one of two servers busy: [0.5], push
			{ev: arrived, self: two(2, 2), other: two(9, 2), probes: 1},  // nine jobs count as two busy servers: [0.5 1], pull
			{ev: arrived, self: two(2, 2), other: two(0, 0)},             // stays
			{ev: departed, self: two(0, 0), other: two(0, 0), probes: 1}, // [1 0]: 0.5 < L (by queue per server it would be 2.25)
			{ev: arrived, self: two(1, 1), other: two(0, 0), probes: 1, want: policy.Action{Verb: policy.Transfer, Node: 1}},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := mustMigrate(t, c.spec, policy.Env{Nodes: 2, Servers: 1, Node: 0})
			loads := make([]policy.Load, 2)
			v := newView(t, 0, loads)
			for i, s := range c.steps {
				v.reset()
				loads[0], loads[1] = s.self, s.other
				a, req, _ := call(m, v, s.ev, s.hops)
				at := fmt.Sprintf("step %d (%v, self %d, other %d)", i, s.ev, s.self.Queue, s.other.Queue)
				if a != s.want {
					t.Fatalf("%s: %+v, want %+v", at, a, s.want)
				}
				if s.ev == requested && req != s.req {
					t.Fatalf("%s: Requested gives job %d, want %d", at, req, s.req)
				}
				if got := len(v.probed()); got != s.probes {
					t.Fatalf("%s: %d probes, want %d", at, got, s.probes)
				}
			}
		})
	}
}

// Only the first probe reply of a decision enters the estimate: the first
// node probed is drawn at random whatever it holds, the later ones are
// probed because the earlier ones failed.
func TestSwitchingFirstReply(t *testing.T) {
	pulled := map[bool]int{}
	for seed := uint64(1); seed <= 40; seed++ {
		m := mustMigrate(t, "switching(T=1, probes=2, L=0.75, band=0, window=1)", policy.Env{Nodes: 3, Servers: 2, Node: 0})
		// Both others have a job (no receiver for T = 1), so the sender
		// probes both, in random order: node 1 has one of two servers busy,
		// node 2 both.
		v := newView(t, 0, []policy.Load{{Queue: 1, Running: 1, Servers: 2}, {Queue: 1, Running: 1, Servers: 2}, {Queue: 3, Running: 2, Servers: 2}})
		v.rng = rand.New(rand.NewPCG(seed, 5))
		if a := m.Arrived(v, &policy.Job{}); a != (policy.Action{}) {
			t.Fatalf("seed %d: Arrived = %+v, want keep", seed, a)
		}
		if p := v.probed(); len(p) != 2 {
			t.Fatalf("seed %d: probed %v, want both others", seed, p)
		}
		first := v.probed()[0]
		firstHeavy := first == 2
		v.reset()
		v.loads[0] = policy.Load{Servers: 2}
		m.Departed(v) // probes only if the estimate (first reply: 0.5 or 1) made it pull
		if pulls := len(v.rounds) > 0; pulls != firstHeavy {
			t.Fatalf("seed %d: first reply from node %d, then pulls = %v, want %v", seed, first, pulls, firstHeavy)
		}
		pulled[firstHeavy]++
	}
	if pulled[true] == 0 || pulled[false] == 0 {
		t.Errorf("over 40 seeds the first probe went to node 2 %d times and node 1 %d times: want both", pulled[true], pulled[false])
	}
}
