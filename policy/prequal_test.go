package policy_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/loadlab/loadlab/policy"
)

// Every pick sends probes ProbeLater to distinct nodes, never Probe; with an
// empty pool picks are uniform, and so are the probes.
func TestPrequalProbes(t *testing.T) {
	for _, c := range []struct {
		spec  string
		nodes int
		want  int // nodes per ProbeLater
	}{
		{"prequal", 10, 3},
		{"prequal(probes=1)", 10, 1},
		{"prequal(probes=12)", 5, 5},
	} {
		d := mustDispatch(t, c.spec, policy.Env{Nodes: c.nodes, Servers: 1})
		v := newView(t, policy.None, queues(make([]int, c.nodes)...))
		var picks []policy.NodeID
		probed := make([]int, c.nodes)
		for i := range 5000 {
			v.reset()
			picks = append(picks, d.Pick(v, job(int64(i), 1, 0)))
			if len(v.rounds) != 0 {
				t.Fatalf("%s: pick %d called Probe %v", c.spec, i, v.rounds)
			}
			if len(v.later) != c.want {
				t.Fatalf("%s: pick %d: ProbeLater(%v), want %d nodes", c.spec, i, v.later, c.want)
			}
			for k, n := range v.later {
				if slices.Contains(v.later[:k], n) {
					t.Fatalf("%s: pick %d: node %d probed twice: %v", c.spec, i, n, v.later)
				}
				probed[n]++
			}
		}
		spread(t, c.spec+": picks with an empty pool", counts(c.nodes, picks), ids(seq(c.nodes)...), 0.15)
		spread(t, c.spec+": probes", probed, ids(seq(c.nodes)...), 0.1)
	}
}

// reply is a probe answer fed to Replied.
type reply struct {
	node  int
	queue int
	work  float64
}

// A prequal script: replies arrive, then picks, each of which must be one
// of its set (nil: any node, the pool being empty).
type prequalStep struct {
	replies []reply
	picks   [][]policy.NodeID
}

