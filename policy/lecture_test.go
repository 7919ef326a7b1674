package policy_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/policy"
)

// The lecture's push and pull (Tanenbaum & van Steen, ch. 3): a sender
// "sends to the least loaded if lower" and may "stop at the first unloaded
// host"; a receiver "pulls from the heaviest loaded source if heavier".
// Every probed node is given, so each decision is determined up to ties,
// which the seeds cover.
func TestLecturePushPull(t *testing.T) {
	for _, c := range []struct {
		name   string
		spec   string
		loads  []policy.Load // node 0 decides
		ev     event
		verb   policy.Verb
		nodes  []policy.NodeID // allowed targets; each one must occur over the seeds
		rounds []int           // nodes per Probe call, in order; nil: no probes
		last   policy.NodeID   // sequential probing: the node probed last (-1: any; 0: the rounds are exactly as listed)
	}{
		// receiver.threshold(pick=heaviest): one round of Lp probes, then
		// the longest queue with a job waiting, if above T.
		{name: "heaviest asks the longest queue", spec: "receiver.threshold(T=1, probes=3, pick=heaviest)",
			loads: queues(0, 2, 5, 3), ev: departed, verb: policy.Request, nodes: ids(2), rounds: []int{3}},
		{name: "heaviest skips a node with nothing waiting", spec: "receiver.threshold(T=1, probes=3, pick=heaviest)",
			loads: []policy.Load{q(0), busy, q(2), q(0)}, ev: departed, verb: policy.Request, nodes: ids(2), rounds: []int{3}},
		{name: "heaviest at T keeps", spec: "receiver.threshold(T=2, probes=3, pick=heaviest)",
			loads: queues(0, 2, 1, 2), ev: departed, rounds: []int{3}},
		{name: "heaviest ties shared", spec: "receiver.threshold(T=1, probes=3, pick=heaviest)",
			loads: queues(0, 4, 4, 1), ev: departed, verb: policy.Request, nodes: ids(1, 2), rounds: []int{3}},
		{name: "heaviest pulls only below T", spec: "receiver.threshold(T=1, probes=3, pick=heaviest)",
			loads: queues(1, 4, 4, 1), ev: departed},
		{name: "heaviest with a timer retries", spec: "receiver.threshold(T=1, probes=3, retry=2, pick=heaviest)",
			loads: queues(0, 4, 2, 1), ev: timer, verb: policy.Request, nodes: ids(1), rounds: []int{3}},
		{name: "first (the default) asks the first probed that qualifies", spec: "receiver.threshold(T=1, probes=3)",
			loads: queues(0, 2, 5, 3), ev: departed, verb: policy.Request, nodes: ids(1, 2, 3), rounds: []int{1}, last: -1},

		// sender.shortest(stop=first-idle): probes one at a time and stops
		// at the first node with no job; else the shortest if below T.
		{name: "first-idle stops at the idle node", spec: "sender.shortest(T=2, probes=3, stop=first-idle)",
			loads: queues(3, 1, 0, 1), ev: arrived, verb: policy.Transfer, nodes: ids(2), rounds: []int{1, 1, 1}, last: 2},
		{name: "first-idle, none idle: the shortest below T", spec: "sender.shortest(T=3, probes=3, stop=first-idle)",
			loads: queues(3, 2, 1, 1), ev: arrived, verb: policy.Transfer, nodes: ids(2, 3), rounds: []int{1, 1, 1}, last: -1},
		{name: "first-idle, none below T keeps", spec: "sender.shortest(T=2, probes=3, stop=first-idle)",
			loads: queues(3, 2, 4, 2), ev: arrived, rounds: []int{1, 1, 1}, last: -1},
		{name: "first-idle below T keeps without probing", spec: "sender.shortest(T=2, probes=3, stop=first-idle)",
			loads: queues(1, 0, 0, 0), ev: arrived},
		{name: "stop=never (the default) probes all at once", spec: "sender.shortest(T=2, probes=3)",
			loads: queues(3, 1, 0, 1), ev: arrived, verb: policy.Transfer, nodes: ids(2), rounds: []int{3}},
		// sender.threshold already stops at the first node below T: with
		// T = 1, at the first idle one.
		{name: "threshold T=1 stops at the first idle node", spec: "sender.threshold(T=1, probes=3)",
			loads: queues(1, 1, 0, 1), ev: arrived, verb: policy.Transfer, nodes: ids(2), rounds: []int{1, 1, 1}, last: 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			seen := map[policy.NodeID]bool{}
			for seed := uint64(1); seed <= 50; seed++ {
				m := mustMigrate(t, c.spec, policy.Env{Nodes: len(c.loads), Servers: 1, Node: 0})
				v := newView(t, 0, c.loads)
				v.rng = rand.New(rand.NewPCG(seed, 3))
				a, _, _ := call(m, v, c.ev, 0)
				at := fmt.Sprintf("seed %d: %v → %+v (probed %v)", seed, c.ev, a, v.rounds)
				if a.Verb != c.verb || (a.Verb != policy.Keep && !slices.Contains(c.nodes, a.Node)) {
					t.Fatalf("%s: want %v of one of %v", at, c.verb, c.nodes)
				}
				seen[a.Node] = true
				var sizes []int
				for _, r := range v.rounds {
					sizes = append(sizes, len(r))
				}
				// Sequential probing stops early when a node qualifies: the
				// rounds are a prefix of the full list, ending at last.
				if len(sizes) > 1 || c.last != 0 {
					if len(sizes) == 0 || len(sizes) > len(c.rounds) || !slices.Equal(sizes, c.rounds[:len(sizes)]) {
						t.Fatalf("%s: probe rounds of %v nodes, want a prefix of %v", at, sizes, c.rounds)
					}
					if p := v.probed(); c.last >= 0 && p[len(p)-1] != c.last {
						t.Fatalf("%s: probing went on after node %d", at, c.last)
					}
					if c.last < 0 && a.Verb == policy.Keep && len(sizes) != len(c.rounds) {
						t.Fatalf("%s: gave up after %d probes, want %d", at, len(sizes), len(c.rounds))
					}
				} else if !slices.Equal(sizes, c.rounds) {
					t.Fatalf("%s: probe rounds of %v nodes, want %v", at, sizes, c.rounds)
				}
			}
			if a := c.nodes; c.verb != policy.Keep {
				for _, n := range a {
					if !seen[n] {
						t.Errorf("target %d never chosen over 50 seeds, want every one of %v", n, a)
					}
				}
			}
		})
	}
}

