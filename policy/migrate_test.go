package policy_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/workload"
)

type event int

const (
	arrived event = iota
	departed
	timer
	requested
	message
)

func (e event) String() string {
	return [...]string{"Arrived", "Departed", "Timer", "Requested", "Message"}[e]
}

// call delivers e to m and returns its action (Requested's answer in req:
// the first job handed over, -1 for none, and how many in n).
func call(m policy.Migrator, v policy.View, e event, hops int32) (a policy.Action, req, n int) {
	switch e {
	case arrived:
		return m.Arrived(v, &policy.Job{Job: workload.Job{Size: 1}, Hops: hops, Origin: v.Self()}), -1, 0
	case departed:
		return m.Departed(v), -1, 0
	case timer:
		return m.Timer(v), -1, 0
	case requested:
		first, n := m.Requested(v, (v.Self()+1)%policy.NodeID(v.Nodes()))
		if n == 0 {
			first = -1
		}
		return policy.Action{}, first, n
	default:
		return m.Message(v, (v.Self()+1)%policy.NodeID(v.Nodes()), policy.Message{Kind: 1, Value: 2}), -1, 0
	}
}

// senderOK is the sender side's acceptance rule with threshold T: the
// probed node's queue is below T.
func senderOK(t int) func(policy.Load) bool {
	return func(l policy.Load) bool { return l.Queue < t }
}

// receiverOK is the receiver side's rule: the probed node's queue exceeds T
// and it has a job waiting to give.
func receiverOK(t int) func(policy.Load) bool {
	return func(l policy.Load) bool { return l.Queue > t && l.Waiting() > 0 }
}

// busy is a node with Queue > T but every job in service: nothing to give.
var busy = policy.Load{Queue: 3, Running: 3, Work: 3, Servers: 4, Speed: 1}

