package executor

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Server architectures (Config.Arch): the executor builds the server the
// lecture's chapter on processes describes (package server has the model)
// out of real goroutines with real concurrency limits. A request
// (a Unit, with Unit.Phases) alternates CPU bursts and waits; it needs a
// thread to run, and waits for one in arrival order (FCFS):
//
//   - Threads made in advance (iterative: one; pool: Threads) each take
//     the oldest request waiting and serve it to its end, blocking through
//     its waits.
//   - A thread per request (Spawn): a new goroutine for each request, as
//     long as fewer than Threads are alive (0: no limit); it ends with its
//     request, and the oldest request waiting gets a new one.
//   - An event loop (Blocking false): Threads loop goroutines that never
//     block. A loop takes the oldest event (a new request, or a wait that
//     completed), runs the burst that follows it, and if a wait comes next
//     sets a timer for it and goes on: the timer's completion is queued
//     back as an event.
//
// A burst is CPU: the thread asks the node's cores for it and blocks until
// the cores have done it. With the sleep kernel the cores are emulated by
// one engine goroutine per executor, which serves the runnable bursts as a
// processor-sharing scheduler would (each at Speed × min(1, Servers/r)
// with r bursts runnable), sleeping precisely until the next burst ends
// or the next wait is over: the same emulation as Discipline ps, so its
// time slices cost nothing (no switch is paid per slice: the emulation
// shares time exactly). A wait is a timed wait of the engine's clock that
// holds the thread (blocking architectures) or not (the event loop).
//
// What the implementation pays for real, and measures (Stats.Server): the
// creation of a goroutine per request, the hand-off of a request or event
// to a thread or loop that was idle, and the wake-up of a thread blocked
// in a wait when the wait is over. Each is wall time of this machine's
// scheduler, paid on the request's time line (the next phase starts when
// the goroutine runs). A thread is woken at the end of a burst too, but
// only because the engine does its computing: a real thread that computes
// is not woken, so it goes on at the burst's exact end. And however late
// the engine itself wakes, every end is carried out at its own instant
// (the lateness is reported, Stats.Lateness, not charged). Arch.Create,
// if set, is CPU that each request does on the emulated cores before its
// first burst: an emulated creation, for process-per-request, where a
// real process per request would take more CPU than the machine has (see
// ProcessCost).

// Arch is a server architecture as the executor constructs it.
type Arch struct {
	// Threads is the most requests holding a thread at once: the workers
	// of a pool (1: iterative), the loops of an event loop, or the limit
	// of a thread per request (0: none).
	Threads int
	// Blocking says a request keeps its thread through its waits; false
	// is the event loop's non-blocking calls.
	Blocking bool
	// Spawn makes a new goroutine per request, which ends with it
	// (thread- and process-per-request); false: Threads goroutines made
	// by New.
	Spawn bool
	// Create is CPU, in size units, each request does on a core before its
	// first burst: an emulated creation (process-per-request). 0: none.
	Create float64
}

// validate reports what is wrong with a.
func (a *Arch) validate() error {
	switch {
	case a.Threads < 0:
		return fmt.Errorf("executor: architecture threads must be at least 0, got %d", a.Threads)
	case !a.Spawn && a.Threads < 1:
		return fmt.Errorf("executor: an architecture without a thread per request needs at least 1 thread, got %d", a.Threads)
	case a.Spawn && !a.Blocking:
		return errors.New("executor: an event loop (non-blocking) does not spawn a thread per request")
	case !(a.Create >= 0) || math.IsInf(a.Create, 0):
		return fmt.Errorf("executor: architecture create must be finite and at least 0, got %v", a.Create)
	}
	return nil
}

// Mean is a count of measured durations and their total.
type Mean struct {
	N     int64
	Total time.Duration
}

func (m *Mean) add(d time.Duration) { m.N, m.Total = m.N+1, m.Total+max(d, 0) }

// Mean is the mean duration, 0 without measurements.
func (m Mean) Mean() time.Duration {
	if m.N == 0 {
		return 0
	}
	return m.Total / time.Duration(m.N)
}

