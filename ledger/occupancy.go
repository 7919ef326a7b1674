package ledger

import "github.com/loadlab/loadlab/session"

// Stats is what a Ledger measured over its window, times in model units.
type Stats struct {
	Start, End      float64   // the window (the whole run if the window was empty)
	NodeUtilization []float64 // per node: mean busy servers ÷ servers
	Utilization     float64   // mean of NodeUtilization
	NodeTLP         []float64 // per node: Σ i·cᵢ / (1 − c₀), cᵢ the fraction of time i servers were busy (0 if never busy)
	TLP             float64   // mean of NodeTLP
	MeanInSystem    float64   // time-average number of jobs in the system (Little's L)
	Threads         float64   // time-average threads alive per node (server architectures; 0 otherwise)
	Front           float64   // time-average front ends busy (Config.Fronts; 0 without)
	Tiers           []float64 // per tier of Config.Tiers: time-average servers busy
	ArrivalRate     float64   // arrivals per model unit over the window (0 if the window is empty)
	// WaitWhileIdle is the fraction of the window during which a job
	// waited at some node (more jobs there than servers) while a server
	// of another node was idle: the time load sharing could have put to
	// use (Livny & Melman 1982).
	WaitWhileIdle float64
	// Sleep states (energy.Power.Sleep; nil and 0 without): per node the
	// fractions of the window asleep and waking up, the mean fraction
	// asleep, and the wake-ups begun in the window.
	NodeAsleep, NodeWaking []float64
	Asleep                 float64
	Wakeups                int64
}

// Change is a node's state from time T on: Busy servers serving and
// Present jobs there, waiting or in service.
type Change struct {
	T       float64 `json:"t"`
	Busy    int     `json:"busy"`
	Present int     `json:"present"`
}

// node is one node's state and its integral since time 0. Its other
// integral, ∫ [busy > 0] dt, is the same number as ∫ busy dt while it has
// never had more than one server busy: it is kept apart (Ledger.active)
// only from the first time a node has, so that a cluster of one-server
// nodes costs 24 bytes a node here, and 16 in the window's snapshots. Its
// servers are in Config, and its flags (waiting, idle) follow from them.
type node struct {
	last          float64 // time the integrals were advanced to
	busyArea      float64 // ∫ busy dt
	busy, present int32
}

// servers is node i's servers.
func (l *Ledger) servers(i int) int32 {
	if len(l.cfg.Servers) == 1 {
		return int32(l.cfg.Servers[0])
	}
	return int32(l.cfg.Servers[i])
}

// A node's flags.
const (
	waiting = 1 // more jobs present than servers
	idle    = 2 // fewer servers busy than it has
)

// flagsOf is the flags of a node with servers, busy servers and present jobs.
func flagsOf(servers, busy, present int32) int32 {
	f := int32(0)
	if present > servers {
		f = waiting
	}
	if busy < servers {
		f |= idle
	}
	return f
}

// advance brings node i's integrals up to t.
func (l *Ledger) advance(i int, t float64) {
	n := &l.nodes[i]
	if dt := t - n.last; dt > 0 {
		if n.busy > 0 {
			n.busyArea += float64(n.busy) * dt
			if l.active != nil {
				l.active[i] += dt
			}
		}
		n.last = t
	}
}

// activeOf is node i's ∫ [busy > 0] dt in the integrals busyArea and
// active (nil: taken while no node had had two servers busy).
func activeOf(busyArea, active []float64, i int) float64 {
	if active == nil {
		return busyArea[i]
	}
	return active[i]
}

// snapshot is the integrals at one instant.
type snapshot struct {
	t                float64
	busyArea, active []float64 // active: nil while Ledger.active is
	inSystem, wwi    float64
	threads          float64
	front            float64
	tiers            []float64 // ∫ busy dt of each tier
	sleep            sleepMark // the nodes' time asleep and waking, wake-ups
}

// now clamps t to the latest time fed, and makes it the latest.
func (l *Ledger) now(t float64) float64 {
	if t < l.t {
		return l.t
	}
	l.t = t
	return t
}

// Resident records that delta jobs the run did not issue arrive (delta >
// 0) or leave (delta < 0) at t: the jobs a warm start puts on the nodes
// (scenario.WarmStart). They count in the jobs in system, and in no job
// count or response statistic.
func (l *Ledger) Resident(t float64, delta int) { l.count(l.now(t), delta) }

