package policy

import (
	"math"

	"github.com/loadlab/loadlab/param"
)

var dnsInfo = Info{
	Name: "dns",
	Params: param.Schema{
		{Name: "ttl", Kind: param.Float, Default: "10", Doc: "how long a region's resolver keeps a site, model units, >= 0 (0: resolved for every request)"},
		weightParam, withinParam,
	},
	Doc: "wide area, DNS redirection: each client region's resolver keeps the site it was given for ttl, then asks again and gets the site of least expected response (mean gossiped queue time + weight × delay); a node of it as within says",
	Ref: "DNS-based redirection (Tanenbaum & van Steen, Distributed Systems, ch. 3); the stale choice a TTL keeps: Dahlin, IEEE TPDS 2000, 'Interpreting stale load information'",
}

// dns keeps, for each client region, the site its resolver was last given
// and when that answer expires. A request from a region whose answer has
// expired resolves again: every site is scored by the mean, over its
// nodes, of their expected time by the gossiped view, plus weight times
// the delay from the region (the mean over its nodes). The answer then
// stands for ttl, however the loads change: the classic stale-DNS effect.
type dns struct {
	env    Env
	ttl    float64
	weight float64
	in     within
	sites  int
	site   []int     // per region: the site its resolver holds
	until  []float64 // per region: when that answer expires
	score  []float64 // scratch, per site
	count  []float64 // scratch, per site
}

func newDNS(p param.Values) (DispatchBuilder, error) {
	ttl := p.Float("ttl")
	if !(ttl >= 0) || math.IsInf(ttl, 0) {
		return nil, p.Errorf("ttl", "must be a finite number >= 0, got %v", ttl)
	}
	w, err := positiveWeight(p)
	if err != nil {
		return nil, err
	}
	in, err := withinOf(p)
	if err != nil {
		return nil, err
	}
	return func(env Env) Dispatcher {
		d := &dns{env: env, ttl: ttl, weight: w, in: in, sites: 1}
		for _, s := range env.Sites {
			d.sites = max(d.sites, s+1)
		}
		regions := max(len(env.Regions), 1)
		d.site, d.until = make([]int, regions), make([]float64, regions)
		for r := range d.until {
			d.until[r] = math.Inf(-1)
		}
		d.score, d.count = make([]float64, d.sites), make([]float64, d.sites)
		return d
	}, nil
}

func (d *dns) Pick(v View, j *Job) NodeID {
	r := 0
	if j != nil && int(j.Region) < len(d.site) {
		r = int(j.Region)
	}
	if now := v.Now(); now >= d.until[r] {
		d.site[r], d.until[r] = d.resolve(v, j), now+d.ttl
	}
	s := d.site[r]
	return d.in.pick(d.env, v, j, func(n NodeID) bool { return d.env.site(n) == s })
}

// resolve is the site of least mean expected response for j's region.
func (d *dns) resolve(v View, j *Job) int {
	clear(d.score)
	clear(d.count)
	for i := range v.Nodes() {
		n := NodeID(i)
		s := d.env.site(n)
		d.score[s] += d.env.expected(v, n) + d.weight*d.env.reach(j, n)
		d.count[s]++
	}
	return argmin(v.Rand(), d.sites, func(s int) float64 {
		if d.count[s] == 0 {
			return math.Inf(1)
		}
		return d.score[s] / d.count[s]
	})
}
