package sim

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/client"
	"github.com/loadlab/loadlab/fault"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/server"
	"github.com/loadlab/loadlab/workload"
)

func TestSameSeedSameBytes(t *testing.T) {
	cfg := Config{Model: scenario.Model{Nodes: 20, Load: 0.8, Jobs: 50000, Seed: 11}, Gossip: 0.5, Costs: Costs{Latency: 0.01, TransferCPU: 0.1, ProbeCPU: 0.01}}
	run := func(seed uint64) []byte {
		c := cfg
		c.Seed = seed
		b, err := json.Marshal(mustRun(t, c, "pod(d=2)", "symmetric(T=1, probes=3)", "hyperexp(mean=1, scv=4)"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b, other := run(11), run(11), run(12)
	if string(a) != string(b) {
		t.Fatal("same seed gave different result bytes")
	}
	if string(a) == string(other) {
		t.Fatal("different seeds gave the same result")
	}
}

// TestCommonRandomNumbers checks that two policies see the same jobs: with
// no migration and one node every dispatch strategy is the same M/M/1 queue.
func TestCommonRandomNumbers(t *testing.T) {
	cfg := Config{Model: scenario.Model{Nodes: 1, Load: 0.7, Jobs: 20000, Seed: 5}}
	a := mustRun(t, cfg, "random", "none", "exp(mean=1)")
	b := mustRun(t, cfg, "rr", "none", "exp(mean=1)")
	if a.MeanResponse != b.MeanResponse || a.P99Response != b.P99Response {
		t.Fatalf("random and rr on one node differ: %v vs %v", a.MeanResponse, b.MeanResponse)
	}
}

// TestEveryPolicy is the conformance suite: every registered dispatch
// strategy and migration policy, with costs, stale gossip, several servers
// and processor sharing, must run without invalid decisions, end every job
// exactly once and satisfy Little's law.
func TestEveryPolicy(t *testing.T) {
	reg := policy.Builtin()
	w, err := workload.New(workload.Config{Size: "hyperexp(mean=1, scv=4)", Classes: []workload.ClassConfig{{Name: "a", Weight: 3}, {Name: "b", Weight: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	setups := []Config{
		{Model: scenario.Model{Nodes: 12, Load: 0.85, Jobs: 40000, Seed: 1}},
		{Model: scenario.Model{Nodes: 6, Servers: 3, Load: 0.7, Jobs: 40000, Seed: 2}, Gossip: 1, Costs: Costs{Latency: 0.05, ProbeCPU: 0.01, TransferCPU: 0.1, ReceiveCPU: 0.05, JobBytes: 1000, Bandwidth: 1e5}},
		{Model: scenario.Model{Nodes: 5, Load: 0.6, Jobs: 20000, Seed: 3, Discipline: "ps", Speeds: []float64{1, 2, 0.5, 1, 1.5}}},
		{Model: scenario.Model{Nodes: 2, Load: 0.9, Jobs: 20000, Seed: 4}},
		{Model: scenario.Model{Nodes: 8, Load: 0.8, Jobs: 20000, Seed: 5}, Gossip: 0.5, GossipMode: GossipDelayed, Costs: Costs{Latency: 0.02, PreemptCPU: 0.05}},
		{Model: scenario.Model{Nodes: 8, Servers: 2, Load: 0.8, Jobs: 20000, Seed: 6}, Gossip: 0.5, GossipMode: GossipIndividual},
	}
	// Work units: a mobile agent moved by pre-copy with resources of every
	// kind on mixed platforms, and code on demand with a small cache.
	unit := workload.UnitConfig{
		Unit: workload.Unit{Code: workload.CodeSegment{Bytes: 1e5}, Exec: workload.ExecSegment{State: 1e5, Growth: 1e4, Dirty: 1e5, Context: 1e3},
			Resources: []workload.Resource{
				{Name: "db", Binding: workload.ByIdentifier, Attachment: workload.Fastened, Bytes: 1e6, Uses: 1, UseBytes: 100},
				{Name: "input", Binding: workload.ByValue, Attachment: workload.Unattached, Bytes: 1e4},
				{Name: "printer", Binding: workload.ByType, Attachment: workload.Fixed},
			}},
		Classes:   []workload.ClassUnit{{Class: "b", Code: &workload.CodeSegment{Kernel: "big", Bytes: 2e5}, Exec: &workload.ExecSegment{State: 1e6, Dirty: 2e6}}},
		Mobility:  workload.Mobility{Method: workload.PreCopy},
		Paradigm:  "mobile-agent(hops=3)",
		Platforms: workload.Platforms{Builds: []workload.Build{{Kernel: "a", Platforms: []string{"x86_64"}}}, Interpreter: 0.5},
	}
	agent, err := workload.NewUnits(unit, w.Classes())
	if err != nil {
		t.Fatal(err)
	}
	unit.Paradigm, unit.Platforms = "code-on-demand(cache=1.5e5)", workload.Platforms{}
	onDemand, err := workload.NewUnits(unit, w.Classes())
	if err != nil {
		t.Fatal(err)
	}
	setups = append(setups,
		Config{Model: scenario.Model{Nodes: 6, Load: 0.5, Jobs: 20000, Seed: 7, Platforms: []string{"x86_64", "arm64", "x86_64", "arm64", "x86_64", "arm64"}}, Costs: Costs{Latency: 0.01, Bandwidth: 1e7, TransferCPU: 0.05, PreemptCPU: 0.02}, Units: agent},
		Config{Model: scenario.Model{Nodes: 6, Servers: 2, Discipline: "ps", Load: 0.7, Jobs: 20000, Seed: 8}, Gossip: 0.5, Costs: Costs{Latency: 0.02, Bandwidth: 1e6}, Units: onDemand},
	)
	// Every strategy with no migration and with the symmetric policy, and
	// every migration policy under random and pod(d=2) dispatch: each policy
	// meets another that moves work, without the full cross product.
	type pair struct{ d, m string }
	var pairs []pair
	for _, d := range reg.List(policy.Dispatch) {
		pairs = append(pairs, pair{d.Name, "none"}, pair{d.Name, "symmetric"})
	}
	for _, m := range reg.List(policy.Migrate) {
		if m.Name != "none" && m.Name != "symmetric" {
			pairs = append(pairs, pair{"random", m.Name}, pair{"pod", m.Name})
		}
	}
	for _, pr := range pairs {
		ds, err := reg.Dispatch(pr.d)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := reg.Migrate(pr.m)
		if err != nil {
			t.Fatal(err)
		}
		for i, cfg := range setups {
			cfg.Workload, cfg.Dispatch, cfg.Migrate = w, ds, ms
			r, err := Run(context.Background(), cfg)
			if err != nil {
				t.Errorf("%s + %s, setup %d: %v", pr.d, pr.m, i, err)
				continue
			}
			if r.JobsCompleted != int64(cfg.Jobs) || r.JobsIssued != int64(cfg.Jobs) {
				t.Errorf("%s + %s, setup %d: issued %d completed %d, want %d", pr.d, pr.m, i, r.JobsIssued, r.JobsCompleted, cfg.Jobs)
			}
			// Little's law holds in steady state; a policy that overloads a
			// node (random on unequal speeds) has none.
			busiest := 0.0
			for _, u := range r.NodeUtilization {
				busiest = math.Max(busiest, u)
			}
			lw := r.ArrivalRate * r.MeanResponse
			if busiest < 0.98 && math.Abs(r.MeanInSystem-lw) > 0.02*lw {
				t.Errorf("%s + %s, setup %d: Little's law: L=%.3f λW=%.3f", pr.d, pr.m, i, r.MeanInSystem, lw)
			}
			if pr.m == "none" && r.Migrations != 0 {
				t.Errorf("%s + none migrated %d jobs", pr.d, r.Migrations)
			}
		}
	}
	// Fork-join requests and client policies: every strategy with requests
	// of three tasks, and under each client policy, one with a node killed
	// and another slowed; every request ends once, whatever its copies.
	none, _ := reg.Migrate("none")
	tasks, err := workload.New(workload.Config{Size: "hyperexp(mean=1, scv=4)", Tasks: 3})
	if err != nil {
		t.Fatal(err)
	}
	faults := []fault.Fault{{At: 300, Kind: fault.Kill, Nodes: []int{1}}, {At: 200, Kind: fault.Slow, Nodes: []int{2}, Factor: 5, Duration: 1e6}}
	for _, d := range reg.List(policy.Dispatch) {
		ds, err := reg.Dispatch(d.Name)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range []struct {
			client string
			w      *workload.Workload
			faults []fault.Fault
		}{
			{"", tasks, nil},
			{"redundant(d=2)", w, nil},
			{"hedge(after=1.5)", tasks, nil},
			{"hedge(after=2) + retry(max=3, timeout=6)", w, faults},
			{"retry(max=2, budget=0.05)", tasks, faults},
		} {
			cp, err := client.Parse(c.client)
			if err != nil {
				t.Fatal(err)
			}
			cfg := Config{Model: scenario.Model{Nodes: 6, Load: 0.5, Jobs: 5000, Seed: uint64(40 + i), Client: cp, Workload: c.w, Dispatch: ds, Migrate: none, Faults: c.faults},
				Gossip: 0.5, Costs: Costs{Latency: 0.02, ProbeCPU: 0.01}}
			r, err := Run(context.Background(), cfg)
			if err != nil {
				t.Errorf("%s with client %q: %v", d.Name, c.client, err)
				continue
			}
			if r.JobsIssued != int64(cfg.Jobs) || r.JobsCompleted+r.JobsFailed != r.JobsIssued || (c.faults == nil && r.JobsFailed > 0) {
				t.Errorf("%s with client %q: issued %d completed %d failed %d", d.Name, c.client, r.JobsIssued, r.JobsCompleted, r.JobsFailed)
			}
			if cp != nil && cp.Copies == 2 && (r.Copies != r.JobsIssued || r.WastedWork <= 0 || r.Goodput >= 1) {
				t.Errorf("%s with client %q: %d copies for %d requests, wasted %v, goodput %v", d.Name, c.client, r.Copies, r.JobsIssued, r.WastedWork, r.Goodput)
			}
		}
	}
	// Server architectures: every strategy on each of them, with jobs that
	// block and probes that cost CPU (run outside the threads), at a load
	// the iterative server (one thread for two cores) carries.
	blocking, err := workload.New(workload.Config{Size: "hyperexp(mean=1, scv=4)", IO: &workload.IOConfig{Share: 0.4, Calls: 2, Wait: "exp"},
		Classes: []workload.ClassConfig{{Name: "a", Weight: 3}, {Name: "b", Weight: 1, Phases: "io(det(value=0.5)), cpu(exp(mean=1)), io(exp(mean=1))"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range reg.List(policy.Dispatch) {
		ds, err := reg.Dispatch(d.Name)
		if err != nil {
			t.Fatal(err)
		}
		for i, arch := range []string{"iterative", "pool(n=3)", "thread-per-request(limit=5)", "process-per-request", "user-threads(kernel=2)", "event-loop(loops=2)"} {
			a, err := server.Parse(arch)
			if err != nil {
				t.Fatal(err)
			}
			cfg := Config{Model: scenario.Model{Nodes: 6, Servers: 2, Load: 0.15, Jobs: 10000, Seed: uint64(20 + i), Server: a, Workload: blocking, Dispatch: ds, Migrate: none},
				Gossip: 0.5, Costs: Costs{Latency: 0.02, ProbeCPU: 0.01}}
			r, err := Run(context.Background(), cfg)
			if err != nil {
				t.Errorf("%s on %s: %v", d.Name, arch, err)
				continue
			}
			if r.JobsCompleted != int64(cfg.Jobs) || r.JobsIssued != int64(cfg.Jobs) || r.JobsFailed != 0 {
				t.Errorf("%s on %s: issued %d completed %d failed %d, want %d completed", d.Name, arch, r.JobsIssued, r.JobsCompleted, r.JobsFailed, cfg.Jobs)
			}
			// Strategies that place by class or size (class, sita) can
			// overload the iterative server of the nodes a class goes to:
			// no steady state there, so no Little's law.
			if lw := r.ArrivalRate * r.MeanResponse; r.MeanResponse < 20 && math.Abs(r.MeanInSystem-lw) > 0.03*lw {
				t.Errorf("%s on %s: Little's law: L=%.3f λW=%.3f", d.Name, arch, r.MeanInSystem, lw)
			}
		}
	}
}

// TestTransferLimit checks that ELZ sender policies never move a job twice.
func TestTransferLimit(t *testing.T) {
	for _, m := range []string{"sender.random(T=1)", "sender.threshold(T=1, probes=5)", "sender.shortest(T=1, probes=5)"} {
		r := mustRun(t, Config{Model: scenario.Model{Nodes: 10, Load: 0.9, Jobs: 50000, Seed: 2}}, "random", m, "exp(mean=1)")
		if r.Migrations == 0 || r.MigrationsPerJob > 1 {
			t.Errorf("%s: %.3f migrations per job, want some and at most 1", m, r.MigrationsPerJob)
		}
	}
}

// TestCostsMatter checks that the cost model reaches the results.
func TestCostsMatter(t *testing.T) {
	base := Config{Model: scenario.Model{Nodes: 20, Load: 0.8, Jobs: 100000, Seed: 3}}
	free := mustRun(t, base, "random", "sender.threshold(T=1, probes=3)", "exp(mean=1)")
	costly := base
	costly.Costs = Costs{TransferCPU: 0.3, ProbeCPU: 0.02}
	paid := mustRun(t, costly, "random", "sender.threshold(T=1, probes=3)", "exp(mean=1)")
	slow := base
	slow.Costs = Costs{Latency: 0.2}
	late := mustRun(t, slow, "pod(d=2)", "none", "exp(mean=1)")
	podFree := mustRun(t, base, "pod(d=2)", "none", "exp(mean=1)")
	if paid.MeanResponse < free.MeanResponse*1.1 || paid.Utilization < free.Utilization+0.02 {
		t.Errorf("CPU costs: response %.3f vs free %.3f, utilization %.3f vs %.3f", paid.MeanResponse, free.MeanResponse, paid.Utilization, free.Utilization)
	}
	// A probe round trip of 0.4 delays every job by 0.4 before it queues,
	// and the probed loads are 0.4 old when the job lands, so it costs more.
	if d := late.MeanResponse - podFree.MeanResponse; d < 0.4 || d > 1 {
		t.Errorf("probe latency 2×0.2 added %.3f to the mean response, want 0.4 to 1", d)
	}
}

// TestStaleGossip reproduces Mitzenmacher's herd effect: with a stale
// bulletin board, joining the apparently shortest queue is far worse than
// two random probes, while with exact information it is better.
func TestStaleGossip(t *testing.T) {
	cfg := Config{Model: scenario.Model{Nodes: 50, Load: 0.9, Jobs: 200000, Seed: 4}}
	exact := mustRun(t, cfg, "jsq", "none", "exp(mean=1)")
	cfg.Gossip = 5
	stale := mustRun(t, cfg, "jsq", "none", "exp(mean=1)")
	pod := mustRun(t, cfg, "pod(d=2)", "none", "exp(mean=1)")
	if !(exact.MeanResponse < pod.MeanResponse && stale.MeanResponse > 2*pod.MeanResponse) {
		t.Errorf("jsq exact %.3f, jsq stale (period 5) %.3f, pod(d=2) %.3f: want exact < pod and stale > 2 × pod", exact.MeanResponse, stale.MeanResponse, pod.MeanResponse)
	}
	if stale.GossipAge < 2 || stale.GossipAge > 3 {
		t.Errorf("mean gossip age %.3f with period 5, want about 2.5", stale.GossipAge)
	}
}

// TestMemoryIndependentOfJobs: allocations do not grow with the number of
// jobs (streamed statistics, pooled jobs, value-typed events).
func TestMemoryIndependentOfJobs(t *testing.T) {
	allocs := func(jobs int) uint64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		mustRun(t, Config{Model: scenario.Model{Nodes: 100, Load: 0.9, Jobs: jobs, Seed: 1}, Gossip: 1}, "pod(d=2)", "symmetric(T=1, probes=2)", "exp(mean=1)")
		runtime.ReadMemStats(&after)
		return after.Mallocs - before.Mallocs
	}
	small, large := allocs(100000), allocs(1000000)
	t.Logf("allocations: %d for 100k jobs, %d for 1M jobs", small, large)
	if large > small+small/2 {
		t.Errorf("allocations grow with jobs: %d for 100k, %d for 1M", small, large)
	}
}

func TestBadConfig(t *testing.T) {
	reg := policy.Builtin()
	d, _ := reg.Dispatch("random")
	m, _ := reg.Migrate("none")
	w, _ := workload.New(workload.DefaultConfig())
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Model: scenario.Model{Load: 1}}, "load"},
		{Config{Model: scenario.Model{Load: -0.5}}, "load"},
		{Config{Model: scenario.Model{Load: 0.5, Nodes: -1}}, "nodes"},
		{Config{Model: scenario.Model{Load: 0.5, Discipline: "lifo"}}, "discipline"},
		{Config{Model: scenario.Model{Load: 0.5, Jobs: 10, Warmup: 10}}, "warmup"},
		{Config{Model: scenario.Model{Load: 0.5, Nodes: 2, Speeds: []float64{1}}}, "speeds"},
		{Config{Model: scenario.Model{Load: 0.5, Nodes: 2, Speeds: []float64{1, 0}}}, "speeds"},
		{Config{Model: scenario.Model{Load: 0.5}, Costs: Costs{Latency: -1}}, "latency"},
		{Config{Model: scenario.Model{Load: 0.5}, Gossip: math.NaN()}, "gossip"},
	} {
		tc.cfg.Workload, tc.cfg.Dispatch, tc.cfg.Migrate = w, d, m
		_, err := Run(context.Background(), tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got error %v, want one about %s", tc.cfg, err, tc.want)
		}
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cfg := DefaultConfig()
	cfg.Jobs = 10_000_000
	if _, err := Run(ctx, cfg); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}
