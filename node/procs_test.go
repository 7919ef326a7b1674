package node

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadlab/loadlab/workload"
)

func TestSpareProc(t *testing.T) {
	base := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(base) })
	check := func(step string, want int) {
		t.Helper()
		if got := runtime.GOMAXPROCS(0); got != want {
			t.Fatalf("%s: GOMAXPROCS %d, want %d", step, got, want)
		}
	}
	var s spareProc
	r1 := s.hold()
	check("one point", base+1)
	r2 := s.hold()
	check("two points", base+1)
	r1()
	r1() // a second call of a release changes nothing
	check("one of two released twice", base+1)
	r2()
	check("both released", base)

	r3 := s.hold()
	runtime.GOMAXPROCS(base + 5) // the user's own setting, made during a point
	r3()
	check("set by someone else meanwhile", base+5)
}

// TestPointHoldsSpareProc checks that a point runs with one P more than
// before it and gives it back.
func TestPointHoldsSpareProc(t *testing.T) {
	base := runtime.GOMAXPROCS(0)
	c := localPoint(t, 1, "random", "none", 0.5, 50, 2*time.Millisecond)
	var during atomic.Int64
	c.OnIssue = func(workload.Job) { during.Store(int64(runtime.GOMAXPROCS(0))) }
	if _, err := RunLocal(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if got := during.Load(); got != int64(base+1) {
		t.Errorf("GOMAXPROCS during the point %d, want %d", got, base+1)
	}
	if got := runtime.GOMAXPROCS(0); got != base {
		t.Errorf("GOMAXPROCS after the point %d, want %d", got, base)
	}
}
