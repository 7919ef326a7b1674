package policy

import "github.com/loadlab/loadlab/param"

var jiqInfo = Info{
	Name: "jiq",
	Params: param.Schema{
		{Name: "dispatchers", Kind: param.Int, Default: "1", Doc: "dispatchers, each with its own I-queue"},
		{Name: "report", Kind: param.Word, Default: "random", Doc: "where an idle node reports: random (JIQ-Random) or sq (JIQ-SQ(d): the shortest of d sampled I-queues)"},
		{Name: "d", Kind: param.Int, Default: "2", Doc: "I-queues sampled by report=sq"},
	},
	Doc: "join-idle-queue: send to an idle node from the dispatcher's I-queue, else to a random node; an idle node reports to a random I-queue or the shortest of d",
	Ref: "Lu et al., Performance Evaluation 68(11), 2011 (JIQ-Random, JIQ-SQ(d))",
}

// jiq models the whole dispatcher tier: an arriving job reaches one of m
// dispatchers chosen at random, and an idle node joins one I-queue: a
// random one, or with report=sq the shortest of d distinct I-queues drawn
// at random (ties at random; d ≥ m samples them all).
type jiq struct {
	queues [][]NodeID // I-queues, FIFO
	heads  []int
	listed []bool // node is in some I-queue
	sq     int    // d of JIQ-SQ(d); 0 for JIQ-Random
	sample []NodeID
}

func newJIQ(p param.Values) (DispatchBuilder, error) {
	if err := atLeast(p, "dispatchers", 1); err != nil {
		return nil, err
	}
	if err := atLeast(p, "d", 1); err != nil {
		return nil, err
	}
	sq := 0
	switch r := p.Word("report"); r {
	case "random":
	case "sq":
		sq = p.Int("d")
	default:
		return nil, p.Errorf("report", "want random or sq, got %q", r)
	}
	m := p.Int("dispatchers")
	return func(env Env) Dispatcher {
		d := &jiq{queues: make([][]NodeID, m), heads: make([]int, m), listed: make([]bool, env.Nodes), sq: sq}
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

// Idle lists n in an I-queue unless it is listed already.
func (d *jiq) Idle(v View, n NodeID) {
	if d.listed[n] {
		return
	}
	var q int
	if d.sq == 0 {
		q = v.Rand().IntN(len(d.queues))
	} else {
		d.sample = sampleNodes(v.Rand(), len(d.queues), None, d.sq, d.sample)
		i := argmin(v.Rand(), len(d.sample), func(i int) float64 {
			k := d.sample[i]
			return float64(len(d.queues[k]) - d.heads[k])
		})
		q = int(d.sample[i])
	}
	d.queues[q] = append(d.queues[q], n)
	d.listed[n] = true
}
