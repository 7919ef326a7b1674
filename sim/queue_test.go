package sim

import (
	"math"
	"testing"

	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/scenario"
)

// TestFiniteQueue holds a node with room for K jobs to M/M/1/K: a job
// finds it full with probability P_K = (1 − ρ)ρ^K / (1 − ρ^(K+1)), and an
// admitted job's mean response is L / (λ(1 − P_K)), L the mean number
// held. Ten replications of 100,000 jobs on one node; the drop rate and
// the response within three half-widths of their 95% intervals. With
// two nodes and random dispatch each is its own M/M/1/K.
func TestFiniteQueue(t *testing.T) {
	for _, c := range []struct {
		nodes, k int
		load     float64
	}{{1, 3, 0.8}, {1, 5, 0.9}, {2, 4, 0.95}} {
		rho := c.load
		pk := (1 - rho) * math.Pow(rho, float64(c.k)) / (1 - math.Pow(rho, float64(c.k+1)))
		l := rho/(1-rho) - float64(c.k+1)*math.Pow(rho, float64(c.k+1))/(1-math.Pow(rho, float64(c.k+1)))
		resp := l / (rho * (1 - pk))
		rs := replicate(t, 10, 7, config(t, Config{Model: scenario.Model{Nodes: c.nodes, Queue: c.k, Load: rho, Jobs: 100_000, Warmup: 10_000}}, "random", "none", "exp(mean=1)"))
		for _, r := range rs {
			if r.JobsCompleted+r.JobsFailed != r.JobsIssued || r.Failures[scenario.ShedReason] != r.JobsFailed {
				t.Fatalf("K=%d: %d issued, %d completed, %d failed (%v)", c.k, r.JobsIssued, r.JobsCompleted, r.JobsFailed, r.Failures)
			}
		}
		drop, dropHalf := meanCI(rs, func(r results.Result) float64 { return float64(r.JobsFailed) / float64(r.JobsIssued) })
		mean, meanHalf := meanCI(rs, func(r results.Result) float64 { return r.MeanResponse })
		t.Logf("N=%d K=%d ρ=%v: dropped %.5f ± %.5f (M/M/1/K %.5f), response %.4f ± %.4f (%.4f)", c.nodes, c.k, rho, drop, dropHalf, pk, mean, meanHalf, resp)
		if math.Abs(drop-pk) > 3*dropHalf || math.Abs(mean-resp) > 3*meanHalf || meanHalf > 0.02*resp {
			t.Errorf("N=%d K=%d ρ=%v: dropped %.5f ± %.5f, want %.5f; response %.4f ± %.4f, want %.4f", c.nodes, c.k, rho, drop, dropHalf, pk, mean, meanHalf, resp)
		}
	}
}
