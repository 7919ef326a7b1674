package policy

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/loadlab/loadlab/param"
)

var sitaInfo = Info{
	Name: "sita",
	Params: param.Schema{{Name: "cutoffs", Kind: param.Floats, Default: "[]",
		Doc: "increasing sizes x1 < x2 < …: interval i is [x_i, x_{i+1}) with x_0 = 0; [] is SITA-E, cutoffs that equalise the load"}},
	Doc: "size-interval task assignment: each node serves the jobs of one size interval (SITA-E by default: equal load per node)",
	Ref: "Harchol-Balter, Crovella & Murta, Performance TOOLS 1998 and JPDC 59(2), 1999",
}

// sitaSamples is the size of SITA-E's deterministic sample of job sizes
// (building takes 25–45 ms). Measured against exact work curves, the
// cutoffs of exp sizes are within 0.4%; with heavy tails the top intervals
// rest on few samples: for bpareto(α=1.1, min=0.1, max=1000) node loads are
// within 0.2%, 3%, 9% and 26% of equal on 2, 4, 8 and 16 nodes (α=1.5,
// max=100: 0.02%, 0.3%, 3%, 5%). Give cutoffs explicitly where that
// matters.
const sitaSamples = 1 << 17

// sitaLearn is how many job sizes SITA-E collects when the workload's size
// distribution is unknown (Env.ClassSizes nil) before fixing its cutoffs.
const sitaLearn = 1024

func newSITA(p param.Values) (DispatchBuilder, error) {
	cuts := p.Floats("cutoffs")
	for i, x := range cuts {
		if !(x > 0) {
			return nil, p.Errorf("cutoffs", "must be > 0, got %v", x)
		}
		if i > 0 && x <= cuts[i-1] {
			return nil, p.Errorf("cutoffs", "must increase, got %v after %v", x, cuts[i-1])
		}
	}
	if len(cuts) > 0 {
		return func(env Env) Dispatcher { return newSITAFixed(cuts, env.Nodes) }, nil
	}
	return func(env Env) Dispatcher { return newSITAE(env) }, nil
}

// sitaFixed serves given cutoffs: k = len(cut)+1 intervals over N nodes,
// interval i on nodes [⌊iN/k⌋, ⌊(i+1)N/k⌋) (at least the first of them),
// so with k ≤ N each interval has ⌊N/k⌋ or ⌈N/k⌉ nodes and its jobs go to
// one of them at random; with k > N neighbouring intervals share a node.
type sitaFixed struct {
	cut        []float64
	first, num []int // each interval's nodes
}

func newSITAFixed(cut []float64, nodes int) *sitaFixed {
	k := len(cut) + 1
	d := &sitaFixed{cut: cut, first: make([]int, k), num: make([]int, k)}
	for i := range k {
		d.first[i] = i * nodes / k
		d.num[i] = max((i+1)*nodes/k-d.first[i], 1)
	}
	return d
}

func (d *sitaFixed) Pick(v View, j *Job) NodeID {
	i := sort.Search(len(d.cut), func(k int) bool { return d.cut[k] > j.Size }) // cutoffs ≤ size
	n := d.first[i]
	if d.num[i] > 1 {
		n += v.Rand().IntN(d.num[i])
	}
	return NodeID(n)
}

// sitaE is SITA-E generalised to unequal speeds: node i receives the sizes
// whose work quantile W(s) — the share of all work that comes in jobs of
// size ≤ s — falls in [C_{i-1}, C_i), C_i being the share of the cluster's
// speed in nodes 0..i, so every node has the same utilisation (equal load
// when speeds are equal). W is estimated from sitaSamples sizes drawn with
// a fixed seed, each class in proportion to its weight, and normalised by
// the exact mean (Dist.Mean) rather than the sample's, so the lower
// cutoffs do not inherit the noise of the few largest samples. Cutoff x_i
// is the least sampled size with W(x_i) ≥ C_i. The jobs of a size that
// carries work of its own (an atom, as with det) are split at random among
// the nodes whose range meets it, so det sizes are spread evenly too.
//
// The workload's sizes are known in both backends; if Env.ClassSizes is
// nil (a bare Env) SITA-E sends the first sitaLearn jobs at random and
// fits its cutoffs to their sizes. Without any work to balance (all sizes
// 0) it stays random.
type sitaE struct {
	share  []float64 // C_i for the N-1 boundaries
	cut    []float64 // x_i
	lo, hi []float64 // W(x_i−) and W(x_i): the atom at x_i
	ready  bool      // cutoffs known
	sizes  []float64 // sizes seen, while learning
}

