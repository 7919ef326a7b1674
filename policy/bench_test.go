package policy_test

import (
	"math/rand/v2"
	"testing"

	"github.com/loadlab/loadlab/policy"
)

// benchView is the cheapest possible View: a table of loads, so the
// benchmarks measure the policy's own decision cost.
type benchView struct {
	loads []policy.Load
	rng   *rand.Rand
}

func (v *benchView) Now() float64                                  { return 0 }
func (v *benchView) Self() policy.NodeID                           { return 0 }
func (v *benchView) Nodes() int                                    { return len(v.loads) }
func (v *benchView) Local() policy.Load                            { return v.loads[0] }
func (v *benchView) Rand() *rand.Rand                              { return v.rng }
func (v *benchView) Send(policy.NodeID, policy.Message)            {}
func (v *benchView) ProbeLater([]policy.NodeID)                    {}
func (v *benchView) Jobs(out []policy.JobInfo) []policy.JobInfo    { return out[:0] }
func (v *benchView) Gossip(n policy.NodeID) (policy.Load, float64) { return v.loads[n], 0 }
func (v *benchView) Probe(ids []policy.NodeID, out []policy.Load) {
	for i, n := range ids {
		out[i] = v.loads[n]
	}
}

func newBenchView(n int) *benchView {
	v := &benchView{loads: make([]policy.Load, n), rng: rand.New(rand.NewPCG(1, 2))}
	for i := range v.loads {
		q := v.rng.IntN(5)
		v.loads[i] = policy.Load{Queue: q, Running: min(q, 1), Work: float64(q), Servers: 1, Speed: 1}
	}
	return v
}

// BenchmarkDispatch measures the decision cost of each dispatch strategy
// per job on 100 nodes (go test ./policy -run '^$' -bench Dispatch).
func BenchmarkDispatch(b *testing.B) {
	for _, spec := range []string{"random", "rr", "pod(d=2)", "pod(d=3)", "jsq", "lwl", "jiq", "class"} {
		b.Run(spec, func(b *testing.B) {
			v := newBenchView(100)
			d := mustDispatch(b, spec, policy.Env{Nodes: 100, Servers: 1})
			job := &policy.Job{}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				_ = d.Pick(v, job)
			}
		})
	}
}

// BenchmarkMigrateArrival measures a sender-initiated decision at a loaded
// node (the case that probes).
func BenchmarkMigrateArrival(b *testing.B) {
	for _, spec := range []string{"none", "sender.random(T=1)", "sender.threshold(T=1, probes=3)", "sender.shortest(T=1, probes=3)"} {
		b.Run(spec, func(b *testing.B) {
			v := newBenchView(100)
			v.loads[0].Queue = 3
			m := mustMigrate(b, spec, policy.Env{Nodes: 100, Servers: 1})
			job := &policy.Job{}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				_ = m.Arrived(v, job)
			}
		})
	}
}