func TestMigrateScenarios(t *testing.T) {
	const seeds = 300
	for _, c := range []struct {
		name  string
		spec  string
		self  int
		loads []policy.Load
		ev    event
		hops  int32
		now   float64

		verb     policy.Verb
		anyVerb  bool                   // the verb depends on which nodes are sampled; rule decides it
		nodes    []policy.NodeID        // allowed targets; nil: any node but self
		wake     float64                // want Action.Wake
		req      int                    // want Requested's first job (index in Jobs), -1 for none
		rounds   [2]int                 // min and max Probe calls
		size     int                    // nodes per Probe call
		rule     func(policy.Load) bool // probed nodes are tried in turn; the first that passes is the target
		shortest bool                   // instead: one Probe call; the shortest probed is the target if it passes
	}{
		{name: "none keeps", spec: "none", loads: queues(9, 0, 0), ev: arrived},
		{name: "none ignores completions", spec: "none", loads: queues(0, 5, 5), ev: departed},
		{name: "none refuses requests", spec: "none", loads: queues(9, 0, 0), ev: requested, req: -1},

		// sender.random(T=2)
		{name: "random keeps below T", spec: "sender.random(T=2)", loads: queues(1, 0, 0, 0), ev: arrived},
		{name: "random transfers at T", spec: "sender.random(T=2)", loads: queues(2, 0, 0, 0), ev: arrived,
			verb: policy.Transfer, nodes: ids(1, 2, 3)},
		{name: "random transfers without looking", spec: "sender.random(T=2)", self: 2, loads: queues(9, 9, 9, 9), ev: arrived,
			verb: policy.Transfer, nodes: ids(0, 1, 3)},
		{name: "random never moves a job twice", spec: "sender.random(T=2)", loads: queues(9, 0, 0, 0), ev: arrived, hops: 1},
		{name: "random alone", spec: "sender.random(T=2)", loads: queues(9), ev: arrived},
		{name: "random ignores completions", spec: "sender.random(T=2)", loads: queues(0, 9, 9), ev: departed},
		{name: "random refuses requests", spec: "sender.random(T=2)", loads: queues(9, 0, 0), ev: requested, req: -1},

		// sender.threshold(T=2, probes=3)
		{name: "threshold keeps below T", spec: "sender.threshold(T=2, probes=3)", loads: queues(1, 0, 0, 0, 0, 0), ev: arrived},
		{name: "threshold first fit", spec: "sender.threshold(T=2, probes=3)", loads: queues(2, 0, 0, 2, 1, 2), ev: arrived,
			verb: policy.Transfer, nodes: ids(1, 2, 4), rounds: [2]int{1, 3}, size: 1, rule: senderOK(2)},
		{name: "threshold first fit, maybe none", spec: "sender.threshold(T=2, probes=3)", self: 5, loads: queues(3, 2, 1, 4, 2, 7), ev: arrived,
			anyVerb: true, nodes: ids(2), rounds: [2]int{1, 3}, size: 1, rule: senderOK(2)},
		{name: "threshold all loaded keeps", spec: "sender.threshold(T=2, probes=3)", loads: queues(2, 2, 2, 3, 2, 5), ev: arrived,
			rounds: [2]int{3, 3}, size: 1, rule: senderOK(2)},
		{name: "threshold probe limit above N", spec: "sender.threshold(T=2, probes=10)", self: 1, loads: queues(2, 2, 2, 3), ev: arrived,
			rounds: [2]int{3, 3}, size: 1, rule: senderOK(2)},
		{name: "threshold never moves a job twice", spec: "sender.threshold(T=2, probes=3)", loads: queues(9, 0, 0), ev: arrived, hops: 2},
		{name: "threshold alone", spec: "sender.threshold(T=2, probes=3)", loads: queues(9), ev: arrived},

		// sender.shortest(T=2, probes=3)
		{name: "shortest keeps below T", spec: "sender.shortest(T=2, probes=3)", loads: queues(1, 0, 0, 0, 0, 0), ev: arrived},
		{name: "shortest picks the shortest probed", spec: "sender.shortest(T=2, probes=3)", loads: queues(4, 1, 0, 1, 1, 1), ev: arrived,
			verb: policy.Transfer, rounds: [2]int{1, 1}, size: 3, shortest: true, rule: senderOK(2)},
		{name: "shortest only below T", spec: "sender.shortest(T=2, probes=3)", loads: queues(4, 2, 2, 2, 3, 0), ev: arrived,
			anyVerb: true, nodes: ids(5), rounds: [2]int{1, 1}, size: 3, shortest: true, rule: senderOK(2)},
		{name: "shortest all loaded keeps", spec: "sender.shortest(T=2, probes=3)", loads: queues(2, 2, 2, 2, 3, 9), ev: arrived,
			rounds: [2]int{1, 1}, size: 3, shortest: true, rule: senderOK(2)},
		{name: "shortest probe limit above N", spec: "sender.shortest(T=2, probes=5)", loads: queues(2, 1, 0, 1), ev: arrived,
			verb: policy.Transfer, nodes: ids(2), rounds: [2]int{1, 1}, size: 3, shortest: true, rule: senderOK(2)},
		{name: "shortest never moves a job twice", spec: "sender.shortest(T=2, probes=3)", loads: queues(9, 0, 0), ev: arrived, hops: 1},

		// receiver.threshold(T=1, probes=3)
		{name: "receiver pulls from the first with work to spare", spec: "receiver.threshold(T=1, probes=3)", self: 2, ev: departed,
			loads:   []policy.Load{queues(3)[0], queues(1)[0], queues(0)[0], busy, queues(2)[0], queues(0)[0]},
			anyVerb: true, nodes: ids(0, 4), rounds: [2]int{1, 3}, size: 1, rule: receiverOK(1)},
		{name: "receiver pulls", spec: "receiver.threshold(T=1, probes=3)", loads: queues(0, 3, 3, 3), ev: departed,
			verb: policy.Request, rounds: [2]int{1, 1}, size: 1, rule: receiverOK(1)},
		{name: "receiver at T does nothing", spec: "receiver.threshold(T=1, probes=3)", loads: queues(1, 5, 5, 5), ev: departed},
		{name: "receiver all probes fail", spec: "receiver.threshold(T=1, probes=3)", ev: departed,
			loads:  []policy.Load{queues(0)[0], queues(1)[0], busy, queues(1)[0], queues(0)[0]},
			rounds: [2]int{3, 3}, size: 1, rule: receiverOK(1)},
		{name: "receiver nothing waiting anywhere", spec: "receiver.threshold(T=1, probes=3)", loads: []policy.Load{{}, busy, busy, busy}, ev: departed,
			rounds: [2]int{3, 3}, size: 1, rule: receiverOK(1)},
		{name: "receiver retry timer", spec: "receiver.threshold(T=1, probes=3, retry=2)", loads: queues(0, 1, 1, 1), ev: departed, now: 5,
			wake: 7, rounds: [2]int{3, 3}, size: 1, rule: receiverOK(1)},
		{name: "receiver timer pulls", spec: "receiver.threshold(T=1, probes=3, retry=2)", loads: queues(0, 1, 2, 1), ev: timer, now: 5,
			verb: policy.Request, nodes: ids(2), rounds: [2]int{1, 3}, size: 1, rule: receiverOK(1)},
		{name: "receiver timer at T does nothing", spec: "receiver.threshold(T=1, probes=3, retry=2)", loads: queues(1, 3, 3, 3), ev: timer, now: 5},
		{name: "receiver keeps arrivals", spec: "receiver.threshold(T=1, probes=3)", loads: queues(9, 0, 0), ev: arrived},
		{name: "receiver gives its newest waiting job", spec: "receiver.threshold(T=1)", loads: queues(4, 0), ev: requested, req: 3},
		{name: "receiver gives its only waiting job", spec: "receiver.threshold(T=1)", loads: queues(2, 0), ev: requested, req: 1},
		{name: "receiver at T refuses", spec: "receiver.threshold(T=1)", loads: queues(1, 0), ev: requested, req: -1},
		{name: "receiver at T refuses though waiting", spec: "receiver.threshold(T=1)", ev: requested, req: -1,
			loads: []policy.Load{{Queue: 1, Running: 0, Servers: 1, Speed: 1}, {}}},
		{name: "receiver with nothing waiting refuses", spec: "receiver.threshold(T=1)", loads: []policy.Load{busy, {}}, ev: requested, req: -1},
		{name: "receiver T=3 gives above T only", spec: "receiver.threshold(T=3)", loads: queues(3, 0), ev: requested, req: -1},
		{name: "receiver T=3 gives above T", spec: "receiver.threshold(T=3)", loads: queues(4, 0), ev: requested, req: 3},
		{name: "receiver select=newest is the default", spec: "receiver.threshold(T=1, select=newest)", loads: queues(4, 0), ev: requested, req: 3},
		{name: "receiver select=oldest gives the head of the waiting queue", spec: "receiver.threshold(T=1, select=oldest)", loads: queues(4, 0), ev: requested, req: 1},
		{name: "receiver select=oldest after every job in service", spec: "receiver.threshold(T=1, select=oldest)", ev: requested, req: 2,
			loads: []policy.Load{{Queue: 5, Running: 2, Work: 5, Servers: 2, Speed: 1}, {}}},
		{name: "receiver select=oldest gives its only waiting job", spec: "receiver.threshold(T=1, select=oldest)", loads: queues(2, 0), ev: requested, req: 1},
		{name: "receiver select=oldest at T refuses", spec: "receiver.threshold(T=1, select=oldest)", loads: queues(1, 0), ev: requested, req: -1},
		{name: "receiver select=oldest with nothing waiting refuses", spec: "receiver.threshold(T=1, select=oldest)", loads: []policy.Load{busy, {}}, ev: requested, req: -1},

		// symmetric(T=2, probes=3): sender side on arrivals, receiver side on completions and requests.
		{name: "symmetric sends at T", spec: "symmetric(T=2, probes=3)", loads: queues(2, 2, 0, 3, 1), ev: arrived,
			verb: policy.Transfer, nodes: ids(2, 4), rounds: [2]int{1, 3}, size: 1, rule: senderOK(2)},
		{name: "symmetric keeps below T", spec: "symmetric(T=2, probes=3)", loads: queues(1, 0, 0), ev: arrived},
		{name: "symmetric never moves a job twice", spec: "symmetric(T=2, probes=3)", loads: queues(5, 0, 0), ev: arrived, hops: 1},
		{name: "symmetric pulls below T", spec: "symmetric(T=2, probes=3)", loads: queues(1, 2, 3, 2, 4), ev: departed,
			verb: policy.Request, nodes: ids(2, 4), rounds: [2]int{1, 3}, size: 1, rule: receiverOK(2)},
		{name: "symmetric at T does not pull", spec: "symmetric(T=2, probes=3)", loads: queues(2, 5, 5), ev: departed},
		{name: "symmetric timer does nothing", spec: "symmetric(T=2, probes=3)", loads: queues(2, 5, 5), ev: timer},
		{name: "symmetric gives above T", spec: "symmetric(T=2, probes=3)", loads: queues(3, 0), ev: requested, req: 2},
		{name: "symmetric keeps at T", spec: "symmetric(T=2, probes=3)", loads: queues(2, 0), ev: requested, req: -1},
		{name: "symmetric select=oldest gives the head of the waiting queue", spec: "symmetric(T=2, select=oldest)", loads: queues(5, 0), ev: requested, req: 1},
		{name: "symmetric select=newest gives the tail", spec: "symmetric(T=2, select=newest)", loads: queues(5, 0), ev: requested, req: 4},
		{name: "symmetric select=oldest keeps at T", spec: "symmetric(T=2, select=oldest)", loads: queues(2, 0), ev: requested, req: -1},
		{name: "symmetric select=oldest still sends at T", spec: "symmetric(T=2, probes=3, select=oldest)", loads: queues(2, 2, 0, 3, 1), ev: arrived,
			verb: policy.Transfer, nodes: ids(2, 4), rounds: [2]int{1, 3}, size: 1, rule: senderOK(2)},
		{name: "symmetric ignores messages", spec: "symmetric(T=2, probes=3)", loads: queues(9, 0), ev: message},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec, err := policy.Builtin().Migrate(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			self := policy.NodeID(c.self)
			verbs := map[policy.Verb]int{}
			for seed := uint64(1); seed <= seeds; seed++ {
				v := newView(t, self, c.loads)
				v.now = c.now
				v.rng = rand.New(rand.NewPCG(seed, 2))
				m := spec.New(policy.Env{Nodes: len(c.loads), Servers: 1, Node: self})
				a, req, n := call(m, v, c.ev, c.hops)
				at := fmt.Sprintf("seed %d: %v → %+v (probed %v)", seed, c.ev, a, v.rounds)
				verbs[a.Verb]++

				if !c.anyVerb && a.Verb != c.verb {
					t.Fatalf("%s: verb %v, want %v", at, a.Verb, c.verb)
				}
				if a.Verb == policy.Transfer && c.ev != arrived {
					t.Fatalf("%s: Transfer is valid from Arrived only", at)
				}
				if a.Verb != policy.Keep {
					if a.Node == self || a.Node < 0 || int(a.Node) >= len(c.loads) {
						t.Fatalf("%s: target %d, want another node of 0..%d", at, a.Node, len(c.loads)-1)
					}
					if c.nodes != nil && !slices.Contains(c.nodes, a.Node) {
						t.Fatalf("%s: target %d, want one of %v", at, a.Node, c.nodes)
					}
				}
				if a.Wake != c.wake {
					t.Fatalf("%s: wake %g, want %g", at, a.Wake, c.wake)
				}
				if c.ev == requested && (req != c.req || (req >= 0 && n != 1)) {
					t.Fatalf("seed %d: Requested = %d (%d jobs), want %d (1 job)", seed, req, n, c.req)
				}
				if n := len(v.rounds); n < c.rounds[0] || n > c.rounds[1] {
					t.Fatalf("%s: %d Probe calls, want %d..%d", at, n, c.rounds[0], c.rounds[1])
				}
				for _, r := range v.rounds {
					if len(r) != c.size {
						t.Fatalf("%s: Probe call of %d nodes, want %d", at, len(r), c.size)
					}
				}
				if len(v.sent) != 0 {
					t.Fatalf("%s: sent %v, want no messages", at, v.sent)
				}
				if c.rule == nil {
					continue
				}
				probed := v.probed()
				if c.shortest {
					best := probed[0]
					for _, p := range probed {
						if c.loads[p].Queue < c.loads[best].Queue {
							best = p
						}
					}
					switch {
					case c.rule(c.loads[best]) && (a.Verb == policy.Keep || c.loads[a.Node].Queue != c.loads[best].Queue || !slices.Contains(probed, a.Node)):
						t.Fatalf("%s: want the shortest probed node (queue %d)", at, c.loads[best].Queue)
					case !c.rule(c.loads[best]) && a.Verb != policy.Keep:
						t.Fatalf("%s: no probed node qualifies, want Keep", at)
					}
					continue
				}
				// First fit: stop at the first probed node that qualifies.
				for i, p := range probed[:max(len(probed)-1, 0)] {
					if c.rule(c.loads[p]) {
						t.Fatalf("%s: probed node %d (%+v) qualifies but probing went on (%d more)", at, p, c.loads[p], len(probed)-1-i)
					}
				}
				last := probed[len(probed)-1]
				switch {
				case a.Verb == policy.Keep && c.rule(c.loads[last]):
					t.Fatalf("%s: node %d qualifies, want it chosen", at, last)
				case a.Verb == policy.Keep && len(probed) != c.rounds[1]:
					t.Fatalf("%s: gave up after %d probes, want %d", at, len(probed), c.rounds[1])
				case a.Verb != policy.Keep && a.Node != last:
					t.Fatalf("%s: target %d, want the last probed node %d", at, a.Node, last)
				}
			}
			if c.anyVerb && len(verbs) < 2 {
				t.Errorf("only verbs %v occurred over %d seeds: the scenario does not exercise both outcomes", verbs, seeds)
			}
		})
	}
}

