package node

import (
	"testing"

	"github.com/loadlab/loadlab/results"
)

// skipIfLate skips the rest of a test that compares agents with the
// simulator, or times them, when the machine ran r too late to judge:
// the generator sent its arrivals, or the executors noticed the end of
// emulated work, more than limit model units late at p99. The agents then
// follow the simulator's sample path no longer (late arrivals come in
// bursts, which queue longer than the calibrated mean delay says), and a
// comparison would measure the machine's other load. Each caller's limit
// sits above the lags its points show on a quiet machine.
func skipIfLate(t *testing.T, r results.Result, limit float64) {
	t.Helper()
	skipIfLateBy(t, r, limit, limit)
}

// skipIfLateBy is skipIfLate with a limit of its own for the emulation
// lag, for points whose executors notice ends later even on a quiet
// machine (processor sharing, blocking I/O phases).
func skipIfLateBy(t *testing.T, r results.Result, lag, emulation float64) {
	t.Helper()
	if r.ScheduleLagP99 > lag || r.EmulationLag > emulation {
		t.Skipf("machine too busy: schedule lag p99 %.2f (limit %.2f), emulation lag p99 %.2f (limit %.2f) model units", r.ScheduleLagP99, lag, r.EmulationLag, emulation)
	}
}
