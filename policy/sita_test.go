package policy_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/workload"
)

func dists(t *testing.T, specs ...string) []workload.Dist {
	t.Helper()
	out := make([]workload.Dist, len(specs))
	for i, s := range specs {
		d, err := workload.ParseDist(s)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = d
	}
	return out
}

// boundary finds by bisection the least size that d sends to node i or
// beyond (picks rise with size away from atoms).
func boundary(t *testing.T, d policy.Dispatcher, v policy.View, i int) float64 {
	t.Helper()
	lo, hi := 0.0, 1e4
	for range 80 {
		mid := (lo + hi) / 2
		if int(d.Pick(v, job(0, mid, 0))) >= i {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// solve returns x in [0, hi] with f(x) = y for an increasing f.
func solve(f func(float64) float64, y, hi float64) float64 {
	lo := 0.0
	for range 200 {
		mid := (lo + hi) / 2
		if f(mid) < y {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// W(x), the share of the work in jobs of size ≤ x, in closed form.
var (
	expWork = func(x float64) float64 { return 1 - (1+x)*math.Exp(-x) } // ∫0^x t e^{-t} dt
	uniWork = func(x float64) float64 { return x * x / 4 }              // uniform(0, 2)
	// erlang(k=2, mean=1): rate 2, density 4t e^{-2t}; ∫0^x t·4t e^{-2t} dt.
	erlangWork = func(x float64) float64 {
		y := 2 * x
		return 1 - math.Exp(-y)*(1+y+y*y/2)
	}
)

// SITA-E cutoffs against the closed form: node i's cutoff x_i solves
// W(x_i) = C_i, the share of the cluster's speed in nodes 0..i-1.
func TestSITAECutoffs(t *testing.T) {
	for _, c := range []struct {
		name   string
		size   string
		work   func(float64) float64
		speeds []float64
		tol    float64 // relative
	}{
		{"exp, 2 nodes: ∫0^x t e^{-t} dt = 1/2", "exp(mean=1)", expWork, []float64{1, 1}, 0.01},
		{"exp, 4 nodes", "exp(mean=1)", expWork, []float64{1, 1, 1, 1}, 0.01},
		{"exp, speeds 1:3", "exp(mean=1)", expWork, []float64{1, 3}, 0.01},
		{"exp mean 5 scales the cutoffs", "exp(mean=5)", func(x float64) float64 { return expWork(x / 5) }, []float64{1, 1, 1}, 0.01},
		{"uniform(0, 2), 4 nodes: 2√(i/4)", "uniform(min=0, max=2)", uniWork, []float64{1, 1, 1, 1}, 0.01},
		{"erlang-2, 3 nodes, speeds 2:1:1", "erlang(k=2, mean=1)", erlangWork, []float64{2, 1, 1}, 0.01},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := policy.Env{Nodes: len(c.speeds), Servers: 1, Speeds: c.speeds, ClassSizes: dists(t, c.size)}
			d := mustDispatch(t, "sita", env)
			v := newView(t, policy.None, queues(make([]int, len(c.speeds))...))
			total, acc := 0.0, 0.0
			for _, s := range c.speeds {
				total += s
			}
			for i := 1; i < len(c.speeds); i++ {
				acc += c.speeds[i-1]
				want := solve(c.work, acc/total, 1e3)
				if got := boundary(t, d, v, i); math.Abs(got-want) > c.tol*want {
					t.Errorf("cutoff %d: %.4f, want %.4f ± %.0f%%", i, got, want, 100*c.tol)
				}
			}
			if len(v.rounds) != 0 || len(v.later) != 0 {
				t.Errorf("sita probed %v %v", v.rounds, v.later)
			}
		})
	}
}

// Each node receives an equal share of the work (in proportion to its speed)
// of fresh sizes, atoms included: det sizes are spread at random, and with
// two det classes the atom at the cutoff is split so that loads are equal.
func TestSITAELoads(t *testing.T) {
	for _, c := range []struct {
		name    string
		sizes   []string
		weights []float64
		speeds  []float64
		tol     float64 // absolute, on each node's share of the work
	}{
		{"det: one atom over 4 nodes", []string{"det(value=1)"}, nil, []float64{1, 1, 1, 1}, 0.01},
		{"det, speeds 1:2:1", []string{"det(value=2)"}, nil, []float64{1, 2, 1}, 0.01},
		// Work shares 1/4 (size 1) and 3/4 (size 3): node 0 takes every size-1
		// job and a third of the size-3 ones.
		{"two det classes", []string{"det(value=1)", "det(value=3)"}, []float64{0.5, 0.5}, []float64{1, 1}, 0.01},
		{"exp and det classes", []string{"exp(mean=1)", "det(value=2)"}, []float64{0.7, 0.3}, []float64{1, 1, 1}, 0.01},
		{"hyperexp scv 4, 5 nodes", []string{"hyperexp(mean=1, scv=4)"}, nil, []float64{1, 1, 1, 1, 1}, 0.015},
		{"bpareto α 1.5, 3 nodes", []string{"bpareto(alpha=1.5, min=0.1, max=100)"}, nil, []float64{1, 1, 1}, 0.03},
	} {
		t.Run(c.name, func(t *testing.T) {
			ds := dists(t, c.sizes...)
			env := policy.Env{Nodes: len(c.speeds), Servers: 1, Speeds: c.speeds, ClassSizes: ds, ClassWeights: c.weights}
			d := mustDispatch(t, "sita", env)
			v := newView(t, policy.None, queues(make([]int, len(c.speeds))...))
			r := rand.New(rand.NewPCG(99, 100)) // not SITA-E's own sample
			work := make([]float64, len(c.speeds))
			total := 0.0
			for i := range 200000 {
				k := 0
				if c.weights != nil && r.Float64() >= c.weights[0] {
					k = 1
				}
				s := ds[k].Rand(r)
				work[d.Pick(v, job(int64(i), s, 0))] += s
				total += s
			}
			speed := 0.0
			for _, s := range c.speeds {
				speed += s
			}
			for n, w := range work {
				if want := c.speeds[n] / speed; math.Abs(w/total-want) > c.tol {
					t.Errorf("node %d got %.4f of the work, want %.4f ± %v (shares %v)", n, w/total, want, c.tol, work)
				}
			}
		})
	}
}

// Given cutoffs: interval i is [x_i, x_{i+1}); an interval with several
// nodes spreads its jobs over them at random; with more intervals than
// nodes, neighbouring intervals share one.
func TestSITACutoffs(t *testing.T) {
	for _, c := range []struct {
		name  string
		spec  string
		nodes int
		sizes []float64
		want  [][]policy.NodeID // per size
	}{
		{"one node per interval", "sita(cutoffs=[1, 10])", 3,
			[]float64{0, 0.5, 1, 9.99, 10, 1e6},
			[][]policy.NodeID{ids(0), ids(0), ids(1), ids(1), ids(2), ids(2)}},
		{"two nodes per interval", "sita(cutoffs=[1, 10])", 6,
			[]float64{0.5, 5, 50},
			[][]policy.NodeID{ids(0, 1), ids(2, 3), ids(4, 5)}},
		{"uneven: 5 nodes, 2 intervals", "sita(cutoffs=[2])", 5,
			[]float64{1, 3},
			[][]policy.NodeID{ids(0, 1), ids(2, 3, 4)}},
		{"more intervals than nodes", "sita(cutoffs=[1, 2, 3])", 2,
			[]float64{0.5, 1.5, 2.5, 3.5},
			[][]policy.NodeID{ids(0), ids(0), ids(1), ids(1)}},
		{"a single node", "sita(cutoffs=[1])", 1,
			[]float64{0.5, 2},
			[][]policy.NodeID{ids(0), ids(0)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			// Sizes known or not, given cutoffs are used as given.
			d := mustDispatch(t, c.spec, policy.Env{Nodes: c.nodes, Servers: 1, ClassSizes: dists(t, "exp(mean=1)")})
			v := newView(t, policy.None, queues(make([]int, c.nodes)...))
			for i, s := range c.sizes {
				var got []policy.NodeID
				for range 3000 {
					got = append(got, d.Pick(v, job(0, s, 0)))
				}
				spread(t, fmt.Sprint("size ", s), counts(c.nodes, got), c.want[i], 0.1)
			}
		})
	}
}

// Without the workload's sizes SITA-E picks at random while it collects
// 1024 sizes, then fixes its cutoffs on them; without any work it stays
// random.
func TestSITAELearns(t *testing.T) {
	d := mustDispatch(t, "sita", policy.Env{Nodes: 2, Servers: 1})
	v := newView(t, policy.None, queues(0, 0))
	r := rand.New(rand.NewPCG(5, 6))
	var early []policy.NodeID
	for i := range 1024 {
		early = append(early, d.Pick(v, job(int64(i), r.ExpFloat64(), 0)))
	}
	spread(t, "picks while learning", counts(2, early), ids(0, 1), 0.15)
	want := solve(expWork, 0.5, 100)
	if got := boundary(t, d, v, 1); math.Abs(got-want) > 0.1*want {
		t.Errorf("learned cutoff %.3f, want %.3f ± 10%%", got, want)
	}

	d = mustDispatch(t, "sita", policy.Env{Nodes: 3, Servers: 1})
	v = newView(t, policy.None, queues(0, 0, 0))
	var zero []policy.NodeID
	for i := range 3000 {
		zero = append(zero, d.Pick(v, job(int64(i), 0, 0)))
	}
	spread(t, "picks of size-0 jobs", counts(3, zero), ids(0, 1, 2), 0.1)
}

func TestSITAParams(t *testing.T) {
	checkParams(t, []paramCase{
		{spec: "sita", canonical: "sita(cutoffs=[])"},
		{spec: "sita(cutoffs=[ 0.5 , 2.0 ])", canonical: "sita(cutoffs=[0.5,2])"},
		{spec: "sita(cutoffs=[0, 1])", errs: []string{"sita: parameter cutoffs", "must be > 0, got 0"}},
		{spec: "sita(cutoffs=[-1])", errs: []string{"parameter cutoffs", "must be > 0"}},
		{spec: "sita(cutoffs=[2, 1])", errs: []string{"parameter cutoffs", "must increase, got 1 after 2"}},
		{spec: "sita(cutoffs=[1, 1])", errs: []string{"parameter cutoffs", "must increase"}},
		{spec: "sita(cutoffs=1)", errs: []string{"parameter cutoffs", "want a list"}},
	})
}