// sender.random sends to every other node equally often.
func TestSenderRandomSpread(t *testing.T) {
	m := mustMigrate(t, "sender.random(T=2)", policy.Env{Nodes: 5, Servers: 1, Node: 1})
	v := newView(t, 1, queues(0, 4, 0, 0, 0))
	var got []policy.NodeID
	for range 8000 {
		a := m.Arrived(v, &policy.Job{})
		if a.Verb != policy.Transfer {
			t.Fatalf("got %+v, want a transfer", a)
		}
		got = append(got, a.Node)
	}
	spread(t, "targets", counts(5, got), ids(0, 2, 3, 4), 0.1)
	if len(v.rounds) != 0 {
		t.Errorf("sender.random probed %d times, want never", len(v.rounds))
	}
}

// The threshold policies probe distinct random nodes: over many decisions
// every other node is probed, about equally often.
func TestProbesAreUniform(t *testing.T) {
	for _, spec := range []string{"sender.threshold(T=1, probes=2)", "sender.shortest(T=1, probes=2)", "receiver.threshold(T=1, probes=2)"} {
		m := mustMigrate(t, spec, policy.Env{Nodes: 6, Servers: 1, Node: 3})
		loads := queues(1, 1, 1, 1, 1, 1) // nothing qualifies anywhere: every decision probes twice
		ev := arrived
		if spec[0] == 'r' {
			loads[3] = policy.Load{Servers: 1, Speed: 1}
			ev = departed
		}
		v := newView(t, 3, loads)
		probed := make([]int, 6)
		for range 5000 {
			v.reset()
			if a, _, _ := call(m, v, ev, 0); a.Verb != policy.Keep {
				t.Fatalf("%s: %+v, want keep", spec, a)
			}
			for _, p := range v.probed() {
				probed[p]++
			}
		}
		spread(t, spec+" probes", probed, ids(0, 1, 2, 4, 5), 0.1)
	}
}

