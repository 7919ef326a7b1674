package policy

import (
	"math"

	"github.com/loadlab/loadlab/param"
)

// What the wide-area strategies (nearest, dns, wan) know of where things
// are: the delay from a request's client region to each node
// (Env.Regions), the site of each node (Env.Sites), and how they pick a
// node within a site.

// reach is the one-way delay from j's client region to node n: Regions
// when the cluster has a topology, else Distances, else 0.
func (e Env) reach(j *Job, n NodeID) float64 {
	switch {
	case e.Regions != nil && j != nil && int(j.Region) < len(e.Regions):
		return e.Regions[j.Region][n]
	case int(n) < len(e.Distances):
		return e.Distances[n]
	}
	return 0
}

// site is node n's site; 0 without a topology (one site).
func (e Env) site(n NodeID) int {
	if e.Sites == nil {
		return 0
	}
	return e.Sites[n]
}

// meanSize is the mean job size over classes, 1 when the sizes are not
// known.
func (e Env) meanSize() float64 {
	if e.ClassSizes == nil {
		return 1
	}
	m := 0.0
	for k, d := range e.ClassSizes {
		m += e.ClassWeights[k] * d.Mean()
	}
	return m
}

// expected is the time a job placed on node n now would spend there by
// the gossiped view, in model units: the jobs present and itself, shared
// by the node's servers, times the mean size, at its speed.
func (e Env) expected(v View, n NodeID) float64 {
	l, _ := v.Gossip(n)
	return float64(l.Queue+1) / float64(max(l.Servers, 1)) * e.meanSize() / e.Speed(n)
}

// within says how a strategy picks a node inside the site it chose.
type within bool

const (
	withinRandom within = false // any node of the site, at random
	withinLeast  within = true  // the node with the shortest gossiped queue per server, ties at random
)

// withinOf reads the within parameter.
func withinOf(p param.Values) (within, error) {
	switch w := p.Word("within"); w {
	case "random":
		return withinRandom, nil
	case "least":
		return withinLeast, nil
	default:
		return false, p.Errorf("within", "want least or random, got %q", w)
	}
}

// pick picks a node for j among those for which in holds (at least one
// must), as w says.
func (w within) pick(env Env, v View, j *Job, in func(n NodeID) bool) NodeID {
	return NodeID(argmin(v.Rand(), v.Nodes(), func(i int) float64 {
		n := NodeID(i)
		switch {
		case !in(n) || excluded(env, j, n):
			return math.Inf(1)
		case w == withinRandom:
			return 0
		}
		l, _ := v.Gossip(n)
		return perServer(l)
	}))
}
