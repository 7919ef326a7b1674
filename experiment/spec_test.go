package experiment

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/stats"
)

const twoPolicies = `
name: t
seed: 9
replications: 2
jobs: 5000
nodes: 4
loads: [0.5, 0.9]
workloads:
  - name: exp
  - name: heavy
    size: hyperexp(mean=1, scv=9)
policies:
  - dispatch: random
  - migrate: sender.threshold(T=1, probes=2)
`

func TestPoints(t *testing.T) {
	s, err := ParseSpec("t.yaml", []byte(twoPolicies))
	if err != nil {
		t.Fatal(err)
	}
	points, err := s.Points()
	if err != nil {
		t.Fatal(err)
	}
	if len(points) != 2*2*2*2 {
		t.Fatalf("got %d points, want 16", len(points))
	}
	keys := map[string]bool{}
	seeds := map[string]uint64{}
	for _, p := range points {
		if keys[p.Key] {
			t.Errorf("duplicate key %s", p.Key)
		}
		keys[p.Key] = true
		// Common random numbers: the policies of one (workload, load,
		// replication) share a seed.
		id := fmt.Sprintf("%s|%g|%d", p.Workload, p.Load, p.Replication)
		if s, ok := seeds[id]; ok && s != p.Seed {
			t.Errorf("%s: policies see different seeds", id)
		}
		seeds[id] = p.Seed
	}
	distinct := map[uint64]bool{}
	for _, s := range seeds {
		distinct[s] = true
	}
	if len(seeds) != 8 || len(distinct) != 8 {
		t.Errorf("want 8 distinct seeds, one per (workload, load, replication): %d ids, %d seeds", len(seeds), len(distinct))
	}
	if points[0].Replication != 0 || points[len(points)-1].Replication != 1 {
		t.Error("points are not ordered replication first")
	}
	if points[0].Policy != "random" || points[1].Policy != "sender.threshold(T=1, probes=2)" {
		t.Errorf("default policy names: %q, %q", points[0].Policy, points[1].Policy)
	}
	if points[0].Warmup != 500 || points[0].Servers != 1 || points[0].Discipline != "fcfs" {
		t.Errorf("defaults not filled: %+v", points[0].Point)
	}
}

