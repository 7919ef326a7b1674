package executor

import (
	"context"
	"errors"
	"math"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/loadlab/loadlab/load"
)

// start builds an executor closed at the end of the test.
func start(t *testing.T, cfg Config) *Executor {
	t.Helper()
	e, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	return e
}

// period is a unit's service period as Done reported it.
type period struct {
	id         int64
	start, end time.Time
}

func (p period) d() time.Duration { return p.end.Sub(p.start) }

// recorder collects Done calls.
type recorder struct {
	mu   sync.Mutex
	done []period
	ch   chan period
}

func newRecorder() *recorder { return &recorder{ch: make(chan period, 1000)} }

func (r *recorder) unit(id int64, size float64) *Unit {
	return &Unit{ID: id, Size: size, Done: func(u *Unit, start, end time.Time) {
		p := period{u.ID, start, end}
		r.mu.Lock()
		r.done = append(r.done, p)
		r.mu.Unlock()
		r.ch <- p
	}}
}

// wait returns the next n completions, failing the test after a timeout.
func (r *recorder) wait(t *testing.T, n int) []period {
	t.Helper()
	var ps []period
	for range n {
		select {
		case p := <-r.ch:
			ps = append(ps, p)
		case <-time.After(5 * time.Second):
			t.Fatalf("got %d completions, want %d", len(ps), n)
		}
	}
	return ps
}

func submit(t *testing.T, e *Executor, us ...*Unit) {
	t.Helper()
	for _, u := range us {
		if err := e.Submit(u); err != nil {
			t.Fatalf("Submit(%d): %v", u.ID, err)
		}
	}
}

// waitRunning polls until n units are in service.
func waitRunning(t *testing.T, e *Executor, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); e.Load().Running != n; {
		if time.Now().After(deadline) {
			t.Fatalf("Running = %d, want %d", e.Load().Running, n)
		}
		runtime.Gosched() // poll closely: time.Sleep would add ~1ms
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func near(got, want, tol float64) bool { return got >= want-tol && got <= want+tol }

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero takes defaults", Config{}, true},
		{"default", DefaultConfig(), true},
		{"hash", Config{Kernel: KernelHash}, true},
		{"negative servers", Config{Servers: -1}, false},
		{"negative speed", Config{Speed: -1}, false},
		{"negative time unit", Config{TimeUnit: -time.Millisecond}, false},
		{"tiny checkpoint", Config{Checkpoint: time.Microsecond}, false},
		{"unknown kernel", Config{Kernel: "fft"}, false},
	}
	for _, tt := range tests {
		if err := tt.cfg.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
	if _, err := New(Config{Kernel: "fft"}); err == nil {
		t.Error("New with unknown kernel: got nil error")
	}
}

// TestSleepAccuracy: emulated service times are precise (loosely asserted:
// the machine is shared; see BenchmarkSleepAccuracy for numbers).
func TestSleepAccuracy(t *testing.T) {
	e := start(t, Config{TimeUnit: 10 * time.Millisecond})
	r := newRecorder()
	var ds []time.Duration
	for i := range 20 {
		submit(t, e, r.unit(int64(i), 1))
		ds = append(ds, r.wait(t, 1)[0].d())
	}
	if m := median(ds); m < 9*time.Millisecond || m > 11*time.Millisecond {
		t.Errorf("median service time %v, want 10ms ± 1ms (all: %v)", m, ds)
	}
	st := e.Stats()
	if st.Completed != 20 {
		t.Errorf("Completed = %d, want 20", st.Completed)
	}
	if st.Lateness.P50 >= time.Millisecond || st.Lateness.P50 > st.Lateness.P99 || st.Lateness.P99 > st.Lateness.Max {
		t.Errorf("lateness %+v, want p50 < 1ms and p50 ≤ p99 ≤ max", st.Lateness)
	}
	if st.BusyTime < 190*time.Millisecond || st.BusyTime > 240*time.Millisecond {
		t.Errorf("BusyTime = %v, want about 200ms", st.BusyTime)
	}
	t.Logf("median %v, lateness %+v", median(ds), st.Lateness)
}

