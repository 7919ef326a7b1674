package executor

import (
	"math"
	"time"
)

// serve is slot s's goroutine: it takes units FCFS until the executor is
// closed and drained.
func (e *Executor) serve(s *slot) {
	lockThread() // for good: see lockThread
	var k kernel
	if e.cfg.Kernel != KernelSleep {
		k, _ = newKernel(e.cfg.Kernel) // validated by New
	}
	e.mu.Lock()
	u := e.waitStart(s)
	for u != nil {
		e.mu.Unlock()
		var (
			end  time.Time
			late time.Duration
			ok   bool
		)
		if k == nil {
			end, late, ok = e.runSleep(s, u)
			// The emulated work ended at its deadline; the thread only
			// noticed late. The unit ends, and the next one starts, at the
			// deadline, so lateness never accumulates in the queue; it is
			// reported in Stats().Lateness.
			end = end.Add(-late)
		} else {
			end, ok = e.runCPU(s, k, u)
		}
		e.mu.Lock()
		if !ok { // stopped and handed over by stopRunning
			u = e.waitStart(s)
			continue
		}
		start := s.served
		s.lastEnd = end
		u.Progress = u.Size
		e.completed++
		e.busy += end.Sub(start)
		if k == nil {
			e.late.add(late)
		}
		s.unit = nil
		e.noteHeld(end, -1)
		e.setRunningAt(e.running-1, end) // at the service's end, as busy counts it, not when the thread noticed
		if s.req != nil {                // a Preempt came too late
			s.req.ch <- nil
			s.req = nil
		}
		s.stop.Store(false)
		// The next unit starts now, as it would on a real server; the
		// callbacks below run during its service.
		next := e.tryStart(s)
		onDepart := e.onDepart
		e.mu.Unlock()
		if u.Done != nil {
			u.Done(u, start, end)
		}
		if onDepart != nil {
			onDepart(e.Load())
		}
		e.mu.Lock()
		if next == nil {
			next = e.waitStart(s)
		}
		u = next
	}
	s.stop.close()
	e.live--
	if e.live == 0 {
		close(e.exited)
	}
	e.mu.Unlock()
}

// waitStart (e.mu held) waits for a unit and starts it on s; nil once the
// executor is closed and its queue empty (or every unit left gated).
func (e *Executor) waitStart(s *slot) *Unit {
	for {
		for len(e.queue) == 0 && !e.closed {
			e.cond.Wait()
		}
		if u := e.tryStart(s); u != nil || e.closed {
			return u
		}
	}
}

// tryStart (e.mu held) starts the oldest waiting unit on s that the gate
// (if any) lets start, if any; those it refuses go to Dropped.
func (e *Executor) tryStart(s *slot) *Unit {
	var u *Unit
	var start time.Time
	for u == nil {
		if len(e.queue) == 0 {
			return nil
		}
		u = e.queue[0]
		e.queue[0] = nil
		e.queue = e.queue[1:]
		start = serviceStart(u.queued, s.lastEnd, time.Now())
		if e.cfg.Gate != nil && !e.cfg.Gate(start, u.queued, len(e.queue)) {
			e.noteHeld(start, -1)
			e.cfg.Dropped(u)
			u = nil
		}
	}
	s.unit, s.start, s.p0 = u, start, u.Progress
	s.served = s.start
	s.paused, s.nextUse = 0, math.Inf(1)
	if u.Access != nil && u.Uses > 0 {
		s.nextUse = (math.Floor(u.Progress*u.Uses) + 1) / u.Uses
	}
	e.setRunningAt(e.running+1, s.start) // at the service's start, as busy counts it
	return u
}

// serviceStart is when a unit's service begins: as soon as both the unit
// and the slot were ready (its submission, the slot's previous end), not
// when the slot's thread happened to wake up. A real server starts work the
// moment it can; charging the wake-up latency to the job would inflate
// every service time that finds an idle server (about 1% at a 10 ms unit).
func serviceStart(queued, lastEnd, now time.Time) time.Time {
	start := queued
	if lastEnd.After(start) {
		start = lastEnd
	}
	if start.IsZero() || start.After(now) {
		start = now
	}
	return start
}

