package executor

import (
	"slices"
	"testing"
	"time"
)

// TestLevelLog: changes reported out of order are counted at their own
// instants; one older than the horizon counts from the oldest open instant.
func TestLevelLog(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	type change struct{ at, delta, now int }
	for _, tc := range []struct {
		name    string
		changes []change
		until   int
		want    []time.Duration
	}{
		{"in order", []change{{0, 1, 0}, {10, 1, 10}, {30, -1, 30}, {40, -1, 40}}, 50,
			[]time.Duration{ms(10), ms(20), ms(20)}},
		// A starts at 0 and ends at 20, B starts at 10 and ends at 30, and
		// B's end is reported before A's: still 10 ms at 1, 10 at 2, 10 at 1.
		{"an end reported late", []change{{0, 1, 0}, {10, 1, 10}, {30, -1, 31}, {20, -1, 32}}, 40,
			[]time.Duration{ms(10), ms(20), ms(10)}},
		{"a start reported late", []change{{10, 1, 10}, {0, 1, 12}, {20, -1, 20}, {20, -1, 20}}, 30,
			[]time.Duration{ms(10), ms(10), ms(10)}},
		// A change reported more than the horizon late counts from the
		// oldest open instant: A's end at 500, reported at 3200 when the
		// log is settled up to B's start at 2000, counts at 2000.
		{"older than the horizon", []change{{0, 1, 0}, {2000, 1, 2000}, {3000, -1, 3100}, {500, -1, 3200}}, 4000,
			[]time.Duration{ms(1000), ms(3000), 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLevelLog(2, t0)
			for _, c := range tc.changes {
				l.change(at(c.at), c.delta, at(c.now))
			}
			if got := l.totals(at(tc.until)); !slices.Equal(got, tc.want) {
				t.Errorf("levels %v, want %v", got, tc.want)
			}
		})
	}
}