// Costs are what a server architecture's threads cost on this machine,
// measured as the executor ran (Stats.Server).
type Costs struct {
	Create  Mean // a thread per request: from its goroutine's creation to its first instruction
	Handoff Mean // a request to a thread that was idle (pool, iterative, a new request to an idle loop): from its arrival to the thread taking it
	Event   Mean // event loop: from a wait's completion to a loop taking the event, beyond the wait for a loop to be free
	Resume  Mean // a thread blocked in a wait running again after the wait was over
}

// request is a unit on a server architecture.
type request struct {
	u       *Unit
	phase   int       // index in the unit's phases of the phase to do next
	ready   time.Time // when it last became ready for a thread (emulated time line): its arrival, or (event loop) its wait's end
	sent    time.Time // the wall time it became ready: ready, or when the engine told its wait's end
	woke    time.Time // the wall time its thread last woke from a burst or wait
	event   bool      // ready because a wait completed (event loop)
	start   time.Time // when it first had a thread
	cpuDone float64   // CPU of the bursts done, size units
	holding bool      // it holds a thread
	pending bool      // the engine woke its thread, which has not acted on it yet (archState.pending)
}

// phases returns the unit's phases: [Size − Progress] for a unit without.
func (r *request) phases() []float64 {
	if r.u.Phases == nil {
		return []float64{r.u.remaining()}
	}
	return r.u.Phases
}

// burst is a CPU burst being served by the emulated cores.
type burst struct {
	rem  float64     // size units left
	done chan signal // receives the burst's exact end
	r    *request
}

// timer is a wait: at its deadline, fire runs (with e.mu held) with it.
type timer struct {
	at   time.Time
	fire func(at, sent time.Time) // sent: the wall time the engine tells it
	r    *request                 // the event loop's request in the wait (nil: a blocked thread's, which holds it)
}

// archState is an executor's server architecture. Its fields but wake
// and kick are guarded by Executor.mu.
type archState struct {
	Arch
	waiting  []*request // requests, and the event loop's completed waits, waiting for a thread: FCFS
	present  []*request // requests here, in arrival order
	held     int        // threads held by requests (event loop: loops handling an event)
	runnable int        // threads in a burst
	bursts   []*burst   // the bursts the emulated cores serve
	timers   []timer    // pending waits, a min-heap by at
	at       time.Time  // the bursts are served up to here
	eps      float64    // work below this counts as done: 2 µs of rounding
	abort    chan struct{}
	engine   *sync.Cond  // the engine waits here for bursts or waits to serve
	wake     atomic.Bool // the engine is to plan again
	waker    *waker      // the engine's sleep, which a kick cuts short
	stopped  bool        // the engine has ended
	// pending counts the threads the engine woke (a burst or a wait
	// ended) that have not yet asked for their next burst or wait, or
	// finished. The engine waits for them (up to settleWait) before it
	// carries out a later end, so that a thread's next burst joins the
	// cores at its own instant rather than after ends the engine reached
	// meanwhile.
	pending int
	costs   Costs
}

// newArch (before any other goroutine) starts the architecture's engine
// and the threads it makes in advance.
func (e *Executor) newArch(now time.Time) error {
	w, err := newWaker()
	if err != nil {
		return fmt.Errorf("executor: %w", err)
	}
	a := &archState{Arch: *e.cfg.Arch, at: now, abort: make(chan struct{}), waker: w,
		eps: float64(2*time.Microsecond) / float64(e.cfg.TimeUnit)}
	a.engine = sync.NewCond(&e.mu)
	e.arch = a
	e.live = 1
	go e.engine()
	if a.Spawn {
		return nil
	}
	for range a.Threads {
		e.live++
		if a.Blocking {
			go e.worker()
		} else {
			go e.loop()
		}
	}
	return nil
}