// runSleep emulates s's unit u: it sleeps until the absolute deadline
// start + remaining×TimeUnit/Speed, so chunking adds no error. ok is false
// if the unit was stopped; otherwise late is end − deadline.
//
// The deadline is planned afresh after every wake-up, under e.mu, so that
// SetSpeed (which moves s.start and s.p0 to the moment of the change and
// raises the stop flag) takes effect within a checkpoint.
func (e *Executor) runSleep(s *slot, u *Unit) (end time.Time, late time.Duration, ok bool) {
	for {
		e.mu.Lock()
		deadline := s.start.Add(s.paused + e.serviceTime(u.Size-s.p0))
		target, use := deadline, s.nextUse < u.Size
		if use {
			target = s.start.Add(s.paused + e.serviceTime(s.nextUse-s.p0))
		}
		e.mu.Unlock()
		now, done := sleepUntilOrStop(target, e.cfg.Checkpoint, s.stop)
		if done && use {
			e.use(s, u)
			continue
		}
		if done {
			return now, now.Sub(deadline), true
		}
		if e.stopRunning(s, now, -1) {
			return now, 0, false
		}
	}
}

// serviceTime is the wall time of w model units on this executor.
func (e *Executor) serviceTime(w float64) time.Duration {
	if w <= 0 {
		return 0
	}
	d := w * float64(e.cfg.TimeUnit) / e.speed // speed 0 (paused): +Inf, never
	if d >= math.MaxInt64/2 {
		return math.MaxInt64 / 2 // room to add paused time
	}
	return time.Duration(d)
}

// runCPU does u's remaining iterations of kernel k, in chunks of about a
// checkpoint. Progress counts iterations, so it accumulates no error.
func (e *Executor) runCPU(s *slot, k kernel, u *Unit) (end time.Time, ok bool) {
	if u.Comp != nil {
		return e.runComputation(s, k, u)
	}
	perIter := e.cfg.Speed / e.ipu // model units per iteration
	total := int64(min(math.Round(max(u.Size-s.p0, 0)/perIter), math.MaxInt64/2))
	chunk := max(int64(e.ipu*float64(e.cfg.Checkpoint)/float64(e.cfg.TimeUnit)), 1)
	for done := int64(0); done < total; {
		if s.stop.Load() && e.stopRunning(s, time.Now(), s.p0+float64(done)*perIter) {
			return time.Time{}, false
		}
		n := min(chunk, total-done)
		k.run(n)
		done += n
		if s.p0+float64(done)*perIter >= s.nextUse && s.nextUse < u.Size { // rounding may carry the last chunk past Size
			e.use(s, u)
		}
	}
	return time.Now(), true
}

// runComputation does the rest of u's own computation in chunks of about a
// checkpoint, and between chunks the idle iterations of k that make up for
// a speed below 1. Its progress is the share of iterations done.
func (e *Executor) runComputation(s *slot, k kernel, u *Unit) (end time.Time, ok bool) {
	c := u.Comp
	chunk := max(int64(e.ipu*float64(e.cfg.Checkpoint)/float64(e.cfg.TimeUnit)), 1)
	pad, owed := max(1/e.cfg.Speed-1, 0), 0.0
	for !c.Finished() {
		if s.stop.Load() && e.stopRunning(s, time.Now(), u.Size*float64(c.Done)/float64(c.Iters)) {
			return time.Time{}, false
		}
		owed += float64(c.Run(chunk)) * pad
		if owed >= 1 {
			k.run(int64(owed))
			owed -= math.Floor(owed)
		}
		if u.Size*float64(c.Done)/float64(c.Iters) >= s.nextUse {
			e.use(s, u)
		}
	}
	return time.Now(), true
}

// use makes slot s's unit u call Access, the remote use due now, and
// returns how long it took: the unit made no progress meanwhile.
func (e *Executor) use(s *slot, u *Unit) time.Duration {
	t := time.Now()
	u.Access()
	d := time.Since(t)
	e.mu.Lock()
	s.paused += d
	s.nextUse += 1 / u.Uses
	e.mu.Unlock()
	return d
}

// stopRunning is called by slot s on seeing its stop flag at a checkpoint
// of its unit, with the unit's progress there (negative: estimated from
// the time in service, as Load does). If a Preempt or an aborting Close
// still wants the unit, it takes the unit off the slot, hands it over and
// returns true; otherwise (a Preempt withdrawn, or a SetSpeed) the unit
// goes on.
func (e *Executor) stopRunning(s *slot, now time.Time, progress float64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	s.stop.Store(false)
	if s.req == nil && !e.aborting {
		return false
	}
	if progress < 0 {
		progress = e.progressAt(s, now)
	}
	u := s.unit
	u.Progress = min(max(progress, s.p0), u.Size)
	e.busy += now.Sub(s.served)
	s.lastEnd = now
	s.unit = nil
	e.noteHeld(now, -1)
	e.setRunningAt(e.running-1, now)
	if s.req != nil {
		s.req.ch <- u
		s.req = nil
	} else {
		e.aborted = append(e.aborted, u)
	}
	return true
}
