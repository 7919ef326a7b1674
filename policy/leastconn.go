package policy

import "github.com/loadlab/loadlab/param"

var leastconnInfo = Info{
	Name: "leastconn",
	Params: param.Schema{{Name: "weighted", Kind: param.Int, Default: "0",
		Doc: "1: largest speed/(active+1) (Envoy's weighted rule) instead of fewest active"}},
	Doc: "least connections: the node with the fewest of this dispatcher's jobs in flight, ties at random",
	Ref: "LVS/HAProxy leastconn; weighted=1: Envoy least-request, weight/(active+1)",
}

// inflight counts, per node, the jobs a dispatcher placed there that have
// not completed yet: ++ on a pick, -- on DoneWatcher.Done at j.Origin. It is
// the dispatcher's own count, not the node's queue: jobs from other
// dispatchers and migrations are invisible to it, as they are to a real
// load balancer counting its open connections.
type inflight struct {
	count []int
	total int
}

func newInflight(nodes int) inflight { return inflight{count: make([]int, nodes)} }

func (f *inflight) add(n NodeID) { f.count[n]++; f.total++ }

// done forgets a completed job. A completion it never counted (an Origin
// out of range, or a count already at zero) is ignored.
func (f *inflight) done(j *Job) {
	if n := j.Origin; n >= 0 && int(n) < len(f.count) && f.count[n] > 0 {
		f.count[n]--
		f.total--
	}
}

// leastconn picks argmin active(n), or with weighted=1 argmax
// speed(n)/(active(n)+1) — Envoy's effective weight for unequal weights
// with bias 1. Envoy schedules hosts by those weights (earliest deadline
// first); here the best one is taken, which is leastconn's rule and the
// same when weights are equal.
type leastconn struct {
	env      Env
	weighted bool
	active   inflight
}

func newLeastconn(p param.Values) (DispatchBuilder, error) {
	w := p.Int("weighted")
	if w != 0 && w != 1 {
		return nil, p.Errorf("weighted", "must be 0 or 1, got %d", w)
	}
	return func(env Env) Dispatcher {
		return &leastconn{env: env, weighted: w == 1, active: newInflight(env.Nodes)}
	}, nil
}

func (d *leastconn) Pick(v View, _ *Job) NodeID {
	c := d.active.count
	var n int
	if d.weighted {
		n = argmin(v.Rand(), len(c), func(i int) float64 { return float64(c[i]+1) / d.env.Speed(NodeID(i)) })
	} else {
		n = argmin(v.Rand(), len(c), func(i int) float64 { return float64(c[i]) })
	}
	d.active.add(NodeID(n))
	return NodeID(n)
}

// Done counts a completion of a job placed here.
func (d *leastconn) Done(_ View, j *Job) { d.active.done(j) }