func TestSpeedAndResumedProgress(t *testing.T) {
	tests := []struct {
		speed, size, progress float64
		want                  time.Duration
	}{
		{2, 1, 0, 5 * time.Millisecond},
		{0.5, 0.25, 0, 5 * time.Millisecond},
		{1, 1, 0.5, 5 * time.Millisecond},
		{1, 1, 1, 0},
		{1, 0, 0, 0},
	}
	for _, tt := range tests {
		e := start(t, Config{Speed: tt.speed, TimeUnit: 10 * time.Millisecond})
		r := newRecorder()
		u := r.unit(1, tt.size)
		u.Progress = tt.progress
		submit(t, e, u)
		if d := r.wait(t, 1)[0].d(); d < tt.want || d > tt.want+time.Millisecond {
			t.Errorf("speed %g, size %g, progress %g: service %v, want %v (+1ms)", tt.speed, tt.size, tt.progress, d, tt.want)
		}
		if u.Progress != u.Size {
			t.Errorf("Progress = %g after Done, want %g", u.Progress, u.Size)
		}
	}
}

func TestFCFSOneServer(t *testing.T) {
	e := start(t, Config{TimeUnit: 2 * time.Millisecond})
	r := newRecorder()
	var mu sync.Mutex
	var events []string
	e.SetOnDepart(func(l load.State) {
		mu.Lock()
		events = append(events, "depart")
		mu.Unlock()
	})
	for i := range 5 {
		u := r.unit(int64(i), 1)
		done := u.Done
		u.Done = func(u *Unit, s, e time.Time) {
			mu.Lock()
			events = append(events, "done")
			mu.Unlock()
			done(u, s, e)
		}
		submit(t, e, u)
	}
	ps := r.wait(t, 5)
	for i, p := range ps {
		if p.id != int64(i) {
			t.Fatalf("completion %d is unit %d, want FCFS order 0..4", i, p.id)
		}
		if i > 0 && p.start.Before(ps[i-1].end) {
			t.Errorf("unit %d started %v before unit %d ended on the only server", i, ps[i-1].end.Sub(p.start), i-1)
		}
	}
	e.Close(context.Background()) // waits for the last OnDepart
	mu.Lock()
	defer mu.Unlock()
	if want := slices.Repeat([]string{"done", "depart"}, 5); !slices.Equal(events, want) {
		t.Errorf("callbacks %v, want %v", events, want)
	}
}

func TestTwoServersConcurrent(t *testing.T) {
	e := start(t, Config{Servers: 2, TimeUnit: 20 * time.Millisecond})
	r := newRecorder()
	submit(t, e, r.unit(1, 1), r.unit(2, 1))
	ps := r.wait(t, 2)
	// Side by side: each served one unit from its submission, so they
	// overlap all along but for the moment between the two Submits.
	gap := maxTime(ps[0].start, ps[1].start).Sub(minTime(ps[0].start, ps[1].start))
	overlap := minTime(ps[0].end, ps[1].end).Sub(maxTime(ps[0].start, ps[1].start))
	if overlap < 20*time.Millisecond-gap-time.Millisecond {
		t.Errorf("service periods %v and %v overlap %v, want 20ms less the %v between their submissions", ps[0], ps[1], overlap, gap)
	}
}

func TestLoad(t *testing.T) {
	e := start(t, Config{TimeUnit: 20 * time.Millisecond})
	if got, want := e.Load(), (load.State{Servers: 1, Speed: 1}); got != want {
		t.Errorf("idle Load() = %+v, want %+v", got, want)
	}
	r := newRecorder()
	submit(t, e, r.unit(1, 1), r.unit(2, 1), r.unit(3, 0.5))
	waitRunning(t, e, 1)
	time.Sleep(5 * time.Millisecond)
	l := e.Load()
	if l.Queue != 3 || l.Running != 1 || l.Waiting() != 2 || e.Waiting() != 2 || l.Servers != 1 || l.Speed != 1 {
		t.Errorf("Load() = %+v, Waiting() = %d; want queue 3, running 1, 2 waiting", l, e.Waiting())
	}
	// 1.5 waiting + the running unit's rest: about 0.75 after 5 of its 20 ms.
	if l.Work < 1.5+0.3 || l.Work > 1.5+1 {
		t.Errorf("Load().Work = %g, want about 2.25", l.Work)
	}
	r.wait(t, 3)
	e.Close(context.Background())
	if got, want := e.Load(), (load.State{Servers: 1, Speed: 1}); got != want {
		t.Errorf("Load() after the run = %+v, want %+v", got, want)
	}
}

