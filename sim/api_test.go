package sim

import (
	"context"
	"math"
	"testing"

	"github.com/loadlab/loadlab/param"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/workload"
)

// The tests in this file drive the simulator with small policies written
// for them, registered in a registry of their own, to check that the
// simulator carries out every part of the policy API as documented.

// run simulates cfg with a dispatch builder and a migration builder (nil:
// the built-in none, which server architectures require).
func run(t *testing.T, cfg Config, d policy.DispatchBuilder, m policy.MigrateBuilder) results.Result {
	t.Helper()
	r := policy.NewRegistry()
	r.AddDispatch(policy.Info{Name: "d"}, func(param.Values) (policy.DispatchBuilder, error) { return d, nil })
	r.AddMigrate(policy.Info{Name: "m"}, func(param.Values) (policy.MigrateBuilder, error) { return m, nil })
	var err error
	if cfg.Dispatch, err = r.Dispatch("d"); err != nil {
		t.Fatal(err)
	}
	if m == nil {
		cfg.Migrate, err = policy.Builtin().Migrate("none")
	} else {
		cfg.Migrate, err = r.Migrate("m")
	}
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Workload == nil {
		if cfg.Workload, err = workload.New(workload.DefaultConfig()); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func randomDispatch(policy.Env) policy.Dispatcher { return randomD{} }

type randomD struct{}

func (randomD) Pick(v policy.View, _ *policy.Job) policy.NodeID {
	return policy.NodeID(v.Rand().IntN(v.Nodes()))
}

// pushRunning pushes the job in service to the next node whenever a job
// arrives to a busy node that has nothing waiting: every such arrival
// preempts a running job, which must move with its remaining work.
type pushRunning struct {
	policy.Base
	jobs []policy.JobInfo
	done *[]float64 // Done of every job pushed
}

func (p *pushRunning) Arrived(v policy.View, j *policy.Job) policy.Action {
	p.jobs = v.Jobs(p.jobs)
	if len(p.jobs) != 1 || !p.jobs[0].Running || p.jobs[0].Hops > 0 {
		return policy.Action{}
	}
	*p.done = append(*p.done, p.jobs[0].Done)
	return policy.Action{Verb: policy.Push, Node: (v.Self() + 1) % policy.NodeID(v.Nodes()), Job: 0}
}

// TestPushRunningConservesWork checks strong mobility: a preempted job
// keeps its progress, so the servers do exactly the offered work (the
// utilisation is the load), every job ends once, and Little's law holds.
func TestPushRunningConservesWork(t *testing.T) {
	var done []float64
	cfg := Config{Model: scenario.Model{Nodes: 4, Load: 0.7, Jobs: 200000, Seed: 3}}
	r := run(t, cfg, randomDispatch, func(policy.Env) policy.Migrator { return &pushRunning{done: &done} })
	checkLittle(t, r)
	if r.Preemptions == 0 || r.Preemptions != r.Migrations {
		t.Fatalf("preemptions %d, migrations %d: want every migration a preemption, and some", r.Preemptions, r.Migrations)
	}
	if math.Abs(r.Utilization-cfg.Load) > 0.01 {
		t.Errorf("utilisation %.4f with preemptions, want the load %.2f: work was lost or repeated", r.Utilization, cfg.Load)
	}
	partial := 0
	for _, d := range done {
		if d < 0 {
			t.Fatalf("a running job reported Done %g", d)
		}
		if d > 0 {
			partial++
		}
	}
	if partial < len(done)/2 {
		t.Errorf("only %d of %d pushed jobs had made progress", partial, len(done))
	}
	// With a preemption cost the work goes up by exactly that much per move.
	cfg.Costs.PreemptCPU = 0.05
	done = nil
	rc := run(t, cfg, randomDispatch, func(policy.Env) policy.Migrator { return &pushRunning{done: &done} })
	checkLittle(t, rc)
	if rc.Utilization <= r.Utilization {
		t.Errorf("utilisation %.4f with a preemption cost, %.4f without: the cost was not charged", rc.Utilization, r.Utilization)
	}
}

// stealAll asks the next node for work whenever it becomes idle and hands
// over every waiting job when asked: Requested with n > 1.
type stealAll struct {
	policy.Base
	jobs []policy.JobInfo
}

func (s *stealAll) Departed(v policy.View) policy.Action {
	if v.Local().Queue > 0 {
		return policy.Action{}
	}
	return policy.Action{Verb: policy.Request, Node: (v.Self() + 1) % policy.NodeID(v.Nodes())}
}

func (s *stealAll) Requested(v policy.View, _ policy.NodeID) (int, int) {
	s.jobs = v.Jobs(s.jobs)
	l := v.Local()
	if l.Waiting() == 0 {
		return 0, 0
	}
	return l.Running, l.Waiting()
}

func TestRequestSeveral(t *testing.T) {
	cfg := Config{Model: scenario.Model{Nodes: 6, Load: 0.8, Jobs: 100000, Seed: 4}}
	base := run(t, cfg, randomDispatch, func(policy.Env) policy.Migrator { return policy.Base{} })
	r := run(t, cfg, randomDispatch, func(policy.Env) policy.Migrator { return &stealAll{} })
	checkLittle(t, r)
	if r.Migrations == 0 || r.Preemptions != 0 {
		t.Fatalf("migrations %d, preemptions %d: want waiting jobs moved", r.Migrations, r.Preemptions)
	}
	if r.MeanResponse >= base.MeanResponse {
		t.Errorf("stealing every waiting job: mean response %.3f, without %.3f: want better", r.MeanResponse, base.MeanResponse)
	}
}

// laterProbe sends every job to the node whose last ProbeLater answer was
// the shortest, probing two random nodes per job without waiting; it
// checks that every answer comes exactly one round trip after its probe.
type laterProbe struct {
	t       *testing.T
	rtt     float64
	sent    map[policy.NodeID][]float64
	best    policy.NodeID
	bestQ   int
	replies int
	dones   *int
}

func (d *laterProbe) Pick(v policy.View, _ *policy.Job) policy.NodeID {
	n := v.Nodes()
	a, b := policy.NodeID(v.Rand().IntN(n)), policy.NodeID(v.Rand().IntN(n))
	ids := []policy.NodeID{a}
	if b != a {
		ids = append(ids, b)
	}
	v.ProbeLater(ids)
	for _, id := range ids {
		d.sent[id] = append(d.sent[id], v.Now())
	}
	pick := d.best
	d.bestQ++ // it gets this job
	return pick
}

func (d *laterProbe) Replied(v policy.View, n policy.NodeID, l policy.Load) {
	q := d.sent[n]
	if len(q) == 0 {
		d.t.Fatalf("reply from %d that was not probed", n)
	}
	if got := v.Now() - q[0]; math.Abs(got-d.rtt) > 1e-9 {
		d.t.Fatalf("reply from %d after %g, want the round trip %g", n, got, d.rtt)
	}
	d.sent[n] = q[1:]
	d.replies++
	if l.Queue < d.bestQ {
		d.best, d.bestQ = n, l.Queue
	}
}

func (d *laterProbe) Done(policy.View, *policy.Job) { *d.dones++ }

func TestProbeLaterAndDone(t *testing.T) {
	dones := 0
	var d *laterProbe
	cfg := Config{Model: scenario.Model{Nodes: 10, Load: 0.7, Jobs: 50000, Seed: 5}, Costs: Costs{Latency: 0.05}}
	r := run(t, cfg, func(policy.Env) policy.Dispatcher {
		d = &laterProbe{t: t, rtt: 0.1, sent: map[policy.NodeID][]float64{}, dones: &dones}
		return d
	}, func(policy.Env) policy.Migrator { return policy.Base{} })
	checkLittle(t, r)
	if d.replies == 0 || int64(d.replies) > r.Probes || r.Probes-int64(d.replies) > 2 {
		t.Errorf("%d replies for %d probes", d.replies, r.Probes)
	}
	if int64(dones) != r.JobsCompleted {
		t.Errorf("Done called %d times for %d completions", dones, r.JobsCompleted)
	}
	// Probing off the request path costs no response time: M/M/1 per node
	// would be 3.33; steering to short queues does better.
	if r.MeanResponse >= 1/(1-cfg.Load) {
		t.Errorf("mean response %.3f, want below random's %.3f", r.MeanResponse, 1/(1-cfg.Load))
	}
}

// polled counts the probes a node receives and checks the prober's load.
type polled struct {
	policy.Base
	count *int
	t     *testing.T
}

func (p polled) Arrived(v policy.View, j *policy.Job) policy.Action {
	if j.Hops > 0 || v.Local().Queue == 0 {
		return policy.Action{}
	}
	out := make([]policy.Load, 1)
	other := (v.Self() + 1) % policy.NodeID(v.Nodes())
	v.Probe([]policy.NodeID{other}, out)
	return policy.Action{}
}

func (p polled) Polled(v policy.View, from policy.NodeID, l policy.Load) {
	if from == v.Self() || from < 0 || l.Queue < 1 {
		p.t.Fatalf("node %d polled by %d with load %+v: want another node with a queue", v.Self(), from, l)
	}
	*p.count++
}

func TestPolled(t *testing.T) {
	count := 0
	cfg := Config{Model: scenario.Model{Nodes: 5, Load: 0.6, Jobs: 20000, Seed: 6}}
	r := run(t, cfg, randomDispatch, func(policy.Env) policy.Migrator { return polled{count: &count, t: t} })
	if count == 0 || int64(count) != r.Probes {
		t.Errorf("Polled %d times for %d probes", count, r.Probes)
	}
}

// TestGossipModes checks the age of the information each gossip mode
// gives: half the period for the periodic board, the mean refresh interval
// for individual refreshes (memoryless), at least the delay for delayed.
func TestGossipModes(t *testing.T) {
	const T = 2.0
	for _, c := range []struct {
		mode     string
		lo, hi   float64
		pickStat bool
	}{
		{GossipPeriodic, 0.97 * T / 2, 1.03 * T / 2, false},
		{GossipIndividual, 0.95 * T, 1.05 * T, false},
		{GossipDelayed, T, 3 * T, false},
	} {
		t.Run(c.mode, func(t *testing.T) {
			cfg := Config{Model: scenario.Model{Nodes: 20, Load: 0.7, Jobs: 100000, Seed: 7}, Gossip: T, GossipMode: c.mode}
			r := mustRun(t, cfg, "jsq", "none", "exp(mean=1)")
			checkLittle(t, r)
			if r.GossipAge < c.lo || r.GossipAge > c.hi {
				t.Errorf("mean age of information %.3f, want %.3f..%.3f", r.GossipAge, c.lo, c.hi)
			}
		})
	}
}

// TestDispatchDelay checks the dispatch cost: every job reaches its node
// that much later, so with the same seed each response grows by exactly it.
func TestDispatchDelay(t *testing.T) {
	cfg := Config{Model: scenario.Model{Nodes: 4, Load: 0.7, Jobs: 20000, Seed: 8}}
	a := mustRun(t, cfg, "random", "none", "exp(mean=1)")
	cfg.Costs.Dispatch = 0.25
	b := mustRun(t, cfg, "random", "none", "exp(mean=1)")
	if d := b.MeanResponse - a.MeanResponse; math.Abs(d-0.25) > 1e-9 {
		t.Errorf("dispatch delay 0.25 moved the mean response by %.12f", d)
	}
}

// TestDistances checks that a job reaches its node its distance later, and
// that local dispatch trades that distance against load.
func TestDistances(t *testing.T) {
	cfg := Config{Model: scenario.Model{Nodes: 4, Load: 0.5, Jobs: 50000, Seed: 9, Distances: []float64{0, 0, 1, 1}}}
	r := mustRun(t, cfg, "rr", "none", "exp(mean=1)")
	cfg.Distances = nil
	base := mustRun(t, cfg, "rr", "none", "exp(mean=1)")
	// Round robin: half the jobs travel 1 more; queues are unchanged.
	if d := r.MeanResponse - base.MeanResponse; math.Abs(d-0.5) > 0.01 {
		t.Errorf("distances [0 0 1 1] under rr moved the mean by %.4f, want 0.5", d)
	}
	cfg.Distances = []float64{0, 0, 1, 1}
	local := mustRun(t, cfg, "local", "none", "exp(mean=1)")
	if local.MeanResponse >= r.MeanResponse {
		t.Errorf("local %.3f, rr %.3f: locality should pay with far nodes", local.MeanResponse, r.MeanResponse)
	}
}
