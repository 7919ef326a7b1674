package sim

import "testing"

// TestLinksOccupy checks the shared links' reservations: a transfer
// starts when every link it needs is free of those reserved before it,
// in order of reservation (no overtaking), and holds them all for its
// time on the wire.
func TestLinksOccupy(t *testing.T) {
	out0, in1, in2, out3 := linkID{linkOut, 0}, linkID{linkIn, 1}, linkID{linkIn, 2}, linkID{linkOut, 3}
	l := &links{free: map[linkID]float64{}}
	for _, tc := range []struct {
		name        string
		ready, busy float64
		ids         []linkID
		start       float64
	}{
		{"0→1 on free links", 0, 2, []linkID{out0, in1}, 0},
		{"0→2 waits for 0's outgoing side", 1, 3, []linkID{out0, in2}, 2},
		{"3→1 waits for 1's incoming side only", 0, 1, []linkID{out3, in1}, 2},
		{"3→2 waits for both", 0, 1, []linkID{out3, in2}, 5},
		{"0→1 ready later than both are free", 9, 1, []linkID{out0, in1}, 9},
	} {
		if got := l.occupy(tc.ready, tc.busy, tc.ids...); got != tc.start {
			t.Errorf("%s: start %g, want %g", tc.name, got, tc.start)
		}
	}
	if l.free[out0] != 10 || l.free[in2] != 6 || len(l.free) != 4 {
		t.Errorf("free times %v: want out0 at 10, in2 at 6, four links", l.free)
	}
}
