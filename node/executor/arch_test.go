package executor

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"
)

// phased is a unit of the recorder with phases.
func (r *recorder) phased(id int64, phases ...float64) *Unit {
	u := r.unit(id, 0)
	for i := 0; i < len(phases); i += 2 {
		u.Size += phases[i]
	}
	u.Phases = phases
	return u
}

// TestArchitectures submits requests together and checks when each ends,
// in time units from the submission, against the architecture's model
// worked out by hand (package server): who holds a thread, who waits for
// one, and how runnable threads share the cores. The unit is long beside
// what the threads really pay (wake-ups of some tens to hundreds of µs on
// a busy machine, a few per request) so that their sum stays within the
// tolerance of 0.1 unit.
func TestArchitectures(t *testing.T) {
	const unit = raceScale * 50 * time.Millisecond
	for _, tc := range []struct {
		name    string
		arch    Arch
		cores   int
		phases  [][]float64
		ends    []float64 // by request id
		threads int       // most threads held at once
		tlp     float64
	}{
		// One thread: each request blocks it through its wait.
		{"iterative", Arch{Threads: 1, Blocking: true}, 2, [][]float64{{1, 1, 1}, {1, 1, 1}}, []float64{3, 6}, 1, 1},
		// Two workers on one core: the first bursts share the core (both
		// end at 2), the waits overlap (to 4), the last bursts share it
		// again (6); the third request waits for a worker until 6.
		{"pool", Arch{Threads: 2, Blocking: true}, 1, [][]float64{{1, 2, 1}, {1, 2, 1}, {1}}, []float64{6, 6, 7}, 2, 1},
		// A thread each: three CPU-only requests share one core (3); on
		// two cores with a limit of two, the third waits for a thread.
		{"thread-per-request", Arch{Spawn: true, Blocking: true}, 1, [][]float64{{1}, {1}, {1}}, []float64{3, 3, 3}, 3, 1},
		{"thread-per-request limit", Arch{Threads: 2, Spawn: true, Blocking: true}, 2, [][]float64{{1}, {1}, {1}}, []float64{1, 1, 2}, 2, 1.5},
		// An emulated creation is CPU before the first burst.
		{"process-per-request", Arch{Spawn: true, Blocking: true, Create: 0.5}, 2, [][]float64{{1, 1, 0.5}}, []float64{3}, 1, 1},
		// One loop: request 0's burst (0–1), request 1's (1–2); their
		// waits end at 3 and 4, and each second burst runs as an event.
		{"event-loop", Arch{Threads: 1}, 1, [][]float64{{1, 2, 1}, {1, 2, 1}}, []float64{4, 5}, 1, 1},
		// Two loops on two cores run both at once.
		{"event-loop two", Arch{Threads: 2}, 2, [][]float64{{1, 2, 1}, {1, 2, 1}}, []float64{4, 4}, 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			arch := tc.arch
			e := start(t, Config{Servers: tc.cores, TimeUnit: unit, Arch: &arch})
			r := newRecorder()
			t0 := time.Now()
			for i, ph := range tc.phases {
				submit(t, e, r.phased(int64(i), ph...))
			}
			// The model times count from the submissions: a test goroutine
			// descheduled while it submits moves every end by as much.
			submitting := float64(time.Since(t0)) / float64(unit)
			for _, p := range r.wait(t, len(tc.phases)) {
				got := float64(p.end.Sub(t0)) / float64(unit)
				if want := tc.ends[p.id]; got < want-0.1 || got > want+0.1+submitting {
					t.Errorf("request %d ended at %.3f units, want %v", p.id, got, want)
				}
			}
			levels, ok := e.Occupancy()
			if !ok {
				t.Fatal("occupancy log lost")
			}
			most := 0
			for _, l := range levels {
				most = max(most, l.Threads)
				if l.Serving > tc.cores {
					t.Errorf("%d threads executing on %d cores", l.Serving, tc.cores)
				}
			}
			if last := levels[len(levels)-1]; last.Held != 0 || last.Threads != 0 || last.Serving != 0 {
				t.Errorf("occupancy at the end %+v, want all 0", last)
			}
			if most != tc.threads {
				t.Errorf("at most %d threads held, want %d", most, tc.threads)
			}
			st := e.Stats()
			// A start 0.1 unit off (the tolerance of the ends above: what
			// the goroutines really pay, on a busy machine) moves the TLP
			// of these one-unit bursts by up to 0.1.
			if tlp := st.TLP(); math.Abs(tlp-tc.tlp) > 0.1 {
				t.Errorf("TLP %.3f, want %.3f", tlp, tc.tlp)
			}
			if st.Completed != int64(len(tc.phases)) || st.Server == nil {
				t.Errorf("stats %+v", st)
			}
			if arch.Spawn && st.Server.Create.N != int64(len(tc.phases)) {
				t.Errorf("%d creations measured, want %d", st.Server.Create.N, len(tc.phases))
			}
			t.Logf("lateness p99 %v; create %v, hand-off %v, event %v, resume %v", st.Lateness.P99,
				st.Server.Create.Mean(), st.Server.Handoff.Mean(), st.Server.Event.Mean(), st.Server.Resume.Mean())
		})
	}
}