func TestTake(t *testing.T) {
	e := start(t, Config{TimeUnit: 10 * time.Millisecond})
	r := newRecorder()
	submit(t, e, r.unit(0, 2))
	waitRunning(t, e, 1)
	submit(t, e, r.unit(1, 0.1), r.unit(2, 0.1), r.unit(3, 0.1))
	for _, pos := range []int{-1, 3} {
		if u, ok := e.Take(pos); ok {
			t.Errorf("Take(%d) = unit %d, want false", pos, u.ID)
		}
	}
	u, ok := e.Take(1)
	if !ok || u.ID != 2 {
		t.Fatalf("Take(1) = %v, %v; want unit 2", u, ok)
	}
	if e.Waiting() != 2 {
		t.Errorf("Waiting() = %d after Take, want 2", e.Waiting())
	}
	var ids []int64
	for _, p := range r.wait(t, 3) {
		ids = append(ids, p.id)
	}
	if want := []int64{0, 1, 3}; !slices.Equal(ids, want) {
		t.Errorf("completed %v, want %v", ids, want)
	}
}

// TestPreempt stops a running unit at a checkpoint and resumes it: it
// keeps its progress and runs only the rest. An emulated unit's progress
// is its time in service, bounded by the instants the test read the clock
// around it, so a busy machine that runs the test late moves the bounds,
// not the verdict; it is long (5 units), so it is still running when
// preempted. A CPU unit's progress counts iterations, whose pace is the
// cores' to decide: it is only checked to be partial, and the rest to be
// run in a second service period.
func TestPreempt(t *testing.T) {
	for _, kernel := range []string{KernelSleep, KernelHash} {
		t.Run(kernel, func(t *testing.T) {
			const unit, size = 40 * time.Millisecond, 5.0
			e := start(t, Config{TimeUnit: unit, Kernel: kernel})
			r := newRecorder()
			if _, ok := e.Preempt(context.Background(), 1); ok {
				t.Error("Preempt of a unit not running: got true")
			}
			u := r.unit(1, size)
			before := time.Now()
			submit(t, e, u)
			waitRunning(t, e, 1)
			started := time.Now()
			SleepUntil(time.Now().Add(unit / 2))
			asked := time.Now()
			got, ok := e.Preempt(context.Background(), 1)
			answered := time.Now()
			if !ok || got != u {
				t.Fatalf("Preempt = %v, %v; want the unit", got, ok)
			}
			lo, hi := float64(asked.Sub(started))/float64(unit), float64(answered.Sub(before))/float64(unit)
			if kernel != KernelSleep {
				lo, hi = 0, size
			}
			if u.Progress <= 0 || u.Progress >= size || u.Progress < lo || u.Progress > hi {
				t.Errorf("Progress = %g after preemption, want its time in service, in [%g, %g] and in (0, %g)", u.Progress, lo, hi, size)
			}
			if l := e.Load(); l.Queue != 0 || l.Work != 0 {
				t.Errorf("Load() = %+v after preemption, want empty", l)
			}
			if len(r.done) != 0 {
				t.Error("Done called for a preempted unit")
			}
			p0 := u.Progress
			submit(t, e, u)
			rest := r.wait(t, 1)[0].d()
			busy := e.Stats().BusyTime
			if kernel != KernelSleep {
				if rest <= 0 || busy <= rest {
					t.Errorf("resumed unit ran %v, busy time %v: want a second period, and the first in the busy time", rest, busy)
				}
				return
			}
			// Emulated service ends at its deadline: exact to the clock.
			want := time.Duration((size - p0) * float64(unit))
			if rest < want-time.Millisecond || rest > want+time.Millisecond {
				t.Errorf("resumed unit ran %v, want the remainder %v", rest, want)
			}
			if b := time.Duration(size * float64(unit)); busy < b-time.Millisecond || busy > b+2*time.Millisecond {
				t.Errorf("BusyTime = %v over both periods, want about %v", busy, b)
			}
		})
	}
}

