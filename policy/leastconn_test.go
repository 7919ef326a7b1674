package policy_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/loadlab/loadlab/policy"
)

// A leastconn script: before each pick, complete the jobs placed by the
// given earlier steps; the pick must be one of want.
type connStep struct {
	done []int // indexes of earlier steps whose job completes now
	want []policy.NodeID
}

func TestLeastconnScenarios(t *testing.T) {
	for _, c := range []struct {
		name   string
		spec   string
		speeds []float64
		steps  []connStep
	}{
		{name: "fills the emptiest first", spec: "leastconn", speeds: []float64{1, 1, 1}, steps: []connStep{
			{want: ids(0, 1, 2)}, {want: ids(0, 1, 2)}, {want: ids(0, 1, 2)}, // one each, any order
			{want: ids(0, 1, 2)},
		}},
		{name: "a completion frees its node", spec: "leastconn", speeds: []float64{1, 1, 1}, steps: []connStep{
			{want: ids(0, 1, 2)}, {want: ids(0, 1, 2)}, {want: ids(0, 1, 2)},
			{done: []int{1}}, // want filled in below: the node of step 1
		}},
		{name: "ignores speed by default", spec: "leastconn", speeds: []float64{1, 4}, steps: []connStep{
			{want: ids(0, 1)}, {want: ids(0, 1)}, {want: ids(0, 1)}, {want: ids(0, 1)},
		}},
		// speed/(active+1): 4/1 > 1/1; 4/2 > 1/1; 4/3 > 1; 4/4 = 1/1: tie.
		{name: "weighted favours the fast node", spec: "leastconn(weighted=1)", speeds: []float64{1, 4}, steps: []connStep{
			{want: ids(1)}, {want: ids(1)}, {want: ids(1)}, {want: ids(0, 1)},
		}},
		{name: "weighted: equal weight per job is a tie", spec: "leastconn(weighted=1)", speeds: []float64{2, 1}, steps: []connStep{
			{want: ids(0)}, {want: ids(0, 1)}, {want: ids(0, 1)}, // 2/2 vs 1/1, then the other
			{want: ids(0)},   // 2/3 vs 1/2
			{done: []int{0}}, // node 0 back to 2 jobs: 2/3 vs 1/2, node 0 again
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for seed := range uint64(20) { // ties are random: try several
				d := mustDispatch(t, c.spec, policy.Env{Nodes: len(c.speeds), Servers: 1, Speeds: c.speeds})
				done := d.(policy.DoneWatcher)
				v := newView(t, policy.None, queues(make([]int, len(c.speeds))...))
				v.rng = rand.New(rand.NewPCG(seed, 1))
				var placed []*policy.Job
				for i, s := range c.steps {
					want := s.want
					for _, k := range s.done {
						done.Done(v, placed[k])
						want = []policy.NodeID{placed[k].Origin} // the only node below the others
					}
					j := job(int64(i), 1, 0)
					j.Origin = d.Pick(v, j)
					placed = append(placed, j)
					if !slices.Contains(want, j.Origin) {
						t.Fatalf("seed %d step %d: picked %d, want one of %v", seed, i, j.Origin, want)
					}
				}
				if len(v.rounds) != 0 || len(v.later) != 0 {
					t.Fatalf("leastconn probed %v %v", v.rounds, v.later)
				}
			}
		})
	}
}

// Without completions the counts stay within one of each other (unweighted)
// or within two of the speed shares (weighted: (active+1) ∝ speed); unknown
// completions are ignored.
func TestLeastconnCounts(t *testing.T) {
	for _, c := range []struct {
		spec   string
		speeds []float64
		want   []float64 // share of the picks
		tol    float64
	}{
		{"leastconn", []float64{1, 2, 1, 4}, []float64{0.25, 0.25, 0.25, 0.25}, 1},
		{"leastconn(weighted=1)", []float64{1, 2, 1, 4}, []float64{0.125, 0.25, 0.125, 0.5}, 2},
	} {
		d := mustDispatch(t, c.spec, policy.Env{Nodes: len(c.speeds), Servers: 1, Speeds: c.speeds})
		v := newView(t, policy.None, queues(make([]int, len(c.speeds))...))
		done := d.(policy.DoneWatcher)
		// Completions it never counted: out of range, or at a node with none.
		for _, o := range []policy.NodeID{-1, 9, 2, policy.None} {
			done.Done(v, &policy.Job{Origin: o})
		}
		got, tol := make([]int, len(c.speeds)), c.tol
		for i := range 400 {
			got[d.Pick(v, job(int64(i), 1, 0))]++
			for n, x := range got {
				if f := c.want[n] * float64(i+1); float64(x) > f+tol || float64(x) < f-tol {
					t.Fatalf("%s after %d picks: counts %v, want within %v of shares %v", c.spec, i+1, got, tol, c.want)
				}
			}
		}
	}
}

func TestLeastconnParams(t *testing.T) {
	checkParams(t, []paramCase{
		{spec: "leastconn", canonical: "leastconn(weighted=0)"},
		{spec: "leastconn(weighted=1)", canonical: "leastconn(weighted=1)"},
		{spec: "leastconn(weighted=2)", errs: []string{"leastconn: parameter weighted", "must be 0 or 1, got 2"}},
		{spec: "leastconn(weighted=-1)", errs: []string{"parameter weighted", "0 or 1"}},
	})
}
