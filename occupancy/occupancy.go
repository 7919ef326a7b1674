// Package occupancy measures how busy a cluster's nodes were over a point's
// measurement window: utilisation, thread-level parallelism, the mean
// number of jobs in the system and the time jobs waited while servers
// elsewhere were idle. The simulator feeds a Ledger as it runs; the real
// backends replay the agents' logs through the same Ledger (Replay), so
// both measure the same thing over the same window.
//
// The window opens at the arrival of the first measured job (job Warmup)
// and closes at the arrival of the last job (job Jobs−1), both on the
// model clock: [arrival(Warmup), arrival(Jobs−1)). The empty start (before
// the queues fill) and the draining end (after the last arrival, when load
// can only fall) are left out, so a time average over the window estimates
// the steady state, and the window is known from the arrival schedule
// alone, whatever the policy does. The simulator used this window before
// this package existed; the agents measured from the first arrival to the
// last completion, warm-up and drain included, which biased their
// utilisation low.
//
// A Ledger is not safe for concurrent use.
package occupancy

import (
	"math"
	"slices"
)

// Stats is what a Ledger measured over its window, times in model units.
type Stats struct {
	Start, End      float64   // the window (the whole run if the window was empty)
	NodeUtilization []float64 // per node: mean busy servers ÷ servers
	Utilization     float64   // mean of NodeUtilization
	NodeTLP         []float64 // per node: Σ i·cᵢ / (1 − c₀), cᵢ the fraction of time i servers were busy (0 if never busy)
	TLP             float64   // mean of NodeTLP
	MeanInSystem    float64   // time-average number of jobs in the system (Little's L)
	ArrivalRate     float64   // arrivals per model unit over the window (0 if the window is empty)
	// WaitWhileIdle is the fraction of the window during which a job
	// waited at some node (more jobs there than servers) while a server
	// of another node was idle: the time load sharing could have put to
	// use (Livny & Melman 1982).
	WaitWhileIdle float64
}

// Change is a node's state from time T on: Busy servers serving and
// Present jobs there, waiting or in service.
type Change struct {
	T       float64 `json:"t"`
	Busy    int     `json:"busy"`
	Present int     `json:"present"`
}

// node is one node's state and its integrals since time 0.
type node struct {
	servers, busy, present int
	waiting, idle          int     // 1 if a job waits there, if a server is idle there; else 0
	last                   float64 // time the integrals were advanced to
	busyArea, active       float64 // ∫ busy dt, ∫ [busy > 0] dt
}

func (n *node) advance(t float64) {
	if dt := t - n.last; dt > 0 {
		if n.busy > 0 {
			n.busyArea += float64(n.busy) * dt
			n.active += dt
		}
		n.last = t
	}
}

// snapshot is the integrals at one instant.
type snapshot struct {
	t                float64
	busyArea, active []float64
	inSystem, wwi    float64
}

// Ledger accumulates a cluster's occupancy. Feed it, in non-decreasing
// model time: Node after every change of a node's busy servers or jobs
// present, Arrive when a job enters the system and Depart when one leaves
// it (completed or failed). The system count is fed apart from the nodes
// because a job in flight (being dispatched or transferred) is in the
// system but at no node.
//
// The simulator calls it a few times per job, so it does O(1) work per
// call and allocates nothing (unless recording): a node's integrals move
// only when that node changes, the number in system only when it changes,
// and wait while idle only when it turns on or off.
type Ledger struct {
	nodes               []node
	first, last         int64   // IDs of the arrivals that open and close the window
	t                   float64 // latest time fed
	waiting, idle, both int     // nodes with a job waiting, with an idle server, with both

	inSystem     int
	sysT         float64 // time inSystemArea was advanced to
	inSystemArea float64 // ∫ jobs in system dt since time 0, up to sysT

	on      bool    // a job waits while another node's server is idle, since onSince
	onSince float64 //
	wwi     float64 // time wait while idle held, up to its last turning off

	open, close    snapshot
	opened, closed bool

	record               bool
	logs                 [][]Change
	arrivals, departures []float64
}

