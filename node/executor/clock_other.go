//go:build !linux

package executor

import "time"

// spinMargin is how long before a deadline sleeping gives way to spinning.
// Without nanosleep, naps are time.Sleep, late by a millisecond or more.
const spinMargin = 2 * time.Millisecond

// preciseThread does nothing off Linux.
func preciseThread() {}

// nap sleeps at least d with time.Sleep.
func nap(d time.Duration) { time.Sleep(d) }

// threadTime is unavailable: Calibrate falls back to wall time.
func threadTime() (time.Duration, bool) { return 0, false }

// waker is a sleep that another goroutine can cut short.
type waker struct{ ch chan struct{} }

func newWaker() (*waker, error) { return &waker{ch: make(chan struct{}, 1)}, nil }

func (w *waker) wake() {
	select {
	case w.ch <- struct{}{}:
	default:
	}
}

func (w *waker) sleep(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-w.ch:
	case <-t.C:
	}
}

func (w *waker) close() {}
