package node

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadlab/loadlab/node/executor"
	"github.com/loadlab/loadlab/node/wire"
	"github.com/loadlab/loadlab/param"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/workload"
)

// The tests in this file move work units between real agents (unit.go):
// real computations resumed bit for bit, the binding table's actions with
// real bytes and real remote uses, code on demand, and damaged units
// refused and kept.

// hop pushes the running job to the next node on every timer tick, so
// that a job moves many times while it runs (strong mobility).
type hop struct{ policy.Base }

const hopPeriod = 0.3 // model units between pushes

func (hop) Arrived(v policy.View, _ *policy.Job) policy.Action {
	return policy.Action{Wake: v.Now() + hopPeriod}
}

func (hop) Departed(v policy.View) policy.Action {
	return policy.Action{Wake: v.Now() + hopPeriod}
}

func (hop) Timer(v policy.View) policy.Action {
	jobs := v.Jobs(nil)
	if len(jobs) == 0 || !jobs[0].Running {
		return policy.Action{}
	}
	return policy.Action{Verb: policy.Push, Job: 0, Node: (v.Self() + 1) % policy.NodeID(v.Nodes()), Wake: v.Now() + hopPeriod}
}

// toFirst sends every job to node 0.
type toFirst struct{}

func (toFirst) Pick(policy.View, *policy.Job) policy.NodeID { return 0 }

// moveOnce moves every job fresh from the dispatcher to the next node.
type moveOnce struct{ policy.Base }

func (moveOnce) Arrived(v policy.View, j *policy.Job) policy.Action {
	if j.Hops > 0 {
		return policy.Action{}
	}
	return policy.Action{Verb: policy.Transfer, Node: (v.Self() + 1) % policy.NodeID(v.Nodes())}
}

func unitRegistry() *policy.Registry {
	r := policy.Builtin()
	r.AddMigrate(policy.Info{Name: "test.hop"}, func(param.Values) (policy.MigrateBuilder, error) {
		return func(policy.Env) policy.Migrator { return hop{} }, nil
	})
	r.AddMigrate(policy.Info{Name: "test.once"}, func(param.Values) (policy.MigrateBuilder, error) {
		return func(policy.Env) policy.Migrator { return moveOnce{} }, nil
	})
	r.AddDispatch(policy.Info{Name: "test.first"}, func(param.Values) (policy.DispatchBuilder, error) {
		return func(policy.Env) policy.Dispatcher { return toFirst{} }, nil
	})
	return r
}

// unitPoint is a small point on a local cluster with the test policies.
func unitPoint(t *testing.T, nodes int, dispatch, migrate string, load float64, jobs int) PointConfig {
	t.Helper()
	c := pointWith(t, unitRegistry(), nodes, dispatch, migrate, load, jobs, 5*time.Millisecond)
	c.Warmup, c.Seed = 1, 5
	return c
}

