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

// sleepUntilOrStop is sleepUntil that naps at most checkpoint at a time and
// returns early, with ok false, once stop is set. Stop is not looked at
// during the final spin (at most spinMargin).
func sleepUntilOrStop(deadline time.Time, checkpoint time.Duration, stop *atomic.Bool) (now time.Time, ok bool) {
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
			nap(min(d-spinMargin, checkpoint))
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
