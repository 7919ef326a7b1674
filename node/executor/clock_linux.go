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

// waker is a sleep that another goroutine can cut short: ppoll(2) on an
// eventfd with a timeout, as precise as nanosleep on a prepared thread.
type waker struct{ fd int }

func newWaker() (*waker, error) {
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	return &waker{fd: fd}, nil
}

// wake cuts the current or next sleep short.
func (w *waker) wake() {
	b := [8]byte{1}
	_, _ = unix.Write(w.fd, b[:])
}

// sleep sleeps about d, or less if woken (it then clears the wake-up).
func (w *waker) sleep(d time.Duration) {
	ts := unix.NsecToTimespec(int64(d))
	fds := []unix.PollFd{{Fd: int32(w.fd), Events: unix.POLLIN}}
	if n, _ := unix.Ppoll(fds, &ts, nil); n > 0 {
		var b [8]byte
		_, _ = unix.Read(w.fd, b[:])
	}
}

func (w *waker) close() { _ = unix.Close(w.fd) }
