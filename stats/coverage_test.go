package stats_test

import (
	"context"
	"math"
	"testing"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/sim"
	"github.com/loadlab/loadlab/stats"
	"github.com/loadlab/loadlab/workload"
)

// TestBatchMeansCoverage runs 200 independent replications of one M/M/1
// point (ρ = 0.5, 20,000 jobs of which the first 2,000 are warm-up, 30
// batches of 600) and counts how often each run's 95% batch-means interval
// covers the true mean response time 1/(1−ρ) = 2. It must lie in 92–98%
// (issue 6). Seeds are fixed, so the count is the same on every machine.
func TestBatchMeansCoverage(t *testing.T) {
	const reps, rho = 200, 0.5
	reg := policy.Builtin()
	d, err := reg.Dispatch("random")
	if err != nil {
		t.Fatal(err)
	}
	m, err := reg.Migrate("none")
	if err != nil {
		t.Fatal(err)
	}
	w, err := workload.New(workload.Config{Arrival: "poisson", Size: "exp(mean=1)"})
	if err != nil {
		t.Fatal(err)
	}
	truth := stats.MM1(rho)
	covered := 0
	var halves float64
	for seed := uint64(1); seed <= reps; seed++ {
		r, err := sim.Run(context.Background(), sim.Config{Model: scenario.Model{Nodes: 1, Load: rho, Jobs: 20000, Warmup: 2000, Batches: 30, Seed: seed, Workload: w, Dispatch: d, Migrate: m}})
		if err != nil {
			t.Fatal(err)
		}
		if r.Batches != 30 {
			t.Fatalf("seed %d: %d batches, want 30", seed, r.Batches)
		}
		if math.Abs(r.MeanResponse-truth) <= r.CI95HalfWidth {
			covered++
		}
		halves += r.CI95HalfWidth / reps
	}
	f := float64(covered) / reps
	t.Logf("M/M/1 ρ=%g: %d of %d intervals cover %g (%.1f%%), mean half-width %.4f", rho, covered, reps, truth, 100*f, halves)
	if f < 0.92 || f > 0.98 {
		t.Errorf("coverage %.3f (%d of %d), want 0.92–0.98", f, covered, reps)
	}
}