// count changes the number in system by delta at t.
func (l *Ledger) count(t float64, delta int) {
	l.inSystemArea += float64(l.inSystem) * (t - l.sysT)
	l.inSystemOver.Add(l.sysT, t, float64(l.inSystem))
	l.sysT = t
	l.inSystem += delta
}

// Threads records that from time t the nodes together have held more
// threads in use (server architectures: threads holding a request), of
// which executing more execute (on a core). With bins (Config.Bin) both
// are kept over time too.
func (l *Ledger) Threads(t float64, held, executing int) {
	t = l.now(t)
	l.threadArea += float64(l.threads) * (t - l.threadT)
	l.threadsOver.Add(l.threadT, t, float64(l.threads))
	l.execOver.Add(l.threadT, t, float64(l.executing))
	l.threadT = t
	l.threads += held
	l.executing += executing
	if l.record {
		l.rec.Threads = append(l.rec.Threads, ThreadStep{T: t, Held: held, Executing: executing})
	}
}

// station is a queue outside the nodes that requests pass: the front
// ends (Front), a tier (Tier). It keeps its busy servers and their
// integral, and the time the measured requests spent there.
type station struct {
	busy    int
	t, area float64 // time of the last change and ∫ busy dt up to then
	sum     float64 // time the measured requests spent there
	n       int64   // their visits
}

// change makes delta more of the station's servers busy from time t.
func (s *station) change(t float64, delta int) {
	s.area += float64(s.busy) * (t - s.t)
	s.t = t
	s.busy += delta
}

// areaAt is ∫ busy dt up to time t, the latest change or later.
func (s *station) areaAt(t float64) float64 { return s.area + float64(s.busy)*(t-s.t) }

// visit records a measured request's time there.
func (s *station) visit(d float64) {
	s.sum += d
	s.n++
}

// mean is the mean time of a visit, 0 without one.
func (s *station) mean() float64 {
	if s.n == 0 {
		return 0
	}
	return s.sum / float64(s.n)
}

// Front records that from time t delta more front ends are busy.
func (l *Ledger) Front(t float64, delta int) {
	t = l.now(t)
	l.front.change(t, delta)
	if l.record {
		l.rec.Fronts = append(l.rec.Fronts, FrontStep{T: t, Delta: delta})
	}
}

// Tier records that from time t delta more servers of tier k
// (Config.Tiers) are busy.
func (l *Ledger) Tier(t float64, k, delta int) { l.tiers[k].change(l.now(t), delta) }

// TierTime records that a call of job id spent d at tier k, queued and
// served. The calls of measured jobs count.
func (l *Ledger) TierTime(id int64, k int, d float64) {
	if id >= l.first {
		l.tiers[k].visit(d)
	}
}

// Lookup records that request id looked its key up in its node's cache
// and found it there if hit (package cache). Measured requests count.
func (l *Ledger) Lookup(id int64, hit bool) {
	if l.record {
		l.rec.Lookups = append(l.rec.Lookups, Lookup{ID: id, Hit: hit})
	}
	if id < l.first {
		return
	}
	l.lookups++
	if hit {
		l.hits++
	}
}

// State records what became of request id's client state as it was
// served (package session). Measured requests count.
func (l *Ledger) State(id int64, o session.Outcome) {
	if id >= l.first && int(o) < len(l.stateN) {
		l.stateN[o]++
	}
}

// FrontTime records that request id, which completed, spent d at the
// front end (queued and served, on its way in and, relayed, on its way
// out). It follows the request's Complete: recording, the time goes
// with its End.
func (l *Ledger) FrontTime(id int64, d float64) {
	if n := len(l.rec.Ends); l.record && n > 0 && l.rec.Ends[n-1].ID == id {
		l.rec.Ends[n-1].Front = d
	}
	if id >= l.first {
		l.front.visit(d)
	}
}

// waitWhileIdle says whether a job waits at one node while a server of
// another node is idle. A node that both has a job waiting and an idle
// server (a moment between a completion and the next start, on an agent)
// does not count with itself.
func (l *Ledger) waitWhileIdle() bool {
	both := l.flagged[waiting|idle]
	w, i := l.flagged[waiting]+both, l.flagged[idle]+both
	if w == 0 || i == 0 {
		return false
	}
	return w > 1 || i > 1 || both == 0
}