// TestPreemptCanceled: a Preempt withdrawn before it is made leaves the
// unit running to its end. The unit runs 200 ms, so that a busy machine
// still sees it running before it ends (at 10 ms it sometimes ended first).
// TestStopWakes: an emulated unit sleeps to its deadline in one nap, and a
// request to stop wakes it at once, however long the checkpoint: a
// Preempt, and a Close that aborts (FCFS and processor sharing). When the
// sleep looked for requests every checkpoint instead, a busy slot woke a
// thousand times a second, and these waited up to the 5 s checkpoint.
func TestStopWakes(t *testing.T) {
	cfg := Config{TimeUnit: time.Second, Checkpoint: 5 * time.Second}
	running := func(t *testing.T, e *Executor) *Unit {
		u := newRecorder().unit(1, 30)
		submit(t, e, u)
		waitRunning(t, e, 1)
		SleepUntil(time.Now().Add(50 * time.Millisecond)) // into its nap
		return u
	}
	t.Run("preempt", func(t *testing.T) {
		e := start(t, cfg)
		u := running(t, e)
		asked := time.Now()
		got, ok := e.Preempt(context.Background(), 1)
		if took := time.Since(asked); !ok || got != u || took > time.Second {
			t.Errorf("Preempt = %v, %v after %v; want the unit within a second", got, ok, took)
		}
	})
	for _, disc := range []string{DisciplineFCFS, DisciplinePS} {
		t.Run("abort/"+disc, func(t *testing.T) {
			c := cfg
			c.Discipline = disc
			e := start(t, c)
			u := running(t, e)
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			asked := time.Now()
			left := e.Close(ctx)
			if took := time.Since(asked); len(left) != 1 || left[0] != u || took > time.Second {
				t.Errorf("aborting Close handed back %d units after %v; want the running one within a second", len(left), took)
			}
		})
	}
}

