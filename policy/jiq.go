package policy

import "github.com/loadlab/loadlab/param"

var jiqInfo = Info{
	Name:   "jiq",
	Params: param.Schema{{Name: "dispatchers", Kind: param.Int, Default: "1", Doc: "dispatchers, each with its own I-queue"}},
	Doc:    "join-idle-queue: send to an idle node from the dispatcher's I-queue, else to a random node; an idle node reports to a random I-queue",
	Ref:    "Lu et al., Performance Evaluation 68(11), 2011 (JIQ-Random)",
}

// jiq models the whole dispatcher tier: an arriving job reaches one of m
// dispatchers chosen at random, and an idle node joins one random I-queue.
type jiq struct {
	queues [][]NodeID // I-queues, FIFO
	heads  []int
	listed []bool // node is in some I-queue
}

func newJIQ(p param.Values) (DispatchBuilder, error) {
	if err := atLeast(p, "dispatchers", 1); err != nil {
		return nil, err
	}
	m := p.Int("dispatchers")
	return func(env Env) Dispatcher {
		d := &jiq{queues: make([][]NodeID, m), heads: make([]int, m), listed: make([]bool, env.Nodes)}
		for n := 0; n < env.Nodes; n++ { // every node starts idle
			q := n % m
			d.queues[q] = append(d.queues[q], NodeID(n))
			d.listed[n] = true
		}
		return d
	}, nil
}

func (d *jiq) Pick(v View, _ *Job) NodeID {
	q := v.Rand().IntN(len(d.queues))
	if d.heads[q] < len(d.queues[q]) {
		n := d.queues[q][d.heads[q]]
		d.heads[q]++
		if d.heads[q] == len(d.queues[q]) { // empty: reuse the storage
			d.queues[q], d.heads[q] = d.queues[q][:0], 0
		}
		d.listed[n] = false
		return n
	}
	return NodeID(v.Rand().IntN(v.Nodes()))
}

// Idle lists n in a random I-queue unless it is listed already.
func (d *jiq) Idle(v View, n NodeID) {
	if d.listed[n] {
		return
	}
	q := v.Rand().IntN(len(d.queues))
	d.queues[q] = append(d.queues[q], n)
	d.listed[n] = true
}
