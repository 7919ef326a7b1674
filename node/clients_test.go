package node

import (
	"context"
	"math"
	"net"
	"testing"
	"time"

	"github.com/loadlab/loadlab/client"
	"github.com/loadlab/loadlab/fault"
	"github.com/loadlab/loadlab/node/gossip"
	"github.com/loadlab/loadlab/node/wire"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/workload"
)

// agentPoint is a point of 8 agents of one server each, with dispatch, no
// migration and workload wc, run at unit a model unit.
func agentPoint(t *testing.T, dispatch string, wc workload.Config, load float64, jobs int, seed uint64, unit time.Duration) PointConfig {
	t.Helper()
	reg := policy.Builtin()
	d, err := reg.Dispatch(dispatch)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := reg.Migrate("none")
	w, err := workload.New(wc)
	if err != nil {
		t.Fatal(err)
	}
	return PointConfig{Model: scenario.Model{Nodes: 8, Servers: 1, Load: load, Jobs: jobs, Warmup: jobs / 10, Seed: seed,
		Workload: w, Dispatch: d, Migrate: m}, TimeUnit: unit}
}

// clientPoint is a point of 8 agents (10 ms unit) with dispatch,
// exp(mean=1) sizes, tasks tasks a request and client policy cp ("":
// none).
func clientPoint(t *testing.T, dispatch string, load float64, jobs, tasks int, cp string) PointConfig {
	t.Helper()
	cfg := agentPoint(t, dispatch, workload.Config{Size: "exp(mean=1)", Tasks: tasks}, load, jobs, 5, 10*time.Millisecond)
	p, err := client.Parse(cp)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Client = p
	return cfg
}

// endedOnce checks that every request of r ended once: completed and
// failed add up to the requests issued (the book takes one end a request,
// the ledger checks conservation), and hardly any copy's end was reported
// for a copy already ended. A few may be, as for plain jobs: a copy whose
// agent serf found failed on a busy machine ends as lost, and its agent
// may still report it (seen once in a dozen runs under -race).
func endedOnce(t *testing.T, r results.Result, jobs int) {
	t.Helper()
	if r.JobsIssued != int64(jobs) || r.JobsCompleted+r.JobsFailed != int64(jobs) {
		t.Errorf("issued %d, completed %d + failed %d, want %d", r.JobsIssued, r.JobsCompleted, r.JobsFailed, jobs)
	}
	if n := r.Failures[reasonIgnored]; n > int64(jobs)/100 {
		t.Errorf("%d ends reported twice or for no copy in flight, want at most %d", n, jobs/100)
	}
}

