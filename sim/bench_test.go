package sim

import (
	"context"
	"testing"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/workload"
)

// benchRun simulates b.N jobs in one run, so ns/op is the cost of one job
// (its arrival, dispatch, migration decision and completion) and allocs/op
// shows that nothing is allocated per event. Run with a large fixed count:
//
//	go test ./sim -run '^$' -bench . -benchtime 5000000x
func benchRun(b *testing.B, nodes int, dispatch, migrate string, costs Costs) {
	reg := policy.Builtin()
	d, err := reg.Dispatch(dispatch)
	if err != nil {
		b.Fatal(err)
	}
	m, err := reg.Migrate(migrate)
	if err != nil {
		b.Fatal(err)
	}
	w, _ := workload.New(workload.DefaultConfig())
	cfg := Config{Model: scenario.Model{Nodes: nodes, Load: 0.9, Jobs: max(b.N, 1000), Warmup: max(b.N, 1000) / 10, Seed: 1, Workload: w, Dispatch: d, Migrate: m}, Costs: costs}
	b.ReportAllocs()
	b.ResetTimer()
	r, err := Run(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(cfg.Jobs)/b.Elapsed().Seconds(), "jobs/s")
	b.ReportMetric(float64(r.Events)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkRandom100(b *testing.B) { benchRun(b, 100, "random", "none", Costs{}) }
func BenchmarkPod2x100(b *testing.B)  { benchRun(b, 100, "pod(d=2)", "none", Costs{}) }
func BenchmarkJIQ100(b *testing.B)    { benchRun(b, 100, "jiq", "none", Costs{}) }
func BenchmarkJSQ100(b *testing.B)    { benchRun(b, 100, "jsq", "none", Costs{}) }
func BenchmarkSenderThreshold100(b *testing.B) {
	benchRun(b, 100, "random", "sender.threshold(T=1, probes=3)", Costs{TransferCPU: 0.1, ProbeCPU: 0.002})
}
func BenchmarkReceiver100(b *testing.B) {
	benchRun(b, 100, "random", "receiver.threshold(T=1, probes=3)", Costs{TransferCPU: 0.1, ProbeCPU: 0.002})
}

// The ELZ policies with free probes and transfers (no overhead jobs): the
// decisions' own cost.
func BenchmarkSenderThreshold100Free(b *testing.B) {
	benchRun(b, 100, "random", "sender.threshold(T=1, probes=3)", Costs{})
}
func BenchmarkReceiver100Free(b *testing.B) {
	benchRun(b, 100, "random", "receiver.threshold(T=1, probes=3)", Costs{})
}
func BenchmarkPod2x1000Latency(b *testing.B) {
	benchRun(b, 1000, "pod(d=2)", "none", Costs{Latency: 0.01})
}

// A million nodes: start-up is part of the run, so measure with a large
// count (-benchtime 5000000x) and memory with /usr/bin/time -v.
func BenchmarkPod2xMillion(b *testing.B) { benchRun(b, 1_000_000, "pod(d=2)", "none", Costs{}) }
func BenchmarkJSQMillion(b *testing.B)   { benchRun(b, 1_000_000, "jsq", "none", Costs{}) }
func BenchmarkJIQMillion(b *testing.B)   { benchRun(b, 1_000_000, "jiq", "none", Costs{}) }