// The new parameters are words with a default that keeps the old rule, and
// a wrong word is refused naming the choices.
func TestLectureParams(t *testing.T) {
	for _, c := range []struct {
		spec string
		want string // canonical, or the error's text
		err  bool
	}{
		{spec: "receiver.threshold", want: "receiver.threshold(T=1, probes=3, retry=0, select=newest)"},
		{spec: "receiver.threshold(pick=heaviest)", want: "receiver.threshold(T=1, probes=3, retry=0, select=newest, pick=heaviest)"},
		{spec: "receiver.threshold(pick=last)", err: true, want: `receiver.threshold: parameter pick: want first or heaviest, got "last"`},
		{spec: "sender.shortest", want: "sender.shortest(T=2, probes=3)"},
		{spec: "sender.shortest(stop=first-idle)", want: "sender.shortest(T=2, probes=3, stop=first-idle)"},
		{spec: "sender.shortest(stop=idle)", err: true, want: `sender.shortest: parameter stop: want never or first-idle, got "idle"`},
		{spec: "sender.threshold(stop=first-idle)", err: true, want: "sender.threshold: unknown parameter stop"},
	} {
		s, err := policy.Builtin().Migrate(c.spec)
		switch {
		case c.err && (err == nil || !strings.HasPrefix(err.Error(), c.want)):
			t.Errorf("Migrate(%q): error %v, want %q", c.spec, err, c.want)
		case !c.err && err != nil:
			t.Errorf("Migrate(%q): %v", c.spec, err)
		case !c.err && s.String() != c.want:
			t.Errorf("Migrate(%q) = %q, want %q", c.spec, s.String(), c.want)
		}
	}
}
