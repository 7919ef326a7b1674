package policy

import (
	"slices"

	"github.com/loadlab/loadlab/param"
)

var batchInfo = Info{
	Name: "batch",
	Params: param.Schema{{Name: "d", Kind: param.Int, Default: "2", Doc: "nodes probed per task"},
		{Name: "binding", Kind: param.Word, Default: "early", Doc: "early: place the tasks on the probed nodes least loaded; late: put a reservation on each probed node, and a node whose reservation reaches a free server fetches the request's next task (one round trip), or nothing once all are running"}},
	Doc: "batch sampling for requests of k tasks: probe d·k distinct random nodes once per request and place its k tasks on the k least loaded (one task per node while there are nodes enough); with k = 1 it is pod(d). With binding=late, Sparrow's late binding",
	Ref: "Ousterhout, Wendell, Zaharia & Stoica, Sparrow, SOSP 2013 (batch sampling, late binding)",
}

// Reserver is a dispatch strategy that binds tasks late (Sparrow): for
// each request (its first task) it names the nodes that get a reservation
// each. A reservation queues at its node like a job; when it reaches a
// free server the node asks the dispatcher for the request's next task
// not yet running, holding the server for that round trip, and runs it,
// or lets the reservation go if all the tasks run already. A backend that
// cannot bind late must refuse a Reserver.
type Reserver interface {
	Reserve(v View, j *Job, into []NodeID) []NodeID
}

// Reserves reports whether the dispatch strategy s binds tasks late.
func Reserves(s *DispatchSpec) bool {
	_, ok := s.New(Env{Nodes: 1, Tasks: 1}).(Reserver)
	return ok
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
	late := false
	switch b := p.Word("binding"); b {
	case "early":
	case "late":
		late = true
	default:
		return nil, p.Errorf("binding", "want early or late, got %q", b)
	}
	return func(env Env) Dispatcher {
		k := max(env.Tasks, 1)
		n := min(d*k, env.Nodes)
		b := &batch{d: d, k: k, sample: make([]NodeID, 0, n), loads: make([]Load, n), order: make([]int, 0, n)}
		if late {
			return &lateBatch{b}
		}
		return b
	}, nil
}

// lateBatch is batch sampling with late binding: Reserve names d·k
// distinct random nodes per request, without probing them (the
// reservations take the probes' place). Its Pick, for a backend that
// places tasks one at a time, is early binding's.
type lateBatch struct{ *batch }

func (b *lateBatch) Reserve(v View, j *Job, into []NodeID) []NodeID {
	return sampleNodes(v.Rand(), v.Nodes(), None, b.d*b.k, into)
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
			qx := perServer(b.loads[x])
			qy := perServer(b.loads[y])
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
