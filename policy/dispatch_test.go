package policy_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/workload"
)

// perServer is the load index of jsq and pod.
func perServer(l policy.Load) float64 { return float64(l.Queue) / float64(max(l.Servers, 1)) }

func TestDispatchScenarios(t *testing.T) {
	const picks = 6000
	for _, c := range []struct {
		name   string
		spec   string
		loads  []policy.Load // current loads, what Probe answers
		gossip []policy.Load // published loads; nil means loads
		want   []policy.NodeID
		seq    []policy.NodeID // exact first picks, if set
		probe  int             // nodes per Probe call, one call per pick; 0: never probes
	}{
		{name: "random is uniform", spec: "random", loads: queues(0, 0, 0, 0, 0), want: ids(0, 1, 2, 3, 4)},
		{name: "random ignores load", spec: "random", loads: queues(9, 0, 0, 0), want: ids(0, 1, 2, 3)},
		{name: "rr cycles", spec: "rr", loads: queues(5, 0, 0, 0), want: ids(0, 1, 2, 3), seq: ids(0, 1, 2, 3, 0, 1, 2, 3, 0)},
		{name: "rr one node", spec: "rr", loads: queues(3), want: ids(0), seq: ids(0, 0, 0)},

		{name: "jsq reads gossip, not current loads", spec: "jsq",
			loads: queues(0, 9, 9, 9, 9), gossip: queues(3, 1, 2, 1, 5), want: ids(1, 3)},
		{name: "jsq per server", spec: "jsq", want: ids(0), loads: []policy.Load{
			{Queue: 4, Servers: 4, Speed: 1}, // 1 per server
			{Queue: 2, Servers: 1, Speed: 1}, // 2
			{Queue: 3, Servers: 2, Speed: 1}, // 1.5
		}},
		{name: "jsq spreads ties", spec: "jsq", loads: queues(2, 2, 2, 2), want: ids(0, 1, 2, 3)},

		{name: "lwl work per capacity", spec: "lwl", want: ids(0, 3), loads: []policy.Load{
			{Queue: 9, Work: 10, Servers: 2, Speed: 5},    // 1
			{Queue: 0, Work: 3, Servers: 1, Speed: 1},     // 3
			{Queue: 1, Work: 0.5, Servers: 1, Speed: .25}, // 2
			{Queue: 9, Work: 4, Servers: 4, Speed: 1},     // 1
		}},
		{name: "lwl reads gossip", spec: "lwl", loads: queues(0, 5, 5), gossip: queues(5, 5, 0), want: ids(2)},
		{name: "lwl spreads ties", spec: "lwl", loads: queues(1, 1, 1), want: ids(0, 1, 2)},
		{name: "lwl with nothing published yet", spec: "lwl",
			loads: queues(0, 0, 0), gossip: make([]policy.Load, 3), want: ids(0, 1, 2)},

		{name: "pod picks the shortest probed", spec: "pod(d=2)", loads: queues(0, 1, 2, 3, 4, 5), want: ids(0, 1, 2, 3, 4), probe: 2},
		{name: "pod spreads ties", spec: "pod", loads: queues(1, 1, 1, 1, 1), want: ids(0, 1, 2, 3, 4), probe: 2},
		// Per server: 1, 2, 1.5, 0, 1, 3; node 1 is beaten by all but node 5.
		{name: "pod d=3 per server", spec: "pod(d=3)", want: ids(0, 2, 3, 4), probe: 3, loads: []policy.Load{
			{Queue: 4, Servers: 4}, {Queue: 2, Servers: 1}, {Queue: 3, Servers: 2},
			{Queue: 0, Servers: 1}, {Queue: 8, Servers: 8}, {Queue: 6, Servers: 2},
		}},
		{name: "pod d=N probes all", spec: "pod(d=4)", loads: queues(3, 1, 2, 1), want: ids(1, 3), probe: 4},
		{name: "pod d>N probes all", spec: "pod(d=9)", loads: queues(3, 1, 2, 1), want: ids(1, 3), probe: 4},
		{name: "pod ignores gossip", spec: "pod(d=3)", loads: queues(1, 0, 1), gossip: queues(0, 9, 0), want: ids(1), probe: 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := policy.Env{Nodes: len(c.loads), Servers: 1}
			d := mustDispatch(t, c.spec, env)
			v := newView(t, policy.None, c.loads)
			v.gossip = c.gossip
			var got []policy.NodeID
			probed := make([]int, len(c.loads))
			for i := 0; i < picks; i++ {
				v.reset()
				n := d.Pick(v, &policy.Job{Job: workload.Job{ID: int64(i), Size: 1}})
				if n < 0 || int(n) >= len(c.loads) {
					t.Fatalf("pick %d: node %d, want 0..%d", i, n, len(c.loads)-1)
				}
				got = append(got, n)
				if len(v.sent) > 0 {
					t.Errorf("pick %d sent messages %v", i, v.sent)
				}
				if c.probe == 0 {
					if len(v.rounds) != 0 {
						t.Fatalf("pick %d probed %v, want no probes", i, v.rounds)
					}
					continue
				}
				if len(v.rounds) != 1 || len(v.rounds[0]) != c.probe {
					t.Fatalf("pick %d probed %v, want one Probe call of %d nodes", i, v.rounds, c.probe)
				}
				probe := v.rounds[0]
				for _, p := range probe {
					probed[p]++
				}
				if !slices.Contains(probe, n) {
					t.Fatalf("pick %d: node %d was not probed (%v)", i, n, probe)
				}
				for _, p := range probe {
					if perServer(c.loads[p]) < perServer(c.loads[n]) {
						t.Fatalf("pick %d: node %d (load %v) while probed node %d has %v", i, n, c.loads[n], p, c.loads[p])
					}
				}
			}
			if c.seq != nil && !slices.Equal(got[:len(c.seq)], c.seq) {
				t.Errorf("first picks %v, want %v", got[:len(c.seq)], c.seq)
			}
			tol := 0.1
			if c.probe > 0 { // each node is picked with its own probability; only check the set
				tol = 1e9
			}
			spread(t, "picks", counts(len(c.loads), got), c.want, tol)
			if c.probe > 0 { // probes are uniform over the nodes
				spread(t, "probes", probed, ids(seq(len(c.loads))...), 0.1)
			}
		})
	}
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// With d=2 of N nodes with distinct loads, node i (i-th shortest) is picked
// exactly when it is probed with a longer one: (N-1-i) of the C(N,2) pairs.
func TestPodPickDistribution(t *testing.T) {
	const n, picks = 5, 20000
	d := mustDispatch(t, "pod(d=2)", policy.Env{Nodes: n, Servers: 1})
	v := newView(t, policy.None, queues(0, 1, 2, 3, 4))
	c := make([]int, n)
	for range picks {
		v.reset()
		c[d.Pick(v, &policy.Job{})]++
	}
	for i := range n {
		want := float64(picks) * float64(n-1-i) / float64(n*(n-1)/2)
		if got := float64(c[i]); got < want*0.93-10 || got > want*1.07+10 {
			t.Errorf("node %d picked %v times, want about %.0f (counts %v)", i, got, want, c)
		}
	}
}

