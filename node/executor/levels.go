package executor

import (
	"slices"
	"time"
)

// levelLog accounts the time spent with each number of slots serving.
// Slots report a unit's start and end at the instants its service began
// and ended, the instants busy time counts, and a slot's thread may report
// after another has reported a later change (its thread woke late), so
// changes arrive slightly out of order. The log keeps the last horizon of
// changes in time order and settles older ones into the totals, so that
// Σ i·(time at level i) is the busy time exactly.
type levelLog struct {
	levels  []time.Duration // levels[i]: time with exactly i slots serving, up to settled
	settled time.Time
	base    int         // slots serving at settled
	steps   []levelStep // changes after settled, in time order
}

// levelStep is a change of the number of slots serving by delta at at.
type levelStep struct {
	at    time.Time
	delta int
}

// levelHorizon is how late a change may be reported and still be placed
// at its own instant: far beyond a thread's wake-up latency. An older one
// is counted from the oldest instant still open.
const levelHorizon = time.Second

func newLevelLog(servers int, start time.Time) levelLog {
	return levelLog{levels: make([]time.Duration, servers+1), settled: start}
}

// change records that the number of slots serving changed by delta at at;
// now is the time of the report.
func (l *levelLog) change(at time.Time, delta int, now time.Time) {
	if at.Before(l.settled) {
		at = l.settled
	}
	i := len(l.steps)
	for i > 0 && l.steps[i-1].at.After(at) {
		i--
	}
	l.steps = slices.Insert(l.steps, i, levelStep{at, delta})
	l.settle(now.Add(-levelHorizon))
}

// settle moves the changes before until into the totals.
func (l *levelLog) settle(until time.Time) {
	k := 0
	for ; k < len(l.steps) && !l.steps[k].at.After(until); k++ {
		s := l.steps[k]
		l.add(l.base, s.at.Sub(l.settled))
		l.settled, l.base = s.at, l.base+s.delta
	}
	l.steps = slices.Delete(l.steps, 0, k)
}

// add counts d at level n, kept within the slots there are.
func (l *levelLog) add(n int, d time.Duration) {
	l.levels[min(max(n, 0), len(l.levels)-1)] += d
}

// totals returns the time at each level up to now, without settling.
func (l *levelLog) totals(now time.Time) []time.Duration {
	out := slices.Clone(l.levels)
	at, n := l.settled, l.base
	for _, s := range l.steps {
		out[min(max(n, 0), len(out)-1)] += s.at.Sub(at)
		at, n = s.at, n+s.delta
	}
	if now.After(at) {
		out[min(max(n, 0), len(out)-1)] += now.Sub(at)
	}
	return out
}
