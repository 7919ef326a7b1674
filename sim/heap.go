package sim

import (
	"math"
	"math/bits"

	"github.com/loadlab/loadlab/policy"
)

type eventKind uint8

const (
	evDeliver eventKind = iota // job reaches node (from the dispatcher or a transfer)
	evEnqueue                  // job kept after a delayed decision joins the node's queue
	evRequest                  // a request for work reaches node from
	evMessage                  // a policy message reaches node
	evWake                     // a policy timer at node
	evGossip                   // node publishes its load (periodic: node -1, every node)
	evProbe                    // a ProbeLater probe reaches node
	evReply                    // the answer to a ProbeLater reaches node (-1: the dispatcher)
	evPublish                  // delayed gossip: a load published at time at becomes visible
	evStop                     // pre-copy: the live rounds of a unit at node end; it stops and leaves for node from
	evCancel                   // a client's cancellation of copy job reaches node; msg.Value is the request's ID
	evHedge                    // a request's task may get another copy; msg.Value is its ID, job the task, from the attempt
	evTimeout                  // an attempt of a request's task times out; as evHedge
	evRetry                    // a request's task is tried again; as evHedge
	evFault                    // fault job of Config.Faults starts (from 0) or ends (from 1)
	evFront                    // front end node ends the item in service (front.go)
	evCall                     // the call of request job reaches its tier (tier.go)
	evAnswer                   // the answer to the call of request job reaches its node
	evUser                     // closed user job ends its think time and issues a request (closed.go)
	evScale                    // an elastic cluster's step, decision or start-up end (elastic.go)
	evDoze                     // node, idle since, goes to sleep if still idle and job is its idle count (sleep.go)
	evAwake                    // node is awake: its held jobs start (sleep.go)
)

// event is a scheduled happening other than an arrival or a completion.
// Events are values in a slice heap: no allocation per event.
type event struct {
	t    float64
	seq  uint64 // breaks ties in scheduling order, so runs are reproducible
	kind eventKind
	node int32
	from int32
	job  int32          // job slot; evReply, evPublish: load slot (cluster.snaps)
	msg  policy.Message // evMessage; evPublish: Value is when the load was published; evStop: Value is the job's ID
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

// nodeTree orders nodes by their next completion time (+Inf when idle):
// a tournament tree whose leaves are the nodes' keys and whose every inner
// entry holds the earlier of its two children, so the root is the earliest
// node (ties: the lower id). A change replays the node's matches up the
// tree, one comparison a level, as far as a winner changes: no sift's
// swaps, and fewer instructions and cache misses than the indexed 4-ary
// heap it replaced (docs/BENCHMARKS.md). Each match is decided without a
// branch (an inner entry's key is one 128-bit number, compared by a
// subtraction's borrow), since which of two nodes ends first is a coin
// toss the processor cannot predict.
type nodeTree struct {
	p    int       // leaves: the least power of two ≥ max(nodes, 2)
	leaf []float64 // leaf[i]: node i's key (its id is its index)
	win  []nodeKey // win[1:p]: entry i's children are entries 2i and 2i+1, or, from p on, leaves 2i−p and 2i+1−p
}

// nodeKey is a node's next completion time and id as one number: t's bits
// in an order the same as t's (order), then the id.
type nodeKey struct {
	t uint64
	n uint64
}

// order maps t to an unsigned integer that sorts as t does (−0 before +0).
func order(t float64) uint64 {
	b := math.Float64bits(t)
	return b ^ (uint64(int64(b)>>63) | 1<<63)
}

// unorder is order's inverse.
func unorder(o uint64) float64 {
	return math.Float64frombits(o ^ (uint64(int64(^o)>>63) | 1<<63))
}

// earlier returns the earlier of a and b (ties: the lower id), without a
// branch: c is 1 when b < a as 128-bit numbers, and its negation a mask.
func earlier(a, b nodeKey) nodeKey {
	_, c := bits.Sub64(b.n, a.n, 0)
	_, c = bits.Sub64(b.t, a.t, c)
	m := -c
	return nodeKey{a.t ^ (a.t^b.t)&m, a.n ^ (a.n^b.n)&m}
}

func newNodeTree(n int, inf float64) *nodeTree {
	p := 2
	for p < n {
		p <<= 1
	}
	nt := &nodeTree{p: p, leaf: make([]float64, p), win: make([]nodeKey, p)}
	hugePages(nt.leaf)
	hugePages(nt.win)
	for i := range nt.leaf {
		nt.leaf[i] = inf
	}
	for i := p - 1; i >= 1; i-- {
		if 2*i >= p {
			nt.win[i] = nodeKey{order(inf), uint64(2*i - p)} // a tie: the lower id
			continue
		}
		nt.win[i] = earlier(nt.win[2*i], nt.win[2*i+1])
	}
	return nt
}

func (nt *nodeTree) top() (int32, float64) { return int32(nt.win[1].n), unorder(nt.win[1].t) }

// set changes node n's key and replays its matches up the tree, as far as
// their winners change.
func (nt *nodeTree) set(n int32, t float64) {
	if nt.leaf[n] == t {
		return // a busy FCFS node's next completion stays as it was when a job joins its queue
	}
	nt.leaf[n] = t
	k := earlier(nodeKey{order(t), uint64(n)}, nodeKey{order(nt.leaf[n^1]), uint64(n ^ 1)})
	w := nt.win
	for i := (nt.p + int(n)) >> 1; ; {
		if w[i] == k {
			return // the same winner as before: nothing above changes
		}
		w[i] = k
		if i == 1 {
			return
		}
		k = earlier(k, w[i^1])
		i >>= 1
	}
}
