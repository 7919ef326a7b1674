package stats

import (
	"math"
	"testing"

	"github.com/loadlab/loadlab/results"
)

// TestDispatchDelayMetric checks the registry's dispatch_delay: the mean
// over the replications run on agents (the simulator's records have none)
// with its t interval, lower better.
func TestDispatchDelayMetric(t *testing.T) {
	m, ok := MetricByName("dispatch_delay")
	if !ok || !m.Lower || m.Unit != ServiceUnit {
		t.Fatalf("dispatch_delay: %+v, %v", m, ok)
	}
	recs := replications(func(r *results.Result, v float64) { r.DispatchDelay = v }, 0.02, 0.04, 0)
	mean, half := Summarize(recs)[0].Estimate(m)
	wantHalf := 12.706 * math.Sqrt(0.0002) / math.Sqrt(2) // t(0.975, 1)·s/√2
	if math.Abs(mean-0.03) > 1e-12 || math.Abs(half-wantHalf) > 1e-3 {
		t.Errorf("estimate %g ± %g, want 0.03 ± %.4f from the two agent runs", mean, half, wantHalf)
	}
}
