package node

import (
	"runtime"
	"sync"
)

// A goroutine that sleeps precisely (executor.SleepUntil: nanosleep on a
// locked thread) keeps its P, one of the runtime's GOMAXPROCS licences to
// run Go code, for the whole sleep: the runtime takes a P back from a
// thread in a system call only when its monitor (sysmon) notices, 20 µs to
// 10 ms later. The generator sleeps so before every arrival, up to 20 ms
// ahead (coarseMargin), so at any rate above 50 jobs a second it holds a P
// nearly all the time; with GOMAXPROCS at the number of cores, the
// goroutines that carry jobs, probes and completions then have one P fewer
// than the machine has cores, and on 2 cores a completion that arrives
// while the other P is busy waits for sysmon. The coordinator therefore
// raises GOMAXPROCS by one while a point runs (spareProc.hold). The thread
// asleep uses no core; the runtime may keep one more thread looking for
// work (64 agents in one process used 10–20% more CPU, with less lag).
//
// Measured with BenchmarkPathOverhead on 2 cores, 20 runs each, GOMAXPROCS 2
// and 3 alternating: overhead p50 103 → 82 µs (medians; lower in 19 of 20
// pairs), added p99 1,242 → 740 µs (17 of 20); docs/BENCHMARKS.md.
type spareProc struct {
	mu     sync.Mutex
	users  int // points running
	raised int // GOMAXPROCS as the first of them set it
}

// spare is the process's one spareProc: GOMAXPROCS is the process's.
var spare spareProc

// hold raises GOMAXPROCS by one for the first point that runs; release,
// called once when the point ends, puts it back after the last one,
// unless someone else has changed it meanwhile.
func (s *spareProc) hold() (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users == 0 {
		s.raised = runtime.GOMAXPROCS(0) + 1
		runtime.GOMAXPROCS(s.raised)
	}
	s.users++
	return sync.OnceFunc(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.users--
		if s.users == 0 && runtime.GOMAXPROCS(0) == s.raised {
			runtime.GOMAXPROCS(s.raised - 1)
		}
	})
}
