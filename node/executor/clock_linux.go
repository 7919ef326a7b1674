//go:build linux

package executor

import (
	"time"

	"golang.org/x/sys/unix"
)

// spinMargin is how long before a deadline sleeping gives way to spinning:
// nanosleep with 1 ns timer slack wakes some tens of µs late (p99 ~65 µs).
const spinMargin = 100 * time.Microsecond

// preciseThread sets the calling thread's timer slack to 1 ns (default
// 50 µs), so nanosleep wakes when asked. Best effort: on failure sleeps are
// only less punctual, and the spin absorbs most of it.
func preciseThread() {
	_ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
}

// nap sleeps about d with nanosleep(2), bypassing the runtime's timers. An
// interruption (EINTR, e.g. the runtime's preemption signal) cuts it short;
// callers re-read the clock and nap again.
func nap(d time.Duration) {
	ts := unix.NsecToTimespec(int64(d))
	_ = unix.Nanosleep(&ts, nil)
}

// threadTime is the CPU time the calling thread has used, to calibrate
// kernels without counting time other processes held the core. ok is false
// if the clock is unavailable.
func threadTime() (d time.Duration, ok bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
