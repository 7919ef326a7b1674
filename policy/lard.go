package policy

import (
	"slices"

	"github.com/loadlab/loadlab/param"
)

var lardInfo = Info{
	Name: "lard",
	Params: param.Schema{
		{Name: "low", Kind: param.Float, Default: "2", Doc: "T_low: a node with fewer requests in flight per server is underloaded"},
		{Name: "high", Kind: param.Float, Default: "5", Doc: "T_high: a key's node with more is overloaded if some node is underloaded; at 2·T_high it is overloaded regardless"},
		{Name: "replicate", Kind: param.Int, Default: "0", Doc: "1: LARD with replication: a key keeps a set of nodes, grows it when they are overloaded and drops its busiest node after `keep` time unchanged"},
		{Name: "keep", Kind: param.Float, Default: "20", Doc: "replicate=1: model time a key's set stays unchanged before it shrinks"},
	},
	Doc: "locality-aware request distribution: a request's key sticks to the node it was first sent to (the least loaded then), so that node's cache keeps it warm; the key moves to the least loaded node only when its node is overloaded",
	Ref: "Pai, Aron, Banga, Svendsen, Druschel, Zwaenepoel & Nahum, Locality-aware request distribution in cluster-based network servers, ASPLOS 1998 (LARD, LARD/R)",
}

// lard is LARD and, with replicate, LARD/R. Loads are the dispatcher's own
// requests in flight per server of each node, as a front end counts its
// open connections (inflight).
type lard struct {
	env       Env
	low, high float64
	replicate bool
	keep      float64
	active    inflight
	sets      map[int32]*lardSet // key → its nodes
}

// lardSet is the nodes that serve a key, and when the set last changed.
type lardSet struct {
	nodes   []NodeID
	changed float64
}

func newLard(p param.Values) (DispatchBuilder, error) {
	low, high, rep, keep := p.Float("low"), p.Float("high"), p.Int("replicate"), p.Float("keep")
	switch {
	case !(low > 0):
		return nil, p.Errorf("low", "must be > 0, got %v", low)
	case !(high >= low):
		return nil, p.Errorf("high", "must be at least low (%v), got %v", low, high)
	case rep != 0 && rep != 1:
		return nil, p.Errorf("replicate", "must be 0 or 1, got %d", rep)
	case !(keep > 0):
		return nil, p.Errorf("keep", "must be > 0, got %v", keep)
	}
	return func(env Env) Dispatcher {
		return &lard{env: env, low: low, high: high, replicate: rep == 1, keep: keep, active: newInflight(env.Nodes), sets: map[int32]*lardSet{}}
	}, nil
}

// load is node n's requests in flight per server.
func (d *lard) load(n NodeID) float64 {
	return float64(d.active.count[n]) / float64(max(d.env.Servers, 1))
}

// least is the least loaded node, ties at random.
func (d *lard) least(v View) NodeID {
	return NodeID(argmin(v.Rand(), d.env.Nodes, func(i int) float64 { return d.load(NodeID(i)) }))
}

func (d *lard) Pick(v View, j *Job) NodeID {
	s := d.sets[j.Key]
	if s == nil {
		s = &lardSet{changed: v.Now()}
		d.sets[j.Key] = s
	}
	var n NodeID
	if len(s.nodes) == 0 {
		n = d.least(v)
		s.nodes = append(s.nodes, n)
	} else {
		n = s.nodes[0]
		for _, m := range s.nodes[1:] {
			if d.load(m) < d.load(n) {
				n = m
			}
		}
		if l := d.load(n); (l > d.high && d.load(d.least(v)) < d.low) || l >= 2*d.high {
			p := d.least(v)
			if d.replicate {
				s.nodes = append(s.nodes, p)
			} else {
				s.nodes[0] = p
			}
			s.changed, n = v.Now(), p
		} else if d.replicate && len(s.nodes) > 1 && v.Now()-s.changed > d.keep {
			// Drop the busiest node of the set.
			b := 0
			for i, m := range s.nodes {
				if d.load(m) > d.load(s.nodes[b]) {
					b = i
				}
			}
			s.nodes = slices.Delete(s.nodes, b, b+1)
			s.changed = v.Now()
			if !slices.Contains(s.nodes, n) { // all were as loaded
				n = s.nodes[0]
			}
		}
	}
	d.active.add(n)
	return n
}

// Done counts a completion of a job placed here.
func (d *lard) Done(_ View, j *Job) { d.active.done(j) }