// archSubmit (e.mu held) admits u: it takes a thread, or waits for one.
func (e *Executor) archSubmit(u *Unit) error {
	if u.Phases != nil {
		if err := checkPhases(u); err != nil {
			return err
		}
	}
	a := e.arch
	now := time.Now()
	u.queued = now
	r := &request{u: u, ready: now, sent: now}
	a.present = append(a.present, r)
	e.noteHeld(now, 1)
	if a.Spawn && (a.Threads == 0 || a.held < a.Threads) {
		e.spawn(r, now)
		return nil
	}
	a.waiting = append(a.waiting, r)
	e.cond.Signal()
	return nil
}

// checkPhases reports what is wrong with u's phases.
func checkPhases(u *Unit) error {
	n := len(u.Phases)
	if n%2 == 0 {
		return fmt.Errorf("executor: unit %d has %d phases: want an odd number (bursts around waits)", u.ID, n)
	}
	cpu := 0.0
	for i, v := range u.Phases {
		if !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("executor: unit %d: phase %d is %v, want a finite number >= 0", u.ID, i, v)
		}
		if i%2 == 0 {
			cpu += v
		}
	}
	if math.Abs(cpu-u.Size) > 1e-9*max(1, u.Size) {
		return fmt.Errorf("executor: unit %d: its bursts add up to %v, its size is %v", u.ID, cpu, u.Size)
	}
	return nil
}

// signal is the end of a burst or wait at its exact instant At, told by
// the engine at wall time Sent.
type signal struct{ at, sent time.Time }

// resumed is the instant, on the emulated time line, a thread blocked in
// a wait runs again after sig woke it at wall time now: the wait's exact
// end plus the wake-up the thread really took (the switch to a thread
// woken from a blocking call), not the engine's own lateness, which is
// the emulation's error (Stats.Lateness). It records the wake-up.
func (e *Executor) resumed(sig signal, now time.Time) time.Time {
	d := max(now.Sub(sig.sent), 0)
	e.mu.Lock()
	e.arch.costs.Resume.add(d)
	e.mu.Unlock()
	return sig.at.Add(d)
}

// takeThread (e.mu held) has a thread that became free at vt on the
// emulated time line (at wall time freed) take the oldest request waiting
// for one, or returns nil when the thread is to end: the executor aborts,
// or is closed with nothing left to serve. It returns the instant the
// thread starts on the request: when both were ready, plus the hand-off
// the thread really took.
func (e *Executor) takeThread(vt, freed time.Time) (*request, time.Time) {
	a := e.arch
	for len(a.waiting) == 0 {
		if e.aborting || (e.closed && len(a.present) == 0) {
			return nil, vt
		}
		e.cond.Wait()
	}
	if e.aborting {
		return nil, vt
	}
	r := a.waiting[0]
	a.waiting[0] = nil
	a.waiting = a.waiting[1:]
	d := max(time.Since(later(r.sent, freed)), 0)
	if r.event {
		a.costs.Event.add(d)
	} else {
		a.costs.Handoff.add(d)
	}
	start := later(r.ready, vt).Add(d)
	e.holdThread(r, start)
	return r, start
}