// Node records that from time t node i has busy servers serving and
// present jobs, waiting or in service. Under processor sharing every job
// is in service but more jobs than servers share them: the excess counts
// as waiting.
func (l *Ledger) Node(t float64, i, busy, present int) {
	n := &l.nodes[i]
	b, p := int32(busy), int32(present)
	if b == n.busy && p == n.present {
		return
	}
	t = l.now(t)
	l.advance(i, t)
	if b > 1 && l.active == nil {
		// Until now every node's ∫ [busy > 0] dt was its ∫ busy dt, to the bit.
		l.active = make([]float64, len(l.nodes))
		for k := range l.nodes {
			l.active[k] = l.nodes[k].busyArea
		}
	}
	s := l.servers(i)
	was := flagsOf(s, n.busy, n.present)
	n.busy, n.present = b, p
	if f := flagsOf(s, b, p); f != was {
		l.flagged[was&3]-- // flags < 4: the mask spares a bounds check
		l.flagged[f&3]++
		if on := l.waitWhileIdle(); on != l.on {
			if on {
				l.onSince = t
			} else {
				l.wwi += t - l.onSince
			}
			l.on = on
		}
	}
	if l.record {
		l.log(t, i, busy, present)
	}
}

// log records a node's change.
func (l *Ledger) log(t float64, i, busy, present int) {
	l.rec.Nodes[i] = append(l.rec.Nodes[i], Change{T: t, Busy: busy, Present: present})
}

// take fills s with the integrals at time t, the latest time fed.
func (l *Ledger) take(s *snapshot, t float64) {
	s.t = t
	s.inSystem = l.inSystemArea + float64(l.inSystem)*(t-l.sysT)
	s.wwi = l.wwi
	s.threads = l.threadArea + float64(l.threads)*(t-l.threadT)
	s.front = l.front.areaAt(t)
	for k := range l.tiers {
		s.tiers[k] = l.tiers[k].areaAt(t)
	}
	if l.on {
		s.wwi += t - l.onSince
	}
	s.active = nil
	if l.active != nil {
		s.active = make([]float64, len(l.nodes))
	}
	for i := range l.nodes {
		l.advance(i, t)
		s.busyArea[i] = l.nodes[i].busyArea
		if s.active != nil {
			s.active[i] = l.active[i]
		}
	}
	s.sleep = l.sleep.mark(t)
}

// Stats returns the measurements over the window. If the window is empty
// (it never opened or closed, or spans no time: a point of one measured
// job), it falls back to the whole run, [0, end).
func (l *Ledger) Stats(end float64) Stats {
	from, to := l.open, l.close
	windowed := l.opened && l.closed && to.t > from.t
	if !windowed {
		from = snapshot{}
		to = snapshot{busyArea: make([]float64, len(l.nodes)), tiers: make([]float64, len(l.tiers))}
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
	for i := range l.nodes {
		busy, active := to.busyArea[i], activeOf(to.busyArea, to.active, i)
		if from.busyArea != nil {
			busy -= from.busyArea[i]
			active -= activeOf(from.busyArea, from.active, i)
		}
		if s := l.servers(i); s > 0 {
			st.NodeUtilization[i] = busy / span / float64(s)
		}
		if active > 0 {
			st.NodeTLP[i] = busy / active
		}
		st.Utilization += st.NodeUtilization[i] / float64(len(l.nodes))
		st.TLP += st.NodeTLP[i] / float64(len(l.nodes))
	}
	st.MeanInSystem = (to.inSystem - from.inSystem) / span
	st.Threads = (to.threads - from.threads) / span / float64(len(l.nodes))
	st.Front = (to.front - from.front) / span
	st.Tiers = make([]float64, len(l.tiers))
	for k := range st.Tiers {
		st.Tiers[k] = to.tiers[k] / span
		if from.tiers != nil {
			st.Tiers[k] -= from.tiers[k] / span
		}
	}
	st.WaitWhileIdle = (to.wwi - from.wwi) / span
	st.sleepBetween(from.sleep, to.sleep, span)
	return st
}
