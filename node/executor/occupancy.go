package executor

import (
	"slices"
	"time"
)

// Level is the executor's occupancy from At on: Held units (waiting or in
// service) and Serving slots (under processor sharing, the servers the
// units share: at most Config.Servers; on a server architecture, the
// threads executing: min(runnable, Servers)), and on a server
// architecture the Threads its requests hold.
type Level struct {
	At      time.Time
	Held    int
	Serving int
	Threads int
}

// occStep is a change of the units held, slots serving and threads held
// at at, in nanoseconds since Executor.occBase on the monotonic clock (a
// step of the wall clock during a point cannot reorder the log): 24 bytes,
// so that a long point's log stays small.
type occStep struct {
	at                     int64
	held, serving, threads int32
}

// maxOccSteps bounds an executor's occupancy log (48 MiB): about 700,000
// units, fewer with phases. A longer point loses its log (Occupancy
// reports it).
const maxOccSteps = 1 << 21

// noteHeld (e.mu held) records that the units held changed by delta at at.
func (e *Executor) noteHeld(at time.Time, delta int) { e.note(at, delta, 0) }

func (e *Executor) note(at time.Time, held, serving int) {
	if len(e.occ) >= maxOccSteps {
		e.occLost = true
		return
	}
	e.occ = append(e.occ, occStep{at: int64(at.Sub(e.occBase)), held: int32(held), serving: int32(serving)})
}

// Occupancy returns the executor's occupancy since New, one Level per
// change, in time order: when units arrived, started, stopped, left and
// finished, each at the instant it happened (a start or an end at the
// service's own instant, as busy time counts it, even if a thread noticed
// it late). It returns false if the log grew too long and was dropped.
func (e *Executor) Occupancy() ([]Level, bool) {
	e.mu.Lock()
	steps := slices.Clone(e.occ)
	lost, base := e.occLost, e.occBase
	e.mu.Unlock()
	if lost {
		return nil, false
	}
	slices.SortStableFunc(steps, func(a, b occStep) int {
		switch {
		case a.at < b.at:
			return -1
		case a.at > b.at:
			return 1
		}
		return 0
	})
	out := make([]Level, 0, len(steps))
	var held, serving, threads int
	for _, s := range steps {
		held, serving, threads = held+int(s.held), serving+int(s.serving), threads+int(s.threads)
		l := Level{At: base.Add(time.Duration(s.at)), Held: held, Serving: serving, Threads: threads}
		if k := len(out); k > 0 && out[k-1].At.Equal(l.At) {
			out[k-1] = l // changes at one instant: only where they end matters
			continue
		}
		out = append(out, l)
	}
	return out, true
}
