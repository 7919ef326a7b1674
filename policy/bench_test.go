package policy_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/workload"
)

// benchView is the cheapest possible View: a table of loads, so the
// benchmarks measure the policy's own decision cost.
type benchView struct {
	loads []policy.Load
	rng   *rand.Rand
	later []policy.NodeID // ProbeLater's nodes, answered by the benchmark
}

func (v *benchView) Now() float64                                  { return 0 }
func (v *benchView) Self() policy.NodeID                           { return 0 }
func (v *benchView) Nodes() int                                    { return len(v.loads) }
func (v *benchView) Local() policy.Load                            { return v.loads[0] }
func (v *benchView) Rand() *rand.Rand                              { return v.rng }
func (v *benchView) Send(policy.NodeID, policy.Message)            {}
func (v *benchView) ProbeLater(n []policy.NodeID)                  { v.later = append(v.later, n...) }
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
// per job on 100 nodes (go test ./policy -run '^$' -bench Dispatch): every
// registered one with its defaults, and pod(d=3). A strategy that counts
// jobs in flight is told each job is done right away, one that probes
// asynchronously gets every answer at once, and one that indexes the board
// (BoardWatcher) is posted it once, as the simulator does; "jsq, scan" is
// jsq never posted, as on agents.
func BenchmarkDispatch(b *testing.B) {
	specs := []string{"pod(d=3)", "jsq, scan"}
	for _, i := range policy.Builtin().List(policy.Dispatch) {
		specs = append(specs, i.Name)
	}
	for _, spec := range specs {
		b.Run(spec, func(b *testing.B) {
			v := newBenchView(100)
			env := policy.Env{Nodes: 100, Servers: 1, Distances: make([]float64, 100)}
			w, _ := workload.New(workload.DefaultConfig())
			env.ClassWeights, env.ClassSizes = w.ClassWeights(), w.ClassSizes()
			name, scan := strings.CutSuffix(spec, ", scan")
			d := mustDispatch(b, name, env)
			if board, ok := d.(policy.BoardWatcher); ok && !scan {
				for n, l := range v.loads {
					board.Posted(policy.NodeID(n), l)
				}
			}
			done, _ := d.(policy.DoneWatcher)
			reply, _ := d.(policy.ReplyWatcher)
			job := &policy.Job{}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				job.ID, job.Key = int64(i), int32(i%1000)
				job.Origin = d.Pick(v, job)
				if done != nil {
					done.Done(v, job)
				}
				if reply != nil {
					for _, n := range v.later {
						reply.Replied(v, n, v.loads[n])
					}
				}
				v.later = v.later[:0]
			}
		})
	}
}

// BenchmarkMigrateArrival measures a migration policy's decision on a job
// arriving at a loaded node (the case that probes, for the sender side):
// the ELZ sender policies at T = 1, and every registered one with its
// defaults.
func BenchmarkMigrateArrival(b *testing.B) {
	specs := []string{"sender.random(T=1)", "sender.threshold(T=1, probes=3)", "sender.shortest(T=1, probes=3)"}
	for _, i := range policy.Builtin().List(policy.Migrate) {
		specs = append(specs, i.Name)
	}
	for _, spec := range specs {
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
