package sim

import (
	"context"
	"testing"

	"github.com/loadlab/loadlab/client"
	"github.com/loadlab/loadlab/scenario"
)

// TestDeadline: with deadline(after=d) no request completes later than d
// after its arrival (plus the cancellation's latency: none here), every
// other fails as "timeout", each once, and the work of the abandoned
// ones is counted wasted. At ρ = 0.95 on M/M/1 a response exceeds 5 with
// probability e^(−0.05·5) ≈ 0.78 without abandonment; abandoning
// shortens the queue, so fewer miss, but many still do.
func TestDeadline(t *testing.T) {
	p, err := client.Parse("deadline(after=5)")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config(t, Config{Model: scenario.Model{Nodes: 1, Load: 0.95, Jobs: 50_000, Warmup: 5_000, Seed: 5, Client: p}}, "random", "none", "exp(mean=1)")
	r, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	missed := float64(r.Failures["timeout"]) / float64(r.JobsIssued)
	t.Logf("deadline 5 at ρ 0.95: %d completed (p999 %.3f), %d missed (%.3f), wasted work %.0f, goodput %.3f", r.JobsCompleted, r.P999Response, r.JobsFailed, missed, r.WastedWork, r.Goodput)
	if r.JobsCompleted+r.JobsFailed != r.JobsIssued || r.Failures["timeout"] != r.JobsFailed {
		t.Fatalf("issued %d, completed %d, failed %d (%v)", r.JobsIssued, r.JobsCompleted, r.JobsFailed, r.Failures)
	}
	if r.P999Response > 5 || missed < 0.05 || missed > 0.78 || r.WastedWork <= 0 {
		t.Errorf("p999 response %.3f (want ≤ 5), missed %.3f, wasted %.0f", r.P999Response, missed, r.WastedWork)
	}
}
