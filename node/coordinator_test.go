package node

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadlab/loadlab/node/wire"
	"github.com/loadlab/loadlab/workload"
)

// schedule is a fixed list of arrivals.
type schedule []workload.Job

func (s *schedule) Next() workload.Job {
	j := (*s)[0]
	*s = (*s)[1:]
	return j
}

// TestGeneratorStopsOnCancel: the generator returns within 100 ms of its
// context's end while its next job is due 10 s later, and sends nothing
// more.
func TestGeneratorStopsOnCancel(t *testing.T) {
	jobs := schedule{{ID: 0, Arrival: 0, Size: 1}, {ID: 1, Arrival: 10000, Size: 1}} // 1 ms units: the second is due 10 s on
	var mu sync.Mutex
	var scheduled []int64
	g := &generator{jobs: &jobs, n: 2, clock: clock{epoch: time.Now(), unit: time.Millisecond}, offset: 5,
		schedule: func(w workload.Job, _ *wire.Job, at float64) {
			mu.Lock()
			scheduled = append(scheduled, w.ID)
			mu.Unlock()
		}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan arrival, 2)
	done := make(chan error, 1)
	go func() { done <- g.run(ctx, queueTo(out)) }()
	select {
	case j := <-out:
		if j.ID != 0 || j.Arrival != 5 {
			t.Fatalf("first job %+v, want id 0 at 5", j)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the first job, due at once, never came")
	}
	time.Sleep(50 * time.Millisecond) // the generator now waits for job 1
	cancel()
	canceled := time.Now()
	select {
	case err := <-done:
		if took := time.Since(canceled); took > 100*time.Millisecond {
			t.Errorf("generator returned %v after the cancel, want within 100 ms", took)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("generator returned %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("generator still waiting 5 s after the cancel (its next job is due 10 s on)")
	}
	if len(out) != 0 {
		t.Errorf("generator sent %v after the cancel", <-out)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(scheduled) != 2 {
		t.Errorf("scheduled %v, want both jobs recorded", scheduled)
	}
}

// TestSleepUntil: sleepUntil never returns before its deadline, returns at
// once with ctx's error if ctx has ended, and otherwise keeps
// executor.SleepUntil's punctuality after its coarse wait on a timer.
func TestSleepUntil(t *testing.T) {
	var late []time.Duration
	for _, d := range []time.Duration{0, 500 * time.Microsecond, 5 * time.Millisecond, 25 * time.Millisecond, 60 * time.Millisecond} {
		for range 5 {
			deadline := time.Now().Add(d)
			if err := sleepUntil(context.Background(), deadline); err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			if now.Before(deadline) {
				t.Fatalf("sleep of %v returned %v early", d, deadline.Sub(now))
			}
			late = append(late, now.Sub(deadline))
		}
	}
	t.Logf("lateness %v", late)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := sleepUntil(ctx, time.Now().Add(time.Hour)); !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Errorf("sleep with an ended context: %v after %v, want context.Canceled at once", err, time.Since(start))
	}
}

// TestSubmitsBounded: with submissions held 50 units each by an emulated
// distance, at most MaxSubmits are in flight at once, the bound is
// reached, and every job still completes.
func TestSubmitsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster")
	}
	const bound = 3
	cfg := localPoint(t, 2, "random", "none", 0.5, 60, 2*time.Millisecond)
	cfg.Distances = []float64{50, 50}
	cfg.MaxSubmits = bound
	var mu sync.Mutex
	peak := int64(0)
	cfg.onSubmit = func(n int64) {
		mu.Lock()
		peak = max(peak, n)
		mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := RunLocal(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if peak > bound {
		t.Errorf("%d submissions in flight at once, want at most %d", peak, bound)
	}
	if peak < bound {
		t.Errorf("at most %d submissions in flight, want the bound %d reached (50-unit distances, a job every 1 unit)", peak, bound)
	}
	if r.JobsCompleted != int64(cfg.Jobs) {
		t.Errorf("%d of %d jobs completed: %v", r.JobsCompleted, cfg.Jobs, r.Failures)
	}
}

// TestPointGoroutinesEnd: when RunLocal returns, completed or canceled
// while the generator waits for an arrival due long after, no goroutine
// runs this module's code any more, a canceled point returns promptly, and
// the goroutine count settles back (serf's own end within seconds).
func TestPointGoroutinesEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real clusters")
	}
	for _, tc := range []struct {
		name     string
		canceled bool
	}{{"completed", false}, {"canceled", true}} {
		t.Run(tc.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			cfg := localPoint(t, 3, "pod(d=2)", "sender.threshold(T=1, probes=2)", 0.7, 300, 5*time.Millisecond)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			canceledAt := make(chan time.Time, 1)
			if tc.canceled {
				// At 1 s units and ρ = 0.01 the first arrival is due 35 s
				// after the start: cancel 3 s in, with the agents
				// configured and the generator waiting for it.
				cfg.TimeUnit, cfg.Load = time.Second, 0.01
				first := cfg.Workload.Generator(cfg.Seed, cfg.Workload.RateFor(cfg.Load, cfg.Nodes, 1)).Next().Arrival
				if first < 20 {
					t.Fatalf("first arrival at %.1f s, want at least 20 s for this test", first)
				}
				time.AfterFunc(3*time.Second, func() { canceledAt <- time.Now(); cancel() })
			}
			_, err := RunLocal(ctx, cfg)
			returned := time.Now()
			left := pointStacks(stacks())
			switch {
			case !tc.canceled && err != nil:
				t.Fatal(err)
			case tc.canceled && !errors.Is(err, context.Canceled):
				t.Fatalf("canceled point: got %v, want context.Canceled", err)
			case tc.canceled:
				if took := returned.Sub(<-canceledAt); took > 5*time.Second {
					t.Errorf("canceled point returned %v after the cancel, want within 5 s", took)
				}
			}
			if left != "" {
				t.Errorf("goroutines still running this module's code as RunLocal returned:\n%s", left)
			}
			if got := settled(before); got > before {
				t.Errorf("%d goroutines 20 s after the point, %d before; running:\n%s", got, before, stacks())
			}
		})
	}
}

// settled waits up to 20 s for the process to run at most n goroutines and
// returns how many it runs.
func settled(n int) int {
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if got := runtime.NumGoroutine(); got <= n || time.Now().After(deadline) {
			return got
		}
	}
}

// stacks returns every goroutine's stack.
func stacks() string {
	buf := make([]byte, 4<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

// pointStacks keeps the stacks of goroutines that run this module's code.
func pointStacks(all string) string {
	var keep []string
	for _, g := range strings.Split(all, "\n\n") {
		// A goroutine in goexit has ended; only its stack is left.
		if strings.Contains(g, "github.com/loadlab/loadlab/") && !strings.Contains(g, "testing.tRunner") && !strings.Contains(g, "runtime.goexit1(") {
			keep = append(keep, g)
		}
	}
	return strings.Join(keep, "\n\n")
}
