package policy

import (
	"math"
	"sort"

	"github.com/loadlab/loadlab/param"
	"github.com/loadlab/loadlab/workload"
)

// The simple dispatch strategies: each reads the view and names a node.

var randomInfo = Info{
	Name: "random",
	Doc:  "send each job to a node chosen uniformly at random (no information)",
	Ref:  "baseline: N independent M/G/c queues",
}

type random struct{ runnable [][]NodeID }

func newRandom(param.Values) (DispatchBuilder, error) {
	return func(env Env) Dispatcher { return random{env.runnable()} }, nil
}

func (d random) Pick(v View, j *Job) NodeID {
	if nodes := classNodes(d.runnable, j); nodes != nil {
		return nodes[v.Rand().IntN(len(nodes))]
	}
	return NodeID(v.Rand().IntN(v.Nodes()))
}

// classNodes returns the nodes that can run j (Env.Runs), or nil when
// every node can.
func classNodes(runnable [][]NodeID, j *Job) []NodeID {
	if runnable == nil || j == nil || j.Class < 0 || int(j.Class) >= len(runnable) || len(runnable[j.Class]) == 0 {
		return nil
	}
	return runnable[j.Class]
}

// excluded is the key argmin gives nodes that cannot run the job.
func excluded(env Env, j *Job, n NodeID) bool { return j != nil && !env.CanRun(j.Class, n) }

var rrInfo = Info{
	Name: "rr",
	Doc:  "round-robin: nodes in turn",
	Ref:  "classic DNS / LVS round-robin",
}

type roundRobin struct{ next int }

func newRR(param.Values) (DispatchBuilder, error) {
	return func(Env) Dispatcher { return &roundRobin{} }, nil
}

func (d *roundRobin) Pick(v View, _ *Job) NodeID {
	n := d.next % v.Nodes()
	d.next = n + 1
	return NodeID(n)
}

var jsqInfo = Info{
	Name: "jsq",
	Doc:  "join the shortest queue according to the gossiped view (stale when gossip is periodic)",
	Ref:  "Winston 1977; stale view: Mitzenmacher, IEEE TPDS 11(1), 2000",
}

// jsq reads every node's gossiped load for every job, unless its backend
// posts the board to it (BoardWatcher): then it keeps the nodes indexed by
// their queue per server and picks among the shortest at once, each as
// likely as the scan would make it. Where classes cannot run everywhere
// (Env.Runs) it always scans.
type jsq struct {
	env   Env
	board *board // made on the first post
}

func newJSQ(param.Values) (DispatchBuilder, error) {
	return func(env Env) Dispatcher { return &jsq{env: env} }, nil
}

// perServer is the load index of jsq, pod and the others that compare
// queues: the queue per server. One server needs no division (q/1 is q),
// which spares pod(d=2) on one-server nodes a tenth of its decision.
func perServer(l Load) float64 {
	if l.Servers <= 1 {
		return float64(l.Queue)
	}
	return float64(l.Queue) / float64(l.Servers)
}

// Posted indexes node id by its load l.
func (d *jsq) Posted(id NodeID, l Load) {
	if d.env.Runs != nil || id < 0 || int(id) >= d.env.Nodes {
		return
	}
	if d.board == nil {
		d.board = newBoard(d.env.Nodes)
	}
	d.board.set(id, perServer(l))
}

func (d *jsq) Pick(v View, j *Job) NodeID {
	if d.board != nil && d.board.complete() && v.Nodes() == d.env.Nodes {
		if n, ok := d.board.pick(v.Rand()); ok {
			v.Gossip(n) // the entry the decision rests on, for the backend's record of gossip's age
			return n
		}
	}
	return NodeID(argmin(v.Rand(), v.Nodes(), func(i int) float64 {
		if excluded(d.env, j, NodeID(i)) {
			return math.Inf(1)
		}
		l, _ := v.Gossip(NodeID(i))
		return perServer(l)
	}))
}

var lwlInfo = Info{
	Name: "lwl",
	Doc:  "least work left according to the gossiped view (exact view: a central M/G/N FCFS queue)",
	Ref:  "Harchol-Balter, Crovella & Murta, JPDC 1999",
}

type lwl struct{ env Env }

func newLWL(param.Values) (DispatchBuilder, error) {
	return func(env Env) Dispatcher { return lwl{env} }, nil
}

func (d lwl) Pick(v View, j *Job) NodeID {
	return NodeID(argmin(v.Rand(), v.Nodes(), func(i int) float64 {
		if excluded(d.env, j, NodeID(i)) {
			return math.Inf(1)
		}
		l, _ := v.Gossip(NodeID(i))
		speed := l.Speed
		if !(speed > 0) { // a node that has published nothing yet: Load{}
			speed = 1
		}
		return l.Work / (float64(max(l.Servers, 1)) * speed)
	}))
}