func TestJIQ(t *testing.T) {
	const n = 5
	d := mustDispatch(t, "jiq", policy.Env{Nodes: n, Servers: 1})
	idle, ok := d.(policy.IdleWatcher)
	if !ok {
		t.Fatalf("jiq is not an IdleWatcher")
	}
	v := newView(t, policy.None, queues(9, 9, 9, 9, 9))
	pick := func() policy.NodeID {
		t.Helper()
		v.reset()
		p := d.Pick(v, &policy.Job{})
		if len(v.rounds) != 0 || len(v.sent) != 0 {
			t.Fatalf("jiq probed %v or sent %v, want no communication at arrival", v.rounds, v.sent)
		}
		return p
	}

	// Every node starts idle and listed once: telling the dispatcher again
	// does not list it twice.
	idle.Idle(v, 0)
	var first []policy.NodeID
	for range n {
		first = append(first, pick())
	}
	if !slices.Equal(first, ids(0, 1, 2, 3, 4)) {
		t.Errorf("first %d picks %v, want each node once in order", n, first)
	}

	// An idle report is served next, before any random pick.
	idle.Idle(v, 3)
	if got := pick(); got != 3 {
		t.Errorf("after Idle(3): picked %d, want 3", got)
	}

	// A node is listed at most once; the I-queue is FIFO.
	idle.Idle(v, 2)
	idle.Idle(v, 2)
	idle.Idle(v, 4)
	idle.Idle(v, 1)
	if got := []policy.NodeID{pick(), pick(), pick()}; !slices.Equal(got, ids(2, 4, 1)) {
		t.Errorf("after Idle(2), Idle(2), Idle(4), Idle(1): picked %v, want [2 4 1]", got)
	}

	// With an empty I-queue picks are uniform.
	var rest []policy.NodeID
	for range 5000 {
		rest = append(rest, pick())
	}
	spread(t, "picks with an empty I-queue", counts(n, rest), ids(0, 1, 2, 3, 4), 0.1)

	// A node picked from the I-queue can be listed again.
	idle.Idle(v, 2)
	if got := pick(); got != 2 {
		t.Errorf("after a second Idle(2): picked %d, want 2", got)
	}
}

