package executor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadlab/loadlab/load"
)

// ErrClosed is returned by Submit after Close.
var ErrClosed = errors.New("executor: closed")

// ErrQueueFull is returned by Submit when the executor holds
// Config.MaxQueue units already.
var ErrQueueFull = errors.New("executor: queue full")

// Unit is one job on the executor. The agent fills ID, Size, Progress, Data
// and Done.
type Unit struct {
	ID       int64
	Size     float64 // model units of work in total
	Progress float64 // model units already done: nonzero for a resumed unit; the executor updates it when the unit stops or finishes
	Data     any     // the agent's; the executor never looks at it
	// Comp, if set, is the unit's own computation (CPU kernels only): the
	// unit is done when it is, and its Progress follows its iterations.
	Comp *Computation
	// Phases, on a server architecture (Config.Arch), alternate CPU
	// bursts and waits as workload.Job.Phases does: [cpu₀, wait₀, …,
	// cpuₖ], bursts in size units adding up to Size, waits in model units
	// (they do not scale with speed). nil: one burst of Size − Progress.
	Phases []float64
	// Access, if set with Uses > 0, is a use of a remote resource: the
	// slot calls it Uses times per model unit of progress, at the progress
	// points k/Uses, and the unit holds its server, making no progress,
	// while Access runs (a remote access blocks the computation that made
	// it). Access must not call the executor.
	Access func()
	Uses   float64
	// Done, if set, is called from the slot goroutine when the unit
	// finishes, with the wall start and end of its (last) service period.
	// The slot's next unit is already in service meanwhile: an emulated unit
	// absorbs the time Done takes, a CPU unit is delayed by it, so keep Done
	// short and hand slow work (network) to another goroutine.
	Done func(u *Unit, start, end time.Time)

	queued time.Time // when Submit accepted it
}

// remaining is the unit's work left, in model units.
func (u *Unit) remaining() float64 { return max(u.Size-u.Progress, 0) }

// Executor runs units on Servers FCFS slots. Its methods are safe for
// concurrent use.
type Executor struct {
	cfg   Config
	ipu   float64 // CPU kernels: iterations per model unit at speed 1
	speed float64 // the sleep kernel's speed now: cfg.Speed unless SetSpeed changed it (guarded by mu)
	slots []*slot

	mu        sync.Mutex
	cond      *sync.Cond // signalled on Submit and Close
	queue     []*Unit    // waiting, oldest first
	running   int
	closed    bool
	aborting  bool    // Close's ctx is done: stop running units at their next checkpoint
	aborted   []*Unit // units stopped by the abort, for Close
	live      int     // slot goroutines still running
	exited    chan struct{}
	onDepart  func(load.State)
	completed int64
	refused   int64 // Submits refused with ErrQueueFull
	busy      time.Duration
	late      reservoir
	levels    levelLog  // time with each number of slots serving
	occ       []occStep // changes of units held and slots serving (occupancy.go)
	occBase   time.Time // origin of occ's times
	occLost   bool      // occ grew too long and stopped

	// Processor sharing (Discipline ps): the units in service.
	psActive []*psJob
	psDone   []psEnd     // units whose work ran out, for the loop to report
	psAt     time.Time   // psActive is served up to here
	psEps    float64     // work below this counts as done: 2 µs of rounding
	psAbort  atomic.Bool // Close's ctx is done
	psWake   *stopFlag   // the loop must re-plan: a unit was withdrawn, or Close aborts

	arch *archState // a server architecture (Config.Arch; arch.go), or nil
}

// setRunning (e.mu held) changes the number of slots serving now.
func (e *Executor) setRunning(n int) { e.setRunningAt(n, time.Now()) }

// setRunningAt is setRunning for a change that happened at time at, which
// may precede changes already recorded (levelLog).
func (e *Executor) setRunningAt(n int, at time.Time) {
	if n != e.running {
		e.levels.change(at, n-e.running, time.Now())
		e.note(at, 0, n-e.running)
	}
	e.running = n
}

// slot is one server. Its fields but stop are guarded by Executor.mu.
type slot struct {
	unit    *Unit         // in service, or nil
	start   time.Time     // start of unit's service period, or of its last speed change (SetSpeed): progress is p0 there
	served  time.Time     // start of unit's service period, as reported to Done
	lastEnd time.Time     // end of the previous service period on this slot
	p0      float64       // unit's Progress at start
	paused  time.Duration // time the unit spent in Access calls since start
	nextUse float64       // progress at which the unit next calls Access (+Inf: never)
	req     *preemptReq
	stop    *stopFlag // set when the unit should stop (at once when sleeping, else at its next checkpoint)
}

