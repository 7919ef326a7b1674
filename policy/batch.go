package policy

import (
	"slices"

	"github.com/loadlab/loadlab/param"
)

var batchInfo = Info{
	Name:   "batch",
	Params: param.Schema{{Name: "d", Kind: param.Int, Default: "2", Doc: "nodes probed per task"}},
	Doc:    "batch sampling for requests of k tasks: probe d·k distinct random nodes once per request and place its k tasks on the k least loaded (one task per node while there are nodes enough); with k = 1 it is pod(d)",
	Ref:    "Ousterhout, Wendell, Zaharia & Stoica, Sparrow, SOSP 2013 (batch sampling, without late binding)",
}

// batch places the tasks of a request, which reach it one after another
// (Job.Task 0, 1, …, k−1), on the nodes it chose for the request when
// its first task came.
type batch struct {
	d, k   int
	sample []NodeID
	loads  []Load
	order  []int // indices into sample, least loaded first
}

func newBatch(p param.Values) (DispatchBuilder, error) {
	if err := atLeast(p, "d", 1); err != nil {
		return nil, err
	}
	d := p.Int("d")
	return func(env Env) Dispatcher {
		k := max(env.Tasks, 1)
		n := min(d*k, env.Nodes)
		return &batch{d: d, k: k, sample: make([]NodeID, 0, n), loads: make([]Load, n), order: make([]int, 0, n)}
	}, nil
}

func (b *batch) Pick(v View, j *Job) NodeID {
	if j.Task == 0 || len(b.order) == 0 {
		b.sample = sampleNodes(v.Rand(), v.Nodes(), None, b.d*b.k, b.sample)
		b.loads = b.loads[:len(b.sample)]
		v.Probe(b.sample, b.loads)
		b.order = b.order[:0]
		for i := range b.sample {
			b.order = append(b.order, i)
		}
		// Least loaded first; ties keep the sample's random order.
		slices.SortStableFunc(b.order, func(x, y int) int {
			qx := float64(b.loads[x].Queue) / float64(max(b.loads[x].Servers, 1))
			qy := float64(b.loads[y].Queue) / float64(max(b.loads[y].Servers, 1))
			switch {
			case qx < qy:
				return -1
			case qx > qy:
				return 1
			}
			return 0
		})
	}
	return b.sample[b.order[int(j.Task)%len(b.order)]]
}
