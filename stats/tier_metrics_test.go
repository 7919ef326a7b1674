package stats

import (
	"math"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/results"
)

// TestTierMetrics checks the per-tier metrics: tier_utilization.db reads
// tier db's utilisation from each replication that has the tier, and a
// name without a tier, or of no family, is no metric.
func TestTierMetrics(t *testing.T) {
	m, ok := MetricByName("tier_utilization.db")
	if !ok || m.Name != "tier_utilization.db" || m.Label != "utilisation of tier db" || !m.Lower {
		t.Fatalf("tier_utilization.db: %+v, %v", m, ok)
	}
	recs := replications(func(r *results.Result, v float64) {
		r.TierStats = []results.TierStat{{Name: "cache", Utilization: 0.9}, {Name: "db", Utilization: v, Time: 2 * v}}
	}, 0.5, 0.7)
	if mean, _ := Summarize(recs)[0].Estimate(m); math.Abs(mean-0.6) > 1e-12 {
		t.Errorf("tier_utilization.db: mean %v, want 0.6", mean)
	}
	tm, _ := MetricByName("tier_time.db")
	if mean, _ := Summarize(recs)[0].Estimate(tm); math.Abs(mean-1.2) > 1e-12 || tm.Unit != ServiceUnit {
		t.Errorf("tier_time.db: mean %v (%s), want 1.2", mean, tm.Unit)
	}
	if v, ok := tm.Value(results.Result{}); ok {
		t.Errorf("tier_time.db of a result without tiers: %v, want none", v)
	}
	for _, name := range []string{"tier_time", "tier_time.", "tier_speed.db"} {
		if _, ok := MetricByName(name); ok {
			t.Errorf("%q is a metric, want none", name)
		}
	}
	if err := CheckMetrics([]string{"tier_load.db"}); err == nil || !strings.Contains(err.Error(), "tier_utilization.TIER, tier_time.TIER") {
		t.Errorf("CheckMetrics: %v, want the tier families listed", err)
	}
}