// preemptReq is a pending Preempt; the slot answers on ch (buffered) with
// the stopped unit, or nil if the unit finished first.
type preemptReq struct{ ch chan *Unit }

// New starts an executor: cfg.Servers slot goroutines, each on its own OS
// thread. For a CPU kernel, the first New of the process calibrates it
// (about 60 ms).
func New(cfg Config) (*Executor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	now := time.Now()
	e := &Executor{cfg: cfg, speed: cfg.Speed, exited: make(chan struct{}), levels: newLevelLog(cfg.Servers, now), occBase: now}
	e.cond = sync.NewCond(&e.mu)
	if cfg.Kernel != KernelSleep {
		perNano, err := itersPerNano(cfg.Kernel)
		if err != nil {
			return nil, err
		}
		e.ipu = perNano * float64(cfg.TimeUnit)
	}
	if cfg.Arch != nil {
		if err := e.newArch(now); err != nil {
			return nil, err
		}
		return e, nil
	}
	if cfg.Discipline == DisciplinePS {
		e.live, e.psAt, e.psWake = 1, time.Now(), newStopFlag()
		e.psEps = float64(2*time.Microsecond) / float64(cfg.TimeUnit)
		go e.psLoop()
		return e, nil
	}
	e.slots = make([]*slot, cfg.Servers)
	e.live = cfg.Servers
	for i := range e.slots {
		e.slots[i] = &slot{stop: newStopFlag()}
		go e.serve(e.slots[i])
	}
	return e, nil
}

// ItersPerUnit is how many iterations of the executor's CPU kernel one
// core does in a model unit (0 for the sleep kernel): the size of a
// Computation that is to take s model units is s × ItersPerUnit.
func (e *Executor) ItersPerUnit() float64 { return e.ipu }

// Submit queues u behind the units waiting (FCFS). It fails after Close,
// for a unit whose Size or Progress is negative or not finite, and with
// ErrQueueFull when the executor holds MaxQueue units already.
func (e *Executor) Submit(u *Unit) error {
	if u == nil {
		return errors.New("executor: nil unit")
	}
	if u.Size < 0 || math.IsNaN(u.Size) || math.IsInf(u.Size, 0) || u.Progress < 0 || math.IsNaN(u.Progress) || math.IsInf(u.Progress, 0) {
		return fmt.Errorf("executor: unit %d: invalid size %g or progress %g", u.ID, u.Size, u.Progress)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	if e.heldLocked() >= e.cfg.MaxQueue {
		e.refused++
		return ErrQueueFull
	}
	if e.arch != nil {
		return e.archSubmit(u)
	}
	if e.cfg.Discipline == DisciplinePS {
		e.psSubmit(u)
		return nil
	}
	u.queued = time.Now()
	e.noteHeld(u.queued, 1)
	e.queue = append(e.queue, u)
	e.cond.Signal()
	return nil
}

// heldLocked (e.mu held) is the number of units waiting and in service.
func (e *Executor) heldLocked() int {
	if e.arch != nil {
		return len(e.arch.present)
	}
	if e.cfg.Discipline == DisciplinePS {
		return len(e.psActive)
	}
	return len(e.queue) + e.running
}

// Full reports whether the executor holds MaxQueue units: a Submit now
// would be refused.
func (e *Executor) Full() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.heldLocked() >= e.cfg.MaxQueue
}

// Load is the executor's state now. The work of running units is estimated
// from the time they have been in service.
func (e *Executor) Load() load.State {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.loadLocked(time.Now())
}

func (e *Executor) loadLocked(now time.Time) load.State {
	if e.arch != nil {
		q, r, w := e.archLoad()
		return load.State{Queue: q, Running: r, Work: w, Servers: e.cfg.Servers, Speed: e.cfg.Speed}
	}
	if e.cfg.Discipline == DisciplinePS {
		e.psAdvance(now)
		l := load.State{Queue: len(e.psActive), Running: len(e.psActive), Servers: e.cfg.Servers, Speed: e.cfg.Speed}
		for _, j := range e.psActive {
			l.Work += math.Max(j.rem, 0)
		}
		return l
	}
	l := load.State{Queue: len(e.queue) + e.running, Running: e.running, Servers: e.cfg.Servers, Speed: e.cfg.Speed}
	for _, u := range e.queue {
		l.Work += u.remaining()
	}
	for _, s := range e.slots {
		if s.unit != nil {
			l.Work += max(s.unit.Size-e.progressAt(s, now), 0)
		}
	}
	return l
}

