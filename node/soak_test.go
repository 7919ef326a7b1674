package node

import (
	"bufio"
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSoak runs 16 local agents at 80% load for a long time (10 minutes of
// arrivals unless LOADLAB_SOAK_DURATION says otherwise, e.g. 1m) as one
// point: every job must end exactly once and none may fail, and memory
// must stay flat. It is skipped unless LOADLAB_SOAK=1 (`make soak`).
//
// Memory is the live heap (after a forced collection) and the resident set
// of this process, which holds the agents and the coordinator, sampled 20
// times over the run (every 30 s for 10 minutes). Leaving out the first
// tenth as warm-up, the mean of the last third of the samples must be
// within 20% of the mean of the first third.
func TestSoak(t *testing.T) {
	if os.Getenv("LOADLAB_SOAK") != "1" {
		t.Skip("soak test: set LOADLAB_SOAK=1 (and LOADLAB_SOAK_DURATION, default 10m), or run `make soak`")
	}
	dur := 10 * time.Minute
	if s := os.Getenv("LOADLAB_SOAK_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 10*time.Second {
			t.Fatalf("LOADLAB_SOAK_DURATION=%q: want a duration of at least 10s", s)
		}
		dur = d
	}
	const (
		nodes = 16
		load  = 0.8
		unit  = 10 * time.Millisecond
	)
	// Arrivals at rate ρN per unit (mean size 1) for dur.
	jobs := int(load * nodes * float64(dur) / float64(unit))
	// Random dispatch decides at once, so the generator keeps to its schedule
	// and every agent sees 80% load (pod(d=2) with one dispatcher cannot
	// decide 1,280 jobs per second: each decision waits for its probes).
	cfg := localPoint(t, nodes, "random", "none", load, jobs, unit)
	cfg.Warmup = jobs / 20

	ctx, cancel := context.WithTimeout(context.Background(), dur+5*time.Minute)
	defer cancel()
	every := min(30*time.Second, dur/20)
	samples := make(chan []memSample, 1)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		samples <- sampleMemory(every, stop)
	}()
	start := time.Now()
	r, err := RunLocal(ctx, cfg)
	took := time.Since(start)
	close(stop)
	wg.Wait()
	mem := <-samples
	if err != nil {
		t.Fatal(err)
	}

	t.Logf("%d agents, ρ=%.1f, %d jobs in %v: completed %d failed %d, mean %.3f ± %.3f p99 %.3f, migrations/job %.3f probes/job %.3f, schedule lag p99 %.4f, serf health %d, failures %v",
		nodes, load, jobs, took.Round(time.Second), r.JobsCompleted, r.JobsFailed, r.MeanResponse, r.CI95HalfWidth, r.P99Response,
		r.MigrationsPerJob, r.ProbesPerJob, r.ScheduleLagP99, r.SerfHealth, r.Failures)
	if r.JobsIssued != int64(jobs) || r.JobsCompleted+r.JobsFailed != r.JobsIssued {
		t.Errorf("lost jobs: issued %d (want %d), completed %d + failed %d", r.JobsIssued, jobs, r.JobsCompleted, r.JobsFailed)
	}
	if r.JobsFailed != 0 {
		t.Errorf("%d jobs failed: %v", r.JobsFailed, r.Failures)
	}
	if r.ScheduleLagP99 > 5 {
		t.Errorf("the generator lagged %.1f units behind its schedule (p99): the load offered was not %.0f%%", r.ScheduleLagP99, 100*load)
	}

	for _, s := range mem {
		t.Logf("memory at %6.1fs: heap %6.1f MiB, RSS %6.1f MiB, goroutines %d", s.at.Seconds(), mib(s.heap), mib(s.rss), s.goroutines)
	}
	var steady []memSample
	for _, s := range mem {
		if s.at >= dur/10 && s.at <= dur {
			steady = append(steady, s)
		}
	}
	if len(steady) < 6 {
		t.Fatalf("only %d memory samples after the warm-up", len(steady))
	}
	third := len(steady) / 3
	first, last := steady[:third], steady[len(steady)-third:]
	for _, m := range []struct {
		name string
		get  func(memSample) uint64
	}{
		{"heap", func(s memSample) uint64 { return s.heap }},
		{"RSS", func(s memSample) uint64 { return s.rss }},
		{"goroutines", func(s memSample) uint64 { return uint64(s.goroutines) }},
	} {
		a, b := meanOf(first, m.get), meanOf(last, m.get)
		t.Logf("%s: first third %.1f, last third %.1f (%+.1f%%)", m.name, a, b, 100*(b-a)/a)
		if a > 0 && b > 1.2*a {
			t.Errorf("%s grew from %.1f to %.1f (%+.1f%%), more than 20%%", m.name, a, b, 100*(b-a)/a)
		}
	}
}

// memSample is the process's memory at one time since the start.
type memSample struct {
	at         time.Duration
	heap       uint64 // live heap after a collection, bytes
	rss        uint64 // resident set, bytes (0 where /proc is missing)
	goroutines int
}

// sampleMemory samples memory every period until stop is closed.
func sampleMemory(every time.Duration, stop <-chan struct{}) []memSample {
	start := time.Now()
	tick := time.NewTicker(every)
	defer tick.Stop()
	var out []memSample
	for {
		select {
		case <-stop:
			return out
		case <-tick.C:
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		out = append(out, memSample{at: time.Since(start), heap: ms.HeapAlloc, rss: residentSet(), goroutines: runtime.NumGoroutine()})
	}
}

// residentSet reads VmRSS from /proc/self/status; 0 if it cannot.
func residentSet() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

func meanOf(s []memSample, get func(memSample) uint64) float64 {
	sum := 0.0
	for _, x := range s {
		sum += float64(get(x))
	}
	return sum / float64(len(s))
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