// holdThread (e.mu held) gives r a thread at at.
func (e *Executor) holdThread(r *request, at time.Time) {
	r.holding = true
	e.arch.held++
	e.noteThreads(at, 1)
	if r.start.IsZero() {
		r.start = at
	}
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// spawn (e.mu held) makes a new goroutine for request r at from, on the
// emulated time line: a thread per request. The request starts when the
// goroutine first runs, which is the creation it really cost.
func (e *Executor) spawn(r *request, from time.Time) {
	a := e.arch
	a.held++ // at once, for the limit; the time line has it from its start
	e.live++
	made := time.Now()
	go func() {
		d := time.Since(made)
		start := from.Add(d)
		e.mu.Lock()
		a.costs.Create.add(d)
		a.held--
		e.holdThread(r, start)
		e.mu.Unlock()
		end, ok := e.serveBlocking(r, start)
		e.mu.Lock()
		e.releaseThread(r, end)
		if ok {
			e.finish(r, end)
		}
		if len(a.waiting) > 0 && !e.aborting && (a.Threads == 0 || a.held < a.Threads) {
			next := a.waiting[0]
			a.waiting[0] = nil
			a.waiting = a.waiting[1:]
			e.spawn(next, later(next.ready, end))
		}
		e.mu.Unlock()
		if ok {
			e.departed(r, end)
		}
		e.exit()
	}()
}

// worker is a thread made in advance (iterative, pool): it serves one
// request at a time, blocking through its waits.
func (e *Executor) worker() {
	vt := time.Now()
	freed := vt
	e.mu.Lock()
	for {
		r, start := e.takeThread(vt, freed)
		if r == nil {
			break
		}
		e.mu.Unlock()
		end, ok := e.serveBlocking(r, start)
		e.mu.Lock()
		e.releaseThread(r, end)
		if !ok {
			continue
		}
		e.finish(r, end)
		e.mu.Unlock()
		e.departed(r, end)
		// The hand-off to the next request counts from here: the
		// completion's callbacks are the thread's own time.
		vt, freed = end, r.woke
		e.mu.Lock()
	}
	e.mu.Unlock()
	e.exit()
}

// loop is one of an event loop's threads: it never blocks on a wait.
func (e *Executor) loop() {
	vt := time.Now()
	freed := vt
	e.mu.Lock()
	for {
		r, start := e.takeThread(vt, freed)
		if r == nil {
			break
		}
		ph := r.phases()
		k := r.phase
		e.mu.Unlock()
		sig, ok := e.cpu(r, ph[k], start)
		now := time.Now()
		if !ok {
			e.mu.Lock()
			e.releaseThread(r, now)
			e.abandon(r, now)
			continue
		}
		// A burst is the loop's own computing: it goes on at the
		// burst's end (the goroutine's wake-up from the emulated cores
		// is the emulation's, not the loop's).
		vt, freed = sig.at, now
		e.mu.Lock()
		a := e.arch
		e.releaseThread(r, sig.at)
		e.settled(r)
		r.cpuDone += ph[k]
		if k+1 < len(ph) {
			// The call does not block: a timer stands for it, whose
			// completion comes back as an event.
			r.phase = k + 2
			e.addTimer(timer{at: vt.Add(e.waitTime(ph[k+1])), r: r, fire: func(at, sent time.Time) {
				r.ready, r.sent, r.event = at, sent, true
				if a.held+len(a.waiting) < a.Threads { // an idle loop will take it at once
					e.woken(r)
				}
				a.waiting = append(a.waiting, r)
				e.cond.Signal()
			}})
			continue
		}
		e.finish(r, sig.at)
		e.mu.Unlock()
		e.departed(r, sig.at)
		e.mu.Lock()
	}
	e.mu.Unlock()
	e.exit()
}

// serveBlocking runs request r's phases from the one it is at, on the
// calling goroutine, its thread, from start on (emulated time line): a
// burst on the cores, a wait blocking the thread. It returns the end of
// the last burst, or false if the executor aborted (r is then handed
// back).
func (e *Executor) serveBlocking(r *request, start time.Time) (time.Time, bool) {
	ph := r.phases()
	end := start
	for k := r.phase; k < len(ph); k++ {
		var (
			sig signal
			ok  bool
		)
		if k%2 == 0 {
			work := ph[k]
			if k == 0 {
				work += e.arch.Create
			}
			sig, ok = e.cpu(r, work, start)
		} else {
			sig, ok = e.block(r, ph[k], start)
		}
		now := time.Now()
		if !ok {
			e.mu.Lock()
			e.abandon(r, now)
			e.mu.Unlock()
			return now, false
		}
		end, start = sig.at, sig.at
		if k%2 == 1 { // woken from a blocking wait: a real switch
			start = e.resumed(sig, now)
		}
		r.woke = now
		e.mu.Lock()
		if k%2 == 0 {
			r.cpuDone += ph[k]
		}
		r.phase = k + 1
		e.mu.Unlock()
	}
	return end, true
}

// cpu has the cores do work size units for the calling thread from from
// on (emulated time line), or from the instant the cores are served up to
// if that is later (another end was carried out meanwhile); it returns
// when they have, with the exact end, or false if the executor aborted.
func (e *Executor) cpu(r *request, work float64, from time.Time) (signal, bool) {
	a := e.arch
	e.mu.Lock()
	e.settled(r)
	now := time.Now()
	if e.aborting {
		e.mu.Unlock()
		return signal{now, now}, false
	}
	if work <= a.eps {
		e.mu.Unlock()
		return signal{from, now}, true
	}
	e.archAdvance(from, true)
	from = later(from, a.at) // the cores are served past it: it starts there
	a.runnable++
	e.setRunningAt(min(a.runnable, e.cfg.Servers), from)
	b := &burst{rem: work, done: make(chan signal, 1), r: r}
	a.bursts = append(a.bursts, b)
	e.kickEngine()
	e.mu.Unlock()
	select {
	case sig := <-b.done:
		return sig, true
	case <-a.abort:
		now := time.Now()
		return signal{now, now}, false
	}
}

// block waits d model units from from on (emulated time line), holding
// the calling thread; it returns the wait's end, or false if the executor
// aborted.
func (e *Executor) block(r *request, d float64, from time.Time) (signal, bool) {
	e.mu.Lock()
	e.settled(r)
	now := time.Now()
	if e.aborting {
		e.mu.Unlock()
		return signal{now, now}, false
	}
	if d <= 0 {
		e.mu.Unlock()
		return signal{from, now}, true
	}
	ch := make(chan signal, 1)
	e.addTimer(timer{at: from.Add(e.waitTime(d)), fire: func(at, sent time.Time) {
		e.woken(r)
		ch <- signal{at, sent}
	}})
	e.mu.Unlock()
	select {
	case sig := <-ch:
		return sig, true
	case <-e.arch.abort:
		now := time.Now()
		return signal{now, now}, false
	}
}

// waitTime is the wall time of a wait of d model units (waits do not
// scale with speed).
func (e *Executor) waitTime(d float64) time.Duration {
	return time.Duration(d * float64(e.cfg.TimeUnit))
}

// releaseThread (e.mu held) has r give back its thread at at.
func (e *Executor) releaseThread(r *request, at time.Time) {
	r.holding = false
	e.arch.held--
	e.noteThreads(at, -1)
}

// finish (e.mu held) records that request r completed at end.
func (e *Executor) finish(r *request, end time.Time) {
	e.settled(r)
	r.u.Progress = r.u.Size
	e.completed++
	e.leave(r, end)
}

// leave (e.mu held) takes r off the requests present, at at.
func (e *Executor) leave(r *request, at time.Time) {
	a := e.arch
	if i := slices.Index(a.present, r); i >= 0 {
		a.present = slices.Delete(a.present, i, i+1)
	}
	e.noteHeld(at, -1)
	if e.closed && len(a.present) == 0 {
		e.cond.Broadcast()
		e.kickEngine()
	}
}

// abandon (e.mu held) hands request r back at now: the executor aborted.
func (e *Executor) abandon(r *request, now time.Time) {
	e.settled(r)
	r.u.Progress = min(r.cpuDone, r.u.Size)
	e.aborted = append(e.aborted, r.u)
	e.leave(r, now)
}

// departed calls r's Done and the OnDepart function (e.mu not held).
func (e *Executor) departed(r *request, end time.Time) {
	if r.u.Done != nil {
		r.u.Done(r.u, r.start, end)
	}
	e.mu.Lock()
	onDepart := e.onDepart
	e.mu.Unlock()
	if onDepart != nil {
		onDepart(e.Load())
	}
}

// exit ends a goroutine of the executor.
func (e *Executor) exit() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.live--
	if e.live == 0 {
		close(e.exited)
	}
}

