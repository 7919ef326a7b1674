package node

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/loadlab/loadlab/latency"
	"github.com/loadlab/loadlab/node/wire"

	"github.com/loadlab/loadlab/policy"
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
		r, err := RunLocal(context.Background(), PointConfig{Nodes: 1, Load: 0.1, Jobs: 5000, Warmup: 500, Seed: uint64(i + 1),
			TimeUnit: unit, Workload: w, Dispatch: d, Migrate: m})
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
func BenchmarkMigrate1MiB(b *testing.B) {
	ctx := context.Background()
	agents := startAgents(ctx, b, 2, "m-", "bench-"+runLabel())
	defer closeAgents(agents)
	// A sink for the completions of the migrated jobs.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	sinkCtx, stop := context.WithCancel(ctx)
	defer stop()
	go wire.Serve(sinkCtx, ln, wire.DefaultMaxFrame, func(context.Context, *wire.Msg) (*wire.Msg, error) { return nil, nil })

	pool := wire.NewPool(wire.DefaultMaxFrame)
	defer pool.Close()
	roster := []string{"m-0", "m-1"}
	for i, a := range agents {
		s := &Setup{ID: int32(i), Roster: roster, Migrate: "none", Servers: 1, Speed: 1, TimeUnit: time.Millisecond,
			Kernel: "sleep", EpochNano: time.Now().UnixNano(), Publish: PublishInterval(2)}
		if _, err := call(ctx, pool, a.RPC(), control{Op: opConfigure, Setup: s}); err != nil {
			b.Fatal(err)
		}
	}
	src := agents[0].current()
	for { // wait until m-1 is known to m-0 through serf
		if _, ok := src.view.peers.get(1); ok {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	state := make([]byte, 1<<20)
	h := latency.New()
	b.SetBytes(int64(len(state)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := &wire.Job{ID: int64(i), Size: 0, ReplyTo: ln.Addr().String(), State: state}
		start := time.Now()
		if !src.transfer(1, j, false) {
			b.Fatal("transfer failed")
		}
		h.Record(float64(time.Since(start)) / float64(time.Millisecond))
	}
	b.StopTimer()
	b.ReportMetric(h.Quantile(0.5), "p50-ms")
	b.ReportMetric(h.Quantile(0.99), "p99-ms")
}
