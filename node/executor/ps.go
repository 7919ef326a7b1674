package executor

import (
	"math"
	"slices"
	"time"
)

// Processor sharing: every unit present is in service, each at rate
// Speed × min(1, Servers/n) with n units present. One goroutine serves them
// all: it sleeps precisely until the next completion at the current rates
// and re-plans. An arrival only slows the others down, so it never makes
// the planned completion early: the loop needs no wake-up on arrival.

// psJob is a unit under processor sharing.
type psJob struct {
	u     *Unit
	rem   float64   // work left, model units
	start time.Time // arrival: under PS, service begins at once
}

// psShare (e.mu held) is the rate each active unit is served at, in model
// units of work per model unit of time.
func (e *Executor) psShare() float64 {
	n := len(e.psActive)
	if n == 0 {
		return e.cfg.Speed
	}
	return e.cfg.Speed * math.Min(1, float64(e.cfg.Servers)/float64(n))
}

// psAdvance (e.mu held) serves the active units up to now, exactly: a
// unit whose work runs out inside the interval leaves at that instant (into
// psDone, with its exact end) and the others share the servers without it
// from then on. However late the loop wakes, no finished unit takes a share.
func (e *Executor) psAdvance(now time.Time) {
	unit := float64(e.cfg.TimeUnit)
	for {
		dt := now.Sub(e.psAt)
		n := len(e.psActive)
		if dt <= 0 || n == 0 {
			if dt > 0 {
				e.psAt = now
			}
			return
		}
		share := e.psShare()
		minRem := math.Inf(1)
		for _, j := range e.psActive {
			minRem = math.Min(minRem, j.rem)
		}
		work := share * float64(dt) / unit
		if minRem > work { // nobody finishes: serve everyone for dt
			for _, j := range e.psActive {
				j.rem -= work
			}
			e.busy += time.Duration(min(n, e.cfg.Servers)) * dt
			e.psAt = now
			return
		}
		// Serve until the first unit runs out, then let every such unit go.
		w := math.Max(minRem, 0)
		step := time.Duration(w / share * unit)
		at := e.psAt.Add(step)
		e.busy += time.Duration(min(n, e.cfg.Servers)) * step
		keep := e.psActive[:0]
		for _, j := range e.psActive {
			j.rem -= w
			if j.rem <= e.psEps {
				e.psDone = append(e.psDone, psEnd{j, at})
				e.noteHeld(at, -1)
			} else {
				keep = append(keep, j)
			}
		}
		clear(e.psActive[len(keep):])
		e.psActive = keep
		e.psAt = at
		e.setRunningAt(min(len(keep), e.cfg.Servers), at)
	}
}

// psEnd is a unit whose work ran out, and when.
type psEnd struct {
	j  *psJob
	at time.Time
}

// psSubmit (e.mu held) adds u to the units in service.
func (e *Executor) psSubmit(u *Unit) {
	now := time.Now()
	e.psAdvance(now)
	e.psActive = append(e.psActive, &psJob{u: u, rem: u.Size - u.Progress, start: now})
	e.noteHeld(now, 1)
	e.setRunningAt(min(len(e.psActive), e.cfg.Servers), now)
	e.cond.Signal()
}

// psWithdraw (e.mu held) takes u out of service, its progress recorded,
// and has the loop re-plan: the others now get a larger share.
func (e *Executor) psWithdraw(u *Unit) bool {
	now := time.Now()
	e.psAdvance(now)
	for i, j := range e.psActive {
		if j.u == u {
			u.Progress = min(max(u.Size-j.rem, 0), u.Size)
			e.psActive = slices.Delete(e.psActive, i, i+1)
			e.noteHeld(now, -1)
			e.setRunningAt(min(len(e.psActive), e.cfg.Servers), now)
			e.psWake.Store(true)
			return true
		}
	}
	return false
}

// psLoop serves all units of a processor-sharing executor until it is
// closed and drained, or aborted.
func (e *Executor) psLoop() {
	lockThread()
	e.mu.Lock()
	for {
		for len(e.psActive) == 0 && !e.closed {
			e.cond.Wait()
		}
		if len(e.psActive) == 0 {
			break // closed and drained
		}
		if !e.psAbort.Load() {
			e.psWake.Store(false) // the plan below sees every withdrawal so far
		}
		minRem := math.Inf(1)
		for _, j := range e.psActive {
			minRem = math.Min(minRem, j.rem)
		}
		deadline := e.psAt.Add(time.Duration(math.Max(minRem, 0) / e.psShare() * float64(e.cfg.TimeUnit)))
		e.mu.Unlock()
		sleepUntilOrStop(deadline, e.cfg.Checkpoint, e.psWake)
		e.mu.Lock()
		now := time.Now()
		e.psAdvance(now)
		aborted := e.psAbort.Load()
		if aborted { // by Close: hand the units back with their progress
			for _, j := range e.psActive {
				j.u.Progress = j.u.Size - math.Max(j.rem, 0)
				e.aborted = append(e.aborted, j.u)
			}
			e.noteHeld(now, -len(e.psActive))
			e.psActive = nil
			e.setRunningAt(0, now)
		}
		done := e.psDone // those that finished are reported, even when aborting
		e.psDone = nil
		e.completed += int64(len(done))
		for _, d := range done {
			e.late.add(now.Sub(d.at)) // how late the loop noticed: reported, never charged to a unit
		}
		onDepart := e.onDepart
		e.mu.Unlock()
		for _, d := range done {
			d.j.u.Progress = d.j.u.Size
			if d.j.u.Done != nil {
				d.j.u.Done(d.j.u, d.j.start, d.at)
			}
			if onDepart != nil {
				onDepart(e.Load())
			}
		}
		e.mu.Lock()
		if aborted {
			break
		}
	}
	e.live = 0
	e.psWake.close()
	close(e.exited)
	e.mu.Unlock()
}
