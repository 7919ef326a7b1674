package stats

import (
	"math"
	"testing"

	"github.com/loadlab/loadlab/results"
)

// TestWaitWhileIdleMetric checks the registry's wait_while_idle: the mean
// over the replications that know it (-1: an agent sent no log) with its
// t interval, lower better.
func TestWaitWhileIdleMetric(t *testing.T) {
	m, ok := MetricByName("wait_while_idle")
	if !ok || !m.Lower {
		t.Fatalf("wait_while_idle: %+v, %v", m, ok)
	}
	recs := replications(func(r *results.Result, v float64) { r.WaitWhileIdle = v }, 0.6, 0.5, -1)
	mean, half := Summarize(recs)[0].Estimate(m)
	wantHalf := 12.706 * math.Sqrt(0.005) / math.Sqrt(2) // t(0.975, 1)·s/√2
	if math.Abs(mean-0.55) > 1e-12 || math.Abs(half-wantHalf) > 1e-3 {
		t.Errorf("estimate %g ± %g, want 0.55 ± %.4f from the two known", mean, half, wantHalf)
	}
}

// replications is one cell's records, one a value, each result set by set.
func replications(set func(r *results.Result, v float64), vs ...float64) []results.Record {
	var recs []results.Record
	for i, v := range vs {
		r := results.Record{Point: results.Point{Policy: "p", Workload: "exp", Load: 0.8, Replication: i}}
		set(&r.Result, v)
		recs = append(recs, r)
	}
	return recs
}
