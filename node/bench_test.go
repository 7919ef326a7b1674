package node

import (
	"context"
	"testing"
	"time"

	"github.com/loadlab/loadlab/latency"
	"github.com/loadlab/loadlab/node/wire"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/sim"
	"github.com/loadlab/loadlab/workload"
)

// BenchmarkPathOverhead measures what the real path adds to a job's
// service time: generator → dispatcher → agent (TCP) → executor →
// completion (TCP) → coordinator. One agent, deterministic jobs of 100 µs
// (size 0.1 with a 1 ms time unit) at 1,000 jobs/s (ρ = 0.1).
//
//	go test ./node -run '^$' -bench PathOverhead -benchtime 1x
//
// overhead-p50-µs and overhead-p99-µs are the response's quantiles less
// the service time. At ρ = 0.1 one job in ten finds the server busy, so
// the model itself puts up to a service time of queueing into the p99
// (M/D/1: p99 0.1955 units, 95.5 µs over the service time). added-p50-µs
// and added-p99-µs subtract the simulator's quantiles of the same point
// (same seed, same arrivals and sizes) instead: what the path adds to the
// model's response.
func BenchmarkPathOverhead(b *testing.B) {
	reg := policy.Builtin()
	d, _ := reg.Dispatch("random")
	m, _ := reg.Migrate("none")
	w, err := workload.New(workload.Config{Arrival: "poisson", Size: "det(value=0.1)"})
	if err != nil {
		b.Fatal(err)
	}
	const unit = time.Millisecond
	us := func(model float64) float64 { return model * float64(unit) / float64(time.Microsecond) }
	for i := 0; i < b.N; i++ {
		model := scenario.Model{Nodes: 1, Load: 0.1, Jobs: 5000, Warmup: 500, Seed: uint64(i + 1), Workload: w, Dispatch: d, Migrate: m}
		r, err := RunLocal(context.Background(), PointConfig{Model: model, TimeUnit: unit})
		if err != nil {
			b.Fatal(err)
		}
		if r.JobsFailed > 0 {
			b.Fatalf("%d jobs failed: %v", r.JobsFailed, r.Failures)
		}
		s, err := sim.Run(context.Background(), sim.Config{Model: model})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(us(r.P50Response-0.1), "overhead-p50-µs")
		b.ReportMetric(us(r.P99Response-0.1), "overhead-p99-µs")
		b.ReportMetric(us(r.P50Response-s.P50Response), "added-p50-µs")
		b.ReportMetric(us(r.P99Response-s.P99Response), "added-p99-µs")
		b.ReportMetric(us(r.ScheduleLagP99), "lag-p99-µs")
	}
}

// BenchmarkMigrate1MiB pushes a job carrying 1 MiB of execution state from
// one agent to another through the agent's own transfer path (policy-free:
// the transfer a sender-initiated policy asks for), acknowledged, on
// loopback. Reports the p50 and p99 of a transfer.
//
//	go test ./node -run '^$' -bench Migrate1MiB -benchtime 200x
//
// benchStateBytes is the state BenchmarkMigrate1MiB moves; a test may change it.
var benchStateBytes = 1 << 20

func BenchmarkMigrate1MiB(b *testing.B) {
	pr, err := startPair(context.Background(), time.Millisecond, nil, nil, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer pr.close()
	state := make([]byte, benchStateBytes)
	h := latency.New()
	b.SetBytes(int64(len(state)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := &wire.Job{ID: int64(i), Size: 0, ReplyTo: pr.sink, State: state}
		start := time.Now()
		if !pr.src.transfer(1, j, false, nil, time.Time{}) {
			b.Fatal("transfer failed")
		}
		h.Record(float64(time.Since(start)) / float64(time.Millisecond))
	}
	b.StopTimer()
	b.ReportMetric(h.Quantile(0.5), "p50-ms")
	b.ReportMetric(h.Quantile(0.99), "p99-ms")
}