// TestClientsOnAgents runs fork-join requests and client policies on 8
// real agents (10 ms unit).
//
// Fork-join: 2 tasks a request at ρ = 0.5, placed at random or by batch
// sampling, agree with the simulator (calibrated with the measured
// dispatch delay) within 10% in mean response and task mean response.
//
// Client policies, with agent 1 slowed fourfold and agent 2 killed: every
// request ends once; retries fail fewer requests than plain requests (which
// lose those the killed agent held); redundant copies and hedges are sent,
// cancelled, and waste work, and goodput is in (0, 1].
func TestClientsOnAgents(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real clusters")
	}
	for _, dispatch := range []string{"random", "batch(d=2)"} {
		t.Run("fork-join/"+dispatch, func(t *testing.T) {
			const jobs = 2000
			cfg := clientPoint(t, dispatch, 0.5, jobs, 2, "")
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			real, err := RunLocal(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			s, err := calibratedSim(ctx, cfg, real)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("response real %.3f sim %.3f; task response %.3f / %.3f, p99 %.3f / %.3f; utilization %.3f / %.3f; probes %d / %d; schedule lag p99 %.3f, emulation lag p99 %.3f",
				real.MeanResponse, s.MeanResponse, real.TaskMeanResponse, s.TaskMeanResponse, real.TaskP99Response, s.TaskP99Response,
				real.Utilization, s.Utilization, real.Probes, s.Probes, real.ScheduleLagP99, real.EmulationLag)
			endedOnce(t, real, jobs)
			if real.JobsFailed != 0 {
				t.Fatalf("%d requests failed: %v", real.JobsFailed, real.Failures)
			}
			skipIfLate(t, real, 10)
			for _, m := range []struct {
				name      string
				real, sim float64
			}{{"mean response", real.MeanResponse, s.MeanResponse}, {"task mean response", real.TaskMeanResponse, s.TaskMeanResponse}} {
				if d := math.Abs(m.real/m.sim - 1); !(d <= 0.1) {
					t.Errorf("%s: agents %.4f, calibrated simulator %.4f: %.1f%% apart, want within 10%%", m.name, m.real, m.sim, 100*d)
				}
			}
		})
	}

	const jobs = 1500
	faults := []fault.Fault{
		{At: 20, Kind: fault.Slow, Nodes: []int{1}, Factor: 4},
		{At: 150, Kind: fault.Kill, Nodes: []int{2}},
	}
	run := func(t *testing.T, cp string) results.Result {
		t.Helper()
		cfg := clientPoint(t, "random", 0.3, jobs, 1, cp)
		cfg.Faults = faults
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		r, err := RunLocal(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%q: completed %d failed %d (%v); response %.3f p99 %.3f; copies %d retries %d cancels %d wasted %.1f goodput %.3f; schedule lag p99 %.3f, emulation lag p99 %.3f",
			cp, r.JobsCompleted, r.JobsFailed, r.Failures, r.MeanResponse, r.P99Response, r.Copies, r.Retries, r.Cancels, r.WastedWork, r.Goodput, r.ScheduleLagP99, r.EmulationLag)
		endedOnce(t, r, jobs)
		// Requests time out after 30 units: a machine that runs them
		// 5 units late times out what would have completed (one run
		// beside two other test suites failed 966 of 1,500 so).
		skipIfLate(t, r, 5)
		if cp != "" && (r.Goodput <= 0 || r.Goodput > 1) {
			t.Errorf("goodput %v, want in (0, 1]", r.Goodput)
		}
		return r
	}
	var plain results.Result
	t.Run("none", func(t *testing.T) {
		plain = run(t, "")
		if plain.JobsFailed == 0 {
			t.Errorf("no request failed: the kill hit none")
		}
	})
	t.Run("retry", func(t *testing.T) {
		if plain.JobsIssued == 0 {
			t.Skip("no plain run to compare with (it was skipped or failed)")
		}
		r := run(t, "retry(max=3, timeout=30)")
		if r.Retries == 0 || r.JobsFailed >= plain.JobsFailed {
			t.Errorf("retries %d, failed %d (plain %d): want retries, and fewer failures than plain requests", r.Retries, r.JobsFailed, plain.JobsFailed)
		}
	})
	t.Run("redundant", func(t *testing.T) {
		r := run(t, "redundant(d=2)")
		if r.Copies < jobs || r.Cancels == 0 || r.WastedWork <= 0 || r.Goodput >= 1 {
			t.Errorf("copies %d (want >= %d), cancels %d, wasted %v, goodput %v: want copies cancelled and work wasted", r.Copies, jobs, r.Cancels, r.WastedWork, r.Goodput)
		}
	})
	t.Run("hedge", func(t *testing.T) {
		r := run(t, "hedge(after=3)")
		if r.Copies == 0 || r.Cancels == 0 {
			t.Errorf("copies %d, cancels %d: want hedges sent and cancelled", r.Copies, r.Cancels)
		}
	})
}