func TestSpecErrors(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want string
	}{
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nreplications: 0\n", "t.yaml:3: replications"},
		{"loads: []\npolicies: [{dispatch: random}]\n", "t.yaml:1: loads"},
		{"loads: [0.5]\n", "policies"},
		{"loads: [0.5]\npolicies:\n  - {name: a}\n  - {name: a}\n", "t.yaml:4: policies[1].name"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nbackend: testbed\n", "t.yaml:1: join"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nbackend: cloud\n", "t.yaml:3: backend"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nbackend: local\ntime_unit: 1x\n", "t.yaml:4: time_unit"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nbackend: local\nkernel: fft\n", "t.yaml:4: kernel"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nnodes: 0\n", "t.yaml:3: nodes"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\ndiscipline: lifo\n", "t.yaml:3: discipline"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nspeeds: \"1,-1\"\n", "t.yaml:3: speeds"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nworkloads:\n  - arrival: mmpp(rates=[1,2])\n", "t.yaml:4: workloads[0].arrival"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nname: a/b\n", "t.yaml:3: name"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\njobs: lots\n", "t.yaml:3"},
		{"", "empty spec"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nbackends: [sim, sim]\n", "t.yaml:3: backends[1]"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nbackends: [sim, grid]\n", "t.yaml:3: backends[1]"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\ngossip: 1\ngossip_mode: gently\n", "t.yaml:4: gossip_mode"},
		{"loads: [0.5]\npolicies:\n  - dispatch: jsq\n    gossip_mode: gently\n", "t.yaml:4: policies[0].gossip_mode"},
		{"loads: [0.5]\npolicies:\n  - dispatch: jsq\n    gossip: -1\n", "t.yaml:4: policies[0].gossip"},
		{"loads: [0.5]\npolicies:\n  - dispatch: random\n    costs: {transfer_cpus: 1}\n", `t.yaml:4: policies[0].costs: unknown cost "transfer_cpus"`},
		{"loads: [0.5]\npolicies:\n  - dispatch: random\n    costs: {probe_cpu: -1}\n", "t.yaml:4: policies[0].costs"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nserver: forking\n", `t.yaml:3: server: unknown server architecture "forking"`},
		{"loads: [0.5]\npolicies:\n  - dispatch: random\n    server: pool(n=0)\n", "t.yaml:4: policies[0].server: pool: parameter n"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nworkloads: [{io: {share: 0.5}}]\n", "t.yaml:2: policies[0]: jobs with phases"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nworkloads: [{io: {share: 1.5}}]\n", "t.yaml:3: workloads[0]: workload io.share must be"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nserver: iterative\ndiscipline: ps\n", "t.yaml:4: discipline: a server architecture schedules"},
		{"loads: [0.5]\npolicies: [{dispatch: random, migrate: sender.threshold}]\nserver: iterative\n", "t.yaml:3: server: migration policies"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nclient: resend\n", `t.yaml:3: client: unknown client policy "resend"`},
		{"loads: [0.5]\npolicies:\n  - dispatch: random\n    client: hedge\n", "t.yaml:4: policies[0].client: hedge: parameter after"},
		{"loads: [0.5]\npolicies: [{dispatch: random, migrate: sender.threshold}]\nclient: redundant\n", "client policies do not yet run beside migration policies"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nclient: redundant\nserver: iterative\n", "client policies cancel copies"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nclient: redundant\nserver: iterative\nbackend: local\n", "client policies cancel copies"},
		{"loads: [0.5]\npolicies: [{dispatch: random, migrate: sender.threshold}]\nworkloads: [{tasks: 4}]\nbackend: local\n", "requests with tasks do not yet run beside migration policies"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nworkloads: [{tasks: -4}]\n", "workload tasks: must be between 1"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\ntiers: [{name: db, servers: -1}]\n", "t.yaml:3: tiers: tier 0 (db): servers must be between 1 and 10000, got -1"},
		{"loads: [0.5]\npolicies: [{dispatch: random, tiers: [{name: a b}]}]\n", `t.yaml:2: policies[0].tiers: tier 0: name "a b": want letters, digits, _ or -`},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nserver: thread-per-request\nworkloads: [{phases: \"cpu(exp(mean=1)), call(tier=db, size=exp(mean=0.1))\"}]\n", `tiers: the jobs call tier "db", but there are no tiers: add one, e.g. tiers: [{name: db, servers: 1}]`},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nserver: thread-per-request\ntiers: [{name: disk}]\nworkloads: [{phases: \"cpu(exp(mean=1)), call(tier=db, size=exp(mean=0.1))\"}]\n", `t.yaml:4: tiers: the jobs call tier "db", which is not among the tiers (disk)`},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\ntiers: [{name: db}]\nbackend: local\n", "t.yaml:3: tiers: backend local: tiers run in the simulator only so far"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nfront: switch\n", `t.yaml:3: front: unknown front end "switch": known are handoff, relay`},
		{"loads: [0.5]\npolicies: [{dispatch: random, front: \"relay(n=0)\"}]\n", "t.yaml:2: policies[0].front: relay: parameter n: must be at least 1, got 0"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nfront: handoff\nworkloads: [{tasks: 2}]\n", "t.yaml:3: front: a front end does not yet run with requests of several tasks"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nworkloads: [{response: exp(mean=-1)}]\n", "workload response: "},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\ncache: lru\n", "t.yaml:3: cache: lru: parameter entries"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\ncache: lru(entries=10)\n", "t.yaml:3: cache: caches keep keys: give the workload keys"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\ncache: lru(entries=10)\nworkloads: [{keys: \"zipf(n=100, s=1.1)\"}]\n", "t.yaml:3: cache: a request that hits its node's cache needs a size of its own"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nworkloads: [{users: 4}]\n", "t.yaml:3: workloads[0]: workload think: closed users need a think-time distribution"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nenergy: {idle: 100, busy: 50}\n", "t.yaml:3: energy: busy: want finite watts > 0 and ≥ idle (100), got 50"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nenergy: {idle: 10, busy: 50, wake: 2}\n", "t.yaml:3: energy: wake, after: set sleep (the watts of a sleeping node) too"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nenergy: {idle: 10, busy: 50, sleep: 20}\n", "t.yaml:3: energy: sleep: want finite watts ≥ 0 and ≤ idle (10), got 20"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nbackend: local\nenergy: {idle: 10, busy: 50, sleep: 1}\n", "t.yaml:4: energy.sleep: backend local: sleep states run in the simulator only"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nqueue: -1\n", "t.yaml:3: queue: must be at least 0 (0: unbounded), got -1"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nwarm_start: tail(at_least=[0.2, 0.5])\n", "t.yaml:3: warm_start: tail: parameter at_least: must fall from 1 to 0: at_least[1] = 0.5 after 0.2"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nbackend: local\nwarm_start: meanfield\n", "t.yaml:4: warm_start: backend local: a warm start runs in the simulator only"},
		{"loads: [0.5]\nservers: 2\npolicies: [{dispatch: random}]\nwarm_start: meanfield\n", "t.yaml:4: warm_start: meanfield(d) is the fixed point of single-server nodes"},
		{"loads: [0.5]\nnodes: 4\npolicies: [{dispatch: random}]\nelastic: {initial: 5}\n", "t.yaml:4: elastic: initial: want nodes in service at the start, 1 to nodes (4), got 5"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nelastic: {schedule: [{at: 5}]}\n", "t.yaml:3: elastic: schedule[0]: want one of add or remove, a count > 0 (got add 0, remove 0)"},
		{"loads: [0.5]\npolicies:\n  - {dispatch: random, scale: target(util=2)}\n", "t.yaml:3: policies[0].scale: target: parameter util: want a utilisation in (0, 1], got 2"},
		{"loads: [0.5]\npolicies:\n  - {dispatch: random, scale: grow}\n", "t.yaml:3: policies[0].scale: unknown scale policy \"grow\": known are target, threshold (see `loadlab policies`)"},
		{"loads: [0.5]\nbackend: testbed\njoin: 127.0.0.1:7946\npolicies:\n  - {dispatch: random, scale: target}\n", "t.yaml:5: policies[0].scale: backend testbed: elastic clusters (nodes joining and leaving) run on the local backend, which starts its agents itself, and in the simulator: a testbed's agents are started by their user"},
		{"loads: [0.5]\nbackend: local\npolicies:\n  - {dispatch: random, migrate: \"sender.threshold(T=2)\", scale: target}\n", "t.yaml:4: policies[0].scale: backend local: elastic: on agents, nodes joining and leaving run with migration none only so far"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nelastic: {initial: 2}\nfaults: [{kind: kill, at: 5, nodes: [1]}]\n", "t.yaml:3: elastic: faults do not yet run on an elastic cluster: leave faults out, or elastic and scale"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nadmit: red(p=1)\n", `t.yaml:3: admit: unknown admission policy "red": known are codel, none, queue, timeout (see ` + "`loadlab policies`)"},
		{"loads: [0.5]\npolicies: [{dispatch: random, admit: \"codel(target=1, interval=1)\"}]\n", "t.yaml:2: policies[0].admit: codel: parameter interval: must be a finite number > target (1), got 1"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nadmit: queue(k=3)\ndiscipline: ps\n", "t.yaml:3: admit: admission runs on nodes whose servers serve one job at a time"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nservers: 4\nqueue: 2\n", "t.yaml:4: queue: a node holds at least its 4 servers' jobs"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nstate: sticky\n", `t.yaml:3: state: unknown state "sticky": known are stateful, stateless`},
		{"loads: [0.5]\npolicies: [{dispatch: random, state: \"stateless(fetch=-1)\"}]\n", "t.yaml:2: policies[0].state: stateless: parameter fetch: must be a finite number >= 0"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nstate: stateless(fetch=1)\n", "t.yaml:3: state: per-client state needs clients: give the workload keys"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nstate: stateless(fetch=1)\nbackend: local\nworkloads: [{keys: \"zipf(n=100, s=1.1)\"}]\n", "t.yaml:3: state: backend local: per-client state runs in the simulator only"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\ntopology: mesh\n", `t.yaml:3: topology: unknown topology "mesh": known are fattree, hypercube, lan, ring, sites, torus`},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\ntopology: ring(n=0)\n", "t.yaml:3: topology: ring: parameter n: must be between 1 and 1024, got 0"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\ntopology: ring(n=3)\nnodes: 2\n", "t.yaml:3: topology: ring has 3 sites: give at least 3 nodes, got 2"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\ntopology: lan\nworkloads: [{tasks: 2}]\nbackend: local\n", "t.yaml:3: topology: backend local: requests with tasks run with a topology in the simulator only so far"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\ntopology: lan\nclient: hedge(after=2)\nbackend: local\n", "t.yaml:4: client: backend local: a client policy runs with a topology in the simulator only so far"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\ntopology: lan\ndistances: \"0.1\"\n", "t.yaml:4: distances: a topology gives the distance from each client region to each node"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nnodes: 6\ntopology: ring(n=3)\n", "t.yaml:4: topology: topology ring(n=3, hop=1, local=0, bandwidth=0) has 3 client regions: give the workload one share for each (regions: [1, 1, 1]), got 0"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nworkloads: [{regions: [1, 2]}]\n", "t.yaml:3: workloads[0].regions: client regions (2 shares) need a topology"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nworkloads: [{regions: [0, 0]}]\n", "workload regions: the shares sum to 0"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nnodes: 6\ntopology: ring(n=3)\nworkloads: [{regions: [1, 2]}]\n", "t.yaml:5: workloads[0].regions: topology ring(n=3, hop=1, local=0, bandwidth=0) has 3 client regions: give the workload one share for each (regions: [1, 1, 1]), got 2"},
		{"loads: [0.5]\npolicies: [{dispatch: random, migrate: sender.threshold}]\nunits: {resources: [{name: db, binding: identifier, attachment: fixed, home: 20}]}\n", "t.yaml:3: units: a resource's home is node 20, not in the cluster of 16 nodes"},
		{"loads: [0.5]\npolicies: [{dispatch: random, migrate: sender.threshold}]\nunits: {resources: [{name: db, binding: identifier, attachment: unattached, home: key}]}\n", "t.yaml:3: units.resources[0].home: a resource with a home stays there, reached by global reference, but by identifier, unattached the action is move"},
		{"loads: [0.5]\npolicies: [{dispatch: random, migrate: sender.threshold}]\nunits: {resources: [{name: db, binding: identifier, attachment: fixed, home: far}]}\n", `t.yaml:3: units.resources[0].home: want dispatch, key or a node's index (0, 1, …), got "far"`},
		{"loads: [0.5]\npolicies: [{dispatch: \"batch(binding=late)\"}]\nbackend: local\n", "t.yaml:2: policies[0].dispatch: backend local: batch(d=2, binding=late) binds tasks late, which runs in the simulator only"},
		{"loads: [0.5]\npolicies: [{dispatch: \"batch(binding=late)\"}]\ndiscipline: ps\n", "t.yaml:3: discipline: batch(d=2, binding=late) binds tasks late: a reservation waits its turn in a FCFS queue"},
		{"loads: [0.5]\npolicies: [{dispatch: \"batch(binding=late)\", client: \"hedge(after=1)\"}]\n", "binds tasks late, which client policies do not run beside yet"},
		{"loads: [0.5]\npolicies: [{dispatch: random}]\nserver: iterative\nbackend: local\nkernel: hash\n", "t.yaml:5: kernel: backend local: server architectures (iterative) run on agents with the sleep kernel only"},
		{"loads: [0.5]\npolicies: [{dispatch: random, migrate: sender.threshold}]\nserver: iterative\nbackend: local\n", "t.yaml:3: server: migration policies"},
	} {
		_, err := ParseSpec("t.yaml", []byte(tc.spec))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !IsInput(err) {
			t.Errorf("spec %q: got %v, want an input error containing %q", tc.spec, err, tc.want)
		}
	}
}

// TestRowOverrides checks that a policy row's gossip and costs override
// the spec's for that row only, and that the defaults keep point keys.
func TestRowOverrides(t *testing.T) {
	spec := `
loads: [0.5]
gossip: 1
costs: {latency: 0.01, transfer_cpu: 0.1}
policies:
  - {name: plain, dispatch: jsq}
  - name: stale
    dispatch: jsq
    gossip: 4
    gossip_mode: individual
    costs: {transfer_cpu: 0.3, preempt_cpu: 0.2}
  - {name: periodic, dispatch: jsq, gossip_mode: periodic}
`
	s, err := ParseSpec("t.yaml", []byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	points, err := s.Points()
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]Point{}
	for _, p := range points {
		if p.Replication == 0 {
			by[p.Policy] = p
		}
	}
	plain, stale, periodic := by["plain"], by["stale"], by["periodic"]
	if plain.Gossip != 1 || plain.GossipMode != "" || plain.CostModel.TransferCPU != 0.1 || plain.CostModel.Latency != 0.01 {
		t.Errorf("plain row: gossip %v %q, costs %+v", plain.Gossip, plain.GossipMode, plain.CostModel)
	}
	if stale.Gossip != 4 || stale.GossipMode != "individual" || stale.CostModel.TransferCPU != 0.3 || stale.CostModel.PreemptCPU != 0.2 || stale.CostModel.Latency != 0.01 {
		t.Errorf("stale row: gossip %v %q, costs %+v", stale.Gossip, stale.GossipMode, stale.CostModel)
	}
	if periodic.GossipMode != "" {
		t.Errorf("an explicit periodic mode is recorded as %q, want the default left empty", periodic.GossipMode)
	}
	r, err := Run(context.Background(), stale)
	if err != nil {
		t.Fatal(err)
	}
	if r.Result.GossipAge < 3 || r.Result.GossipAge > 5 {
		t.Errorf("individual refreshes with mean 4: mean age %.2f", r.Result.GossipAge)
	}
}

func TestSweepResumes(t *testing.T) {
	s, err := ParseSpec("t.yaml", []byte(twoPolicies))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	calls := 0
	sum, err := Sweep(context.Background(), s, Options{Out: dir, Workers: 2, OnPoint: func(done, total int, r results.Record) { calls++ }})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Ran != 16 || sum.Resumed != 0 || calls != 16 {
		t.Errorf("first sweep: %+v, %d progress calls", sum, calls)
	}
	sum, err = Sweep(context.Background(), s, Options{Out: dir})
	if err != nil || sum.Ran != 0 || sum.Resumed != 16 {
		t.Errorf("second sweep: %+v, %v", sum, err)
	}
	recs, err := results.Read(dir)
	if err != nil || len(recs) != 16 {
		t.Fatalf("store: %d records, %v", len(recs), err)
	}
	for _, r := range recs {
		if r.Result.JobsCompleted != 5000 || r.Env.Host == "" || r.Env.Version == "" || r.Point.Spec != s.Hash() {
			t.Errorf("record %s incomplete: completed %d, env %+v", r.Point.Key, r.Result.JobsCompleted, r.Env)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Sweep(ctx, s, Options{Out: filepath.Join(t.TempDir(), "x")}); err == nil || !strings.Contains(err.Error(), "resume") {
		t.Errorf("cancelled sweep: %v", err)
	}
}

func ExamplePointSeed() {
	// Two policies at the same workload, load and replication share a seed.
	fmt.Println(PointSeed(1, "exp", 0.9, 0) == PointSeed(1, "exp", 0.9, 0))
	fmt.Println(PointSeed(1, "exp", 0.9, 0) == PointSeed(1, "exp", 0.9, 1))
	// Output:
	// true
	// false
}

func TestBackends(t *testing.T) {
	s, err := ParseSpec("t.yaml", []byte("loads: [0.5]\nbackends: [sim, local]\njobs: 100\npolicies:\n  - {name: r, dispatch: random}\n  - {name: p, dispatch: pod(d=2)}\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"r (sim)", "r (local)", "p (sim)", "p (local)"}
	if got := s.Labels(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("labels %v, want %v", got, want)
	}
	points, err := s.Points()
	if err != nil {
		t.Fatal(err)
	}
	if len(points) != 3*4 {
		t.Fatalf("%d points, want 12 (3 replications × 2 policies × 2 backends)", len(points))
	}
	for _, p := range points {
		real := p.Backend == "local"
		if real != (p.TimeUnit == "10ms") || strings.HasSuffix(p.Policy, "(local)") != real {
			t.Errorf("point %s on %s: time unit %q", p.Policy, p.Backend, p.TimeUnit)
		}
	}
	if points[0].Seed != points[1].Seed {
		t.Error("sim and local runs of a point must see the same jobs (same seed)")
	}
}

// TestCalibrate runs a point on real agents, then simulates it with the
// network costs measured there.
func TestCalibrate(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster")
	}
	spec := "loads: [0.5]\nbackends: [sim, local]\ncalibrate: true\nreplications: 1\njobs: 400\nnodes: 3\ntime_unit: 5ms\npolicies:\n  - {name: p, dispatch: pod(d=2)}\n  - {name: j, dispatch: jsq}\n"
	s, err := ParseSpec("t.yaml", []byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	if _, err := Sweep(context.Background(), s, Options{Out: dir}); err != nil {
		t.Fatal(err)
	}
	recs, err := results.Read(dir)
	if err != nil || len(recs) != 4 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	for _, r := range recs {
		if r.Point.Backend != "sim" {
			continue
		}
		if strings.HasPrefix(r.Point.Policy, "p ") && !strings.Contains(r.Point.Costs, "latency=") {
			t.Errorf("pod simulated with costs %q, want the measured probe latency", r.Point.Costs)
		}
		if strings.HasPrefix(r.Point.Policy, "j ") && r.Point.Gossip <= 0 {
			t.Errorf("jsq simulated with gossip period %v, want the measured staleness", r.Point.Gossip)
		}
	}
	if _, err := ParseSpec("t.yaml", []byte("loads: [0.5]\ncalibrate: true\npolicies: [{dispatch: random}]\n")); err == nil || !strings.Contains(err.Error(), "calibrate") {
		t.Errorf("calibrate without a real backend: %v", err)
	}
}

// TestUnits checks the units section and the rows' mobility and paradigm:
// each row's unit configuration reaches its points and their keys, and a
// bad setting is reported at its file:line.
func TestUnits(t *testing.T) {
	spec := `loads: [0.5]
nodes: 4
jobs: 2000
replications: 1
platforms: [x86_64, arm64]
units:
  code: {bytes: 1e5}
  exec: {state: 1e6, growth: 1e4}
  resources:
    - {name: db, binding: identifier, attachment: fixed, uses: 1}
  platforms: {builds: [{kernel: default, platforms: [x86_64]}], interpreter: 0.5}
policies:
  - {name: s&c, migrate: age}
  - {name: pre, migrate: age, mobility: {method: pre-copy}}
  - {name: cod, migrate: age, paradigm: code-on-demand}
`
	s, err := ParseSpec("t.yaml", []byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	pts, err := s.Points()
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, p := range pts {
		if p.UnitModel == nil || p.Point.Units == "" || p.Point.Platforms != "x86_64,arm64" || len(p.Model.Platforms) != 4 {
			t.Fatalf("%s: units %q platforms %q %v: want them set", p.Policy, p.Point.Units, p.Point.Platforms, p.Model.Platforms)
		}
		keys[p.Key] = true
		r, err := Run(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		if r.Result.Migrations == 0 || r.Result.StateBytes+r.Result.CodeBytes == 0 {
			t.Errorf("%s: %d migrations, %g state and %g code bytes: want some", p.Policy, r.Result.Migrations, r.Result.StateBytes, r.Result.CodeBytes)
		}
	}
	if len(keys) != 3 {
		t.Errorf("%d distinct keys for 3 unit configurations", len(keys))
	}
	for _, c := range []struct{ spec, want string }{
		{"loads: [0.5]\nunits:\n  mobility:\n    method: teleport\npolicies: [{migrate: age}]\n", "t.yaml:4: units.mobility.method: want weak"},
		{"loads: [0.5]\nunits:\n  resources:\n    - {name: db, binding: identifier, attachment: fixed}\n    - {name: x, binding: ref, attachment: fixed}\npolicies: [{migrate: age}]\n", "t.yaml:5: units.resources[1]"},
		{"loads: [0.5]\npolicies: [{migrate: age, paradigm: teleport}]\n", "t.yaml:2: policies[0].paradigm"},
		{"loads: [0.5]\nunits: {platforms: {builds: [{kernel: default, platforms: [arm64]}]}}\nplatforms: [x86_64]\npolicies: [{migrate: age}]\n", "t.yaml:3: platforms: no node can run class default"},
		{"loads: [0.5]\nunits: {colour: red}\npolicies: [{migrate: age}]\n", "t.yaml:2: colour is not a setting"},
	} {
		_, err := ParseSpec("t.yaml", []byte(c.spec))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got error %v, want one containing %q", err, c.want)
		}
	}
}

// TestShardMerge runs a spec in three shards and merges them: the merged
// store holds exactly the points of an unsharded sweep, with the same
// results; merging again adds nothing; a store of another spec is refused.
func TestShardMerge(t *testing.T) {
	s, err := ParseSpec("t.yaml", []byte(twoPolicies))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	full := filepath.Join(root, "full")
	if _, err := Sweep(context.Background(), s, Options{Out: full}); err != nil {
		t.Fatal(err)
	}
	var shards []string
	total := 0
	for i := 1; i <= 3; i++ {
		dir := filepath.Join(root, fmt.Sprintf("shard%d", i))
		sum, err := Sweep(context.Background(), s, Options{Out: dir, Shard: i, Shards: 3})
		if err != nil {
			t.Fatal(err)
		}
		total += sum.Points
		shards = append(shards, dir)
	}
	if total != 16 {
		t.Errorf("shards hold %d points, want 16", total)
	}
	merged := filepath.Join(root, "merged")
	sum, err := Merge(context.Background(), merged, shards)
	if err != nil || sum.Merged != 16 || sum.Missing != 0 || sum.Duplicates != 0 {
		t.Fatalf("merge: %+v, %v", sum, err)
	}
	want, _ := results.Read(full)
	got, _ := results.Read(merged)
	byKey := map[string]results.Result{}
	for _, r := range want {
		byKey[r.Point.Key] = r.Result
	}
	for _, r := range got {
		w, ok := byKey[r.Point.Key]
		if !ok || w.MeanResponse != r.Result.MeanResponse || w.P99Response != r.Result.P99Response {
			t.Errorf("point %s: merged %v, unsharded %v (%v)", r.Point.Key, r.Result.MeanResponse, w.MeanResponse, ok)
		}
	}
	if again, err := Merge(context.Background(), merged, shards); err != nil || again.Merged != 0 || again.Duplicates != 16 {
		t.Errorf("merging again: %+v, %v", again, err)
	}
	if part, err := Merge(context.Background(), filepath.Join(root, "part"), shards[:2]); err != nil || part.Missing == 0 {
		t.Errorf("two of three shards: %+v, %v, want missing points", part, err)
	}
	other, err := ParseSpec("o.yaml", []byte(strings.Replace(twoPolicies, "seed: 9", "seed: 10", 1)))
	if err != nil {
		t.Fatal(err)
	}
	odir := filepath.Join(root, "other")
	if _, err := Sweep(context.Background(), other, Options{Out: odir, Shard: 1, Shards: 8}); err != nil {
		t.Fatal(err)
	}
	if _, err := Merge(context.Background(), filepath.Join(root, "mixed"), []string{shards[0], odir}); err == nil || !IsInput(err) || !strings.Contains(err.Error(), "different specs") {
		t.Errorf("merging stores of two specs: %v", err)
	}
	for _, bad := range [][2]int{{0, 3}, {4, 3}, {1, -1}} {
		if _, err := Sweep(context.Background(), s, Options{Out: filepath.Join(root, "bad"), Shard: bad[0], Shards: bad[1]}); err == nil || !IsInput(err) {
			t.Errorf("shard %d/%d: %v", bad[0], bad[1], err)
		}
	}
}

// TestPrecision adds replications until every mean's 95% half-width is
// within the target, cell by cell, and stops at max_replications.
func TestPrecision(t *testing.T) {
	spec := `
name: prec
seed: 4
replications: 2
precision: 0.05
max_replications: 12
jobs: 4000
nodes: 4
loads: [0.3, 0.9]
policies:
  - dispatch: random
`
	s, err := ParseSpec("t.yaml", []byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	sum, err := Sweep(context.Background(), s, Options{Out: dir})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := results.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != sum.Points || sum.Points <= 4 {
		t.Fatalf("%d records, %d points: want replications added", len(recs), sum.Points)
	}
	for _, c := range stats.Summarize(recs) {
		if c.N > 12 {
			t.Errorf("ρ=%g: %d replications, more than max_replications", c.Load, c.N)
		}
		if c.N < 12 && stats.Imprecise(c, 0.05) {
			t.Errorf("ρ=%g: stopped at %d replications with half-width %.3f of %.3f", c.Load, c.N, c.MeanHalf, c.Mean)
		}
		if c.Load == 0.3 && (c.N <= 2 || c.N >= 12) {
			t.Errorf("ρ=0.3: %d replications: want some added, and fewer than at ρ=0.9's cap", c.N)
		}
		t.Logf("ρ=%g: %d replications, mean %.3f ± %.3f", c.Load, c.N, c.Mean, c.MeanHalf)
	}
	// Run again: everything is stored, nothing runs.
	again, err := Sweep(context.Background(), s, Options{Out: dir})
	if err != nil || again.Ran != 0 {
		t.Errorf("second run: %+v, %v", again, err)
	}
	for _, bad := range []string{"precision: 1.5", "precision: 0.01\nmax_replications: 1", "precision: 0.01\nbackend: local"} {
		if _, err := ParseSpec("t.yaml", []byte("loads: [0.5]\npolicies: [{dispatch: random}]\n"+bad+"\n")); err == nil || !IsInput(err) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// TestFaults checks the faults of a spec: their errors name file:line and
// setting, and points with faults get keys of their own.
func TestFaults(t *testing.T) {
	const base = `
nodes: 4
jobs: 1000
loads: [0.7]
backend: local
policies:
  - dispatch: random
  - {name: calm, dispatch: jsq, faults: []}
`
	good := base + `faults:
  - {at: 10, kind: kill, nodes: [3]}
  - {at: 5, kind: slow, nodes: [1], factor: 4, duration: 20}
  - {at: 7, kind: partition, nodes: [0, 1], peers: [2], duration: 5}
  - {at: 8, kind: cut, nodes: [0], peers: [1], duration: 5}
  - {at: 9, kind: drop, nodes: [2], fraction: 0.5, duration: 5}
  - {at: 9, kind: delay, nodes: [2], fraction: 0.5, delay: 1, duration: 5}
  - {at: 1, kind: pause, nodes: [0], duration: 3}
`
	s, err := ParseSpec("f.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	points, err := s.Points()
	if err != nil {
		t.Fatal(err)
	}
	plain, err := ParseSpec("p.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	plainPoints, _ := plain.Points()
	if points[0].Key == plainPoints[0].Key || len(points[0].Model.Faults) != 7 || points[0].Model.FaultBin <= 0 {
		t.Errorf("point with faults: key %s (without: %s), %d faults, bin %g", points[0].Key, plainPoints[0].Key, len(points[0].Model.Faults), points[0].Model.FaultBin)
	}
	if !strings.HasPrefix(points[0].Point.Faults, "kill(at=10, nodes=3); slow(at=5, nodes=1, duration=20, factor=4)") {
		t.Errorf("faults recorded as %q", points[0].Point.Faults)
	}
	if points[1].Model.Faults != nil || points[1].Key != plainPoints[1].Key {
		t.Errorf("a row with faults: [] has faults %v, or a key unlike the same point without faults", points[1].Model.Faults)
	}
	// The simulator runs every kind, and holds a request at most 1 s of
	// the time unit, as agents do.
	both, err := ParseSpec("s.yaml", []byte(strings.Replace(good, "backend: local", "backends: [sim, local]\ntime_unit: 5ms", 1)))
	if err != nil {
		t.Fatal(err)
	}
	bp, err := both.Points()
	if err != nil {
		t.Fatal(err)
	}
	simulated := 0
	for _, p := range bp {
		if len(p.Model.Faults) == 0 || p.Backend != "sim" {
			continue
		}
		simulated++
		if want := 200.0; p.HoldLimit != want {
			t.Errorf("%s point: hold limit %g, want %g (1 s of 5ms)", p.Backend, p.HoldLimit, want)
		}
	}
	if simulated == 0 {
		t.Errorf("no simulated point with faults among %d", len(bp))
	}
	for _, tc := range []struct{ spec, want string }{
		{base + "faults:\n  - {at: 1, kind: melt, nodes: [0]}\n", "b.yaml:10: faults[0].kind: unknown fault \"melt\""},
		{base + "faults:\n  - {at: 1, kind: kill, nodes: [4]}\n", "b.yaml:10: faults[0].nodes: node 4 is not in the cluster"},
		{base + "faults:\n  - {at: 1, kind: kill, nodes: [0, 1, 2, 3]}\n", "faults[0].nodes: every node would be killed"},
		{base + "faults:\n  - {at: 1, kind: slow, nodes: [0], factor: 0.5}\n", "faults[0].factor: slow divides the speed"},
		{base + "faults:\n  - {at: 1, kind: pause, nodes: [0]}\n", "faults[0].duration: pause needs a duration"},
		{base + "faults:\n  - {at: 1, kind: drop, nodes: [0], fraction: 2, duration: 1}\n", "faults[0].fraction"},
		{base + "faults:\n  - {at: 1, kind: kill, nodes: [0], duration: 3}\n", "faults[0].duration: kill takes no duration"},
		{base + "faults:\n  - {at: 1, kind: cut, nodes: [0, 1], peers: [2], duration: 3}\n", "faults[0].nodes: a cut is one link"},
		{base + "faults:\n  - {at: 1, kind: partition, nodes: [0], peers: [0], duration: 3}\n", "faults[0].peers: node 0 is on both sides"},
		{base + "faults:\n  - {at: 1, kind: evacuate, nodes: [0]}\n", "faults[0].kind: backend local: a planned evacuation runs in the simulator only so far"},
		{base + "costs: {links: nic}\n", "costs.links: backend local: shared links (nic) run in the simulator only so far"},
		{strings.Replace(base, "backend: local", "backend: sim", 1) + "costs: {links: pairs}\n", "costs.links: want dedicated"},
		{strings.Replace(base, "backend: local", "backend: sim", 1) + "faults:\n  - {at: 1, kind: evacuate, nodes: [0]}\n", "faults[0].kind: policies[0] (random): an evacuation moves work units"},
		{strings.Replace(base, "backend: local", "backend: sim", 1) + "units: {exec: {state: 1e6}}\nfaults:\n  - {at: 1, kind: evacuate, nodes: [0], method: teleport}\n", "faults[0].method: method: want weak, stop-and-copy"},
		{strings.Replace(base, "backend: local", "backend: sim", 1) + "units: {exec: {state: 1e6}}\nfaults:\n  - {at: 1, kind: evacuate, nodes: [0]}\n  - {at: 1, kind: kill, nodes: [1]}\n", "faults[1].kind: kill is not modelled together with work units"},
		{base + "faults:\n  - {at: 1, kind: kill, nodes: [0], method: pre-copy}\n", "faults[0].method: kill takes no method"},
		{strings.Replace(base, "backend: local", "backend: testbed\njoin: 127.0.0.1:7946", 1) + "faults:\n  - {at: 1, kind: kill, nodes: [0]}\n", "kill needs the agent's process"},
		{strings.Replace(base, "faults: []", "faults: [{at: 1, kind: kill, nodes: [9]}]", 1), "b.yaml:8: policies[1].faults[0].nodes: node 9"},
	} {
		_, err := ParseSpec("b.yaml", []byte(tc.spec))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want an error containing %q", err, tc.want)
		}
	}
}

// TestTraceSpec: a trace's file is relative to the spec's directory, and
// its points record the trace as the spec wrote it.
func TestTraceSpec(t *testing.T) {
	s, err := LoadSpec("../examples/trace.yaml")
	if err != nil {
		t.Fatal(err)
	}
	points, err := s.Points()
	if err != nil {
		t.Fatal(err)
	}
	p := points[0]
	if !strings.HasPrefix(p.Point.Arrival, "trace(file=../workload/testdata/traces/") || p.Point.Size != "trace" {
		t.Errorf("point records arrival %q, size %q", p.Point.Arrival, p.Point.Size)
	}
	dir := t.TempDir()
	spec := []byte("loads: [0.5]\npolicies: [{dispatch: random}]\nworkloads: [{arrival: \"trace(file=missing.csv)\"}]\n")
	if _, err := ParseSpec(filepath.Join(dir, "t.yaml"), spec); err == nil || !strings.Contains(err.Error(), "t.yaml:3: workloads[0].arrival:") || !strings.Contains(err.Error(), filepath.Join(dir, "missing.csv")) {
		t.Errorf("a missing trace: %v", err)
	}
}
