package ledger

import (
	"testing"

	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/tier"
)

// TestTiers checks a tier's measurements over a hand-built window: its
// utilisation is its busy servers' time average over the window, ÷ its
// servers, and its time the mean over the calls of measured jobs only.
func TestTiers(t *testing.T) {
	l := New(Config{Servers: []int{1}, Jobs: 3, Warmup: 1, Tiers: []tier.Tier{{Name: "db", Servers: 2}, {Name: "idle", Servers: 1}}})
	l.Arrive(0, 0)
	l.Tier(1, 0, 1) // one db server busy over [1, 4), before the window too
	l.Arrive(2, 1)  // the window opens
	l.TierTime(0, 0, 9)
	l.Tier(3, 0, 1) // both over [3, 4)
	l.Tier(4, 0, -2)
	l.TierTime(1, 0, 0.5)
	l.Tier(5, 0, 1) // one over [5, 10), past the window's end
	l.TierTime(2, 0, 1.5)
	l.Arrive(6, 2) // the window closes
	for id := range int64(3) {
		l.Complete(7, id, 0, 0, 0, 1)
	}
	var r results.Result
	if err := l.Fill(&r, 10); err != nil {
		t.Fatal(err)
	}
	// Over [2, 6): 1 busy over [2, 3), 2 over [3, 4), 0 over [4, 5), 1 over [5, 6): 4 server-units of 8.
	want := []results.TierStat{{Name: "db", Utilization: 0.5, Time: 1}, {Name: "idle"}}
	if len(r.TierStats) != 2 || r.TierStats[0] != want[0] || r.TierStats[1] != want[1] {
		t.Errorf("tiers %+v, want %+v", r.TierStats, want)
	}
}
