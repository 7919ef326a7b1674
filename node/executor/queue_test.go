package executor

import (
	"errors"
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
