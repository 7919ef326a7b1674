package executor

import (
	"testing"
	"time"
)

// TestSetSpeed changes the speed of a running unit: a unit of size 10 (at
// 2 ms a unit) that runs 4 units at speed 1, is paused for 10 ms, then runs
// the rest at speed 2 takes 4 + 5 + 3 = 12 units of wall time; Done reports
// its whole service period.
func TestSetSpeed(t *testing.T) {
	unit := 2 * time.Millisecond
	e := start(t, Config{TimeUnit: unit, Checkpoint: 100 * time.Microsecond})
	r := newRecorder()
	if err := e.Submit(r.unit(1, 10)); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	time.Sleep(4 * unit)
	if err := e.SetSpeed(0); err != nil {
		t.Fatal(err)
	}
	if l := e.Load(); l.Speed != 1 {
		t.Errorf("paused executor reports speed %g, want the configured 1", l.Speed)
	}
	time.Sleep(5 * unit)
	if err := e.SetSpeed(2); err != nil {
		t.Fatal(err)
	}
	p := r.wait(t, 1)[0]
	took := p.end.Sub(begin)
	if want := 12 * unit; took < want-unit/2 || took > want+unit {
		t.Errorf("unit took %v, want about %v", took, want)
	}
	if d := p.d(); d < 11*unit {
		t.Errorf("Done reported a service period of %v, want the whole period (about %v)", d, 12*unit)
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
