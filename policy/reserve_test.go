package policy_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/workload"
)

// kindReserve is receiver.reserve's reservation message.
const kindReserve = 1

// A receiver below T probes up to Lp random nodes one at a time and sends a
// reservation to the first with Queue > T, and to no other.
func TestReserveProbes(t *testing.T) {
	const seeds = 300
	for _, c := range []struct {
		name    string
		spec    string
		T       int
		self    int
		loads   []policy.Load
		max     int  // probes wanted when no probed node qualifies
		none    bool // no probes at all
		anyHits bool // some seeds must reserve and some not
	}{
		{name: "first above T", spec: "receiver.reserve(T=1, probes=3)", T: 1, loads: queues(0, 1, 2, 1, 5, 0, 3), max: 3, anyHits: true},
		{name: "all probed", spec: "receiver.reserve(T=1, probes=9)", T: 1, self: 2, loads: queues(1, 1, 0, 2), max: 3},
		{name: "none above T", spec: "receiver.reserve(T=2, probes=3)", T: 2, loads: queues(1, 2, 2, 1, 0, 2), max: 3},
		{name: "above T with nothing waiting is reserved", spec: "receiver.reserve(T=1, probes=5)", T: 1, loads: []policy.Load{{Servers: 4}, busy, busy}, max: 2},
		{name: "at T does nothing", spec: "receiver.reserve(T=1, probes=3)", T: 1, loads: queues(1, 5, 5, 5), none: true},
		{name: "T=3 below T", spec: "receiver.reserve(T=3, probes=2)", T: 3, loads: queues(2, 4, 3, 3, 2), max: 2, anyHits: true},
		{name: "alone", spec: "receiver.reserve", T: 1, loads: queues(0), none: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := policy.Builtin().Migrate(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			self := policy.NodeID(c.self)
			hits := 0
			for seed := uint64(1); seed <= seeds; seed++ {
				v := newView(t, self, c.loads)
				v.rng = rand.New(rand.NewPCG(seed, 3))
				m := s.New(policy.Env{Nodes: len(c.loads), Servers: 1, Node: self})
				a := m.Departed(v)
				at := fmt.Sprintf("seed %d: probed %v, sent %v", seed, v.rounds, v.sent)
				if a != (policy.Action{}) {
					t.Fatalf("%s: action %+v, want none", at, a)
				}
				if c.none {
					if len(v.rounds) != 0 || len(v.sent) != 0 {
						t.Fatalf("%s: want no probes and no messages", at)
					}
					continue
				}
				probed := v.probed()
				for _, r := range v.rounds {
					if len(r) != 1 {
						t.Fatalf("%s: a round of %d nodes, want one at a time", at, len(r))
					}
				}
				for _, p := range probed[:len(probed)-1] {
					if c.loads[p].Queue > c.T {
						t.Fatalf("%s: node %d has Queue > T but probing went on", at, p)
					}
				}
				last := probed[len(probed)-1]
				if c.loads[last].Queue > c.T {
					hits++
					if len(v.sent) != 1 || v.sent[0].to != last || v.sent[0].m.Kind != kindReserve {
						t.Fatalf("%s: want one reservation to node %d", at, last)
					}
					continue
				}
				if len(v.sent) != 0 || len(probed) != c.max {
					t.Fatalf("%s: nobody above T: want %d probes and no message", at, c.max)
				}
			}
			if c.anyHits && (hits == 0 || hits == seeds) {
				t.Errorf("reserved in %d of %d seeds: the scenario does not exercise both outcomes", hits, seeds)
			}
		})
	}
}

