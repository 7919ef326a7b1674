package executor

import (
	"runtime"
	"sync/atomic"
	"time"
)

// SleepUntil returns at deadline or very soon after, and returns the time it
// returned (never before deadline). It naps (nanosleep on Linux) until
// spinMargin before the deadline and spins on the clock for the rest: Go's
// time.Sleep and timers can be a millisecond late. It holds the calling
// goroutine's OS thread for the call and, on Linux, sets that thread's timer
// slack to 1 ns (left so: it only makes that thread's later sleeps more
// punctual). Spinning costs up to spinMargin of CPU per call.
func SleepUntil(deadline time.Time) time.Time {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	preciseThread()
	return sleepUntil(deadline)
}

// sleepUntil is SleepUntil for a goroutine already on a prepared thread
// (lockThread).
func sleepUntil(deadline time.Time) time.Time {
	for {
		now := time.Now()
		d := deadline.Sub(now)
		if d <= 0 {
			return now
		}
		if d > spinMargin {
			nap(d - spinMargin)
		}
	}
}

// stopFlag asks a thread in service to stop or re-plan. Raising it also
// cuts the thread's current sleep short (an eventfd on Linux), so a unit
// in emulated service sleeps to its deadline in one nap instead of waking
// every Checkpoint to look: a hundred agents on one host, each busy with
// long units, woke a thousand times a second each for nothing. CPU
// kernels look at it between their chunks of iterations.
//
// Store and close are called with the executor's lock held; the thread
// that sleeps on the flag closes it when it exits, after which a Store
// only sets the flag (it never writes to a closed, perhaps reused, fd).
type stopFlag struct {
	on atomic.Bool
	w  *waker // nil if none could be made, or closed: sleeps then look every checkpoint
}

// newStopFlag returns a flag with its waker, or without one (checkpoint
// naps) if the system refuses another eventfd.
func newStopFlag() *stopFlag {
	w, err := newWaker()
	if err != nil {
		return &stopFlag{}
	}
	return &stopFlag{w: w}
}

func (f *stopFlag) Load() bool { return f.on.Load() }

// Store sets the flag; raising it wakes the thread if it sleeps.
func (f *stopFlag) Store(v bool) {
	f.on.Store(v)
	if v && f.w != nil {
		f.w.wake()
	}
}

// close releases the waker; the flag stays usable.
func (f *stopFlag) close() {
	if f.w != nil {
		f.w.close()
		f.w = nil
	}
}

// sleepUntilOrStop is sleepUntil that returns early, with ok false, once
// stop is raised: it sleeps on stop's waker, or without one naps at most
// checkpoint at a time. Stop is not looked at during the final spin (at
// most spinMargin).
func sleepUntilOrStop(deadline time.Time, checkpoint time.Duration, stop *stopFlag) (now time.Time, ok bool) {
	for {
		if stop.Load() {
			return time.Now(), false
		}
		now = time.Now()
		d := deadline.Sub(now)
		if d <= 0 {
			return now, true
		}
		if d > spinMargin {
			if stop.w != nil {
				stop.w.sleep(d - spinMargin)
			} else {
				nap(min(d-spinMargin, checkpoint))
			}
			continue
		}
		for now.Before(deadline) {
			now = time.Now()
		}
		return now, true
	}
}

// lockThread wires the calling goroutine to its OS thread for good and makes
// the thread's sleeps precise. The goroutine must not unlock: its thread
// then dies with it instead of returning, altered, to the runtime's pool.
func lockThread() {
	runtime.LockOSThread()
	preciseThread()
}
