package executor

import (
	"context"
	"testing"
	"time"
)

// TestOccupancy: one server, two units of one model unit submitted
// together and a third taken off the queue. The log has each change at
// the instant it happened: the first unit's submission and start, the
// others' submissions, the take, the first end and the second start at
// one instant (service starts when the previous one ends), the last end.
func TestOccupancy(t *testing.T) {
	for _, d := range []string{DisciplineFCFS, DisciplinePS} {
		t.Run(d, func(t *testing.T) {
			e := start(t, Config{TimeUnit: 10 * time.Millisecond, Discipline: d})
			r := newRecorder()
			submit(t, e, r.unit(0, 1), r.unit(1, 1))
			periods := r.wait(t, 2)
			levels, ok := e.Occupancy()
			if !ok {
				t.Fatal("occupancy log lost")
			}
			type state struct{ held, serving int }
			var got []state
			for _, l := range levels {
				got = append(got, state{l.Held, l.Serving})
			}
			// FCFS: (1,1) at the first submission, (2,1) at the second,
			// (1,1) at the first end, (0,0) at the second. PS: the same,
			// unless both units end together (the second submission came
			// within the rounding of the first's work).
			want := []state{{1, 1}, {2, 1}, {1, 1}, {0, 0}}
			if d == DisciplinePS && len(got) == 3 {
				want = []state{{1, 1}, {2, 1}, {0, 0}}
			}
			if len(got) != len(want) {
				t.Fatalf("levels %v, want %v", got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("levels %v, want %v", got, want)
				}
			}
			last := levels[len(levels)-1].At
			if !last.Equal(periods[1].end) {
				t.Errorf("last change at %v, want the last end %v", last, periods[1].end)
			}
			if d == DisciplineFCFS && !levels[2].At.Equal(periods[0].end) {
				t.Errorf("second change at %v, want the first end %v", levels[2].At, periods[0].end)
			}
		})
	}
}

// TestOccupancyTake: units taken off the queue or preempted leave the log.
func TestOccupancyTake(t *testing.T) {
	e := start(t, Config{TimeUnit: 10 * time.Millisecond})
	r := newRecorder()
	submit(t, e, r.unit(0, 100)) // long enough to be running still when preempted, however late
	waitRunning(t, e, 1)
	submit(t, e, r.unit(1, 1))
	if _, ok := e.Take(0); !ok {
		t.Fatal("Take(0) failed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, ok := e.Preempt(ctx, 0); !ok {
		t.Fatal("Preempt failed")
	}
	levels, _ := e.Occupancy()
	if len(levels) == 0 {
		t.Fatal("no levels")
	}
	if l := levels[len(levels)-1]; l.Held != 0 || l.Serving != 0 {
		t.Errorf("after take and preempt: %d held, %d serving, want none", l.Held, l.Serving)
	}
	for _, l := range levels {
		if l.Held > 2 || l.Serving > 1 || l.Held < l.Serving {
			t.Errorf("impossible level %+v", l)
		}
	}
}
