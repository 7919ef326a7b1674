package policy_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/loadlab/loadlab/policy"
)

// w is a one-server load with the head in service and k jobs waiting.
func w(k int) policy.Load {
	return policy.Load{Queue: k + 1, Running: 1, Work: float64(k + 1), Servers: 1, Speed: 1}
}

// A thief probes up to `probes` random nodes in one round and asks the one
// with most waiting jobs, if any waits.
func TestStealThief(t *testing.T) {
	const seeds = 300
	idle := policy.Load{Servers: 1, Speed: 1}
	for _, c := range []struct {
		name   string
		spec   string
		ev     event
		self   policy.Load // node 0's load
		loads  []policy.Load
		now    float64
		probed int // nodes probed, in one round (0: no probe)
		wake   float64
		both   bool // some seeds must find a victim and some not
	}{
		{name: "steals from the most loaded probed", spec: "steal(probes=2)", ev: departed, self: idle,
			loads: []policy.Load{{}, w(3), w(1), w(0), w(5), q(0), w(2)}, probed: 2, both: true},
		{name: "probes all when probes ≥ others", spec: "steal(probes=9)", ev: departed, self: idle,
			loads: []policy.Load{{}, w(1), w(4), w(2)}, probed: 3},
		{name: "one waiting job is worth stealing", spec: "steal(probes=3)", ev: departed, self: idle,
			loads: []policy.Load{{}, w(0), w(1), w(0)}, probed: 3},
		{name: "nothing waiting anywhere", spec: "steal(probes=3)", ev: departed, self: idle,
			loads: []policy.Load{{}, w(0), busy, q(0), w(0)}, probed: 3},
		{name: "an unsuccessful thief retries", spec: "steal(probes=3, retry=0.5)", ev: departed, self: idle, now: 2,
			loads: []policy.Load{{}, w(0), busy, q(0), w(0)}, probed: 3, wake: 2.5},
		{name: "a thief with retry wakes after a request too", spec: "steal(probes=3, retry=0.5)", ev: departed, self: idle, now: 2,
			loads: []policy.Load{{}, w(0), w(2), q(0), w(0)}, probed: 3, wake: 2.5, both: true},
		{name: "the timer steals again", spec: "steal(probes=9, retry=1)", ev: timer, self: idle, now: 7,
			loads: []policy.Load{{}, w(0), w(2)}, probed: 2, wake: 8},
		{name: "a node with a job waiting does not steal", spec: "steal(probes=3, retry=1)", ev: departed, self: w(1),
			loads: []policy.Load{{}, w(5), w(5)}},
		{name: "a node with every server busy does not steal", spec: "steal(probes=3, retry=1)", ev: departed,
			self:  policy.Load{Queue: 2, Running: 2, Servers: 2, Speed: 1},
			loads: []policy.Load{{}, w(5), w(5)}},
		{name: "a node with a free server of two steals", spec: "steal(probes=3)", ev: departed,
			self:  policy.Load{Queue: 1, Running: 1, Servers: 2, Speed: 1},
			loads: []policy.Load{{}, w(5), w(0)}, probed: 2},
		{name: "the timer does nothing when busy", spec: "steal(probes=3, retry=1)", ev: timer, self: w(0),
			loads: []policy.Load{{}, w(5), w(5)}},
		{name: "arrivals stay", spec: "steal(probes=3, retry=1)", ev: arrived, self: idle,
			loads: []policy.Load{{}, w(5), w(5)}},
		{name: "alone", spec: "steal", ev: departed, self: idle, loads: []policy.Load{{}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := policy.Builtin().Migrate(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			loads := slices.Clone(c.loads)
			loads[0] = c.self
			found := 0
			for seed := uint64(1); seed <= seeds; seed++ {
				v := newView(t, 0, loads)
				v.now = c.now
				v.rng = rand.New(rand.NewPCG(seed, 4))
				m := s.New(policy.Env{Nodes: len(loads), Servers: 1, Node: 0})
				a, _, _ := call(m, v, c.ev, 0)
				at := fmt.Sprintf("seed %d: %+v after probing %v", seed, a, v.rounds)
				if a.Wake != c.wake {
					t.Fatalf("%s: wake %g, want %g", at, a.Wake, c.wake)
				}
				if c.probed == 0 {
					if len(v.rounds) != 0 || a.Verb != policy.Keep {
						t.Fatalf("%s: want no probe and no action", at)
					}
					continue
				}
				if len(v.rounds) != 1 || len(v.rounds[0]) != c.probed {
					t.Fatalf("%s: want one round of %d nodes", at, c.probed)
				}
				most := 0
				for _, p := range v.rounds[0] {
					most = max(most, loads[p].Waiting())
				}
				switch {
				case most == 0 && a.Verb != policy.Keep:
					t.Fatalf("%s: nothing waits at the probed nodes, want no request", at)
				case most > 0 && (a.Verb != policy.Request || !slices.Contains(v.rounds[0], a.Node) || loads[a.Node].Waiting() != most):
					t.Fatalf("%s: want a request to a probed node with %d waiting", at, most)
				}
				if a.Verb == policy.Request {
					found++
				}
			}
			if c.both && (found == 0 || found == seeds) {
				t.Errorf("found a victim in %d of %d seeds: the scenario does not exercise both outcomes", found, seeds)
			}
		})
	}
}

// Equally loaded victims are chosen equally often.
func TestStealTies(t *testing.T) {
	m := mustMigrate(t, "steal(probes=9)", policy.Env{Nodes: 5, Servers: 1, Node: 2})
	v := newView(t, 2, []policy.Load{w(3), w(1), {Servers: 1, Speed: 1}, w(3), w(3)})
	var got []policy.NodeID
	for range 6000 {
		v.reset()
		a := m.Departed(v)
		if a.Verb != policy.Request {
			t.Fatalf("got %+v, want a request", a)
		}
		got = append(got, a.Node)
	}
	spread(t, "victims", counts(5, got), ids(0, 3, 4), 0.1)
}

// A victim hands over ⌊waiting/2⌋ jobs, at least one, from the head of its
// waiting queue.
func TestStealVictim(t *testing.T) {
	for _, c := range []struct {
		load     policy.Load
		first, n int
	}{
		{load: q(0), n: 0},
		{load: q(1), n: 0},
		{load: busy, n: 0},
		{load: w(1), first: 1, n: 1},
		{load: w(2), first: 1, n: 1},
		{load: w(3), first: 1, n: 1},
		{load: w(4), first: 1, n: 2},
		{load: w(9), first: 1, n: 4},
		{load: policy.Load{Queue: 6, Running: 2, Servers: 2, Speed: 1}, first: 2, n: 2},
		{load: policy.Load{Queue: 3, Running: 0, Servers: 2, Speed: 1}, first: 0, n: 1}, // servers taken by overhead
	} {
		m := mustMigrate(t, "steal", policy.Env{Nodes: 2, Servers: c.load.Servers, Node: 0})
		v := newView(t, 0, []policy.Load{c.load, {}})
		first, n := m.Requested(v, 1)
		if n != c.n || (n > 0 && first != c.first) {
			t.Errorf("%+v: Requested = jobs %d+%d, want %d+%d", c.load, first, n, c.first, c.n)
		}
		if len(v.rounds) != 0 || len(v.sent) != 0 {
			t.Errorf("%+v: Requested probed %v or sent %v", c.load, v.rounds, v.sent)
		}
	}
}

func TestStealSpecs(t *testing.T) {
	checkSpecs(t, []specCase{
		{spec: "steal", want: "steal(probes=2, retry=0)"},
		{spec: "steal(retry=0.50, probes=4)", want: "steal(probes=4, retry=0.5)"},
		{spec: "steal(probes=0)", errs: []string{"steal: parameter probes", "at least 1"}},
		{spec: "steal(retry=-1)", errs: []string{"parameter retry", "must be ≥ 0, got -1"}},
	})
}
