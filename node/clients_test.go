package node

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/loadlab/loadlab/client"
	"github.com/loadlab/loadlab/fault"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/workload"
)

// clientPoint is a point of 8 agents (10 ms unit) with dispatch,
// exp(mean=1) sizes, tasks tasks a request and client policy cp ("":
// none).
func clientPoint(t *testing.T, dispatch string, load float64, jobs, tasks int, cp string) PointConfig {
	t.Helper()
	reg := policy.Builtin()
	d, err := reg.Dispatch(dispatch)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := reg.Migrate("none")
	w, err := workload.New(workload.Config{Size: "exp(mean=1)", Tasks: tasks})
	if err != nil {
		t.Fatal(err)
	}
	p, err := client.Parse(cp)
	if err != nil {
		t.Fatal(err)
	}
	return PointConfig{Model: scenario.Model{Nodes: 8, Servers: 1, Load: load, Jobs: jobs, Warmup: jobs / 10, Seed: 5,
		Workload: w, Dispatch: d, Migrate: m, Client: p}, TimeUnit: 10 * time.Millisecond}
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
			if real.ScheduleLagP99 > 10 || real.EmulationLag > 10 {
				t.Skipf("machine too busy: schedule lag p99 %.2f, emulation lag p99 %.2f model units", real.ScheduleLagP99, real.EmulationLag)
			}
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
		t.Logf("%q: completed %d failed %d (%v); response %.3f p99 %.3f; copies %d retries %d cancels %d wasted %.1f goodput %.3f",
			cp, r.JobsCompleted, r.JobsFailed, r.Failures, r.MeanResponse, r.P99Response, r.Copies, r.Retries, r.Cancels, r.WastedWork, r.Goodput)
		endedOnce(t, r, jobs)
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
