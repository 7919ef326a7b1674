package node

import (
	"context"
	"testing"
	"time"

	"github.com/loadlab/loadlab/latency"
	"github.com/loadlab/loadlab/node/wire"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/workload"
)

// BenchmarkPathOverhead measures what the real path adds to a job's
// service time: generator → dispatcher → agent (TCP) → executor →
// completion (TCP) → coordinator. One agent, deterministic jobs of 100 µs
// (size 0.1 with a 1 ms time unit) at 1,000 jobs/s (ρ = 0.1, so queueing
// is rare): response − service is the overhead.
//
//	go test ./node -run '^$' -bench PathOverhead -benchtime 1x
func BenchmarkPathOverhead(b *testing.B) {
	reg := policy.Builtin()
	d, _ := reg.Dispatch("random")
	m, _ := reg.Migrate("none")
	w, err := workload.New(workload.Config{Arrival: "poisson", Size: "det(value=0.1)"})
	if err != nil {
		b.Fatal(err)
	}
	const unit = time.Millisecond
	for i := 0; i < b.N; i++ {
		r, err := RunLocal(context.Background(), PointConfig{Model: scenario.Model{Nodes: 1, Load: 0.1, Jobs: 5000, Warmup: 500, Seed: uint64(i + 1), Workload: w, Dispatch: d, Migrate: m}, TimeUnit: unit})
		if err != nil {
			b.Fatal(err)
		}
		if r.JobsFailed > 0 {
			b.Fatalf("%d jobs failed: %v", r.JobsFailed, r.Failures)
		}
		us := func(model float64) float64 { return (model - 0.1) * float64(unit) / float64(time.Microsecond) }
		b.ReportMetric(us(r.P50Response), "overhead-p50-µs")
		b.ReportMetric(us(r.P99Response), "overhead-p99-µs")
		b.ReportMetric(r.ScheduleLagP99*float64(unit)/float64(time.Microsecond), "lag-p99-µs")
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
