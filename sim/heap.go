package sim

import (
	"math"

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

// nodeHeap orders nodes by their next completion time (+Inf when idle). It
// is indexed, so a node's time can change in O(log N), and 4-ary with the
// keys stored inline, which keeps a sift within a few cache lines.
type nodeHeap struct {
	h   []nodeKey // heap order
	pos []int32   // position of each node in h
}

type nodeKey struct {
	t float64
	n int32
}

func (a nodeKey) before(b nodeKey) bool { return a.t < b.t || (a.t == b.t && a.n < b.n) }

func newNodeHeap(n int, inf float64) *nodeHeap {
	nh := &nodeHeap{h: make([]nodeKey, n), pos: make([]int32, n)}
	hugePages(nh.h)
	hugePages(nh.pos)
	for i := 0; i < n; i++ {
		nh.h[i], nh.pos[i] = nodeKey{inf, int32(i)}, int32(i)
	}
	return nh
}

func (nh *nodeHeap) top() (int32, float64) { return nh.h[0].n, nh.h[0].t }

// set changes node n's key and restores the heap order.
func (nh *nodeHeap) set(n int32, t float64) {
	i := int(nh.pos[n])
	k := nodeKey{t, n}
	old := nh.h[i]
	if k == old { // a busy FCFS node's next completion stays as it was when a job joins its queue
		return
	}
	h := nh.h
	if old.before(k) {
		// Sink. A node that went idle (+Inf) sinks to a leaf, so it walks
		// the smaller children down without comparing its own key, and
		// climbs back among the other idle nodes below. Any other later
		// key usually moves little (a probe's overhead done, the real
		// job's completion back), so it stops as soon as no child is
		// earlier.
		idle := math.IsInf(t, 1)
		last := len(h)
		for {
			c := 4*i + 1
			if c >= last {
				break
			}
			m := c
			if c+3 < last { // unrolled: one loop over the children costs about 95 instructions a job more (make bench-count)
				if h[c+1].before(h[m]) {
					m = c + 1
				}
				if h[c+2].before(h[m]) {
					m = c + 2
				}
				if h[c+3].before(h[m]) {
					m = c + 3
				}
			} else {
				for j := c + 1; j < last; j++ {
					if h[j].before(h[m]) {
						m = j
					}
				}
			}
			if !idle && !h[m].before(k) {
				break
			}
			h[i] = h[m]
			nh.pos[h[i].n] = int32(i)
			i = m
		}
	}
	// Climb to where k belongs: from i for an earlier key, from the leaf
	// reached above for an idle node (any other later key is in place).
	for i > 0 {
		p := (i - 1) / 4
		if !k.before(h[p]) {
			break
		}
		h[i] = h[p]
		nh.pos[h[i].n] = int32(i)
		i = p
	}
	h[i] = k
	nh.pos[n] = int32(i)
}
