package ledger

import "github.com/loadlab/loadlab/energy"

// sleeps are the nodes' sleep states (energy.Power.Sleep): each node's
// state since when, and its time asleep and waking and its wake-ups since
// time 0.
type sleeps struct {
	state          []energy.State
	since          []float64
	asleep, waking []float64
	wakeups        []int64
}

// sleepMark is the sleep integrals at one instant, per node.
type sleepMark struct {
	asleep, waking []float64
	wakeups        []int64
}

// Sleep records that from time t node i is in state s (awake, asleep or
// waking up; energy.State). Nodes start awake; each change to waking is a
// wake-up. Only the simulator feeds it (agents do not sleep), so a Log
// does not carry it.
func (l *Ledger) Sleep(t float64, i int, s energy.State) {
	z := &l.sleep
	if z.state == nil {
		n := len(l.nodes)
		z.state, z.since = make([]energy.State, n), make([]float64, n)
		z.asleep, z.waking, z.wakeups = make([]float64, n), make([]float64, n), make([]int64, n)
	}
	if z.state[i] == s {
		return
	}
	t = l.now(t)
	z.advance(i, t)
	z.state[i] = s
	if s == energy.Waking {
		z.wakeups[i]++
	}
}

// advance adds node i's time in its state up to t.
func (z *sleeps) advance(i int, t float64) {
	switch z.state[i] {
	case energy.Asleep:
		z.asleep[i] += t - z.since[i]
	case energy.Waking:
		z.waking[i] += t - z.since[i]
	}
	z.since[i] = t
}

// mark returns the integrals at time t, the latest time fed (nil if no
// node ever changed state).
func (z *sleeps) mark(t float64) sleepMark {
	if z.state == nil {
		return sleepMark{}
	}
	for i := range z.state {
		z.advance(i, t)
	}
	return sleepMark{asleep: append([]float64(nil), z.asleep...), waking: append([]float64(nil), z.waking...), wakeups: append([]int64(nil), z.wakeups...)}
}

// sleepBetween fills st's per-node fractions of time asleep and waking and
// its wake-ups over the window from..to (marks at its ends; from's may be
// empty: time 0).
func (st *Stats) sleepBetween(from, to sleepMark, span float64) {
	if to.asleep == nil || span <= 0 {
		return
	}
	n := len(to.asleep)
	st.NodeAsleep, st.NodeWaking = make([]float64, n), make([]float64, n)
	for i := range n {
		a, w, k := to.asleep[i], to.waking[i], to.wakeups[i]
		if from.asleep != nil {
			a, w, k = a-from.asleep[i], w-from.waking[i], k-from.wakeups[i]
		}
		st.NodeAsleep[i], st.NodeWaking[i] = a/span, w/span
		st.Asleep += a / span / float64(n)
		st.Wakeups += k
	}
}
