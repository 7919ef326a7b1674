package policy_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/loadlab/loadlab/policy"
)

// Job j goes to front-end j mod front, and each front-end runs its own
// instance: with inner=rr each cycles over the nodes by itself.
func TestHybridFronts(t *testing.T) {
	for _, c := range []struct {
		spec  string
		nodes int
		want  []policy.NodeID // picks of jobs 0, 1, 2, …
	}{
		{"hybrid(front=2, inner=rr)", 3, ids(0, 0, 1, 1, 2, 2, 0, 0)},
		{"hybrid(front=3, inner=rr)", 2, ids(0, 0, 0, 1, 1, 1, 0, 0, 0)},
		{"hybrid(front=1, inner=rr)", 3, ids(0, 1, 2, 0, 1, 2)},
		{"hybrid(front=2, inner=wrr)", 2, ids(0, 0, 1, 1, 0, 0)},
	} {
		d := mustDispatch(t, c.spec, policy.Env{Nodes: c.nodes, Servers: 1})
		v := newView(t, policy.None, queues(make([]int, c.nodes)...))
		var got []policy.NodeID
		for i := range c.want {
			got = append(got, d.Pick(v, job(int64(i), 1, 0)))
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: picks %v, want %v", c.spec, got, c.want)
		}
	}
}

// Completions reach the front-end that placed the job, and only it: with
// inner=leastconn on two nodes, each front-end places two jobs, one per
// node; after front-end 0's first job completes its next job must go
// there, while front-end 1, still one each, picks at random.
func TestHybridDone(t *testing.T) {
	const trials = 200
	other := 0 // front-end 1's picks of the freed node
	for seed := range uint64(trials) {
		d := mustDispatch(t, "hybrid(front=2, inner=leastconn)", policy.Env{Nodes: 2, Servers: 1})
		v := newView(t, policy.None, queues(0, 0))
		v.rng = rand.New(rand.NewPCG(seed, 9))
		var placed []*policy.Job
		for i := range 4 { // jobs 0, 2 at front-end 0; 1, 3 at front-end 1
			j := job(int64(i), 1, 0)
			j.Origin = d.Pick(v, j)
			placed = append(placed, j)
		}
		if placed[0].Origin == placed[2].Origin || placed[1].Origin == placed[3].Origin {
			t.Fatalf("seed %d: a front-end put its two jobs on one node: %d %d %d %d", seed,
				placed[0].Origin, placed[1].Origin, placed[2].Origin, placed[3].Origin)
		}
		freed := placed[0].Origin
		d.(policy.DoneWatcher).Done(v, placed[0])
		if n := d.Pick(v, job(4, 1, 0)); n != freed {
			t.Fatalf("seed %d: front-end 0 picked %d after its job at %d completed, want %d", seed, n, freed, freed)
		}
		if d.Pick(v, job(5, 1, 0)) == freed {
			other++
		}
	}
	if other < trials/4 || other > 3*trials/4 {
		t.Errorf("front-end 1 picked the node freed at front-end 0 in %d of %d trials, want about half", other, trials)
	}
}

// Probe replies reach the front-end that asked: with inner=prequal,
// front-end 0 probes, its replies come back, and its next pick is the best
// node it heard of; front-end 1, which heard nothing, picks at random.
func TestHybridReplied(t *testing.T) {
	const nodes = 12
	d := mustDispatch(t, "hybrid(front=2, inner=prequal)", policy.Env{Nodes: nodes, Servers: 1})
	rw := d.(policy.ReplyWatcher)
	v := newView(t, policy.None, queues(make([]int, nodes)...))
	d.Pick(v, job(0, 1, 0))
	asked := slices.Clone(v.later)
	if len(asked) != 3 {
		t.Fatalf("front-end 0 probed %v, want 3 nodes", asked)
	}
	v.reset()
	for n := range policy.NodeID(nodes) {
		if !slices.Contains(asked, n) {
			rw.Replied(v, n, policy.Load{Servers: 1, Speed: 1}) // nobody asked: dropped
			break
		}
	}
	best := asked[1]
	for _, n := range asked {
		l := policy.Load{Queue: 1, Running: 1, Work: 5, Servers: 1, Speed: 1}
		if n == best {
			l = policy.Load{Servers: 1, Speed: 1}
		}
		rw.Replied(v, n, l)
	}
	if n := d.Pick(v, job(2, 1, 0)); n != best {
		t.Errorf("front-end 0 picked %d, want %d, the best of its replies %v", n, best, asked)
	}
	var got []policy.NodeID
	for i := range 2000 { // front-end 1: empty pool, replies never come
		got = append(got, d.Pick(v, job(int64(2*i+1), 1, 0)))
	}
	spread(t, "front-end 1", counts(nodes, got), ids(seq(nodes)...), 0.25)
}

func TestHybridParams(t *testing.T) {
	checkParams(t, []paramCase{
		{spec: "hybrid", canonical: "hybrid(front=2, inner=leastconn)"},
		{spec: "hybrid(inner=hash, front=8)", canonical: "hybrid(front=8, inner=hash)"},
		{spec: "hybrid(front=0)", errs: []string{"hybrid: parameter front", "at least 1"}},
		{spec: "hybrid(inner=hybrid)", errs: []string{"hybrid: parameter inner", "other than hybrid", `got "hybrid"`}},
		{spec: "hybrid(inner=sender.random)", errs: []string{"parameter inner", "class, dns, hash, jiq", `got "sender.random"`}},
		{spec: "hybrid(inner=lwl(d=2))", errs: []string{"unexpected"}},
	})
}