func newSITAE(env Env) *sitaE {
	d := &sitaE{share: make([]float64, max(env.Nodes-1, 0))}
	total := 0.0
	for n := range env.Nodes {
		total += env.Speed(NodeID(n))
	}
	acc := 0.0
	for i := range d.share {
		acc += env.Speed(NodeID(i))
		d.share[i] = acc / total
	}
	if sizes, mean := sitaSample(env); sizes != nil {
		d.fit(sizes, mean)
	}
	return d
}

// sitaSample draws the sizes SITA-E fits its cutoffs to and returns them
// with the mix's exact mean, or nil if the workload's sizes are unknown.
func sitaSample(env Env) (sizes []float64, mean float64) {
	dists := env.ClassSizes
	if len(dists) == 0 || slices.Contains(dists, nil) {
		return nil, 0
	}
	w := make([]float64, len(dists))
	total := 0.0
	for k := range w {
		w[k] = 1
		if len(env.ClassWeights) == len(dists) {
			w[k] = env.ClassWeights[k]
		}
		total += w[k]
	}
	for k, dist := range dists {
		r := rand.New(rand.NewPCG(0x5174, uint64(k))) // fixed: same cutoffs in every run
		for range int(w[k] / total * sitaSamples) {
			sizes = append(sizes, dist.Rand(r))
		}
		mean += w[k] / total * dist.Mean()
	}
	return sizes, mean
}

// fit sets the cutoffs from a sample of sizes, which it sorts, and the
// mean size (≤ 0 or infinite: the sample's).
func (d *sitaE) fit(sizes []float64, mean float64) {
	slices.Sort(sizes)
	prefix := make([]float64, len(sizes)) // prefix[i]: work in sizes[0..i]
	acc := 0.0
	for i, s := range sizes {
		acc += s
		prefix[i] = acc
	}
	d.ready = true
	if !(acc > 0) {
		return
	}
	norm := acc
	if mean > 0 && !math.IsInf(mean, 1) {
		norm = mean * float64(len(sizes))
	}
	for _, c := range d.share {
		i := min(sort.SearchFloat64s(prefix, c*norm), len(sizes)-1)
		x := sizes[i]
		first := sort.SearchFloat64s(sizes, x)
		last := sort.Search(len(sizes), func(k int) bool { return sizes[k] > x }) - 1
		lo := 0.0
		if first > 0 {
			lo = prefix[first-1] / norm
		}
		d.cut = append(d.cut, x)
		d.lo = append(d.lo, lo)
		d.hi = append(d.hi, prefix[last]/norm)
	}
}

func (d *sitaE) Pick(v View, j *Job) NodeID {
	if !d.ready {
		d.sizes = append(d.sizes, j.Size)
		if len(d.sizes) == sitaLearn {
			d.fit(d.sizes, 0)
			d.sizes = nil
		}
		return NodeID(v.Rand().IntN(v.Nodes()))
	}
	if d.cut == nil { // no work to balance, or one node
		return NodeID(v.Rand().IntN(v.Nodes()))
	}
	s := j.Size
	i := sort.SearchFloat64s(d.cut, s) // first cutoff ≥ s
	if i < len(d.cut) && d.cut[i] == s && d.hi[i] > d.lo[i] {
		u := d.lo[i] + (d.hi[i]-d.lo[i])*v.Rand().Float64()
		return NodeID(sort.Search(len(d.share), func(k int) bool { return d.share[k] > u }))
	}
	return NodeID(sort.Search(len(d.cut), func(k int) bool { return d.cut[k] > s }))
}
