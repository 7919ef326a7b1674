package policy

import "github.com/loadlab/loadlab/param"

var podGossipInfo = Info{
	Name:   "pod.gossip",
	Params: param.Schema{{Name: "d", Kind: param.Int, Default: "2", Doc: "nodes sampled per job"}},
	Doc:    "d random choices on the gossiped board: sample d distinct random nodes, join the one whose published queue is shortest (no probes)",
	Ref:    "Mitzenmacher, IEEE TPDS 11(1), 2000 (k choices with old information)",
}

// podGossip is pod without probes: it reads the loads nodes last
// published, so it costs no round trip but decides on old information.
type podGossip struct {
	d      int
	sample []NodeID
}

func newPodGossip(p param.Values) (DispatchBuilder, error) {
	if err := atLeast(p, "d", 1); err != nil {
		return nil, err
	}
	d := p.Int("d")
	return func(env Env) Dispatcher { return &podGossip{d: d, sample: make([]NodeID, 0, min(d, env.Nodes))} }, nil
}

func (d *podGossip) Pick(v View, _ *Job) NodeID {
	d.sample = sampleNodes(v.Rand(), v.Nodes(), None, d.d, d.sample)
	i := argmin(v.Rand(), len(d.sample), func(i int) float64 {
		l, _ := v.Gossip(d.sample[i])
		return perServer(l)
	})
	return d.sample[i]
}
