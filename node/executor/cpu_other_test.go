//go:build !linux

package executor

import "time"

// processCPU is unavailable off Linux.
func processCPU() (time.Duration, bool) { return 0, false }