// New returns a Ledger for nodes with the given servers each, and a point
// of jobs jobs whose first warmup are left out of the statistics: they set
// the window (see the package doc). All nodes start empty at time 0.
func New(servers []int, jobs, warmup int) *Ledger {
	l := &Ledger{nodes: make([]node, len(servers)), first: int64(warmup), last: int64(jobs - 1)}
	for i, c := range servers {
		l.nodes[i].servers = c
		if c > 0 {
			l.nodes[i].idle = 1
			l.idle++
		}
	}
	for _, s := range []*snapshot{&l.open, &l.close} {
		s.busyArea, s.active = make([]float64, len(servers)), make([]float64, len(servers))
	}
	return l
}

// Record makes the Ledger keep what it is fed (Logs), to replay it
// elsewhere; recording allocates as it goes.
func (l *Ledger) Record() {
	l.record = true
	l.logs = make([][]Change, len(l.nodes))
}

// Logs returns what a recording Ledger was fed: each node's changes, and
// the times of the arrivals (by job ID) and of the departures.
func (l *Ledger) Logs() (nodes [][]Change, arrivals, departures []float64) {
	return l.logs, l.arrivals, l.departures
}

// now clamps t to the latest time fed, and makes it the latest.
func (l *Ledger) now(t float64) float64 {
	if t < l.t {
		return l.t
	}
	l.t = t
	return t
}

// count changes the number in system by delta at t.
func (l *Ledger) count(t float64, delta int) {
	l.inSystemArea += float64(l.inSystem) * (t - l.sysT)
	l.sysT = t
	l.inSystem += delta
}

// waitWhileIdle says whether a job waits at one node while a server of
// another node is idle. A node that both has a job waiting and an idle
// server (a moment between a completion and the next start, on an agent)
// does not count with itself.
func (l *Ledger) waitWhileIdle() bool {
	if l.waiting == 0 || l.idle == 0 {
		return false
	}
	return l.waiting > 1 || l.idle > 1 || l.both == 0
}

// Node records that from time t node i has busy servers serving and
// present jobs, waiting or in service. Under processor sharing every job
// is in service but more jobs than servers share them: the excess counts
// as waiting.
func (l *Ledger) Node(t float64, i, busy, present int) {
	n := &l.nodes[i]
	if busy == n.busy && present == n.present {
		return
	}
	t = l.now(t)
	n.advance(t)
	n.busy, n.present = busy, present
	waiting, idle := 0, 0
	if present > n.servers {
		waiting = 1
	}
	if busy < n.servers {
		idle = 1
	}
	if waiting == n.waiting && idle == n.idle {
		l.log(t, i, busy, present)
		return
	}
	l.waiting += waiting - n.waiting
	l.idle += idle - n.idle
	l.both += waiting&idle - n.waiting&n.idle
	n.waiting, n.idle = waiting, idle
	if on := l.waitWhileIdle(); on != l.on {
		if on {
			l.onSince = t
		} else {
			l.wwi += t - l.onSince
		}
		l.on = on
	}
	l.log(t, i, busy, present)
}

// log records a node change if l records.
func (l *Ledger) log(t float64, i, busy, present int) {
	if l.record {
		l.logs[i] = append(l.logs[i], Change{T: t, Busy: busy, Present: present})
	}
}

// Arrive records that job id entered the system at time t. The arrivals
// of jobs Warmup and Jobs−1 open and close the window.
func (l *Ledger) Arrive(t float64, id int64) {
	t = l.now(t)
	if id == l.first && !l.opened {
		l.take(&l.open, t)
		l.opened = true
	}
	l.count(t, 1)
	if id == l.last && !l.closed {
		l.take(&l.close, t)
		l.closed = true
	}
	if l.record {
		if int(id) >= len(l.arrivals) {
			l.arrivals = append(l.arrivals, make([]float64, int(id)+1-len(l.arrivals))...)
		}
		l.arrivals[id] = t
	}
}