// noteThreads (e.mu held) records that the threads held changed by delta at at.
func (e *Executor) noteThreads(at time.Time, delta int) {
	if len(e.occ) >= maxOccSteps {
		e.occLost = true
		return
	}
	e.occ = append(e.occ, occStep{at: int64(at.Sub(e.occBase)), threads: int32(delta)})
}

// kickEngine (e.mu held) has the engine plan again: a burst or a wait
// was added, or the executor is closing.
func (e *Executor) kickEngine() {
	a := e.arch
	if a.stopped {
		return
	}
	if !a.wake.Swap(true) {
		a.waker.wake()
	}
	a.engine.Signal()
}

// addTimer (e.mu held) adds a wait.
func (e *Executor) addTimer(t timer) {
	a := e.arch
	a.timers = append(a.timers, t)
	for i := len(a.timers) - 1; i > 0; { // sift up
		p := (i - 1) / 2
		if !a.timers[i].at.Before(a.timers[p].at) {
			break
		}
		a.timers[i], a.timers[p] = a.timers[p], a.timers[i]
		i = p
	}
	e.kickEngine()
}

// popTimer (e.mu held) removes the earliest wait.
func (a *archState) popTimer() timer {
	t := a.timers[0]
	last := len(a.timers) - 1
	a.timers[0] = a.timers[last]
	a.timers[last] = timer{}
	a.timers = a.timers[:last]
	for i := 0; ; { // sift down
		l, m := 2*i+1, i
		if l < last && a.timers[l].at.Before(a.timers[m].at) {
			m = l
		}
		if l+1 < last && a.timers[l+1].at.Before(a.timers[m].at) {
			m = l + 1
		}
		if m == i {
			break
		}
		a.timers[i], a.timers[m] = a.timers[m], a.timers[i]
		i = m
	}
	return t
}

