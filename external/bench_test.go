package external_test

import (
	"context"
	"testing"

	"github.com/loadlab/loadlab/sim"
)

// BenchmarkExternalDispatch is the decision cost of a Python policy on the
// simulator: one op is one job, so one pick call (pod: two messages, the
// probe and the answer). The process's start-up is part of the run;
// run with -benchtime of several thousand jobs (e.g. -benchtime=20000x).
func BenchmarkExternalDispatch(b *testing.B) {
	for _, c := range []struct {
		name, script, args string
		nodes              int
	}{
		{"random/view=1/nodes=4", "random_policy.py", "", 4},
		{"random/view=1/nodes=100", "random_policy.py", "", 100},
		{"random/view=0/nodes=100", "random_policy.py", ", view=0", 100},
		{"pod(d=2)/view=0/nodes=100", "pod_policy.py", ", view=0", 100},
		{"builtin-pod(d=2)/nodes=100", "", "", 100},
	} {
		b.Run(c.name, func(b *testing.B) {
			spec := "pod(d=2)"
			if c.script != "" {
				spec = `external(cmd="` + example(b, c.script) + `"` + c.args + `)`
			}
			cfg := point(b, spec, c.nodes, max(b.N, 10), 0.5, 1)
			cfg.Warmup = 0
			b.ResetTimer()
			if _, err := sim.Run(context.Background(), cfg); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
		})
	}
}

// BenchmarkExternalMigrate is the decision cost of a Python migration
// policy on the simulator (random dispatch, ρ = 0.8): one op is one job.
// Each arrival is one arrived call to its node's process (a transferred
// job's arrival at its destination too); a node at or over the threshold
// probes one node per round trip. calls/s counts the arrived calls,
// round-trips/s those and the probes. The processes' start-up is part of
// the run; run with -benchtime of several thousand jobs (e.g.
// -benchtime=20000x).
func BenchmarkExternalMigrate(b *testing.B) {
	for _, c := range []struct {
		name, spec string
		nodes      int
	}{
		{"sender.threshold(T=2,probes=2)/view=0/nodes=10", "view=0, probes=2", 10},
		{"sender.threshold(T=2,probes=2)/view=1/nodes=10", "probes=2", 10},
		{"sender.threshold(T=2,probes=2)/view=0/nodes=100", "view=0, probes=2", 100},
		{"builtin-sender.threshold(T=2,probes=2)/nodes=10", "", 10},
	} {
		b.Run(c.name, func(b *testing.B) {
			spec := "sender.threshold(T=2, probes=2)"
			if c.spec != "" {
				spec = `external(cmd="` + example(b, "sender_threshold.py", "2", "2") + `", ` + c.spec + `)`
			}
			cfg := pointMigrate(b, "random", spec, c.nodes, max(b.N, 10), 0.8, 1)
			cfg.Warmup = 0
			b.ResetTimer()
			r, err := sim.Run(context.Background(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			calls := float64(r.JobsIssued + r.Migrations)
			b.ReportMetric(calls/b.Elapsed().Seconds(), "calls/s")
			b.ReportMetric((calls+r.ProbesPerJob*float64(r.JobsIssued))/b.Elapsed().Seconds(), "round-trips/s")
		})
	}
}
