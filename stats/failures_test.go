package stats

import (
	"testing"

	"github.com/loadlab/loadlab/results"
)

// TestFailureMetrics reads drop_rate and deadline_misses from the reasons
// the ledger counts: every "shed: …" reason is a drop, "timeout" a
// missed deadline, and the rest neither.
func TestFailureMetrics(t *testing.T) {
	r := results.Result{JobsIssued: 1000, JobsFailed: 60, Failures: map[string]int64{
		"shed: queue full": 10, "shed: admission codel(target=0.5, interval=5)": 20, "timeout": 25, "agent gone: a1": 5}}
	for _, c := range []struct {
		name string
		want float64
	}{{"drop_rate", 0.03}, {"deadline_misses", 0.025}, {"failed_fraction", 0.06}} {
		m, ok := MetricByName(c.name)
		if !ok {
			t.Fatalf("no metric %s", c.name)
		}
		if got, ok := m.Value(r); !ok || got != c.want {
			t.Errorf("%s = %v (%v), want %v", c.name, got, ok, c.want)
		}
	}
}
