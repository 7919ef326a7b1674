package policy

import (
	"math"

	"github.com/loadlab/loadlab/param"
)

var withinParam = param.Param{Name: "within", Kind: param.Word, Default: "least", Doc: "how a node of the chosen site is picked: least (shortest gossiped queue per server) or random"}

var nearestInfo = Info{
	Name:   "nearest",
	Params: param.Schema{withinParam},
	Doc:    "wide area: the site nearest the request's client region (Env.Regions), then a node of it; load elsewhere is never looked at",
	Ref:    "servers near their clients (Tanenbaum & van Steen, Distributed Systems, ch. 3, wide-area clusters); anycast, geo-DNS",
}

// nearest sends each request to the site nearest its client region: the
// nodes at the least delay from the region (those of one site, unless two
// sites are equally near), and among them one picked as within says.
type nearest struct {
	env Env
	in  within
}

func newNearest(p param.Values) (DispatchBuilder, error) {
	w, err := withinOf(p)
	if err != nil {
		return nil, err
	}
	return func(env Env) Dispatcher { return &nearest{env: env, in: w} }, nil
}

func (d *nearest) Pick(v View, j *Job) NodeID {
	least := math.Inf(1)
	for i := range v.Nodes() {
		if n := NodeID(i); !excluded(d.env, j, n) {
			least = min(least, d.env.reach(j, n))
		}
	}
	return d.in.pick(d.env, v, j, func(n NodeID) bool { return d.env.reach(j, n) == least })
}