func TestPreemptCanceled(t *testing.T) {
	e := start(t, Config{TimeUnit: 200 * time.Millisecond})
	r := newRecorder()
	submit(t, e, r.unit(1, 1))
	waitRunning(t, e, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok := e.Preempt(ctx, 1); ok {
		// Legitimate only if the slot reached a checkpoint first.
		t.Log("Preempt with a canceled context stopped the unit anyway")
		return
	}
	if p := r.wait(t, 1)[0]; p.d() < 200*time.Millisecond {
		t.Errorf("unit ran %v after a withdrawn Preempt, want its full 200ms", p.d())
	}
}

// TestClose: Close with a context that ends stops the running unit at its
// next checkpoint and returns it, then the waiting ones. The running unit
// is long (10 s), so that it is still running however late a busy machine
// runs the test's Close.
func TestClose(t *testing.T) {
	e := start(t, Config{TimeUnit: 20 * time.Millisecond})
	r := newRecorder()
	us := []*Unit{r.unit(1, 500), r.unit(2, 1), r.unit(3, 1)}
	submit(t, e, us...)
	waitRunning(t, e, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	left := e.Close(ctx)
	if !slices.Equal(left, us) {
		t.Fatalf("Close returned %d units, want the running one then the 2 waiting", len(left))
	}
	if p := us[0].Progress; p <= 0 || p >= us[0].Size {
		t.Errorf("stopped unit's Progress = %g, want in (0, %g)", p, us[0].Size)
	}
	if len(r.done) != 0 {
		t.Errorf("Done called %d times, want 0", len(r.done))
	}
	if err := e.Submit(r.unit(4, 1)); !errors.Is(err, ErrClosed) {
		t.Errorf("Submit after Close: %v, want ErrClosed", err)
	}
	if left := e.Close(context.Background()); left != nil {
		t.Errorf("second Close returned %d units, want none", len(left))
	}
}

func TestCloseDrains(t *testing.T) {
	e := start(t, Config{Servers: 2, TimeUnit: time.Millisecond})
	r := newRecorder()
	for i := range 6 {
		submit(t, e, r.unit(int64(i), 1))
	}
	if left := e.Close(context.Background()); len(left) != 0 {
		t.Errorf("Close returned %d units, want all run", len(left))
	}
	if n := len(r.ch); n != 6 {
		t.Errorf("%d units done, want 6", n)
	}
}

func TestSubmitInvalid(t *testing.T) {
	e := start(t, Config{})
	for _, u := range []*Unit{nil, {Size: -1}, {Size: 1, Progress: -1}} {
		if err := e.Submit(u); err == nil {
			t.Errorf("Submit(%+v): got nil error", u)
		}
	}
}

func TestCalibrate(t *testing.T) {
	for _, k := range []string{KernelHash, KernelMatmul} {
		n, err := Calibrate(k, time.Millisecond)
		if err != nil || n <= 0 {
			t.Errorf("Calibrate(%q) = %g, %v; want a positive count", k, n, err)
		}
	}
	for _, k := range []string{KernelSleep, "fft"} {
		if _, err := Calibrate(k, time.Millisecond); err == nil {
			t.Errorf("Calibrate(%q): got nil error", k)
		}
	}
}

// TestCPUKernels: units on the CPU kernels run to their end, one after
// the other, and the busy time is their service periods. How long a unit
// takes depends on the cores' pace, which other processes move (another
// on the sibling hyper-thread slows every iteration): that is measured by
// BenchmarkCPUKernels, not asserted here.
func TestCPUKernels(t *testing.T) {
	for _, k := range []string{KernelHash, KernelMatmul} {
		t.Run(k, func(t *testing.T) {
			e := start(t, Config{TimeUnit: 5 * time.Millisecond, Kernel: k})
			r := newRecorder()
			for i := range 3 {
				submit(t, e, r.unit(int64(i), 1))
			}
			var sum time.Duration
			for i, p := range r.wait(t, 3) {
				if p.id != int64(i) || p.d() <= 0 || (i > 0 && p.start.Before(r.done[i-1].end)) {
					t.Errorf("unit %d served %v to %v: want units 0, 1, 2 in turn, each for some time", p.id, p.start, p.end)
				}
				sum += p.d()
			}
			if st := e.Stats(); st.Completed != 3 || st.BusyTime != sum {
				t.Errorf("stats: %d completed, busy %v; want 3 and the units' %v", st.Completed, st.BusyTime, sum)
			}
		})
	}
}

func TestSleepUntil(t *testing.T) {
	var lates []time.Duration
	for range 9 {
		deadline := time.Now().Add(2 * time.Millisecond)
		got := SleepUntil(deadline)
		if got.Before(deadline) || time.Now().Before(deadline) {
			t.Fatalf("SleepUntil returned %v early", deadline.Sub(got))
		}
		lates = append(lates, got.Sub(deadline))
	}
	if m := median(lates); m > time.Millisecond {
		t.Errorf("SleepUntil median lateness %v, want < 1ms (all: %v)", m, lates)
	}
	if d := time.Now().Add(-time.Second); SleepUntil(d).Before(d) {
		t.Error("SleepUntil of a past deadline went back in time")
	}
}

func TestServiceStart(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	for _, tc := range []struct {
		name                 string
		queued, lastEnd, now time.Time
		want                 time.Time
	}{
		{"idle slot: starts when the unit came", ms(10), ms(2), ms(11), ms(10)},
		{"busy slot: starts when the previous unit ended", ms(3), ms(9), ms(9), ms(9)},
		{"never in the future", ms(20), ms(2), ms(15), ms(15)},
		{"no times known: now", time.Time{}, time.Time{}, ms(5), ms(5)},
	} {
		if got := serviceStart(tc.queued, tc.lastEnd, tc.now); !got.Equal(tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got.Sub(t0), tc.want.Sub(t0))
		}
	}
}

// TestIdleStartIsSubmission: a unit that finds an idle server starts at its
// submission, whatever the slot thread's wake-up latency.
func TestIdleStartIsSubmission(t *testing.T) {
	e, err := New(Config{Servers: 1, TimeUnit: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	for i := 0; i < 20; i++ {
		done := make(chan time.Time, 1)
		before := time.Now()
		if err := e.Submit(&Unit{ID: int64(i), Size: 1, Done: func(_ *Unit, start, _ time.Time) { done <- start }}); err != nil {
			t.Fatal(err)
		}
		after := time.Now()
		start := <-done
		if start.Before(before) || start.After(after) {
			t.Fatalf("unit %d started %v after Submit returned (window %v)", i, start.Sub(after), after.Sub(before))
		}
		time.Sleep(2 * time.Millisecond) // the slot goes idle again
	}
}

// TestTLP: two units side by side on two servers. The time at each level
// of parallelism is counted between the instants the units report as
// their service's start and end, as the busy time is: so the parallelism
// is exactly what their reported spans give (about 2; less by however
// late a busy machine ran the second Submit), and Σ i·(time at level i)
// is exactly the busy time.
func TestTLP(t *testing.T) {
	e, err := New(Config{Servers: 2, TimeUnit: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	type span struct{ start, end time.Time }
	spans := make(chan span, 2)
	for i := 0; i < 2; i++ {
		if err := e.Submit(&Unit{ID: int64(i), Size: 1, Done: func(_ *Unit, start, end time.Time) { spans <- span{start, end} }}); err != nil {
			t.Fatal(err)
		}
	}
	a, b := <-spans, <-spans
	first, last := a.start, a.end
	if b.start.Before(first) {
		first = b.start
	}
	if b.end.After(last) {
		last = b.end
	}
	overlap := max(0, minTime(a.end, b.end).Sub(maxTime(a.start, b.start)))
	union := last.Sub(first)
	want := float64(union+overlap) / float64(union)
	st := e.Stats()
	if tlp := st.TLP(); math.Abs(tlp-want) > 1e-9 || tlp < 1.5 {
		t.Errorf("two concurrent units: TLP %.6f, their spans give %.6f (overlap %v of %v)", tlp, want, overlap, union)
	}
	var weighted time.Duration
	for i, d := range st.Levels {
		weighted += time.Duration(i) * d
	}
	if weighted != st.BusyTime {
		t.Errorf("Σ i·(time at level i) = %v, busy time %v: want them equal", weighted, st.BusyTime)
	}
	if got := (Stats{Levels: []time.Duration{5, 1, 3}}).TLP(); got != 7.0/4 {
		t.Errorf("TLP of levels [5 1 3] = %v, want 1.75", got)
	}
	if got := (Stats{Levels: []time.Duration{5}}).TLP(); got != 0 {
		t.Errorf("never busy: TLP %v", got)
	}
}

// TestProcessorSharing: two units of size 1 that arrive together on one
// server share it and both finish after 2 units of time; a unit of size 1
// next to one of size 3 finishes at 2, the other at 4.
func TestProcessorSharing(t *testing.T) {
	const unit = 20 * time.Millisecond
	e, err := New(Config{Servers: 1, TimeUnit: unit, Discipline: DisciplinePS})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	r := newRecorder()
	submit(t, e, r.unit(0, 1), r.unit(1, 3))
	if l := e.Load(); l.Queue != 2 || l.Running != 2 {
		t.Errorf("load %+v: under PS both units are in service", l)
	}
	ps := r.wait(t, 2)
	if ps[0].id != 0 {
		ps[0], ps[1] = ps[1], ps[0]
	}
	// Unit 1 came g after unit 0 (a moment, more on a busy machine): unit
	// 0 had the server alone for g, then they shared it.
	g := ps[1].start.Sub(ps[0].start)
	want := [2]time.Time{ps[1].start.Add(2*unit - 2*g)}
	want[1] = want[0].Add(2*unit + g)
	for i, p := range ps {
		if d := p.end.Sub(want[i]); d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("unit %d finished %v after its submission, want %v", i, p.end.Sub(p.start), want[i].Sub(p.start))
		}
	}
	if tlp := e.Stats().TLP(); tlp != 1 {
		t.Errorf("one server: TLP %v", tlp)
	}
	if _, ok := e.Take(0); ok {
		t.Error("Take under PS: no unit waits")
	}
	if _, err := New(Config{Discipline: DisciplinePS, Kernel: KernelHash}); err == nil {
		t.Error("PS with a CPU kernel should be refused")
	}
	if _, err := New(Config{Discipline: "lifo"}); err == nil {
		t.Error("unknown discipline accepted")
	}
}

func TestProcessorSharingClose(t *testing.T) {
	e, err := New(Config{Servers: 1, TimeUnit: 10 * time.Millisecond, Discipline: DisciplinePS})
	if err != nil {
		t.Fatal(err)
	}
	_ = e.Submit(&Unit{ID: 1, Size: 100})
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	left := e.Close(ctx)
	if len(left) != 1 || left[0].Progress < 3 || left[0].Progress > 8 {
		t.Fatalf("aborted PS executor returned %d units (progress %v)", len(left), left)
	}
}

func TestJobs(t *testing.T) {
	const unit = 80 * time.Millisecond
	e := start(t, Config{Servers: 2, TimeUnit: unit})
	if got, l := e.Jobs(nil); len(got) != 0 || l.Queue != 0 {
		t.Errorf("idle Jobs() = %v, %+v; want none", got, l)
	}
	r := newRecorder()
	resumed := r.unit(4, 1)
	resumed.Progress = 0.25
	before := time.Now()
	submit(t, e, r.unit(1, 1), r.unit(2, 2))
	waitRunning(t, e, 2)
	started := time.Now()
	submit(t, e, r.unit(3, 0.2), resumed)
	time.Sleep(unit / 4)
	asked := time.Now()
	got, l := e.Jobs(make([]UnitInfo, 7))
	answered := time.Now()
	if len(got) != 4 || l.Queue != 4 || l.Running != 2 {
		t.Fatalf("Jobs() = %d units, load %+v; want 4 units, 2 running", len(got), l)
	}
	running := []int64{got[0].Unit.ID, got[1].Unit.ID}
	slices.Sort(running)
	if !slices.Equal(running, []int64{1, 2}) || !got[0].Running || !got[1].Running {
		t.Errorf("running first: got %v", got[:2])
	}
	if got[2].Unit.ID != 3 || got[3].Unit.ID != 4 || got[2].Running || got[3].Running {
		t.Errorf("then the waiting ones FCFS: got %v", got[2:])
	}
	// In service since between before and started, estimated between asked and answered.
	lo, hi := float64(asked.Sub(started))/float64(unit), float64(answered.Sub(before))/float64(unit)
	for _, u := range got[:2] {
		if u.Done < lo || u.Done > hi {
			t.Errorf("running unit %d: Done %g, want its time in service, in [%g, %g]", u.Unit.ID, u.Done, lo, hi)
		}
	}
	if got[2].Done != 0 || got[3].Done != 0.25 {
		t.Errorf("waiting units: Done %g and %g, want 0 and their progress 0.25", got[2].Done, got[3].Done)
	}
	for _, u := range got {
		if u.Since.Before(before) || u.Since.After(time.Now()) {
			t.Errorf("unit %d: Since %v not when it was submitted", u.Unit.ID, u.Since)
		}
	}
	if got[3].Since.Before(got[0].Since) {
		t.Errorf("Since of a later submission is earlier")
	}
	r.wait(t, 4)
}

func TestWithdraw(t *testing.T) {
	const unit = 20 * time.Millisecond
	e := start(t, Config{TimeUnit: unit})
	r := newRecorder()
	// first is long (5 units), so that it still runs however late a busy
	// machine runs the test's Withdraw.
	first, second, third := r.unit(1, 5), r.unit(2, 0.2), r.unit(3, 0.2)
	if e.Withdraw(context.Background(), first, false) || e.Withdraw(context.Background(), first, true) {
		t.Error("Withdraw of a unit never submitted: got true")
	}
	before := time.Now()
	submit(t, e, first)
	waitRunning(t, e, 1)
	started := time.Now()
	submit(t, e, second, third)
	// A unit is taken only in the state it was seen in.
	if e.Withdraw(context.Background(), third, true) || e.Withdraw(context.Background(), first, false) {
		t.Error("Withdraw of a unit in the other state: got true")
	}
	// A waiting unit leaves at once.
	if !e.Withdraw(context.Background(), third, false) {
		t.Error("Withdraw(waiting) = false, want true")
	}
	if e.Withdraw(context.Background(), third, false) {
		t.Error("second Withdraw of the same unit: got true")
	}
	// A running one stops at its next checkpoint with its progress.
	SleepUntil(time.Now().Add(unit / 2))
	asked := time.Now()
	ok := e.Withdraw(context.Background(), first, true)
	answered := time.Now()
	if !ok {
		t.Fatal("Withdraw(running) = false, want true")
	}
	if lo, hi := float64(asked.Sub(started))/float64(unit), float64(answered.Sub(before))/float64(unit); first.Progress < lo || first.Progress > hi {
		t.Errorf("Progress = %g after withdrawal, want its time in service, in [%g, %g]", first.Progress, lo, hi)
	}
	if got := r.wait(t, 1); got[0].id != 2 {
		t.Errorf("completed unit %d, want the one left (2)", got[0].id)
	}
	if len(r.done) != 1 {
		t.Errorf("Done called for withdrawn units: %v", r.done)
	}
	// Resubmitted, it runs only its remainder.
	want := time.Duration((first.Size - first.Progress) * float64(unit))
	submit(t, e, first)
	if d := r.wait(t, 1)[0].d(); d < want-time.Millisecond || d > want+time.Millisecond {
		t.Errorf("resumed unit ran %v, want its remainder %v", d, want)
	}
	// A unit that finished cannot be withdrawn.
	if e.Withdraw(context.Background(), second, true) || e.Withdraw(context.Background(), second, false) {
		t.Error("Withdraw of a finished unit: got true")
	}
}

// TestWithdrawProcessorSharing: under PS a unit withdrawn leaves with the
// work it received, half the time in service (two units shared the
// server), and the loop re-plans: the other gets the whole server and ends
// after its own remainder. The expectations follow from the instants the
// test read the clock around Submit and Withdraw, so that a busy machine
// running the test late moves them, not the verdict; the units are long
// enough (2 and 8) that the short one is still in service then.
func TestWithdrawProcessorSharing(t *testing.T) {
	const unit = 20 * time.Millisecond
	e := start(t, Config{TimeUnit: unit, Discipline: DisciplinePS})
	ends := make(chan time.Time, 2)
	done := func(_ *Unit, _, at time.Time) { ends <- at }
	short, long := &Unit{ID: 1, Size: 2, Done: done}, &Unit{ID: 2, Size: 8, Done: done}
	t0 := time.Now()
	submit(t, e, long, short)
	t1 := time.Now()
	if got, _ := e.Jobs(nil); len(got) != 2 || !got[0].Running || !got[1].Running || got[0].Unit != long {
		t.Fatalf("Jobs() under PS = %v, want both running in submission order", got)
	}
	SleepUntil(t0.Add(unit))
	if e.Withdraw(context.Background(), short, false) {
		t.Fatal("Withdraw under PS of a unit seen waiting: got true, but no unit waits")
	}
	asked := time.Now()
	if !e.Withdraw(context.Background(), short, true) {
		t.Fatal("Withdraw under PS = false, want true")
	}
	answered := time.Now()
	units := func(d time.Duration) float64 { return float64(d) / float64(unit) }
	p := short.Progress
	if lo, hi := units(asked.Sub(t1))/2, units(answered.Sub(t0))/2; p < lo || p > hi {
		t.Errorf("withdrawn unit's progress %g, want half its time in service, in [%g, %g]", p, lo, hi)
	}
	// The long one had received p, and as much more as it ran alone before
	// the short one came (at most t1 − t0); then it has the server alone.
	select {
	case at := <-ends:
		lo := asked.Add(time.Duration((long.Size - p - units(t1.Sub(t0))) * float64(unit))).Add(-2 * time.Millisecond)
		hi := answered.Add(time.Duration((long.Size - p) * float64(unit))).Add(2 * time.Millisecond)
		if at.Before(lo) || at.After(hi) {
			t.Errorf("the unit left alone finished at %v, want in [%v, %v]: the loop did not re-plan", at.Sub(t0), lo.Sub(t0), hi.Sub(t0))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the remaining unit never finished")
	}
	if e.Withdraw(context.Background(), long, true) {
		t.Error("Withdraw of a finished unit under PS: got true")
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