// TestAgentCancel sends cancellations to a real agent of one server (10 ms
// unit) holding a long job in service and another waiting: the waiting
// one leaves the queue having done no work, the running one stops at its
// next checkpoint with the work it had done; neither reports a
// completion, and the job behind them runs. A job cancelled before it
// arrives is dropped as it does, reported failed as cancelled.
func TestAgentCancel(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	label := "cancel-" + runLabel()
	a, err := StartAgent(ctx, AgentConfig{Gossip: gossip.Config{Name: "a0-" + label, BindAddr: "127.0.0.1", Label: label}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ends := make(chan wire.Completion, 10)
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() {
		served <- wire.Config{}.Serve(sctx, ln, func(_ context.Context, m *wire.Msg) (*wire.Msg, error) {
			if m.Type == wire.TypeCompletion {
				ends <- *m.Done
			}
			return nil, nil
		})
	}()
	defer func() { stop(); ln.Close(); <-served }()
	pool := wire.Config{}.NewPool()
	defer pool.Close()
	unit := 10 * time.Millisecond
	s := &Setup{Run: label, Roster: []string{a.Name()}, Migrate: "none", Servers: 1, Speed: 1, TimeUnit: unit,
		Kernel: "sleep", Seed: 1, EpochNano: time.Now().UnixNano(), Publish: PublishInterval(1), Classes: []float64{1}}
	if _, err := call(ctx, pool, a.RPC(), control{Op: opConfigure, Setup: s}); err != nil {
		t.Fatal(err)
	}
	c, err := pool.Get(ctx, a.RPC())
	if err != nil {
		t.Fatal(err)
	}
	send := func(m *wire.Msg) *wire.Msg {
		t.Helper()
		r, err := c.Call(ctx, m)
		if err != nil {
			t.Fatalf("%s: %v", m.Type, err)
		}
		return r
	}
	submit := func(id int64, size float64) {
		send(&wire.Msg{Type: wire.TypeSubmit, From: -1, Job: &wire.Job{ID: id, Size: size, Origin: 0, ReplyTo: ln.Addr().String()}})
	}
	cancelJob := func(id int64) *wire.Note {
		t.Helper()
		r := send(&wire.Msg{Type: wire.TypeCancel, From: -1, Done: &wire.Completion{JobID: id}})
		if r.Type != wire.TypeAck || r.Note == nil {
			t.Fatalf("cancel %d: reply %+v", id, r)
		}
		return r.Note
	}
	submit(1, 500) // 5 s in service
	submit(2, 500) // waits behind it
	submit(3, 1)
	started := time.Now()
	time.Sleep(300 * time.Millisecond)
	if n := cancelJob(2); n.Kind != wire.CancelStopped || n.Value != 0 {
		t.Errorf("cancel of the waiting job: %+v, want stopped after no work", n)
	}
	n := cancelJob(1)
	ran := float64(time.Since(started)) / float64(unit)
	if n.Kind != wire.CancelStopped || n.Value < 10 || n.Value > ran+1 {
		t.Errorf("cancel of the running job: %+v, want stopped after 10 to %.0f units of work", n, ran+1)
	}
	if n := cancelJob(4); n.Kind != wire.CancelAbsent {
		t.Errorf("cancel of a job not there: %+v, want absent", n)
	}
	submit(4, 1) // arrives after its cancellation
	got := map[int64]wire.Completion{}
	for len(got) < 2 {
		select {
		case e := <-ends:
			got[e.JobID] = e
		case <-time.After(5 * time.Second):
			t.Fatalf("ends %v, want jobs 3 and 4 within 5 s", got)
		}
	}
	if e := got[3]; e.Failed {
		t.Errorf("job 3 behind the cancelled ones: %+v, want completed", e)
	}
	if e := got[4]; !e.Failed || e.Reason != reasonCancelled {
		t.Errorf("job 4, cancelled on its way: %+v, want failed as %q", e, reasonCancelled)
	}
	for id := range got {
		if id != 3 && id != 4 {
			t.Errorf("job %d reported an end after it was cancelled", id)
		}
	}
	st, err := call(ctx, pool, a.RPC(), control{Op: opStats})
	if err != nil {
		t.Fatal(err)
	}
	if st.Stats == nil || st.Stats.Cancels != 2 {
		t.Errorf("agent stats %+v, want 2 cancels", st.Stats)
	}
	select {
	case e := <-ends:
		t.Errorf("a further end: %+v", e)
	case <-time.After(200 * time.Millisecond):
	}
}
