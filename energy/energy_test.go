package energy

import (
	"math"
	"strings"
	"testing"
)

// TestPower: the defaults, the canonical form with and without sleep
// states, what a unit of work costs, a node's joules over a span it
// spent busy, asleep and waking, and each field out of range named.
func TestPower(t *testing.T) {
	sleep, hot := 5.0, 70.0
	p := Power{Idle: 60, Busy: 180, Speed: 0.5, Sleep: &sleep, Wake: 2}
	if got, want := p.String(), "idle=60, busy=180, alpha=3, speed=0.5, byte=0, message=0, sleep=5, wake=2, after=0"; got != want {
		t.Errorf("String %q, want %q", got, want)
	}
	if got := (&Power{Idle: 1, Busy: 2}).String(); strings.Contains(got, "sleep") {
		t.Errorf("String %q names sleep states it has not", got)
	}
	// Busy at speed 0.5: 60 + 120/8 = 75 W; a unit of work takes 2 units at 15 W above idle.
	if got := p.Work(); math.Abs(got-30) > 1e-12 {
		t.Errorf("Work %v J, want 30", got)
	}
	// Over 10 units: busy 0.2, asleep 0.5, waking 0.1 (idle the rest, 0.2).
	want := 75*(0.2+0.1)*10 + 5*0.5*10 + 60*0.2*10
	if got := p.Node(Usage{Util: 0.2, Asleep: 0.5, Waking: 0.1}, 10); math.Abs(got-want) > 1e-9 {
		t.Errorf("Node %v J, want %v", got, want)
	}
	for _, c := range []struct {
		p    Power
		want string
	}{
		{Power{Idle: 60, Busy: 180, Sleep: &hot}, "sleep: want finite watts ≥ 0 and ≤ idle (60), got 70"},
		{Power{Idle: 60, Busy: 180, Sleep: &sleep, Wake: -1}, "wake: want a finite delay"},
		{Power{Idle: 60, Busy: 180, Sleep: &sleep, After: math.Inf(1)}, "after: want a finite idle time"},
		{Power{Idle: 60, Busy: 180, After: 3}, "wake, after: set sleep"},
		{Power{Idle: 60, Busy: 50}, "busy: want finite watts > 0 and ≥ idle (60), got 50"},
	} {
		if err := c.p.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.p.String(), err, c.want)
		}
	}
	if err := p.Validate(); err != nil {
		t.Errorf("%s: %v", p.String(), err)
	}
}
