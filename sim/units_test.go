package sim

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/workload"
)

// The tests in this file check the migrations of work units (Config.Units)
// against the closed forms of package workload, in small scenarios driven
// by test policies.

// units resolves c for the given classes or fails the test.
func units(t *testing.T, c workload.UnitConfig, classes ...string) *workload.Units {
	t.Helper()
	if len(classes) == 0 {
		classes = []string{"default"}
	}
	u, err := workload.NewUnits(c, classes)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// toNode0 dispatches every job to node 0.
func toNode0(policy.Env) policy.Dispatcher { return fixedD{} }

type fixedD struct{}

func (fixedD) Pick(policy.View, *policy.Job) policy.NodeID { return 0 }

// sendOn transfers every job fresh from the dispatcher to node to, or to
// a random other node when to is policy.None.
type sendOn struct {
	policy.Base
	to policy.NodeID
}

func (s sendOn) Arrived(v policy.View, j *policy.Job) policy.Action {
	if j.Hops > 0 {
		return policy.Action{}
	}
	to := s.to
	if to == policy.None {
		to = policy.NodeID(1 + v.Rand().IntN(v.Nodes()-1))
		if to == v.Self() {
			to = 0
		}
	}
	return policy.Action{Verb: policy.Transfer, Node: to}
}

// detWorkload is deterministic arrivals and sizes: with a load low enough
// no job ever waits, so every response is known exactly.
func detWorkload(t *testing.T, size string) *workload.Workload {
	t.Helper()
	w, err := workload.New(workload.Config{Arrival: "det", Size: size})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestBindingTable moves every job once, from node 0 to node 1, with one
// resource in each cell of the binding table (and overrides), and checks
// the resource bytes sent per move and the remote-access time the job then
// pays per unit of progress, seen in its response time: jobs of size 1
// arrive every 2.5 units and never wait, so a response is the move's time
// plus 1 + RemoteTime.
func TestBindingTable(t *testing.T) {
	const (
		lat, bw  = 0.01, 1e5
		resBytes = 1000.0
		uses     = 2.0
		useBytes = 100.0
	)
	useCost := uses * (2*lat + useBytes/bw)
	for _, c := range []struct {
		b      workload.Binding
		a      workload.Attachment
		over   workload.Action // "" = the cell's default
		bytes  float64         // resource bytes per move
		remote bool
	}{
		{workload.ByIdentifier, workload.Unattached, "", resBytes, false}, // move
		{workload.ByIdentifier, workload.Fastened, "", 0, true},           // global reference
		{workload.ByIdentifier, workload.Fixed, "", 0, true},              // global reference, always
		{workload.ByValue, workload.Unattached, "", resBytes, false},      // copy
		{workload.ByValue, workload.Fastened, "", 0, true},                // global reference
		{workload.ByValue, workload.Fixed, "", 0, true},                   // global reference
		{workload.ByType, workload.Unattached, "", 0, false},              // rebind
		{workload.ByType, workload.Fastened, "", 0, false},                // rebind
		{workload.ByType, workload.Fixed, "", 0, false},                   // rebind
		{workload.ByIdentifier, workload.Fastened, workload.Move, resBytes, false},
		{workload.ByIdentifier, workload.Unattached, workload.Reference, 0, true},
		{workload.ByValue, workload.Unattached, workload.Reference, 0, true},
		{workload.ByType, workload.Fixed, workload.Reference, 0, true},
		{workload.ByType, workload.Fastened, workload.Copy, resBytes, false},
	} {
		name := string(c.b) + "/" + string(c.a)
		if c.over != "" {
			name += "→" + string(c.over)
		}
		t.Run(name, func(t *testing.T) {
			uc := workload.UnitConfig{Unit: workload.Unit{Resources: []workload.Resource{
				{Name: "r", Binding: c.b, Attachment: c.a, Bytes: resBytes, Uses: uses, UseBytes: useBytes},
			}}}
			if c.over != "" {
				uc.Actions = workload.ActionOverrides{c.b: {c.a: c.over}}
			}
			cfg := Config{Model: scenario.Model{Nodes: 2, Load: 0.2, Jobs: 200, Seed: 1, Workload: detWorkload(t, "det(value=1)")}, Costs: Costs{Latency: lat, Bandwidth: bw}, Units: units(t, uc)}
			r := run(t, cfg, toNode0, func(policy.Env) policy.Migrator { return sendOn{to: 1} })
			if r.Migrations != int64(cfg.Jobs) || r.RefusedMoves != 0 {
				t.Fatalf("%d migrations, %d refused, want %d and 0", r.Migrations, r.RefusedMoves, cfg.Jobs)
			}
			if got := r.ResourceBytes / float64(r.Migrations); got != c.bytes {
				t.Errorf("resource bytes per move %g, want %g", got, c.bytes)
			}
			if r.BytesMoved != r.ResourceBytes || r.CodeBytes != 0 || r.StateBytes != 0 {
				t.Errorf("bytes moved %g, want only the resource's %g (code %g, state %g)", r.BytesMoved, r.ResourceBytes, r.CodeBytes, r.StateBytes)
			}
			want := lat + c.bytes/bw + 1
			if c.remote {
				want += useCost
			}
			if math.Abs(r.MeanResponse-want) > 1e-9 || math.Abs(r.MeanMigrationTime-(lat+c.bytes/bw)) > 1e-12 {
				t.Errorf("mean response %.9f, migration time %.9f; want %.9f and %.9f", r.MeanResponse, r.MeanMigrationTime, want, lat+c.bytes/bw)
			}
		})
	}
}

// pushAt pushes the job running at node 0 to node 1 once, at time at
// after its arrival (a timer).
type pushAt struct {
	policy.Base
	at float64
}

func (p pushAt) Arrived(v policy.View, j *policy.Job) policy.Action {
	if v.Self() != 0 {
		return policy.Action{}
	}
	return policy.Action{Wake: v.Now() + p.at}
}

func (p pushAt) Timer(v policy.View) policy.Action {
	return policy.Action{Verb: policy.Push, Node: 1, Job: 0}
}

// TestStrongMethods moves one running job of size 10 after 2 units of
// work, by each method, and checks the migration time and downtime against
// the closed forms (workload.Units.Migrate) and the job's response: 10 plus
// the time the move adds (the downtime; weak: the move and the lost work;
// pre-copy runs during its rounds).
func TestStrongMethods(t *testing.T) {
	const progress = 2.0
	link := workload.Link{Bandwidth: 1e6, Latency: 0.01}
	unit := workload.Unit{
		Code: workload.CodeSegment{Bytes: 1e5},
		Exec: workload.ExecSegment{State: 1e6, Growth: 1e5, Dirty: 2e5, Context: 1e4},
	}
	for _, c := range []struct {
		method    workload.Method
		slowdown  float64
		responseΔ func(workload.Cost) float64
	}{
		{workload.Weak, 0, func(c workload.Cost) float64 { return c.Total + progress }},
		{workload.StopAndCopy, 0, func(c workload.Cost) float64 { return c.Total }},
		{workload.PreCopy, 0, func(c workload.Cost) float64 { return c.Downtime }},
		{workload.PostCopy, 0, func(c workload.Cost) float64 { return c.Downtime }},
		{workload.PostCopy, 3, func(c workload.Cost) float64 { return c.Delay }},
	} {
		t.Run(string(c.method), func(t *testing.T) {
			u := units(t, workload.UnitConfig{Unit: unit, Mobility: workload.Mobility{Method: c.method, Slowdown: c.slowdown}})
			want, _, err := u.Migrate(workload.Migration{Progress: progress, Link: link})
			if err != nil {
				t.Fatal(err)
			}
			cfg := Config{Model: scenario.Model{Nodes: 2, Load: 0.1, Jobs: 1, Batches: 2, Seed: 1, Workload: detWorkload(t, "det(value=10)")}, Costs: Costs{Latency: link.Latency, Bandwidth: link.Bandwidth}, Units: u}
			r := run(t, cfg, toNode0, func(policy.Env) policy.Migrator { return pushAt{at: progress} })
			if r.Migrations != 1 || r.Preemptions != 1 {
				t.Fatalf("%d migrations, %d preemptions: want the one push", r.Migrations, r.Preemptions)
			}
			if r.MeanDowntime != want.Downtime || r.MeanMigrationTime != want.Total || r.BytesMoved != want.Bytes {
				t.Errorf("downtime %g, migration time %g, bytes %g; want %g, %g, %g", r.MeanDowntime, r.MeanMigrationTime, r.BytesMoved, want.Downtime, want.Total, want.Bytes)
			}
			if r.StateBytes != want.StateBytes || r.CodeBytes != want.CodeBytes {
				t.Errorf("state bytes %g, code bytes %g; want %g, %g", r.StateBytes, r.CodeBytes, want.StateBytes, want.CodeBytes)
			}
			if got, w := r.MeanResponse, 10+c.responseΔ(want); math.Abs(got-w) > 1e-9 {
				t.Errorf("response %.9f, want %.9f", got, w)
			}
		})
	}
}

// TestWeakAgainstStrong runs the age-based preemptive policy of
// Harchol-Balter & Downey on heavy-tailed sizes: it moves old running jobs,
// which strong mobility carries with their progress and weak mobility
// restarts, so strong mobility must win.
func TestWeakAgainstStrong(t *testing.T) {
	w, err := workload.New(workload.Config{Size: "bpareto(alpha=1.1, min=0.1, max=1000)"})
	if err != nil {
		t.Fatal(err)
	}
	unit := workload.Unit{Code: workload.CodeSegment{Bytes: 1e5}, Exec: workload.ExecSegment{State: 1e5, Growth: 1e4}}
	res := map[workload.Method]float64{}
	for _, m := range []workload.Method{workload.Weak, workload.StopAndCopy} {
		cfg := Config{Model: scenario.Model{Nodes: 8, Load: 0.7, Jobs: 40000, Seed: 2, Workload: w}, Costs: Costs{Latency: 0.01, Bandwidth: 1e7}, Units: units(t, workload.UnitConfig{Unit: unit, Mobility: workload.Mobility{Method: m}})}
		r := mustRunCfg(t, cfg, "random", "age") // weak mobility can make it unstable: no Little's law here
		if r.Preemptions == 0 {
			t.Fatalf("%s: no running job moved", m)
		}
		t.Logf("%s: mean response %.3f, %d preemptions, %.3f migrations per job", m, r.MeanResponse, r.Preemptions, r.MigrationsPerJob)
		res[m] = r.MeanResponse
	}
	if res[workload.StopAndCopy] >= 0.8*res[workload.Weak] {
		t.Errorf("mean response: strong %.3f, weak %.3f: want strong at least 20%% better", res[workload.StopAndCopy], res[workload.Weak])
	}
}

// mustRunCfg runs cfg (with its workload) under registered policies.
func mustRunCfg(t *testing.T, cfg Config, d, m string) results.Result {
	t.Helper()
	reg := policy.Builtin()
	var err error
	if cfg.Dispatch, err = reg.Dispatch(d); err != nil {
		t.Fatal(err)
	}
	if cfg.Migrate, err = reg.Migrate(m); err != nil {
		t.Fatal(err)
	}
	r, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestCodeOnDemandWarms sends every job from node 0 to a random other node
// under code on demand: each node fetches the code on its first move and
// hits afterwards, so the hit rate rises with the number of moves and the
// code crosses the wire once per node.
func TestCodeOnDemandWarms(t *testing.T) {
	const nodes, codeBytes = 10, 5e5
	u := units(t, workload.UnitConfig{Unit: workload.Unit{Code: workload.CodeSegment{Bytes: codeBytes}}, Paradigm: "code-on-demand"})
	prev := -1.0
	for _, jobs := range []int{12, 100, 1000} {
		cfg := Config{Model: scenario.Model{Nodes: nodes, Load: 0.05, Jobs: jobs, Batches: 2, Seed: 3}, Costs: Costs{Latency: 0.01, Bandwidth: 1e7}, Units: u}
		r := run(t, cfg, toNode0, func(policy.Env) policy.Migrator { return sendOn{to: policy.None} })
		misses := float64(r.Migrations) * (1 - r.CodeHitRate)
		if math.Abs(misses-math.Round(misses)) > 1e-6 || math.Round(misses) > nodes-1 || r.CodeBytes != math.Round(misses)*codeBytes {
			t.Errorf("%d jobs: %g misses, %g code bytes: want at most one fetch of %g bytes per node", jobs, misses, r.CodeBytes, codeBytes)
		}
		if r.CodeHitRate <= prev {
			t.Errorf("%d jobs: hit rate %.3f, want above %.3f (fewer jobs)", jobs, r.CodeHitRate, prev)
		}
		prev = r.CodeHitRate
	}
	if prev < 0.99 {
		t.Errorf("hit rate %.3f after 1000 moves to 9 nodes, want ≥ 0.99", prev)
	}
}

// hopper pushes the running job at a node to the next node whenever a job
// arrives there, and checks that no job has moved more than max times.
type hopper struct {
	policy.Base
	t    *testing.T
	max  int32
	jobs []policy.JobInfo
}

func (h *hopper) Arrived(v policy.View, _ *policy.Job) policy.Action {
	h.jobs = v.Jobs(h.jobs)
	for _, j := range h.jobs {
		if j.Hops > h.max {
			h.t.Fatalf("job %d made %d hops, limit %d", j.ID, j.Hops, h.max)
		}
	}
	if len(h.jobs) < 2 || !h.jobs[0].Running {
		return policy.Action{}
	}
	return policy.Action{Verb: policy.Push, Node: (v.Self() + 1) % policy.NodeID(v.Nodes()), Job: 0}
}

// TestHopLimit: a mobile agent limited to one hop is moved once and then
// refused, and stays where it is.
func TestHopLimit(t *testing.T) {
	for _, hops := range []int32{1, 3} {
		u := units(t, workload.UnitConfig{Paradigm: fmt.Sprintf("mobile-agent(hops=%d)", hops)})
		cfg := Config{Model: scenario.Model{Nodes: 4, Load: 0.8, Jobs: 20000, Seed: 4}, Units: u}
		r := run(t, cfg, randomDispatch, func(policy.Env) policy.Migrator { return &hopper{t: t, max: hops} })
		checkLittle(t, r)
		if r.RefusedMoves == 0 || r.Migrations == 0 {
			t.Errorf("hops=%d: %d moves, %d refused: want both", hops, r.Migrations, r.RefusedMoves)
		}
	}
}

// TestPlatformRefuses: a kernel built only for x86_64, no interpreter, on
// nodes [x86_64, arm64]: dispatches to the arm64 node are redirected and
// pushes there refused, so that node never works; with an interpreter
// tier at half speed, units run there at half speed.
func TestPlatformRefuses(t *testing.T) {
	builds := []workload.Build{{Kernel: "default", Platforms: []string{"x86_64"}}}
	cfg := Config{Model: scenario.Model{Nodes: 2, Load: 0.3, Jobs: 10000, Seed: 5, Platforms: []string{"x86_64", "arm64"}}, Units: units(t, workload.UnitConfig{Platforms: workload.Platforms{Builds: builds}})}
	r := run(t, cfg, randomDispatch, func(policy.Env) policy.Migrator { return sendOn{to: policy.None} })
	if r.Migrations != 0 || r.RefusedMoves == 0 || r.RedirectedJobs == 0 {
		t.Errorf("%d moves, %d refused, %d redirected: want none, some, some", r.Migrations, r.RefusedMoves, r.RedirectedJobs)
	}
	if r.NodeUtilization[1] != 0 || math.Abs(r.NodeUtilization[0]-2*cfg.Load) > 0.03 {
		t.Errorf("utilisation %v: want all the work (%.2f) on node 0", r.NodeUtilization, 2*cfg.Load)
	}

	// With an interpreter, everything goes to node 1 and runs at half speed.
	cfg.Load = 0.2
	cfg.Units = units(t, workload.UnitConfig{Platforms: workload.Platforms{Builds: builds, Interpreter: 0.5}})
	r = run(t, cfg, toNode0, func(policy.Env) policy.Migrator { return sendOn{to: 1} })
	if r.RefusedMoves != 0 || r.Migrations != int64(cfg.Jobs) {
		t.Errorf("%d moves, %d refused: want all moved", r.Migrations, r.RefusedMoves)
	}
	if math.Abs(r.NodeUtilization[1]-4*cfg.Load) > 0.05 {
		t.Errorf("utilisation of the interpreting node %.3f, want about %.2f (twice its work)", r.NodeUtilization[1], 4*cfg.Load)
	}
}

// TestPoliciesSeePlatforms: the catalogue's random dispatch reads
// Env.Runs and never places a job where it cannot run, so nothing is
// redirected; the test's own random dispatch, blind to platforms, is.
func TestPoliciesSeePlatforms(t *testing.T) {
	builds := []workload.Build{{Kernel: "default", Platforms: []string{"x86_64"}}}
	cfg := Config{Model: scenario.Model{Nodes: 4, Load: 0.3, Jobs: 5000, Seed: 5, Platforms: []string{"x86_64", "arm64", "x86_64", "arm64"}}, Units: units(t, workload.UnitConfig{Platforms: workload.Platforms{Builds: builds}})}
	blind := run(t, cfg, randomDispatch, func(policy.Env) policy.Migrator { return sendOn{to: policy.None} })
	if blind.RedirectedJobs == 0 {
		t.Fatalf("a dispatcher blind to platforms had no job redirected")
	}
	spec, err := policy.Builtin().Dispatch("random")
	if err != nil {
		t.Fatal(err)
	}
	seeing := run(t, cfg, spec.New, func(policy.Env) policy.Migrator { return sendOn{to: policy.None} })
	if seeing.RedirectedJobs != 0 || seeing.NodeUtilization[1] != 0 || seeing.NodeUtilization[3] != 0 {
		t.Errorf("random with Env.Runs: %d jobs redirected, utilisation %v: want none redirected and the arm64 nodes idle", seeing.RedirectedJobs, seeing.NodeUtilization)
	}
}