// share (e.mu held) is the rate each runnable burst is served at, size
// units per model unit.
func (e *Executor) share() float64 {
	n := len(e.arch.bursts)
	return e.speed * math.Min(1, float64(e.cfg.Servers)/float64(max(n, 1)))
}

// next (e.mu held) is when the earliest burst ends at the current rates
// or the earliest wait is over; false if there is neither.
func (e *Executor) next() (time.Time, bool) {
	a := e.arch
	var at time.Time
	ok := false
	if len(a.bursts) > 0 {
		minRem := math.Inf(1)
		for _, b := range a.bursts {
			minRem = math.Min(minRem, b.rem)
		}
		at, ok = a.at.Add(time.Duration(math.Max(minRem, 0)/e.share()*float64(e.cfg.TimeUnit))), true
	}
	if len(a.timers) > 0 && (!ok || a.timers[0].at.Before(at)) {
		at, ok = a.timers[0].at, true
	}
	return at, ok
}

// archAdvance (e.mu held) carries out, at its own instant and in time
// order, every end of a burst and of a wait due by t, serving the bursts
// up to each; with serve it then serves them up to t. The engine does not
// serve past the last end it carried out: the cores are served up to an
// instant of the emulated time line, not up to whenever the engine woke,
// so a thread that resumes after an end (at the end plus its switch)
// starts its next burst there, however late the engine was.
func (e *Executor) archAdvance(t time.Time, serve bool) (fired bool) {
	a := e.arch
	wall := time.Now()
	for {
		at, ok := e.next()
		if !ok || at.After(t) {
			break
		}
		e.serveTo(at)
		any := false
		keep := a.bursts[:0]
		for _, b := range a.bursts {
			if b.rem <= a.eps {
				e.woken(b.r)
				b.done <- signal{at, wall}
				a.runnable--
				any = true
				continue
			}
			keep = append(keep, b)
		}
		clear(a.bursts[len(keep):])
		a.bursts = keep
		if any {
			e.setRunningAt(min(a.runnable, e.cfg.Servers), at)
			e.late.add(wall.Sub(at))
		}
		for len(a.timers) > 0 && !a.timers[0].at.After(at) {
			tm := a.popTimer()
			tm.fire(tm.at, wall)
			e.late.add(wall.Sub(tm.at))
			any = true
		}
		if !any { // rounding: nothing was due after all
			break
		}
		fired = true
	}
	if serve {
		e.serveTo(t)
	}
	return fired
}