var podInfo = Info{
	Name:   "pod",
	Params: param.Schema{{Name: "d", Kind: param.Int, Default: "2", Doc: "nodes probed per job"}},
	Doc:    "power of d choices: probe d distinct random nodes in parallel, join the shortest queue",
	Ref:    "Mitzenmacher, IEEE TPDS 12(10), 2001 (supermarket model)",
}

type pod struct {
	d        int
	sample   []NodeID
	loads    []Load
	runnable [][]NodeID
}

func newPod(p param.Values) (DispatchBuilder, error) {
	if err := atLeast(p, "d", 1); err != nil {
		return nil, err
	}
	d := p.Int("d")
	return func(env Env) Dispatcher {
		k := min(d, env.Nodes)
		return &pod{d: d, sample: make([]NodeID, 0, k), loads: make([]Load, k), runnable: env.runnable()}
	}, nil
}

func (d *pod) Pick(v View, j *Job) NodeID {
	if nodes := classNodes(d.runnable, j); nodes != nil {
		d.sample = sampleNodes(v.Rand(), len(nodes), None, d.d, d.sample)
		for i, k := range d.sample {
			d.sample[i] = nodes[k]
		}
	} else {
		d.sample = sampleNodes(v.Rand(), v.Nodes(), None, d.d, d.sample)
	}
	v.Probe(d.sample, d.loads)
	m := minimum{r: v.Rand(), key: perServer(d.loads[0]), ties: 1}
	for i := 1; i < len(d.sample); i++ {
		m.add(i, perServer(d.loads[i]))
	}
	return d.sample[m.best]
}

var classInfo = Info{
	Name: "class",
	Doc:  "by service type: nodes are split among job classes in proportion to their offered work (weight × mean size), at least one each; round-robin within a class's nodes",
	Ref:  "content-aware dispatch of server clusters (Cardellini et al., ACM Comput. Surv. 34(2), 2002)",
}

type byClass struct {
	groups [][]NodeID
	next   []int
}

func newClass(param.Values) (DispatchBuilder, error) {
	return func(env Env) Dispatcher { return newByClass(env) }, nil
}

// newByClass gives class k a contiguous share of the nodes proportional to
// its offered work, weight × mean size, at least one node each, so that
// every group runs at about the cluster's load (by weight alone, a class of
// few long jobs gets too few nodes and saturates them). Without the sizes
// (Env.ClassSizes nil) the weights decide. With more classes than nodes,
// classes share nodes cyclically.
func newByClass(env Env) *byClass {
	w := env.ClassWeights
	if len(w) == 0 {
		w = []float64{1}
	}
	if work, ok := offeredWork(w, env.ClassSizes); ok {
		w = work
	}
	d := &byClass{groups: make([][]NodeID, len(w)), next: make([]int, len(w))}
	if len(w) >= env.Nodes {
		for k := range w {
			d.groups[k] = []NodeID{NodeID(k % env.Nodes)}
		}
		return d
	}
	n := 0
	for k, c := range apportion(w, env.Nodes) {
		for i := 0; i < c; i++ {
			d.groups[k] = append(d.groups[k], NodeID(n))
			n++
		}
	}
	return d
}

// offeredWork returns each class's weight × mean size; ok is false when the
// sizes are unknown or a mean is not a positive number.
func offeredWork(w []float64, sizes []workload.Dist) (work []float64, ok bool) {
	if len(sizes) != len(w) {
		return nil, false
	}
	work = make([]float64, len(w))
	for k := range w {
		m := sizes[k].Mean()
		if !(m > 0) || math.IsInf(m, 1) {
			return nil, false
		}
		work[k] = w[k] * m
	}
	return work, true
}

// apportion splits n seats among len(w) < n parties in proportion to w by
// largest remainders (each party gets its quota w·n rounded down or up),
// then gives a party left with none a seat from the party most above its
// quota. Weights need not sum to 1.
func apportion(w []float64, n int) []int {
	total := 0.0
	for _, x := range w {
		total += x
	}
	quota := make([]float64, len(w))
	counts := make([]int, len(w))
	order := make([]int, len(w))
	used := 0
	for k, x := range w {
		quota[k] = x / total * float64(n)
		counts[k] = int(quota[k])
		used += counts[k]
		order[k] = k
	}
	// Largest remainders first; ties to the lower class, so the result is
	// deterministic.
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		return quota[a]-float64(counts[a]) > quota[b]-float64(counts[b])
	})
	for i := 0; used < n; i++ {
		counts[order[i%len(order)]]++
		used++
	}
	for k := range counts {
		if counts[k] > 0 {
			continue
		}
		donor := -1
		for j := range counts {
			if counts[j] > 1 && (donor < 0 || float64(counts[j])-quota[j] > float64(counts[donor])-quota[donor]) {
				donor = j
			}
		}
		counts[donor]--
		counts[k]++
	}
	return counts
}

func (d *byClass) Pick(_ View, j *Job) NodeID {
	k := int(j.Class)
	if k < 0 || k >= len(d.groups) {
		k = 0
	}
	g := d.groups[k]
	i := d.next[k] % len(g)
	d.next[k] = i + 1
	return g[i]
}
