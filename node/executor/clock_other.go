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
