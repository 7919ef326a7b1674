package policy

import "github.com/loadlab/loadlab/param"

// Speed-aware strategies for heterogeneous clusters: the weight of a node is
// its speed (every node has the same number of servers).

var wrrInfo = Info{
	Name: "wrr",
	Doc:  "smooth weighted round-robin: nodes in turn, each as often as its speed, interleaved",
	Ref:  "nginx's smooth weighted round-robin (ngx_http_upstream_round_robin.c, 2012)",
}

// wrr is nginx's smooth weighted round-robin: on each pick every node's
// current weight grows by its weight, the node with the largest current
// weight is picked (the lowest-numbered among equals) and its current
// weight drops by the total. Over any Σw consecutive picks node n is picked
// w(n) times, spread out rather than in bursts. With equal speeds it is rr.
type wrr struct {
	weight  []float64
	current []float64
	total   float64
}

func newWRR(param.Values) (DispatchBuilder, error) {
	return func(env Env) Dispatcher {
		d := &wrr{weight: make([]float64, env.Nodes), current: make([]float64, env.Nodes)}
		for n := range d.weight {
			d.weight[n] = env.Speed(NodeID(n))
			d.total += d.weight[n]
		}
		return d
	}, nil
}

func (d *wrr) Pick(View, *Job) NodeID {
	best := 0
	for n, w := range d.weight {
		d.current[n] += w
		if d.current[n] > d.current[best] {
			best = n
		}
	}
	d.current[best] -= d.total
	return NodeID(best)
}

var sedInfo = Info{
	Name: "sed",
	Doc:  "shortest expected delay: the least (Queue+1)/(Servers·Speed) according to the gossiped view",
	Ref:  "Weinrib & Shenker, IEEE INFOCOM 1988 (Greed is not enough), as in LVS's sed scheduler",
}

// sed is the speed-aware least load: the time to drain the node's queue
// with the new job added, counting jobs rather than work. A node that has
// published nothing yet (Load{}) is taken at Env's servers and speed.
type sed struct{ env Env }

func newSED(param.Values) (DispatchBuilder, error) {
	return func(env Env) Dispatcher { return sed{env: env} }, nil
}

func (d sed) Pick(v View, _ *Job) NodeID {
	return NodeID(argmin(v.Rand(), v.Nodes(), func(i int) float64 {
		l, _ := v.Gossip(NodeID(i))
		servers, speed := l.Servers, l.Speed
		if servers <= 0 {
			servers = max(d.env.Servers, 1)
		}
		if !(speed > 0) {
			speed = d.env.Speed(NodeID(i))
		}
		return float64(l.Queue+1) / (float64(servers) * speed)
	}))
}