// A receiver with retry keeps asking on each Timer until it finds work.
func TestReceiverRetry(t *testing.T) {
	m := mustMigrate(t, "receiver.threshold(T=1, probes=3, retry=2)", policy.Env{Nodes: 4, Servers: 1, Node: 0})
	v := newView(t, 0, queues(0, 1, 1, 1))
	v.now = 10
	if a := m.Departed(v); a != (policy.Action{Wake: 12}) {
		t.Fatalf("Departed with no work anywhere: %+v, want Wake 12", a)
	}
	if len(v.rounds) != 3 {
		t.Errorf("Departed probed %v, want 3 rounds", v.rounds)
	}
	for _, now := range []float64{12, 14, 16} {
		v.reset()
		v.now = now
		if a := m.Timer(v); a != (policy.Action{Wake: now + 2}) {
			t.Fatalf("Timer at %g: %+v, want Wake %g", now, a, now+2)
		}
		if len(v.rounds) != 3 {
			t.Errorf("Timer at %g probed %v, want 3 rounds", now, v.rounds)
		}
	}
	v.reset()
	v.now = 18
	v.loads[2] = queues(3)[0]
	if a := m.Timer(v); a.Verb != policy.Request || a.Node != 2 || a.Wake != 0 {
		t.Fatalf("Timer with work at node 2: %+v, want Request from 2 and no wake", a)
	}
	v.reset()
	v.loads[0] = queues(1)[0] // busy again: the retries stop
	if a := m.Timer(v); a != (policy.Action{}) || len(v.rounds) != 0 {
		t.Fatalf("Timer at T: %+v after %v, want nothing and no probes", a, v.rounds)
	}
}