// TestArchLoadAndJobs: a pool of one on one core with two requests: one
// holds the worker, one waits for it.
func TestArchLoadAndJobs(t *testing.T) {
	e := start(t, Config{Servers: 1, TimeUnit: 10 * time.Millisecond, Arch: &Arch{Threads: 1, Blocking: true}})
	r := newRecorder()
	submit(t, e, r.phased(0, 1, 5, 1), r.phased(1, 2))
	time.Sleep(5 * time.Millisecond)
	l := e.Load()
	if l.Queue != 2 || l.Running != 1 || math.Abs(l.Work-4) > 1e-9 {
		t.Errorf("load %+v: want 2 requests, 1 holding the thread, 4 units of CPU", l)
	}
	jobs, _ := e.Jobs(nil)
	if len(jobs) != 2 || !jobs[0].Running || jobs[0].Unit.ID != 0 || jobs[1].Running {
		t.Errorf("jobs %+v: want request 0 holding the thread, then request 1", jobs)
	}
	if e.Waiting() != 1 {
		t.Errorf("%d waiting, want 1", e.Waiting())
	}
	if _, ok := e.Take(0); ok {
		t.Error("Take on an architecture")
	}
	if e.Withdraw(context.Background(), jobs[1].Unit, false) {
		t.Error("Withdraw on an architecture")
	}
	if err := e.SetSpeed(2); err == nil {
		t.Error("SetSpeed on an architecture")
	}
	r.wait(t, 2)
}

// TestArchClose: Close drains, and when its context ends it hands back
// every request, wherever it is: waiting for a thread, in a burst, in a
// blocking wait or in an event loop's wait.
func TestArchClose(t *testing.T) {
	for _, arch := range []Arch{{Threads: 1, Blocking: true}, {Threads: 1}, {Spawn: true, Blocking: true, Threads: 2}} {
		e, err := New(Config{Servers: 1, TimeUnit: 10 * time.Millisecond, Arch: &arch})
		if err != nil {
			t.Fatal(err)
		}
		r := newRecorder()
		submit(t, e, r.phased(0, 0.5, 100, 1), r.phased(1, 100), r.phased(2, 1, 1, 1))
		time.Sleep(20 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		left := e.Close(ctx)
		cancel()
		if len(left) != 3 {
			t.Errorf("%+v: Close handed back %d requests, want 3", arch, len(left))
		}
		for _, u := range left {
			if u.ID == 0 && u.Progress != 0.5 {
				t.Errorf("%+v: request 0 handed back with progress %v, want its first burst 0.5", arch, u.Progress)
			}
		}
		if err := e.Submit(r.phased(3, 1)); err != ErrClosed {
			t.Errorf("Submit after Close: %v", err)
		}
	}
	e, err := New(Config{Servers: 2, TimeUnit: 10 * time.Millisecond, Arch: &Arch{Threads: 2}})
	if err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	submit(t, e, r.phased(0, 1, 1, 1), r.phased(1, 1))
	if left := e.Close(context.Background()); len(left) != 0 {
		t.Errorf("a drained close handed back %d", len(left))
	}
	r.wait(t, 2)
}

func TestArchInvalid(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Arch: &Arch{Threads: 0, Blocking: true}}, "needs at least 1 thread"},
		{Config{Arch: &Arch{Threads: -1, Spawn: true, Blocking: true}}, "at least 0"},
		{Config{Arch: &Arch{Spawn: true}}, "does not spawn"},
		{Config{Arch: &Arch{Threads: 1, Create: math.NaN()}}, "create must be finite"},
		{Config{Arch: &Arch{Threads: 1}, Discipline: DisciplinePS}, "leave the discipline at fcfs"},
		{Config{Arch: &Arch{Threads: 1}, Kernel: KernelHash}, "sleep kernel only"},
	} {
		if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want an error containing %q", tc.cfg.Arch, err, tc.want)
		}
	}
	e := start(t, Config{Arch: &Arch{Threads: 1}})
	for _, tc := range []struct {
		u    *Unit
		want string
	}{
		{&Unit{ID: 1, Size: 1, Phases: []float64{1, 1}}, "2 phases"},
		{&Unit{ID: 1, Size: 1, Phases: []float64{1, -1, 0}}, "phase 1 is -1"},
		{&Unit{ID: 1, Size: 2, Phases: []float64{1, 1, 0}}, "add up to 1, its size is 2"},
	} {
		if err := e.Submit(tc.u); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Submit(%v) = %v, want an error containing %q", tc.u.Phases, err, tc.want)
		}
	}
	if l := e.Load(); l.Queue != 0 {
		t.Errorf("refused requests are held: %+v", l)
	}
}

func TestProcessCost(t *testing.T) {
	d, err := ProcessCost()
	if err != nil {
		t.Skip(err) // no true(1) here
	}
	t.Logf("creating, running and reaping a process: %v of CPU", d)
	if d <= 0 || d > time.Second {
		t.Errorf("process cost %v", d)
	}
}
