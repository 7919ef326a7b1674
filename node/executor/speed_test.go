package executor

import (
	"testing"
	"time"
)

// TestSetSpeed changes the speed of a running unit: a unit of size 10 (at
// 2 ms a unit) runs about 4 units at speed 1, is paused for about 5 units,
// then runs the rest at speed 2; Done reports its whole service period.
// The expected end follows from when the test really changed the speed
// (its sleeps may overrun on a busy machine): the work done at speed 1,
// the pause, then the rest at twice the speed.
func TestSetSpeed(t *testing.T) {
	unit := 2 * time.Millisecond
	e := start(t, Config{TimeUnit: unit, Checkpoint: 100 * time.Microsecond})
	r := newRecorder()
	if err := e.Submit(r.unit(1, 10)); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	time.Sleep(4 * unit)
	paused := time.Now()
	if err := e.SetSpeed(0); err != nil {
		t.Fatal(err)
	}
	if l := e.Load(); l.Speed != 1 {
		t.Errorf("paused executor reports speed %g, want the configured 1", l.Speed)
	}
	time.Sleep(5 * unit)
	resumed := time.Now()
	if err := e.SetSpeed(2); err != nil {
		t.Fatal(err)
	}
	p := r.wait(t, 1)[0]
	took := p.end.Sub(begin)
	done := float64(paused.Sub(begin)) / float64(unit) // units of work at speed 1
	if done >= 10 {
		t.Skipf("the test slept %v instead of %v: the unit had finished before the pause", paused.Sub(begin), 4*unit)
	}
	want := resumed.Sub(begin) + time.Duration((10-done)/2*float64(unit))
	if took < want-unit/2 || took > want+unit {
		t.Errorf("unit took %v, want about %v (paused after %v, resumed after %v)", took, want, paused.Sub(begin), resumed.Sub(begin))
	}
	if d := p.d(); d < want-unit {
		t.Errorf("Done reported a service period of %v, want the whole period (about %v)", d, want)
	}
}

// TestSetSpeedRefused: CPU kernels and processor sharing keep their speed.
func TestSetSpeedRefused(t *testing.T) {
	for _, cfg := range []Config{{Discipline: DisciplinePS}, {Kernel: KernelHash, TimeUnit: time.Millisecond}} {
		e := start(t, cfg)
		if err := e.SetSpeed(0.5); err == nil {
			t.Errorf("%+v: SetSpeed accepted", cfg)
		}
	}
	e := start(t, Config{})
	if err := e.SetSpeed(-1); err == nil {
		t.Errorf("SetSpeed(-1) accepted")
	}
}
