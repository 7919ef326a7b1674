package executor

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// reference runs a computation from start to end without a stop.
func reference(t *testing.T, kernel string, seed, iters int64) []byte {
	t.Helper()
	c, err := NewComputation(kernel, seed, iters)
	if err != nil {
		t.Fatal(err)
	}
	for !c.Finished() {
		c.Run(1000)
	}
	return c.Result()
}

// TestComputationMigrates moves a running unit's real computation between
// executors five times, through its checkpoint bytes, as an agent does,
// then lets it finish: the final result equals an uninterrupted run's bit
// for bit. The unit is long (200 ms of one core), so that it is still
// running at each move however the cores' pace and the test's sleeps
// vary on a busy machine.
func TestComputationMigrates(t *testing.T) {
	for _, kernel := range []string{KernelHash, KernelMatmul} {
		t.Run(kernel, func(t *testing.T) {
			cfg := Config{Kernel: kernel, TimeUnit: time.Millisecond, Checkpoint: 100 * time.Microsecond}
			exs := []*Executor{start(t, cfg), start(t, cfg), start(t, cfg)}
			const size, wantMoves = 200.0 * raceScale, 5 // model units: 200 ms of one core (1 s under -race)
			iters := int64(size * exs[0].ItersPerUnit())
			seed := int64(0x5eed)
			want := reference(t, kernel, seed, iters)

			comp, err := NewComputation(kernel, seed, iters)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan *Unit, 1)
			u := &Unit{ID: 1, Size: size, Comp: comp, Done: func(u *Unit, _, _ time.Time) { done <- u }}
			moves, lastDone := 0, int64(0)
			for i := 0; ; i = (i + 1) % len(exs) {
				if err := exs[i].Submit(u); err != nil {
					t.Fatal(err)
				}
				if moves == wantMoves {
					break // and let it finish
				}
				time.Sleep(3 * time.Millisecond)
				stopped, ok := exs[i].Preempt(context.Background(), u.ID)
				// Not running yet (a busy machine's slot may take longer
				// than the sleep to pick it up): try again.
				for deadline := time.Now().Add(10 * time.Second); !ok && len(done) == 0 && time.Now().Before(deadline); {
					time.Sleep(time.Millisecond)
					stopped, ok = exs[i].Preempt(context.Background(), u.ID)
				}
				if !ok {
					break // it finished first
				}
				c := stopped.Comp
				if c.Done <= lastDone || c.Done >= c.Iters {
					t.Fatalf("move %d: %d of %d iterations done, after %d before", moves, c.Done, c.Iters, lastDone)
				}
				if p := stopped.Progress; p != size*float64(c.Done)/float64(c.Iters) {
					t.Fatalf("move %d: progress %v does not follow the iterations (%d of %d)", moves, p, c.Done, c.Iters)
				}
				lastDone = c.Done
				// Only the checkpoint's bytes go on: a new unit, as at the destination.
				resumed, err := ResumeComputation(c.Checkpoint())
				if err != nil {
					t.Fatal(err)
				}
				u = &Unit{ID: 1, Size: size, Progress: stopped.Progress, Comp: resumed, Done: u.Done}
				moves++
			}
			select {
			case fin := <-done:
				if !fin.Comp.Finished() || fin.Progress != size {
					t.Fatalf("finished unit: %d of %d iterations, progress %v", fin.Comp.Done, fin.Comp.Iters, fin.Progress)
				}
				if got := fin.Comp.Result(); !bytes.Equal(got, want) {
					t.Fatalf("after %d moves the result is %x, an uninterrupted run's is %x", moves, got, want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("unit did not finish")
			}
			if moves < wantMoves {
				t.Fatalf("only %d moves: the unit finished first, too soon to mean anything", moves)
			}
			t.Logf("%s: %d iterations, %d moves, result %x", kernel, iters, moves, want[:8])
		})
	}
}

func TestComputationResults(t *testing.T) {
	// Different seeds and lengths give different results; the same give
	// the same, whatever the chunking.
	a := reference(t, KernelHash, 1, 1000)
	if b := reference(t, KernelHash, 2, 1000); bytes.Equal(a, b) {
		t.Error("seeds 1 and 2 give the same hash result")
	}
	if b := reference(t, KernelHash, 1, 1001); bytes.Equal(a, b) {
		t.Error("1000 and 1001 iterations give the same hash result")
	}
	c, _ := NewComputation(KernelHash, 1, 1000)
	for !c.Finished() {
		c.Run(7)
	}
	if !bytes.Equal(c.Result(), a) {
		t.Error("chunks of 7 iterations change the result")
	}
	if n := c.Run(5); n != 0 {
		t.Errorf("a finished computation ran %d more iterations", n)
	}
}

func TestResumeComputationErrors(t *testing.T) {
	c, _ := NewComputation(KernelHash, 3, 10)
	c.Run(4)
	good := c.Checkpoint()
	r, err := ResumeComputation(good)
	if err != nil || r.Done != 4 || r.Iters != 10 || r.Seed != 3 || !bytes.Equal(r.Result(), c.Result()) {
		t.Fatalf("resume of a good checkpoint: %+v, %v", r, err)
	}
	patch := func(off int, b ...byte) []byte {
		p := bytes.Clone(good)
		copy(p[off:], b)
		return p
	}
	kernelAt := len(checkpointMagic) + 1
	doneAt := kernelAt + len(KernelHash) + 16
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "no checkpoint header"},
		{"other bytes", []byte("hello world, not a checkpoint"), "no checkpoint header"},
		{"truncated", good[:len(good)-1], "announced"},
		{"cut in the header", good[:kernelAt+4], "truncated"},
		{"trailing byte", append(bytes.Clone(good), 0), "announced"},
		{"unknown kernel", patch(kernelAt, 'x'), "cannot carry"},
		{"done beyond iterations", patch(doneAt, 11), "11 of 10 iterations"},
		{"negative done", patch(doneAt+7, 0x80), "iterations done"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ResumeComputation(tc.b)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ResumeComputation = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := NewComputation(KernelSleep, 1, 1); err == nil {
		t.Error("a sleep computation was accepted")
	}
}

// TestRemoteUses checks that a unit calls Access at its progress points
// k/Uses and holds its server meanwhile, on the sleep and CPU kernels: its
// service lasts its work plus every wait, as measured inside Access (a
// CPU unit's work lasts what the cores' pace makes it). (The
// time between two uses can be shorter than the work between them: a slot
// woken late by a busy machine counts the lateness as work done, so that
// lateness never adds up; the whole service still cannot be shorter.)
func TestRemoteUses(t *testing.T) {
	for _, kernel := range []string{KernelSleep, KernelHash} {
		t.Run(kernel, func(t *testing.T) {
			e := start(t, Config{Kernel: kernel, TimeUnit: time.Millisecond})
			const pause = 4 * time.Millisecond
			var calls []time.Time
			var waited time.Duration
			done := make(chan period, 1)
			u := &Unit{ID: 1, Size: 10, Progress: 1, Uses: 0.5,
				Access: func() {
					t0 := time.Now()
					calls = append(calls, t0)
					time.Sleep(pause)
					waited += time.Since(t0)
				},
				Done: func(u *Unit, s, e time.Time) { done <- period{u.ID, s, e} }}
			if err := e.Submit(u); err != nil {
				t.Fatal(err)
			}
			p := <-done
			// From progress 1 to 10 the uses fall at 2, 4, 6 and 8.
			if len(calls) != 4 {
				t.Fatalf("%d remote uses, want 4 (at progress 2, 4, 6, 8)", len(calls))
			}
			// Emulated work takes its 9 ms exactly; CPU work takes what the
			// cores give it, but some time.
			work := 9 * time.Millisecond
			if kernel != KernelSleep {
				work = time.Nanosecond
			}
			if p.d() < work+waited {
				t.Errorf("service took %v: less than the work (%v) plus the 4 uses' %v: the unit progressed while it waited", p.d(), work, waited)
			}
		})
	}
}
