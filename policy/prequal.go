package policy

import (
	"math"
	"slices"

	"github.com/loadlab/loadlab/param"
)

var prequalInfo = Info{
	Name: "prequal",
	Params: param.Schema{
		{Name: "probes", Kind: param.Int, Default: "3", Doc: "asynchronous probes sent per job"},
		{Name: "pool", Kind: param.Int, Default: "16", Doc: "probe replies kept; the oldest is dropped when a new one arrives at a full pool"},
		{Name: "reuse", Kind: param.Int, Default: "2", Doc: "picks a pooled reply may serve before it is dropped"},
		{Name: "q", Kind: param.Float, Default: "0.84", Doc: "quantile of recent RIFs above which a node is hot, in [0, 1]"},
	},
	Doc: "Prequal: asynchronous probes fill a pool; pick the cold pooled node with the least estimated latency, or the least RIF if all are hot",
	Ref: "Wydrowski et al., NSDI 2024 (Prequal: load is not what you should balance)",
}

// prequalEntry is a pooled probe reply.
type prequalEntry struct {
	node NodeID
	rif  float64 // requests in flight: the node's Queue, bumped by our picks
	lat  float64 // estimated latency of a new job there
	step float64 // what one more mean-size job adds to lat: 1/(Servers·Speed)
	uses int     // picks it has served
}

// prequal follows Wydrowski et al. (NSDI 2024) as far as a pure dispatcher
// can:
//   - Every Pick sends `probes` ProbeLater to distinct random nodes and
//     never waits: the replies (Replied) fill a pool of at most `pool`
//     entries, oldest first out; a fresher reply from a node replaces its
//     pooled one. An entry is dropped after serving `reuse` picks (the paper
//     derives that budget from the probe rate; here it is a parameter).
//     There is no age limit in time: the pool's turnover ages entries out.
//   - RIF is the probed Load.Queue (jobs present). The latency estimate is
//     Work/(Servers·Speed) + 1/Speed: the wait for the node's remaining work
//     plus the service of a mean-size job (size unit 1), where the paper
//     has each replica report its recent latency at its current RIF.
//   - Hot–cold rule: a pooled node is hot when its RIF exceeds the q-th
//     quantile (nearest rank) of the RIFs of the last 4·pool replies. If
//     every pooled node is hot, pick the least RIF; else the cold one with
//     the least latency estimate (ties at random). The picked entry's RIF
//     grows by 1 and its latency by 1/(Servers·Speed), one more mean job.
//   - With an empty pool (the first picks), pick at random.
type prequal struct {
	probes, capacity, reuse int
	q                       float64

	pool    []prequalEntry // oldest first
	recent  []float64      // RIFs of the last len(recent) replies, a ring
	seen    int            // replies received, to index recent
	sample  []NodeID
	scratch []float64
}

func newPrequal(p param.Values) (DispatchBuilder, error) {
	for _, name := range []string{"probes", "pool", "reuse"} {
		if err := atLeast(p, name, 1); err != nil {
			return nil, err
		}
	}
	q := p.Float("q")
	if q < 0 || q > 1 {
		return nil, p.Errorf("q", "must be in [0, 1], got %v", q)
	}
	probes, capacity, reuse := p.Int("probes"), p.Int("pool"), p.Int("reuse")
	return func(env Env) Dispatcher {
		return &prequal{probes: probes, capacity: capacity, reuse: reuse, q: q,
			pool: make([]prequalEntry, 0, capacity), recent: make([]float64, 4*capacity)}
	}, nil
}

func (d *prequal) Pick(v View, _ *Job) NodeID {
	d.sample = sampleNodes(v.Rand(), v.Nodes(), None, d.probes, d.sample)
	v.ProbeLater(d.sample)
	if len(d.pool) == 0 {
		return NodeID(v.Rand().IntN(v.Nodes()))
	}
	hot := d.threshold()
	cold := false
	for _, e := range d.pool {
		cold = cold || e.rif <= hot
	}
	i := argmin(v.Rand(), len(d.pool), func(i int) float64 {
		e := d.pool[i]
		switch {
		case !cold:
			return e.rif
		case e.rif > hot:
			return math.Inf(1)
		default:
			return e.lat
		}
	})
	e := &d.pool[i]
	n := e.node
	e.rif++
	e.lat += e.step
	e.uses++
	if e.uses >= d.reuse {
		d.pool = slices.Delete(d.pool, i, i+1)
	}
	return n
}

// threshold is the q-th quantile of the recent RIFs, by nearest rank.
func (d *prequal) threshold() float64 {
	k := min(d.seen, len(d.recent))
	d.scratch = append(d.scratch[:0], d.recent[:k]...)
	slices.Sort(d.scratch)
	r := int(math.Ceil(d.q*float64(k))) - 1
	return d.scratch[max(r, 0)]
}

// Replied pools a probe reply.
func (d *prequal) Replied(_ View, n NodeID, l Load) {
	servers, speed := float64(max(l.Servers, 1)), l.Speed
	if !(speed > 0) {
		speed = 1
	}
	e := prequalEntry{node: n, rif: float64(l.Queue), lat: l.Work/(servers*speed) + 1/speed, step: 1 / (servers * speed)}
	d.recent[d.seen%len(d.recent)] = e.rif
	d.seen++
	if i := slices.IndexFunc(d.pool, func(p prequalEntry) bool { return p.node == n }); i >= 0 {
		d.pool = slices.Delete(d.pool, i, i+1)
	} else if len(d.pool) == d.capacity {
		d.pool = slices.Delete(d.pool, 0, 1)
	}
	d.pool = append(d.pool, e)
}