// select names which waiting job a receiver-side node hands over; the
// default keeps the newest, and other words are refused.
func TestSelectParam(t *testing.T) {
	for _, c := range []struct {
		spec string
		want string // canonical, or the error's text
		err  bool
	}{
		{spec: "receiver.threshold", want: "receiver.threshold(T=1, probes=3, retry=0, select=newest)"},
		{spec: "receiver.threshold(select=oldest)", want: "receiver.threshold(T=1, probes=3, retry=0, select=oldest)"},
		{spec: "symmetric", want: "symmetric(T=2, probes=3, select=newest)"},
		{spec: "symmetric(select=oldest, T=1)", want: "symmetric(T=1, probes=3, select=oldest)"},
		{spec: "receiver.threshold(select=middle)", err: true, want: `receiver.threshold: parameter select: want newest or oldest, got "middle"`},
		{spec: "symmetric(select=2)", err: true, want: `symmetric: parameter select: want newest or oldest, got "2"`},
	} {
		s, err := policy.Builtin().Migrate(c.spec)
		switch {
		case c.err && (err == nil || err.Error() != c.want):
			t.Errorf("Migrate(%q): error %v, want %q", c.spec, err, c.want)
		case !c.err && err != nil:
			t.Errorf("Migrate(%q): %v", c.spec, err)
		case !c.err && s.String() != c.want:
			t.Errorf("Migrate(%q) = %q, want %q", c.spec, s.String(), c.want)
		}
	}
}