// With several dispatchers each idle node sits in exactly one I-queue: after
// draining, every idle report is served once before picks become random
// again, whichever dispatcher gets the job.
func TestJIQDispatchers(t *testing.T) {
	const n, m = 6, 3
	d := mustDispatch(t, "jiq(dispatchers=3)", policy.Env{Nodes: n, Servers: 1})
	idle := d.(policy.IdleWatcher)
	v := newView(t, policy.None, queues(make([]int, n)...))
	c := make([]int, n)
	for range 200 { // drains the initial listing with overwhelming probability
		c[d.Pick(v, &policy.Job{})]++
	}
	for i, x := range c {
		if x == 0 {
			t.Errorf("node %d never picked in 200 picks", i)
		}
	}
	idle.Idle(v, 5)
	got := 0
	for range 200 {
		if d.Pick(v, &policy.Job{}) == 5 {
			got++
		}
	}
	if got < 1 {
		t.Errorf("idle node 5 picked %d times in 200 picks, want at least once", got)
	}
}

func TestClass(t *testing.T) {
	for _, c := range []struct {
		name    string
		nodes   int
		weights []float64
		groups  [][]policy.NodeID // nodes of each class
	}{
		{"one class", 4, nil, [][]policy.NodeID{ids(0, 1, 2, 3)}},
		{"3:1", 8, []float64{0.75, 0.25}, [][]policy.NodeID{ids(0, 1, 2, 3, 4, 5), ids(6, 7)}},
		{"1:1", 8, []float64{0.5, 0.5}, [][]policy.NodeID{ids(0, 1, 2, 3), ids(4, 5, 6, 7)}},
		{"3:1:1 exact", 10, []float64{0.6, 0.2, 0.2}, [][]policy.NodeID{ids(0, 1, 2, 3, 4, 5), ids(6, 7), ids(8, 9)}},
		{"1:3", 8, []float64{0.25, 0.75}, [][]policy.NodeID{ids(0, 1), ids(2, 3, 4, 5, 6, 7)}},
		{"at least one node each", 10, []float64{0.98, 0.01, 0.01}, [][]policy.NodeID{ids(0, 1, 2, 3, 4, 5, 6, 7), ids(8), ids(9)}},
		{"as many classes as nodes", 3, []float64{0.8, 0.1, 0.1}, [][]policy.NodeID{ids(0), ids(1), ids(2)}},
		{"more classes than nodes", 3, []float64{0.2, 0.2, 0.2, 0.2, 0.2},
			[][]policy.NodeID{ids(0), ids(1), ids(2), ids(0), ids(1)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := mustDispatch(t, "class", policy.Env{Nodes: c.nodes, Servers: 1, ClassWeights: c.weights})
			v := newView(t, policy.None, queues(make([]int, c.nodes)...))
			for k, g := range c.groups {
				var got []policy.NodeID
				for range 3 * len(g) {
					got = append(got, d.Pick(v, &policy.Job{Job: workload.Job{Class: int32(k)}}))
				}
				want := slices.Concat(g, g, g) // round-robin within the group
				if !slices.Equal(got, want) {
					t.Errorf("class %d picks %v, want %v", k, got, want)
				}
			}
			if len(v.rounds) != 0 {
				t.Errorf("class probed %v", v.rounds)
			}
		})
	}
}

