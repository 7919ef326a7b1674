package policy

import (
	"strings"
	"testing"
)

// TestCodelSchedule drives codel(target=1, interval=10) through a
// standing queue: it drops only once the sojourn has stayed above target
// for an interval, then the k-th drop interval/√k after the one before,
// and stops at the first job that waited less than target; a new
// dropping state soon after resumes from the drops of the last.
func TestCodelSchedule(t *testing.T) {
	a, err := Builtin().Admit("codel(target=1, interval=10)")
	if err != nil {
		t.Fatal(err)
	}
	c := a.New()
	for i, s := range []struct {
		now, sojourn float64
		behind       int
		want         bool
	}{
		{0, 2, 3, true},         // above target: the interval starts
		{9.9, 2, 3, true},       // not an interval yet
		{10, 2, 3, false},       // a whole interval above: drop, count 1, next at 20
		{10, 2, 3, true},        // the next leaves
		{19.9, 2, 3, true},      //
		{20, 2, 3, false},       // count 2, next at 20 + 10/√2 = 27.07
		{27, 2, 3, true},        //
		{27.1, 2, 3, false},     // count 3, next at 27.07 + 10/√3 = 32.85
		{30, 0.5, 3, true},      // below target: dropping ends
		{31, 2, 0, true},        // the line is empty behind it: never dropped
		{32, 2, 3, true},        // above again: a new interval starts
		{42, 2, 3, false},       // drop: count resumes at 3 − 1 = 2 (hysteresis), next at 42 + 10/√2
		{49, 2, 3, true},        //
		{49.1, 2, 3, false},     //
		{60, 0.5, 3, true},      //
		{1000, 0.5, 3, true},    // below target
		{1001, 2, 3, true},      //
		{1011, 2, 3, false},     // long after: count starts again at 1, next at 1021
		{1020.9, 2, 3, true},    //
		{1021, 2, 3, false},     //
		{1021, 0.5, 3, true},    // below target: dropping ends
		{1021.4, 1e9, 1, true},  // the interval starts again
		{1031.4, 1e9, 1, false}, // an interval later: drop
	} {
		if got := c.Start(s.now, s.sojourn, s.behind); got != s.want {
			t.Fatalf("step %d: Start(%v, %v, %d) = %v, want %v", i, s.now, s.sojourn, s.behind, got, s.want)
		}
	}
	if !c.Arrive(0, 1000) {
		t.Error("codel refused an arrival: it drops only at a start")
	}
}

func TestAdmitQueueAndErrors(t *testing.T) {
	a, err := Builtin().Admit("queue(k=2)")
	if err != nil {
		t.Fatal(err)
	}
	q := a.New()
	for waiting, want := range []bool{true, true, false, false} {
		if got := q.Arrive(0, waiting); got != want {
			t.Errorf("queue(k=2).Arrive with %d waiting = %v, want %v", waiting, got, want)
		}
	}
	if a.Reason() != "shed: admission queue(k=2)" || !q.Start(0, 1e9, 100) {
		t.Errorf("queue(k=2): reason %q, want shed: admission queue(k=2); it must not drop at a start", a.Reason())
	}
	none, err := Builtin().Admit("none")
	if err != nil || !none.Admits() || !(*AdmitSpec)(nil).Admits() || a.Admits() {
		t.Errorf("Admits: none %v (%v), nil, queue %v: want true, true, false", none.Admits(), err, a.Admits())
	}
	for _, c := range []struct{ spec, want string }{
		{"red(p=1)", `unknown admission policy "red": known are codel, none, queue, timeout`},
		{"timeout(wait=0)", "wait: must be a finite number > 0, got 0"},
		{"queue(k=-1)", "k: must be at least 0, got -1"},
		{"codel(target=2, interval=1)", "interval: must be a finite number > target (2), got 1"},
		{"codel(target=0)", "target: must be a finite number > 0, got 0"},
	} {
		if _, err := Builtin().Admit(c.spec); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Admit(%q): got %v, want an error containing %q", c.spec, err, c.want)
		}
	}
}

func TestAdmitTimeout(t *testing.T) {
	a, err := Builtin().Admit("timeout(wait=3)")
	if err != nil {
		t.Fatal(err)
	}
	c := a.New()
	for _, s := range []struct {
		sojourn float64
		want    bool
	}{{0, true}, {3, true}, {3.0001, false}, {100, false}} {
		if got := c.Start(10, s.sojourn, 1); got != s.want {
			t.Errorf("timeout(wait=3).Start after waiting %v = %v, want %v", s.sojourn, got, s.want)
		}
	}
	if !c.Arrive(0, 1e6) {
		t.Error("timeout refused an arrival: it drops only at a start")
	}
}