// progressAt estimates the progress of s's unit at now, from elapsed time.
func (e *Executor) progressAt(s *slot, now time.Time) float64 {
	p := s.p0 + float64(now.Sub(s.start)-s.paused)*e.speed/float64(e.cfg.TimeUnit)
	return min(max(p, s.p0), s.unit.Size)
}

// Waiting is the number of units queued and not started.
func (e *Executor) Waiting() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.arch != nil {
		return len(e.arch.waiting)
	}
	return len(e.queue)
}

// Take removes the waiting unit at FCFS position pos (0 = oldest) for a
// transfer; false if pos is out of range.
func (e *Executor) Take(pos int) (*Unit, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if pos < 0 || pos >= len(e.queue) {
		return nil, false
	}
	u := e.queue[pos]
	copy(e.queue[pos:], e.queue[pos+1:])
	e.queue[len(e.queue)-1] = nil
	e.queue = e.queue[:len(e.queue)-1]
	e.noteHeld(time.Now(), -1)
	return u, true
}

// Preempt asks running unit id to stop at its next checkpoint and returns it
// with Progress updated (strong mobility): resubmitted, it runs only the
// remainder. It blocks until the unit stopped (about Config.Checkpoint) or
// ctx is done. It returns false if id is not running, finished before its
// checkpoint, is already being preempted, or ctx ended first (the unit then
// keeps running).
func (e *Executor) Preempt(ctx context.Context, id int64) (*Unit, bool) {
	e.mu.Lock()
	var s *slot
	for _, x := range e.slots {
		if x.unit != nil && x.unit.ID == id {
			s = x
			break
		}
	}
	u := e.preempt(ctx, s)
	return u, u != nil
}

// preempt (e.mu held, released on return) stops slot s's unit at its next
// checkpoint and returns it, or nil (see Preempt).
func (e *Executor) preempt(ctx context.Context, s *slot) *Unit {
	if s == nil || s.req != nil {
		e.mu.Unlock()
		return nil
	}
	req := &preemptReq{ch: make(chan *Unit, 1)}
	s.req = req
	s.stop.Store(true)
	e.mu.Unlock()

	select {
	case u := <-req.ch:
		return u
	case <-ctx.Done():
	}
	e.mu.Lock()
	if s.req == req { // still pending: withdraw it
		s.req = nil
		s.stop.Store(e.aborting)
		e.mu.Unlock()
		return nil
	}
	e.mu.Unlock()
	return <-req.ch // answered meanwhile
}

// UnitInfo is a unit present on the executor, as Jobs lists it.
type UnitInfo struct {
	Unit    *Unit
	Running bool      // in service
	Done    float64   // work done so far, model units: for a running unit estimated from its time in service, as Load does
	Since   time.Time // when Submit accepted it
}

// Jobs appends the units present to out[:0], those in service first (in
// slot order), then the waiting ones in FCFS order, and returns them with
// the load at the same instant. Under processor sharing every unit is in
// service, in order of submission.
func (e *Executor) Jobs(out []UnitInfo) ([]UnitInfo, load.State) {
	out = out[:0]
	e.mu.Lock()
	defer e.mu.Unlock()
	now := time.Now()
	l := e.loadLocked(now) // under PS this also serves the units up to now
	if e.arch != nil {     // requests holding a thread first, then the others, each in arrival order
		for _, held := range []bool{true, false} {
			for _, r := range e.arch.present {
				if r.holding == held {
					out = append(out, UnitInfo{Unit: r.u, Running: held, Done: min(r.cpuDone, r.u.Size), Since: r.u.queued})
				}
			}
		}
		return out, l
	}
	if e.cfg.Discipline == DisciplinePS {
		for _, j := range e.psActive {
			out = append(out, UnitInfo{Unit: j.u, Running: true, Done: min(max(j.u.Size-j.rem, 0), j.u.Size), Since: j.start})
		}
		return out, l
	}
	for _, s := range e.slots {
		if s.unit != nil {
			out = append(out, UnitInfo{Unit: s.unit, Running: true, Done: e.progressAt(s, now), Since: s.unit.queued})
		}
	}
	for _, u := range e.queue {
		out = append(out, UnitInfo{Unit: u, Done: u.Progress, Since: u.queued})
	}
	return out, l
}

