package policy

import (
	"math"

	"github.com/loadlab/loadlab/param"
)

var weightParam = param.Param{Name: "weight", Kind: param.Float, Default: "1", Doc: "model units of queueing a model unit of delay from the client is worth, >= 0 (1: the delay as it adds to the response)"}

var wanInfo = Info{
	Name:   "wan",
	Params: param.Schema{weightParam},
	Doc:    "wide area, load with distance: the node of least expected response, its gossiped queue's time plus weight × the delay from the request's client region",
	Ref:    "distance- and load-aware server selection (Tanenbaum & van Steen, Distributed Systems, ch. 3, wide-area clusters; Akamai's mapping of clients to clusters by load and latency)",
}

// wan picks argmin (queue+1)/servers · E[size]/speed + weight · delay:
// with weight 1, the one-way delay counts as it adds to a response.
type wan struct {
	env    Env
	weight float64
}

// positiveWeight reads a weight parameter, finite and >= 0.
func positiveWeight(p param.Values) (float64, error) {
	w := p.Float("weight")
	if !(w >= 0) || math.IsInf(w, 0) {
		return 0, p.Errorf("weight", "must be a finite number >= 0, got %v", w)
	}
	return w, nil
}

func newWAN(p param.Values) (DispatchBuilder, error) {
	w, err := positiveWeight(p)
	if err != nil {
		return nil, err
	}
	return func(env Env) Dispatcher { return &wan{env: env, weight: w} }, nil
}

func (d *wan) Pick(v View, j *Job) NodeID {
	return NodeID(argmin(v.Rand(), v.Nodes(), func(i int) float64 {
		n := NodeID(i)
		if excluded(d.env, j, n) {
			return math.Inf(1)
		}
		return d.env.expected(v, n) + d.weight*d.env.reach(j, n)
	}))
}