// With the classes' size distributions known, class sizes its groups by
// offered work (weight × mean size), not by job shares: 90% of the jobs with
// mean 0.1 against 10% with mean 9 split the work 1 : 10.
func TestClassByWork(t *testing.T) {
	for _, c := range []struct {
		name    string
		nodes   int
		weights []float64
		sizes   []string
		groups  [][]policy.NodeID
	}{
		{"work 1:10 exact", 11, []float64{0.9, 0.1}, []string{"exp(mean=0.1)", "exp(mean=9)"},
			[][]policy.NodeID{ids(0), ids(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)}},
		{"work 1:10 on 20 nodes", 20, []float64{0.9, 0.1}, []string{"exp(mean=0.1)", "exp(mean=9)"},
			[][]policy.NodeID{ids(0, 1), ids(2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19)}},
		{"any distribution: its mean counts", 8, []float64{0.5, 0.5}, []string{"det(value=3)", "uniform(min=0, max=2)"},
			[][]policy.NodeID{ids(0, 1, 2, 3, 4, 5), ids(6, 7)}},
		{"a class of almost no work still gets a node", 10, []float64{0.99, 0.01}, []string{"exp(mean=0.001)", "exp(mean=100)"},
			[][]policy.NodeID{ids(0), ids(1, 2, 3, 4, 5, 6, 7, 8, 9)}},
		{"equal sizes: by weight", 8, []float64{0.75, 0.25}, []string{"exp(mean=2)", "exp(mean=2)"},
			[][]policy.NodeID{ids(0, 1, 2, 3, 4, 5), ids(6, 7)}},
		{"sizes unknown: by weight", 8, []float64{0.75, 0.25}, nil,
			[][]policy.NodeID{ids(0, 1, 2, 3, 4, 5), ids(6, 7)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var sizes []workload.Dist
			if c.sizes != nil {
				sizes = dists(t, c.sizes...)
			}
			d := mustDispatch(t, "class", policy.Env{Nodes: c.nodes, Servers: 1, ClassWeights: c.weights, ClassSizes: sizes})
			v := newView(t, policy.None, queues(make([]int, c.nodes)...))
			for k, g := range c.groups {
				var got []policy.NodeID
				for range len(g) {
					got = append(got, d.Pick(v, &policy.Job{Job: workload.Job{Class: int32(k)}}))
				}
				if !slices.Equal(got, g) {
					t.Errorf("class %d picks %v, want its group %v", k, got, g)
				}
			}
		})
	}
}

// An unknown class (a job from a workload with more classes than the
// dispatcher was built for) goes with class 0.
func TestClassOutOfRange(t *testing.T) {
	d := mustDispatch(t, "class", policy.Env{Nodes: 4, Servers: 1, ClassWeights: []float64{0.5, 0.5}})
	v := newView(t, policy.None, queues(0, 0, 0, 0))
	for _, k := range []int32{-1, 2, 7} {
		if got := d.Pick(v, &policy.Job{Job: workload.Job{Class: k}}); got != 0 && got != 1 {
			t.Errorf("class %d went to node %d, want class 0's nodes 0..1", k, got)
		}
	}
}

// Property: for any weights the groups are disjoint, cover the cluster, give
// each class at least one node, and, when every class's exact share w·N is
// at least one node, are within one node of it.
func TestClassProportional(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 2000; trial++ {
		nodes := 1 + r.IntN(40)
		k := 1 + r.IntN(min(nodes, 6))
		w := make([]float64, k)
		total := 0.0
		for i := range w {
			w[i] = r.Float64() + 0.01
			if r.IntN(4) == 0 {
				w[i] = r.Float64() * 0.05
			}
			total += w[i]
		}
		for i := range w {
			w[i] /= total
		}
		d := mustDispatch(t, "class", policy.Env{Nodes: nodes, Servers: 1, ClassWeights: w})
		v := newView(t, policy.None, queues(make([]int, nodes)...))
		owner := make([]int, nodes)
		for i := range owner {
			owner[i] = -1
		}
		bounded := true
		for i := range w {
			bounded = bounded && w[i]*float64(nodes) >= 1
		}
		for class := range w {
			// Round-robin: picks repeat with the group's period.
			var group []policy.NodeID
			for {
				n := d.Pick(v, &policy.Job{Job: workload.Job{Class: int32(class)}})
				if len(group) > 0 && n == group[0] {
					break
				}
				if slices.Contains(group, n) || len(group) > nodes {
					t.Fatalf("weights %v, %d nodes: class %d picks do not cycle: %v then %d", w, nodes, class, group, n)
				}
				group = append(group, n)
			}
			for _, n := range group {
				if n < 0 || int(n) >= nodes {
					t.Fatalf("weights %v, %d nodes: class %d got node %d", w, nodes, class, n)
				}
				if owner[n] >= 0 {
					t.Fatalf("weights %v, %d nodes: node %d in classes %d and %d", w, nodes, n, owner[n], class)
				}
				owner[n] = class
			}
			exact := w[class] * float64(nodes)
			if bounded && (float64(len(group)) <= exact-1 || float64(len(group)) >= exact+1) {
				t.Errorf("weights %v, %d nodes: class %d has %d nodes, want within one of %.2f", w, nodes, class, len(group), exact)
			}
		}
		for n, o := range owner {
			if o < 0 {
				t.Fatalf("weights %v, %d nodes: node %d serves no class", w, nodes, n)
			}
		}
	}
}