// Withdraw takes unit u off the executor to move it elsewhere, provided it
// is still as the caller saw it in Jobs: waiting (running false), it leaves
// at once, as with Take; in service (running true), it stops at its next
// checkpoint, as with Preempt, its Progress updated (strong mobility); under
// processor sharing, where every unit is in service, it leaves at once. It
// returns false, and u stays, if u is not there in that state (it finished
// or was withdrawn, or started since it was seen waiting), is being
// preempted by another call, or ctx ended before it stopped.
func (e *Executor) Withdraw(ctx context.Context, u *Unit, running bool) bool {
	e.mu.Lock()
	switch {
	case e.cfg.Discipline == DisciplinePS:
		defer e.mu.Unlock()
		return running && e.psWithdraw(u)
	case !running:
		defer e.mu.Unlock()
		for i, w := range e.queue {
			if w == u {
				e.queue = slices.Delete(e.queue, i, i+1)
				e.noteHeld(time.Now(), -1)
				return true
			}
		}
		return false
	}
	for _, s := range e.slots {
		if s.unit == u {
			return e.preempt(ctx, s) != nil
		}
	}
	e.mu.Unlock()
	return false
}

// SetSpeed changes the servers' speed from now on, for fault injection (a
// node slowed down, or paused with speed 0): running units keep the work
// they received and go on at the new speed within a checkpoint. Load keeps
// reporting the configured speed, as a degraded machine does not know it
// is slow. Only emulated FCFS executors (the sleep kernel) can change
// speed; CPU kernels do as much work as the core allows.
func (e *Executor) SetSpeed(speed float64) error {
	if !(speed >= 0) || math.IsInf(speed, 0) {
		return fmt.Errorf("executor: speed must be finite and at least 0, got %g", speed)
	}
	if e.cfg.Kernel != KernelSleep || e.cfg.Discipline != DisciplineFCFS || e.arch != nil {
		return fmt.Errorf("executor: speed changes need the sleep kernel and FCFS slots, have %s and %s%s", e.cfg.Kernel, e.cfg.Discipline, e.archName())
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := time.Now()
	for _, s := range e.slots {
		if s.unit != nil {
			s.p0, s.start, s.paused = e.progressAt(s, now), now, 0
			s.stop.Store(true) // re-plan: stopRunning lets it go on
		}
	}
	e.speed = speed
	return nil
}

// SetOnDepart sets f to be called after each completion (after the unit's
// Done), from the slot goroutine, with the load at that moment (the slot's
// next unit, if any, already in service). Like Done, f delays the slot's
// work: keep it short.
func (e *Executor) SetOnDepart(f func(load.State)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.onDepart = f
}

// Close stops accepting units and waits for the running and queued ones to
// finish until ctx is done. Then it takes the waiting units off the queue,
// stops the running ones at their next checkpoint (Progress updated, Done
// not called), and returns them all, those that had started first, for the
// caller to fail or hand back. Close returns after every slot goroutine has
// exited, so after its callbacks in progress return: do not call it from
// Done or the OnDepart function. Later calls return nil at once.
func (e *Executor) Close(ctx context.Context) []*Unit {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.cond.Broadcast()
	if e.arch != nil {
		e.kickEngine()
	}
	e.mu.Unlock()

	select {
	case <-e.exited:
		return nil
	case <-ctx.Done():
	}
	e.mu.Lock()
	e.aborting = true
	if e.arch != nil {
		e.archAbort(time.Now())
		e.mu.Unlock()
		<-e.exited
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.aborted
	}
	e.psAbort.Store(true)
	if e.psWake != nil { // processor sharing
		e.psWake.Store(true)
	}
	left := e.queue
	e.queue = nil
	e.noteHeld(time.Now(), -len(left))
	for _, s := range e.slots {
		if s.unit != nil {
			s.stop.Store(true)
		}
	}
	e.mu.Unlock()
	<-e.exited
	e.mu.Lock()
	defer e.mu.Unlock()
	return append(e.aborted, left...)
}

// Stats is what the executor measured so far.
func (e *Executor) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := Stats{Completed: e.completed, Refused: e.refused, BusyTime: e.busy, Lateness: e.late.summary(), Levels: e.levels.totals(time.Now())}
	if e.arch != nil {
		c := e.arch.costs
		s.Server = &c
	}
	return s
}
