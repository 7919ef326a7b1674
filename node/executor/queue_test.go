package executor

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// TestMaxQueue: an executor holding MaxQueue units, waiting or in service,
// refuses another with ErrQueueFull and counts it; once one has left, it
// accepts again.
func TestMaxQueue(t *testing.T) {
	for _, disc := range []string{DisciplineFCFS, DisciplinePS} {
		t.Run(disc, func(t *testing.T) {
			e := start(t, Config{TimeUnit: 10 * time.Millisecond, Discipline: disc, MaxQueue: 3})
			r := newRecorder()
			for i, size := range []float64{1, 100, 100} {
				if err := e.Submit(r.unit(int64(i), size)); err != nil {
					t.Fatalf("unit %d: %v", i, err)
				}
			}
			if err := e.Submit(r.unit(3, 1)); !errors.Is(err, ErrQueueFull) {
				t.Fatalf("fourth unit: got %v, want ErrQueueFull", err)
			}
			if !e.Full() {
				t.Error("Full() = false with 3 units held")
			}
			if l := e.Load(); l.Queue != 3 {
				t.Errorf("load queue %d, want 3", l.Queue)
			}
			if got := e.Stats().Refused; got != 1 {
				t.Errorf("Stats().Refused = %d, want 1", got)
			}
			r.wait(t, 1) // unit 0 leaves
			if err := e.Submit(r.unit(4, 1)); err != nil {
				t.Fatalf("after a departure: %v", err)
			}
		})
	}
}

func TestMaxQueueDefault(t *testing.T) {
	if got := (Config{}).withDefaults().MaxQueue; got != DefaultMaxQueue {
		t.Errorf("default MaxQueue %d, want %d", got, DefaultMaxQueue)
	}
	if err := (Config{MaxQueue: -1}).Validate(); err == nil {
		t.Error("MaxQueue -1: no error")
	}
}

// TestGate: a gate that refuses units as they are about to start sends
// those to Dropped, not to Done, and the slot goes on serving the rest,
// also after refusing the only unit waiting while it was idle (it then
// waits for more instead of ending). Each unit ends once.
func TestGate(t *testing.T) {
	dropped := make(chan int64, 100)
	calls := 0
	refuse := map[int]bool{2: true, 4: true, 6: true, 7: true} // the gate's calls, in FCFS order: units 1, 3, 5 and 6
	e := start(t, Config{TimeUnit: time.Millisecond, MaxQueue: 100,
		Gate: func(start, queued time.Time, behind int) bool {
			if start.Before(queued) || behind < 0 {
				t.Errorf("gate: start %v before queued %v, or %d behind", start, queued, behind)
			}
			calls++
			return !refuse[calls]
		},
		Dropped: func(u *Unit) { dropped <- u.ID }})
	r := newRecorder()
	for i := range 6 {
		if err := e.Submit(r.unit(int64(i), 1)); err != nil {
			t.Fatal(err)
		}
	}
	done := r.wait(t, 3)
	for _, id := range []int64{6, 7} { // 6 is refused by a slot waiting for work; 7 must still run
		if err := e.Submit(r.unit(id, 1)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond) // 6 reaches the idle slot alone
	}
	done = append(done, r.wait(t, 1)...)
	var ids []int64
	for _, p := range done {
		ids = append(ids, p.id)
	}
	close(dropped)
	var drops []int64
	for id := range dropped {
		drops = append(drops, id)
	}
	if !slices.Equal(ids, []int64{0, 2, 4, 7}) || !slices.Equal(drops, []int64{1, 3, 5, 6}) {
		t.Errorf("done %v, dropped %v: want 0 2 4 7 done, 1 3 5 6 dropped", ids, drops)
	}
	if (Config{Gate: func(time.Time, time.Time, int) bool { return true }}).Validate() == nil {
		t.Error("a gate without Dropped validated")
	}
}
