package sim

import (
	"testing"

	"github.com/loadlab/loadlab/scenario"
)

// TestSteadyFrom: a small cluster at moderate load settles within its
// warm-up; a large one started empty and run for a few jobs a node does
// not, and the record says so (results.Result.SteadyFrom, by MSER).
func TestSteadyFrom(t *testing.T) {
	small := mustRun(t, Config{Model: scenario.Model{Nodes: 16, Load: 0.5, Jobs: 100_000, Warmup: 10_000, Seed: 1}}, "random", "none", "exp(mean=1)")
	if !small.SteadyFound || small.SteadyFrom > 10_000 {
		t.Errorf("16 nodes at ρ = 0.5: steady from job %d (found %v), want within the warm-up of 10000", small.SteadyFrom, small.SteadyFound)
	}
	large := mustRun(t, Config{Model: scenario.Model{Nodes: 50_000, Load: 0.9, Jobs: 500_000, Warmup: 50_000, Seed: 1}}, "pod(d=2)", "none", "exp(mean=1)")
	if large.SteadyFound && large.SteadyFrom < 100_000 {
		t.Errorf("50,000 nodes started empty, 10 jobs a node: steady from job %d (found %v), want far beyond the warm-up of 50000", large.SteadyFrom, large.SteadyFound)
	}
	t.Logf("small: %d %v; large: %d %v", small.SteadyFrom, small.SteadyFound, large.SteadyFrom, large.SteadyFound)
}
