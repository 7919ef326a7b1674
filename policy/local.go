package policy

import (
	"math"

	"github.com/loadlab/loadlab/param"
)

var localInfo = Info{
	Name:   "local",
	Params: param.Schema{{Name: "T", Kind: param.Float, Default: "2", Doc: "a node is full when its gossiped queue per server reaches T"}},
	Doc:    "proximity: the nearest node (by Env.Distances) that is not full by the gossiped view; if all are full, the least loaded, nearest first",
	Ref:    "nearest-server selection among replicas (Guyton & Schwartz, ACM SIGCOMM 1995; Tanenbaum & van Steen, Distributed Systems, ch. 3, wide-area clusters) with a load cap; distances: measured round trips or a spec's matrix",
}

// local trades distance for load: nearby nodes first, as long as they have
// room. The distances are the dispatcher's one-way delay to each node
// (nil: all equal, so it picks at random among the nodes with room). It
// routes by network distance only, as nearest-server selection does (with
// a topology, the distance from the request's client region); it is
// not LARD (Pai et al., ASPLOS 1998), which routes by content to the node
// whose cache holds it.
type local struct {
	t     float64
	env   Env
	loads []float64
}

func newLocal(p param.Values) (DispatchBuilder, error) {
	t := p.Float("T")
	if !(t > 0) {
		return nil, p.Errorf("T", "must be > 0, got %g", t)
	}
	return func(env Env) Dispatcher { return &local{t: t, env: env} }, nil
}

func (d *local) Pick(v View, j *Job) NodeID {
	d.loads = d.loads[:0]
	least := math.Inf(1)
	for i := 0; i < v.Nodes(); i++ {
		l, _ := v.Gossip(NodeID(i))
		q := perServer(l)
		d.loads = append(d.loads, q)
		least = min(least, q)
	}
	// The nearest node with room, or if none has room, the nearest of the
	// least loaded; ties shared at random.
	room := least < d.t
	return NodeID(argmin(v.Rand(), v.Nodes(), func(i int) float64 {
		if room && d.loads[i] >= d.t || !room && d.loads[i] > least {
			return math.Inf(1)
		}
		return d.env.reach(j, NodeID(i))
	}))
}