// serveTo (e.mu held) serves the bursts from a.at up to t.
func (e *Executor) serveTo(t time.Time) {
	a := e.arch
	dt := t.Sub(a.at)
	if dt <= 0 {
		return
	}
	if n := len(a.bursts); n > 0 {
		w := e.share() * float64(dt) / float64(e.cfg.TimeUnit)
		for _, b := range a.bursts {
			b.rem -= w
		}
		e.busy += time.Duration(min(n, e.cfg.Servers)) * dt
	}
	a.at = t
}

// settleWait bounds how long the engine waits for the threads it woke.
const settleWait = 2 * time.Millisecond

// woken (e.mu held) records that the engine woke r's thread.
func (e *Executor) woken(r *request) {
	if r != nil && !r.pending {
		r.pending = true
		e.arch.pending++
	}
}

// settled (e.mu held) records that r's thread acted on its wake-up.
func (e *Executor) settled(r *request) {
	if r == nil || !r.pending {
		return
	}
	r.pending = false
	a := e.arch
	if a.pending--; a.pending == 0 {
		e.kickEngine()
	}
}

// engine is the emulated cores and clock of an executor with a server
// architecture: it sleeps precisely until the next burst ends or wait is
// over, and carries it out.
func (e *Executor) engine() {
	lockThread()
	a := e.arch
	e.mu.Lock()
	for {
		for len(a.bursts) == 0 && len(a.timers) == 0 && !e.aborting && !(e.closed && len(a.present) == 0) {
			a.engine.Wait()
		}
		if e.aborting || (len(a.bursts) == 0 && len(a.timers) == 0) {
			break
		}
		a.wake.Store(false)
		deadline, _ := e.next()
		if deadline.After(time.Now()) {
			e.mu.Unlock()
			a.sleep(deadline)
			e.mu.Lock()
		}
		// One instant at a time: the ends due at the earliest, then the
		// threads they woke get to act before any later end.
		if at, ok := e.next(); !ok || !e.archAdvance(earlier(at, time.Now()), false) {
			continue
		}
		// The threads just woken are queued on this goroutine's P, which
		// a nap (a raw system call) would hold for up to sysmon's period
		// (milliseconds): yielding hands the P over.
		e.mu.Unlock()
		runtime.Gosched()
		e.mu.Lock()
		for t0 := time.Now(); a.pending > 0 && !e.aborting && time.Since(t0) < settleWait; {
			a.wake.Store(false)
			e.mu.Unlock()
			a.waker.sleep(settleWait - time.Since(t0))
			e.mu.Lock()
		}
	}
	a.stopped = true // under e.mu: no kick writes to the closed waker
	a.waker.close()
	e.mu.Unlock()
	e.exit()
}

// sleep returns at deadline or very soon after, or when kicked.
func (a *archState) sleep(deadline time.Time) {
	for !a.wake.Load() {
		d := time.Until(deadline)
		if d <= 0 {
			return
		}
		if d > spinMargin {
			a.waker.sleep(d - spinMargin)
			continue
		}
		for time.Now().Before(deadline) {
		}
		return
	}
}

// archAbort (e.mu held) stops everything at now: the requests waiting for
// a thread and those in an event loop's wait are handed back at once, the
// threads hand theirs back as they see the abort.
func (e *Executor) archAbort(now time.Time) {
	a := e.arch
	close(a.abort)
	for _, r := range a.waiting {
		e.abandon(r, now)
	}
	a.waiting = nil
	for _, t := range a.timers {
		if t.r != nil {
			e.abandon(t.r, now)
		}
	}
	a.timers, a.bursts, a.runnable = nil, nil, 0
	e.setRunningAt(0, now)
	e.cond.Broadcast()
	e.kickEngine()
}

// archLoad (e.mu held) is the executor's state: requests present, threads
// held, and the CPU of the bursts not done yet (a burst in progress counts
// whole).
func (e *Executor) archLoad() (queue, running int, work float64) {
	a := e.arch
	for _, r := range a.present {
		work += max(r.u.Size-r.cpuDone, 0)
	}
	return len(a.present), a.held, work
}

// archName is ", server architecture" if the executor is one.
func (e *Executor) archName() string {
	if e.arch != nil {
		return " with a server architecture"
	}
	return ""
}
