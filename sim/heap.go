package sim

import "github.com/loadlab/loadlab/policy"

type eventKind uint8

const (
	evDeliver eventKind = iota // job reaches node (from the dispatcher or a transfer)
	evEnqueue                  // job kept after a delayed decision joins the node's queue
	evRequest                  // a request for work reaches node from
	evMessage                  // a policy message reaches node
	evWake                     // a policy timer at node
	evGossip                   // every node publishes its load
)

// event is a scheduled happening other than an arrival or a completion.
// Events are values in a slice heap: no allocation per event.
type event struct {
	t    float64
	seq  uint64 // breaks ties in scheduling order, so runs are reproducible
	kind eventKind
	node int32
	from int32
	job  int32
	msg  policy.Message
}

func (a *event) before(b *event) bool {
	return a.t < b.t || (a.t == b.t && a.seq < b.seq)
}

// eventHeap is a binary min-heap of events by (t, seq).
type eventHeap struct{ ev []event }

func (h *eventHeap) len() int { return len(h.ev) }

func (h *eventHeap) push(e event) {
	h.ev = append(h.ev, e)
	i := len(h.ev) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.ev[i].before(&h.ev[p]) {
			break
		}
		h.ev[i], h.ev[p] = h.ev[p], h.ev[i]
		i = p
	}
}

func (h *eventHeap) pop() event {
	top := h.ev[0]
	last := len(h.ev) - 1
	h.ev[0] = h.ev[last]
	h.ev = h.ev[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= last {
			break
		}
		m := l
		if r := l + 1; r < last && h.ev[r].before(&h.ev[l]) {
			m = r
		}
		if !h.ev[m].before(&h.ev[i]) {
			break
		}
		h.ev[i], h.ev[m] = h.ev[m], h.ev[i]
		i = m
	}
	return top
}

// nodeHeap orders nodes by their next completion time (+Inf when idle). It
// is indexed, so a node's time can change in O(log N).
type nodeHeap struct {
	h   []int32   // node ids in heap order
	pos []int32   // position of each node in h
	key []float64 // next completion time of each node
}

func newNodeHeap(n int, inf float64) *nodeHeap {
	nh := &nodeHeap{h: make([]int32, n), pos: make([]int32, n), key: make([]float64, n)}
	for i := 0; i < n; i++ {
		nh.h[i], nh.pos[i], nh.key[i] = int32(i), int32(i), inf
	}
	return nh
}

func (nh *nodeHeap) less(a, b int32) bool {
	ka, kb := nh.key[a], nh.key[b]
	return ka < kb || (ka == kb && a < b)
}

func (nh *nodeHeap) top() (int32, float64) { n := nh.h[0]; return n, nh.key[n] }

// set changes node n's key and restores the heap order.
func (nh *nodeHeap) set(n int32, k float64) {
	old := nh.key[n]
	nh.key[n] = k
	i := int(nh.pos[n])
	if k < old {
		for i > 0 {
			p := (i - 1) / 2
			if !nh.less(nh.h[i], nh.h[p]) {
				break
			}
			nh.swap(i, p)
			i = p
		}
		return
	}
	last := len(nh.h)
	for {
		l := 2*i + 1
		if l >= last {
			return
		}
		m := l
		if r := l + 1; r < last && nh.less(nh.h[r], nh.h[l]) {
			m = r
		}
		if !nh.less(nh.h[m], nh.h[i]) {
			return
		}
		nh.swap(i, m)
		i = m
	}
}

func (nh *nodeHeap) swap(i, j int) {
	nh.h[i], nh.h[j] = nh.h[j], nh.h[i]
	nh.pos[nh.h[i]] = int32(i)
	nh.pos[nh.h[j]] = int32(j)
}