func TestPrequalPool(t *testing.T) {
	anyNode := [][]policy.NodeID{nil}
	for _, c := range []struct {
		name  string
		spec  string
		steps []prequalStep
	}{
		{name: "cold: least latency", spec: "prequal(reuse=1)", steps: []prequalStep{
			// RIFs 1, 1, 0: the 0.84 quantile is 1, none is hot.
			// Latency Work+1: 6, 2, 3.
			{replies: []reply{{0, 1, 5}, {1, 1, 1}, {2, 0, 2}}, picks: [][]policy.NodeID{ids(1), ids(2), ids(0)}},
			{picks: anyNode},
		}},
		{name: "hot nodes are skipped", spec: "prequal(reuse=1, q=0.5)", steps: []prequalStep{
			// RIFs 0, 0, 5, 5: the median is 0, nodes 2, 3 are hot though faster.
			{replies: []reply{{0, 0, 4}, {1, 0, 3}, {2, 5, 0}, {3, 5, 0}}, picks: [][]policy.NodeID{ids(1), ids(0), ids(2, 3), ids(2, 3)}},
		}},
		{name: "all hot: least RIF", spec: "prequal(pool=2, reuse=1, q=0.5)", steps: []prequalStep{
			// Nodes 0, 1 are pushed out of the pool, their RIFs stay in the
			// quantile: the median is 0 and both pooled nodes are hot.
			{replies: []reply{{0, 0, 0}, {1, 0, 0}, {2, 9, 0}, {3, 8, 9}}, picks: [][]policy.NodeID{ids(3), ids(2)}},
			{picks: anyNode},
		}},
		{name: "oldest out of a full pool", spec: "prequal(pool=2, reuse=1)", steps: []prequalStep{
			{replies: []reply{{0, 0, 0}, {1, 0, 1}, {2, 0, 2}}, picks: [][]policy.NodeID{ids(1), ids(2)}},
			{picks: anyNode},
		}},
		{name: "a fresher reply replaces its node's", spec: "prequal(pool=2, reuse=1)", steps: []prequalStep{
			// Node 0's second reply takes its place: node 1 is not pushed out.
			{replies: []reply{{1, 0, 3}, {0, 4, 9}, {0, 0, 0}}, picks: [][]policy.NodeID{ids(0), ids(1)}},
			{picks: anyNode},
		}},
		{name: "each reply serves reuse picks", spec: "prequal(reuse=3)", steps: []prequalStep{
			{replies: []reply{{4, 0, 0}}, picks: [][]policy.NodeID{ids(4), ids(4), ids(4)}},
			{picks: anyNode},
		}},
		{name: "a pick bumps RIF and latency", spec: "prequal(reuse=2, q=1)", steps: []prequalStep{
			// Node 5's RIF 9 sets the quantile: no node turns hot. Latency
			// 101, 1 and 1.5; a pick adds 1 to it.
			{replies: []reply{{5, 9, 100}, {0, 0, 0}, {1, 0, 0.5}},
				picks: [][]policy.NodeID{ids(0), ids(1), ids(0), ids(1), ids(5), ids(5)}},
			{picks: anyNode},
		}},
		{name: "a bumped node turns hot", spec: "prequal(reuse=2)", steps: []prequalStep{
			// RIFs 0, 0: the quantile is 0; node 0 has RIF 1 after a pick.
			{replies: []reply{{0, 0, 0}, {1, 0, 5}}, picks: [][]policy.NodeID{ids(0), ids(1)}},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for seed := range uint64(10) {
				d := mustDispatch(t, c.spec, policy.Env{Nodes: 6, Servers: 1})
				rw := d.(policy.ReplyWatcher)
				v := newView(t, policy.None, queues(0, 0, 0, 0, 0, 0))
				v.rng = rand.New(rand.NewPCG(seed, 3))
				i := 0
				for si, s := range c.steps {
					for _, r := range s.replies {
						rw.Replied(v, policy.NodeID(r.node), policy.Load{Queue: r.queue, Running: min(r.queue, 1), Work: r.work, Servers: 1, Speed: 1})
					}
					for k, want := range s.picks {
						n := d.Pick(v, job(int64(i), 1, 0))
						i++
						if want != nil && !slices.Contains(want, n) {
							t.Fatalf("seed %d step %d pick %d: node %d, want one of %v", seed, si, k, n, want)
						}
					}
				}
				if len(v.rounds) != 0 {
					t.Fatalf("prequal called Probe: %v", v.rounds)
				}
			}
		})
	}
}

// With an empty pool a pick is random: after the pool runs dry, picks
// spread over all nodes.
func TestPrequalEmptyPoolIsRandom(t *testing.T) {
	d := mustDispatch(t, "prequal(reuse=1)", policy.Env{Nodes: 4, Servers: 1})
	v := newView(t, policy.None, queues(0, 0, 0, 0))
	d.(policy.ReplyWatcher).Replied(v, 2, policy.Load{Servers: 1, Speed: 1})
	if n := d.Pick(v, job(0, 1, 0)); n != 2 {
		t.Fatalf("pool of node 2: picked %d", n)
	}
	var got []policy.NodeID
	for i := range 4000 {
		got = append(got, d.Pick(v, job(int64(i+1), 1, 0)))
	}
	spread(t, "picks", counts(4, got), ids(0, 1, 2, 3), 0.1)
}

func TestPrequalParams(t *testing.T) {
	checkParams(t, []paramCase{
		{spec: "prequal", canonical: "prequal(probes=3, pool=16, reuse=2, q=0.84)"},
		{spec: "prequal(q=0.6, pool=8)", canonical: "prequal(probes=3, pool=8, reuse=2, q=0.6)"},
		{spec: "prequal(q=1.1)", errs: []string{"prequal: parameter q", "must be in [0, 1], got 1.1"}},
		{spec: "prequal(q=-0.1)", errs: []string{"parameter q", "[0, 1]"}},
		{spec: "prequal(probes=0)", errs: []string{"parameter probes", "at least 1"}},
		{spec: "prequal(pool=0)", errs: []string{"parameter pool", "at least 1"}},
		{spec: "prequal(reuse=0)", errs: []string{"parameter reuse", "at least 1"}},
	})
}