// A node holding reservations transfers each new job to the oldest one
// while it is loaded, and drops those it cannot honour.
func TestReserveHolder(t *testing.T) {
	type step struct {
		ev    event // arrived or message
		from  int   // message sender
		kind  uint8 // message kind (0: kindReserve)
		queue int   // the holder's Queue at the step
		hops  int32 // arrived: the job's transfers so far
		to    int   // arrived: want Transfer to this node, or -1 to keep
	}
	res := func(from, queue int) step { return step{ev: message, from: from, queue: queue} }
	arr := func(queue int, to int) step { return step{ev: arrived, queue: queue, to: to} }
	for _, c := range []struct {
		name  string
		spec  string
		nodes int
		steps []step
	}{
		{name: "oldest reservation first", spec: "receiver.reserve(T=1)", nodes: 5, steps: []step{
			res(3, 2), res(1, 2), res(4, 3), arr(2, 3), arr(2, 1), arr(1, 4), arr(1, -1)}},
		{name: "only jobs fresh from the dispatcher", spec: "receiver.reserve(T=1)", nodes: 3, steps: []step{
			res(2, 2), {ev: arrived, queue: 2, hops: 1, to: -1}, arr(2, 2)}},
		{name: "a node no longer above T refuses", spec: "receiver.reserve(T=2)", nodes: 4, steps: []step{
			res(1, 2), arr(3, -1), res(1, 3), arr(3, 1)}},
		{name: "a node below T drops them all", spec: "receiver.reserve(T=2)", nodes: 4, steps: []step{
			res(1, 3), res(3, 3), arr(1, -1), arr(4, -1)}},
		{name: "honoured at T", spec: "receiver.reserve(T=2)", nodes: 4, steps: []step{
			res(1, 3), arr(2, 1)}},
		{name: "a receiver may hold several", spec: "receiver.reserve(T=1)", nodes: 3, steps: []step{
			res(1, 2), res(1, 2), arr(2, 1), arr(2, 1), arr(2, -1)}},
		{name: "at most Nodes held", spec: "receiver.reserve(T=1)", nodes: 3, steps: []step{
			res(1, 5), res(2, 5), res(1, 5), res(2, 5), arr(5, 1), arr(5, 2), arr(5, 1), arr(5, -1)}},
		{name: "other kinds ignored", spec: "receiver.reserve(T=1)", nodes: 3, steps: []step{
			{ev: message, from: 1, kind: 2, queue: 4}, arr(4, -1)}},
		{name: "completions do not transfer", spec: "receiver.reserve(T=1)", nodes: 3, steps: []step{
			res(1, 4), {ev: departed, queue: 3, to: -1}, arr(3, 1)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			const self = 0
			m := mustMigrate(t, c.spec, policy.Env{Nodes: c.nodes, Servers: 1, Node: self})
			loads := queues(make([]int, c.nodes)...)
			v := newView(t, self, loads)
			for i, s := range c.steps {
				v.reset()
				loads[self] = queues(s.queue)[0]
				var a policy.Action
				switch s.ev {
				case message:
					k := s.kind
					if k == 0 {
						k = kindReserve
					}
					a = m.Message(v, policy.NodeID(s.from), policy.Message{Kind: k})
				case departed:
					loads[1] = queues(0)[0] // nobody to reserve at
					a = m.Departed(v)
				default:
					a = m.Arrived(v, &policy.Job{Job: workload.Job{Size: 1}, Hops: s.hops})
				}
				want := policy.Action{}
				if s.ev == arrived && s.to >= 0 {
					want = policy.Action{Verb: policy.Transfer, Node: policy.NodeID(s.to)}
				}
				if a != want {
					t.Fatalf("step %d (%v, queue %d): %+v, want %+v", i, s.ev, s.queue, a, want)
				}
				if s.ev != departed && (len(v.sent) != 0 || len(v.rounds) != 0) {
					t.Fatalf("step %d: sent %v, probed %v, want nothing", i, v.sent, v.rounds)
				}
			}
		})
	}
}

// Reservation round trip between two instances: the receiver's message,
// delivered to the loaded node, brings that node's next job.
func TestReserveRoundTrip(t *testing.T) {
	env := func(n policy.NodeID) policy.Env { return policy.Env{Nodes: 3, Servers: 1, Node: n} }
	recv := mustMigrate(t, "receiver.reserve(T=1, probes=2)", env(0))
	hold := mustMigrate(t, "receiver.reserve(T=1, probes=2)", env(2))
	loads := queues(0, 1, 4)
	rv, hv := newView(t, 0, loads), newView(t, 2, loads)
	recv.Departed(rv)
	if len(rv.sent) != 1 || rv.sent[0].to != 2 {
		t.Fatalf("receiver probed %v and sent %v, want one reservation to node 2", rv.rounds, rv.sent)
	}
	hold.Message(hv, 0, rv.sent[0].m)
	if a := hold.Arrived(hv, &policy.Job{}); a != (policy.Action{Verb: policy.Transfer, Node: 0}) {
		t.Fatalf("holder's next arrival: %+v, want a transfer to node 0", a)
	}
	if a := hold.Arrived(hv, &policy.Job{}); a != (policy.Action{}) {
		t.Fatalf("holder's second arrival: %+v, want it kept", a)
	}
	if !slices.Equal(rv.probed()[len(rv.probed())-1:], ids(2)) {
		t.Errorf("receiver probed %v, want node 2 last", rv.probed())
	}
}

// specCase is a migration spec and either its canonical form or words its
// error must contain.
type specCase struct {
	spec string
	want string   // canonical form
	errs []string // or: substrings of the error
}

func checkSpecs(t *testing.T, cases []specCase) {
	t.Helper()
	for _, c := range cases {
		s, err := policy.Builtin().Migrate(c.spec)
		if c.errs == nil {
			if err != nil {
				t.Errorf("Migrate(%q): %v", c.spec, err)
			} else if s.String() != c.want {
				t.Errorf("Migrate(%q) = %q, want %q", c.spec, s.String(), c.want)
			}
			continue
		}
		if err == nil {
			t.Errorf("Migrate(%q): no error, want one containing %q", c.spec, c.errs)
			continue
		}
		for _, w := range c.errs {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Migrate(%q): error %q, want it to contain %q", c.spec, err, w)
			}
		}
	}
}

func TestReserveSpecs(t *testing.T) {
	checkSpecs(t, []specCase{
		{spec: "receiver.reserve", want: "receiver.reserve(T=1, probes=3)"},
		{spec: "receiver.reserve(probes=5, T=2)", want: "receiver.reserve(T=2, probes=5)"},
		{spec: "receiver.reserve(T=0)", errs: []string{"receiver.reserve: parameter T", "at least 1"}},
		{spec: "receiver.reserve(probes=0)", errs: []string{"parameter probes", "at least 1"}},
		{spec: "receiver.reserve(retry=1)", errs: []string{"unknown parameter retry"}},
	})
}