// Depart records that a job left the system at time t.
func (l *Ledger) Depart(t float64) {
	t = l.now(t)
	l.count(t, -1)
	if l.record {
		l.departures = append(l.departures, t)
	}
}

// take fills s with the integrals at time t, the latest time fed.
func (l *Ledger) take(s *snapshot, t float64) {
	s.t = t
	s.inSystem = l.inSystemArea + float64(l.inSystem)*(t-l.sysT)
	s.wwi = l.wwi
	if l.on {
		s.wwi += t - l.onSince
	}
	for i := range l.nodes {
		l.nodes[i].advance(t)
		s.busyArea[i], s.active[i] = l.nodes[i].busyArea, l.nodes[i].active
	}
}

// Stats returns the measurements over the window. If the window is empty
// (it never opened or closed, or spans no time: a point of one measured
// job), it falls back to the whole run, [0, end).
func (l *Ledger) Stats(end float64) Stats {
	from, to := l.open, l.close
	windowed := l.opened && l.closed && to.t > from.t
	if !windowed {
		from = snapshot{}
		to = snapshot{busyArea: make([]float64, len(l.nodes)), active: make([]float64, len(l.nodes))}
		l.take(&to, l.now(end))
	}
	span := to.t - from.t
	st := Stats{Start: from.t, End: to.t, NodeUtilization: make([]float64, len(l.nodes)), NodeTLP: make([]float64, len(l.nodes))}
	if windowed {
		st.ArrivalRate = float64(l.last-l.first) / span
	}
	if span <= 0 {
		return st
	}
	for i, n := range l.nodes {
		busy, active := to.busyArea[i], to.active[i]
		if from.busyArea != nil {
			busy -= from.busyArea[i]
			active -= from.active[i]
		}
		if n.servers > 0 {
			st.NodeUtilization[i] = busy / span / float64(n.servers)
		}
		if active > 0 {
			st.NodeTLP[i] = busy / active
		}
		st.Utilization += st.NodeUtilization[i] / float64(len(l.nodes))
		st.TLP += st.NodeTLP[i] / float64(len(l.nodes))
	}
	st.MeanInSystem = (to.inSystem - from.inSystem) / span
	st.WaitWhileIdle = (to.wwi - from.wwi) / span
	return st
}

// Replay feeds a Ledger the logs of a point, in time order, and returns
// its Stats: what the real backends do with the logs their agents kept.
// nodes[i] is node i's changes in time order; arrivals[id] is job id's
// arrival (the ones that open and close the window must be there) and
// departures the times jobs left, in any order (NaN or +Inf: never). end
// is the end of the run, for the fallback of Stats. Where times tie,
// arrivals come first, then departures, then node changes; ties change no
// integral.
func Replay(servers []int, jobs, warmup int, nodes [][]Change, arrivals, departures []float64, end float64) Stats {
	type ev struct {
		t    float64
		kind int // 0 arrival, 1 departure, 2 node change
		i    int // job ID or node
		c    Change
	}
	var evs []ev
	for id, t := range arrivals {
		evs = append(evs, ev{t: t, kind: 0, i: id})
	}
	for _, t := range departures {
		if !math.IsNaN(t) && !math.IsInf(t, 1) {
			evs = append(evs, ev{t: t, kind: 1})
		}
	}
	for i, log := range nodes {
		for _, c := range log {
			evs = append(evs, ev{t: c.T, kind: 2, i: i, c: c})
		}
	}
	slices.SortStableFunc(evs, func(a, b ev) int {
		if a.t != b.t {
			if a.t < b.t {
				return -1
			}
			return 1
		}
		return a.kind - b.kind
	})
	l := New(servers, jobs, warmup)
	for _, e := range evs {
		switch e.kind {
		case 0:
			l.Arrive(e.t, int64(e.i))
		case 1:
			l.Depart(e.t)
		default:
			l.Node(e.t, e.i, e.c.Busy, e.c.Present)
		}
	}
	return l.Stats(end)
}
