package policy_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/loadlab/loadlab/policy"
)

// view is an in-memory policy.View: a table of loads, the time, the caller
// and a seeded random source. It records every probe round and message so a
// scenario can assert what a decision cost, and it fails the test when a
// policy breaks the View contract (probing itself, a node twice in one
// decision, a node out of range, an out slice that is too short).
type view struct {
	t      testing.TB
	now    float64
	self   policy.NodeID
	loads  []policy.Load // current loads: Local, Probe
	gossip []policy.Load // published loads; nil means loads
	age    float64
	rng    *rand.Rand

	rounds [][]policy.NodeID // one entry per Probe call
	later  []policy.NodeID   // nodes passed to ProbeLater
	sent   []sent
	jobs   []policy.JobInfo // Jobs; nil means made up from loads[self]
	reads  int              // Gossip calls
}

type sent struct {
	to policy.NodeID
	m  policy.Message
}

var _ policy.View = (*view)(nil)

func newView(t testing.TB, self policy.NodeID, loads []policy.Load) *view {
	return &view{t: t, self: self, loads: loads, rng: rand.New(rand.NewPCG(1, 2))}
}

func (v *view) Now() float64                            { return v.now }
func (v *view) Self() policy.NodeID                     { return v.self }
func (v *view) Nodes() int                              { return len(v.loads) }
func (v *view) Rand() *rand.Rand                        { return v.rng }
func (v *view) Send(to policy.NodeID, m policy.Message) { v.sent = append(v.sent, sent{to, m}) }

func (v *view) Local() policy.Load {
	if v.self == policy.None {
		v.t.Errorf("a dispatcher called Local")
		return policy.Load{}
	}
	return v.loads[v.self]
}

func (v *view) Gossip(n policy.NodeID) (policy.Load, float64) {
	v.reads++
	if v.gossip != nil {
		return v.gossip[n], v.age
	}
	return v.loads[n], v.age
}

func (v *view) Probe(nodes []policy.NodeID, out []policy.Load) {
	v.t.Helper()
	if len(out) < len(nodes) {
		v.t.Fatalf("Probe(%v) with len(out) = %d", nodes, len(out))
	}
	if len(nodes) == 0 {
		v.t.Errorf("Probe of no nodes")
	}
	for i, n := range nodes {
		switch {
		case n < 0 || int(n) >= len(v.loads):
			v.t.Fatalf("Probe of node %d, want 0..%d", n, len(v.loads)-1)
		case n == v.self:
			v.t.Errorf("node %d probed itself", n)
		case slices.Contains(nodes[:i], n) || slices.Contains(v.probed(), n):
			v.t.Errorf("node %d probed twice in one decision (rounds %v)", n, v.rounds)
		}
		out[i] = v.loads[n]
	}
	v.rounds = append(v.rounds, slices.Clone(nodes))
}

func (v *view) ProbeLater(nodes []policy.NodeID) {
	for _, n := range nodes {
		if n < 0 || int(n) >= len(v.loads) || n == v.self {
			v.t.Fatalf("ProbeLater of node %d (self %d), want another of 0..%d", n, v.self, len(v.loads)-1)
		}
	}
	v.later = append(v.later, nodes...)
}

// Jobs lists v.jobs, or else Local().Queue jobs of which the first
// Local().Running are in service, job k with ID k, size 1, done 0.5 if
// running.
func (v *view) Jobs(out []policy.JobInfo) []policy.JobInfo {
	out = out[:0]
	if v.self == policy.None {
		return out
	}
	if v.jobs != nil {
		return append(out, v.jobs...)
	}
	l := v.loads[v.self]
	for k := 0; k < l.Queue; k++ {
		j := policy.JobInfo{Running: k < l.Running, Since: v.now - float64(l.Queue-k)}
		j.ID, j.Size = int64(k), 1
		if j.Running {
			j.Done = 0.5
		}
		out = append(out, j)
	}
	return out
}

// probed lists the nodes probed since the last reset, in order.
func (v *view) probed() []policy.NodeID {
	var all []policy.NodeID
	for _, r := range v.rounds {
		all = append(all, r...)
	}
	return all
}

// reset forgets the probes and messages of the last decision.
func (v *view) reset() { v.rounds, v.sent, v.later, v.reads = nil, nil, nil, 0 }

// queues builds one-server, speed-1 loads with the given queue lengths, the
// head of each queue in service and Work equal to the queue length.
func queues(q ...int) []policy.Load {
	out := make([]policy.Load, len(q))
	for i, n := range q {
		out[i] = policy.Load{Queue: n, Running: min(n, 1), Work: float64(n), Servers: 1, Speed: 1}
	}
	return out
}

func ids(n ...int) []policy.NodeID {
	out := make([]policy.NodeID, len(n))
	for i, x := range n {
		out[i] = policy.NodeID(x)
	}
	return out
}

func mustDispatch(t testing.TB, spec string, env policy.Env) policy.Dispatcher {
	t.Helper()
	s, err := policy.Builtin().Dispatch(spec)
	if err != nil {
		t.Fatalf("Dispatch(%q): %v", spec, err)
	}
	return s.New(env)
}

func mustMigrate(t testing.TB, spec string, env policy.Env) policy.Migrator {
	t.Helper()
	s, err := policy.Builtin().Migrate(spec)
	if err != nil {
		t.Fatalf("Migrate(%q): %v", spec, err)
	}
	return s.New(env)
}

// counts tallies picks per node.
func counts(n int, picks []policy.NodeID) []int {
	c := make([]int, n)
	for _, p := range picks {
		c[p]++
	}
	return c
}

// spread checks that every node in want got within ±tol of an equal share of
// the picks and that no other node got any.
func spread(t *testing.T, what string, c []int, want []policy.NodeID, tol float64) {
	t.Helper()
	total := 0
	for _, x := range c {
		total += x
	}
	share := float64(total) / float64(len(want))
	for n, x := range c {
		if !slices.Contains(want, policy.NodeID(n)) {
			if x != 0 {
				t.Errorf("%s: node %d picked %d times, want 0 (counts %v)", what, n, x, c)
			}
			continue
		}
		if f := float64(x); f < share*(1-tol) || f > share*(1+tol) {
			t.Errorf("%s: node %d picked %d times, want %.0f ± %.0f%% (counts %v)", what, n, x, share, 100*tol, c)
		}
	}
}