// clusterContext skips a test that starts real clusters under -short,
// runs it in parallel with the package's other such tests (they assert
// counts and bytes, not timing) and gives it a minute.
func clusterContext(t *testing.T) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("starts real clusters")
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// runMovedOnce runs c, whose migration policy moves every job once
// (test.once), and fails unless every job completed and moved once.
func runMovedOnce(ctx context.Context, t *testing.T, c PointConfig) results.Result {
	t.Helper()
	r, err := RunLocal(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	checkAllEnded(t, r)
	if r.Migrations != r.JobsIssued {
		t.Fatalf("%d moves for %d jobs, want one each", r.Migrations, r.JobsIssued)
	}
	return r
}

// checkAllEnded fails unless every job completed, exactly once.
func checkAllEnded(t *testing.T, r results.Result) {
	t.Helper()
	if r.JobsCompleted != r.JobsIssued || r.JobsFailed != 0 {
		t.Fatalf("%d of %d jobs completed, %d failed (%v): want all completed", r.JobsCompleted, r.JobsIssued, r.JobsFailed, r.Failures)
	}
}

// TestUnitsResumeBitForBit runs real SHA-256 computations on agents that
// push every running job on, again and again, through its checkpoint: each
// job's result equals that of an uninterrupted run of the same unit.
func TestUnitsResumeBitForBit(t *testing.T) {
	ctx := clusterContext(t)
	c := unitPoint(t, 3, "rr", "test.hop", 0.5, 50)
	c.Kernel = executor.KernelHash
	c.TimeUnit = 20 * time.Millisecond
	var mu sync.Mutex
	got := map[int64][]byte{}
	c.OnResult = func(id int64, res []byte) {
		mu.Lock()
		got[id] = bytes.Clone(res)
		mu.Unlock()
	}
	r, err := RunLocal(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	checkAllEnded(t, r)
	if r.Preemptions < 20 {
		t.Fatalf("only %d running jobs pushed: the test moved too little to mean anything", r.Preemptions)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != int(r.JobsIssued) {
		t.Fatalf("%d results for %d jobs", len(got), r.JobsIssued)
	}
	for id, res := range got {
		fin, err := executor.ResumeComputation(res)
		if err != nil {
			t.Fatalf("job %d: result: %v", id, err)
		}
		if !fin.Finished() || fin.Seed != id {
			t.Fatalf("job %d: result of seed %d, %d of %d iterations", id, fin.Seed, fin.Done, fin.Iters)
		}
		ref, _ := executor.NewComputation(fin.Kernel, fin.Seed, fin.Iters)
		for !ref.Finished() {
			ref.Run(1 << 16)
		}
		if !bytes.Equal(ref.Result(), fin.Result()) {
			t.Fatalf("job %d: migrated result %x, uninterrupted %x", id, fin.Result(), ref.Result())
		}
	}
	t.Logf("%d jobs, %d pushed while running (%.1f per job), every result equal to an uninterrupted run's", len(got), r.Preemptions, float64(r.Preemptions)/float64(len(got)))
}

// TestUnitsBindingTable moves units with one resource from node 0 to node
// 1 under each cell of the binding table (its default action, and the
// overrides the table allows), with real bytes and real remote uses.
func TestUnitsBindingTable(t *testing.T) {
	t.Parallel() // cells of two agents each, asserting counts only
	const resBytes, uses = 3000, 2.0
	type cell struct {
		b      workload.Binding
		a      workload.Attachment
		action workload.Action // "" = the default
	}
	var cells []cell
	for _, b := range []workload.Binding{workload.ByIdentifier, workload.ByValue, workload.ByType} {
		for _, a := range []workload.Attachment{workload.Unattached, workload.Fastened, workload.Fixed} {
			cells = append(cells, cell{b, a, ""})
		}
	}
	cells = append(cells, cell{workload.ByValue, workload.Unattached, workload.Move}, cell{workload.ByType, workload.Fastened, workload.Copy})
	for _, tc := range cells {
		rule, _ := workload.RuleFor(tc.b, tc.a)
		act := rule.Default
		if tc.action != "" {
			act = tc.action
		}
		t.Run(fmt.Sprintf("%s-%s-%s", tc.b, tc.a, act), func(t *testing.T) {
			ctx := clusterContext(t)
			c := unitPoint(t, 2, "test.first", "test.once", 0.3, 30)
			uc := workload.UnitConfig{Unit: workload.Unit{Resources: []workload.Resource{{Name: "db", Binding: tc.b, Attachment: tc.a, Bytes: resBytes, Uses: uses, UseBytes: 100}}}}
			if tc.action != "" {
				uc.Actions = workload.ActionOverrides{tc.b: {tc.a: tc.action}}
			}
			c.Units = &uc
			var served atomic.Int64 // remote uses that reached node 0
			c.agentHook = func(ac *AgentConfig) { ac.onAccess = func() { served.Add(1) } }
			r := runMovedOnce(ctx, t, c)
			wantBytes := 0.0
			if act == workload.Move || act == workload.Copy {
				wantBytes = resBytes * float64(r.Migrations)
			}
			if r.ResourceBytes != wantBytes {
				t.Errorf("%s: %v resource bytes sent in %d moves, want %v", act, r.ResourceBytes, r.Migrations, wantBytes)
			}
			if act == workload.Reference {
				// Each job makes floor(size × uses) uses; sizes are exponential with mean 1.
				lo, hi := 0.5*uses*float64(r.JobsIssued)-10, 1.5*uses*float64(r.JobsIssued)
				if f := float64(r.RemoteUses); f < lo || f > hi || served.Load() != r.RemoteUses {
					t.Errorf("global reference: %d remote uses made, %d served at the resource's node; want the same, about %v", r.RemoteUses, served.Load(), uses*float64(r.JobsIssued))
				}
			} else if r.RemoteUses != 0 || served.Load() != 0 {
				t.Errorf("%s: %d remote uses (%d served), want none: the resource is local", act, r.RemoteUses, served.Load())
			}
			t.Logf("%d moves, %v resource bytes, %d remote uses, mean move %.4f units", r.Migrations, r.ResourceBytes, r.RemoteUses, r.MeanMigrationTime)
		})
	}
}

// TestUnitsCodeAndState moves units with code, state and a paradigm, and
// counts the bytes by segment and the code caches' hits.
func TestUnitsCodeAndState(t *testing.T) {
	const code, state = 5000.0, 20000.0
	for _, tc := range []struct {
		paradigm  string
		codeBytes func(moves, fetches int64) float64
	}{
		{"mobile-agent", func(m, _ int64) float64 { return code * float64(m) }},
		{"remote-evaluation", func(m, _ int64) float64 { return code * float64(m) }},
		{"code-on-demand", func(_, f int64) float64 { return code * float64(f) }},
	} {
		t.Run(tc.paradigm, func(t *testing.T) {
			ctx := clusterContext(t)
			c := unitPoint(t, 3, "rr", "test.once", 0.3, 40)
			c.HitBin = 50
			c.Units = &workload.UnitConfig{Unit: workload.Unit{Code: workload.CodeSegment{Bytes: code}, Exec: workload.ExecSegment{State: state}}, Paradigm: tc.paradigm}
			var fetches atomic.Int64
			c.agentHook = func(ac *AgentConfig) { ac.onFetch = func() { fetches.Add(1) } }
			r := runMovedOnce(ctx, t, c)
			if want := tc.codeBytes(r.Migrations, fetches.Load()); r.CodeBytes != want {
				t.Errorf("%v code bytes in %d moves and %d fetches, want %v", r.CodeBytes, r.Migrations, fetches.Load(), want)
			}
			if want := state * float64(r.Migrations); r.StateBytes != want {
				t.Errorf("%v state bytes in %d moves, want %v (the initial state: weak moves)", r.StateBytes, r.Migrations, want)
			}
			// A destination holds the code once it had a dispatch (or, with
			// code on demand, a fetch): at most one miss per agent.
			if r.CodeHitRate < 1-3/float64(r.Migrations) || fetches.Load() > 3 {
				t.Errorf("hit rate %v over %d moves with %d fetches: want at most one miss per agent", r.CodeHitRate, r.Migrations, fetches.Load())
			}
			if len(r.CodeHits) == 0 || r.CodeHitBin != 50 {
				t.Errorf("no hit series: %v per %v", r.CodeHits, r.CodeHitBin)
			}
		})
	}
}

// TestUnitsCodeFetched: with code on demand and a dispatcher that sends
// everything to node 0, node 1 lacks the code until its first fetch; a
// cache too small for two kernels makes it fetch again and again.
func TestUnitsCodeFetched(t *testing.T) {
	ctx := clusterContext(t)
	c := unitPoint(t, 2, "test.first", "test.once", 0.3, 30)
	c.Units = &workload.UnitConfig{Unit: workload.Unit{Code: workload.CodeSegment{Bytes: 4000}}, Paradigm: "code-on-demand"}
	var fetches atomic.Int64
	c.agentHook = func(ac *AgentConfig) { ac.onFetch = func() { fetches.Add(1) } }
	r, err := RunLocal(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	checkAllEnded(t, r)
	if fetches.Load() != 1 || r.CodeBytes != 4000 {
		t.Errorf("%d fetches, %v code bytes: want one fetch of 4000 bytes (then cached)", fetches.Load(), r.CodeBytes)
	}
	if want := 1 - 1/float64(r.Migrations); math.Abs(r.CodeHitRate-want) > 1e-9 {
		t.Errorf("hit rate %v over %d moves, want %v (one miss)", r.CodeHitRate, r.Migrations, want)
	}
}

// TestMovesCountedWhole: a moved job can run at its receiver and be
// reported done, ending the point, before its sender has counted the
// move; the counts the coordinator collects must still have every move.
// Each sender here waits 200 ms after the receiver's acknowledgement, far
// longer than the job runs.
func TestMovesCountedWhole(t *testing.T) {
	ctx := clusterContext(t)
	c := unitPoint(t, 2, "test.first", "test.once", 0.3, 10)
	c.Units = nil
	c.agentHook = func(ac *AgentConfig) { ac.afterAck = func() { time.Sleep(200 * time.Millisecond) } }
	r, err := RunLocal(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	checkAllEnded(t, r)
	if r.Migrations != 10 || r.BytesMoved <= 0 {
		t.Errorf("%d moves counted (%v bytes), want 10: one per job", r.Migrations, r.BytesMoved)
	}
}

// TestUnitsDamagedRefused damages every other unit on its way: the
// receiver refuses it by its checksum, and it runs at its origin instead,
// once.
func TestUnitsDamagedRefused(t *testing.T) {
	ctx := clusterContext(t)
	c := unitPoint(t, 3, "rr", "test.hop", 0.5, 100)
	c.Kernel = executor.KernelHash
	c.Units = &workload.UnitConfig{Unit: workload.Unit{Exec: workload.ExecSegment{State: 2000, Growth: 1000}}}
	var n, damaged atomic.Int64
	c.agentHook = func(ac *AgentConfig) {
		ac.damage = func(j *wire.Job) {
			if n.Add(1)%2 == 0 {
				damaged.Add(1)
				j.State = bytes.Clone(j.State) // shared with other units
				j.State[len(j.State)/2] ^= 0x10
			}
		}
	}
	var mu sync.Mutex
	results := map[int64]int{}
	c.OnResult = func(id int64, res []byte) {
		mu.Lock()
		results[id]++
		mu.Unlock()
		fin, err := executor.ResumeComputation(res)
		if err != nil || !fin.Finished() {
			t.Errorf("job %d: bad result %v", id, err)
		}
	}
	r, err := RunLocal(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	checkAllEnded(t, r)
	if damaged.Load() < 5 || r.Migrations < 5 {
		t.Fatalf("only %d units damaged (%d moves, %d refused, failures %v): too few to mean anything", damaged.Load(), r.Migrations, r.RefusedMoves, r.Failures)
	}
	for id, k := range results {
		if k != 1 {
			t.Errorf("job %d completed %d times", id, k)
		}
	}
	t.Logf("%d units damaged and refused, %d moved; all %d jobs completed once", damaged.Load(), r.Migrations, r.JobsCompleted)
}

// TestUnitsPulled: receiver-initiated moves (steal) carry the units'
// segments as pushes do.
func TestUnitsPulled(t *testing.T) {
	ctx := clusterContext(t)
	c := unitPoint(t, 4, "random", "steal", 0.7, 300)
	const state = 30000.0
	c.Units = &workload.UnitConfig{Unit: workload.Unit{Code: workload.CodeSegment{Bytes: 1000}, Exec: workload.ExecSegment{State: state}}}
	r, err := RunLocal(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	checkAllEnded(t, r)
	if r.Migrations == 0 || r.Preemptions != 0 {
		t.Fatalf("steal moved %d units (%d running): want waiting units moved", r.Migrations, r.Preemptions)
	}
	if r.StateBytes != state*float64(r.Migrations) || r.CodeBytes != 1000*float64(r.Migrations) {
		t.Errorf("%d pulled units carried %v state and %v code bytes, want %v and %v each", r.Migrations, r.StateBytes, r.CodeBytes, state, 1000)
	}
}

// TestUnitsLiveMethods moves running units by pre-copy and post-copy on
// real agents: pre-copy sends the state in live rounds before the unit
// stops, so a move's downtime is shorter than its total time; post-copy
// sends the context with the unit and the rest after it resumes. (With a
// CPU kernel on every agent of a 2-core machine the rounds starve and the
// units finish first: the sleep kernel leaves the network its CPU.)
func TestUnitsLiveMethods(t *testing.T) {
	for _, method := range []workload.Method{workload.PreCopy, workload.PostCopy} {
		t.Run(string(method), func(t *testing.T) {
			ctx := clusterContext(t)
			c := unitPoint(t, 3, "rr", "test.hop", 0.5, 60)
			w, err := workload.New(workload.Config{Arrival: "poisson", Size: "det(value=3)"}) // long enough to outlive the rounds
			if err != nil {
				t.Fatal(err)
			}
			c.Workload = w
			// At 20 ms a unit a job runs 60 ms: on a busy machine the
			// pre-copy rounds of 5 ms units outlasted every job, and the
			// moves were all abandoned (no unit moved). Five times as long under
			// -race (race_test.go).
			c.TimeUnit = raceScale * 20 * time.Millisecond
			const state, dirty, context = 400e3, 50e3, 20e3 // bytes; dirty per model unit
			c.Units = &workload.UnitConfig{Unit: workload.Unit{Exec: workload.ExecSegment{State: state, Dirty: dirty, Context: context}},
				Mobility: workload.Mobility{Method: method, Threshold: 1000}}
			r, err := RunLocal(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			checkAllEnded(t, r)
			if r.Preemptions < 5 {
				t.Fatalf("only %d running units moved (%d moves, %d refused)", r.Preemptions, r.Migrations, r.RefusedMoves)
			}
			perMove := r.StateBytes / float64(r.Migrations)
			switch method {
			case workload.PreCopy:
				// The whole state in the first round, what it dirtied after.
				if perMove < state || r.MeanDowntime >= r.MeanMigrationTime {
					t.Errorf("pre-copy: %.0f state bytes a move (want ≥ %v: the first round), downtime %.4f against total %.4f (want shorter)",
						perMove, state, r.MeanDowntime, r.MeanMigrationTime)
				}
			case workload.PostCopy:
				// The context with the unit, the rest pushed after it: the state once.
				if perMove < state || perMove > 1.5*state+context || r.MeanDowntime >= r.MeanMigrationTime {
					t.Errorf("post-copy: %.0f state bytes a move (want about the state, %v, and its growth), downtime %.4f against total %.4f (want shorter)",
						perMove, state, r.MeanDowntime, r.MeanMigrationTime)
				}
			}
			t.Logf("%s: %d moves (%d running), %.0f state bytes a move, total %.4f, downtime %.4f", method, r.Migrations, r.Preemptions, perMove, r.MeanMigrationTime, r.MeanDowntime)
		})
	}
}
