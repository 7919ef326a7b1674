package sim

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/fault"
	"github.com/loadlab/loadlab/ledger"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/workload"
)

// config is a Config with its policies and sizes looked up.
func config(t testing.TB, cfg Config, dispatch, migrate, size string) Config {
	t.Helper()
	reg := policy.Builtin()
	var err error
	if cfg.Dispatch, err = reg.Dispatch(dispatch); err != nil {
		t.Fatal(err)
	}
	if cfg.Migrate, err = reg.Migrate(migrate); err != nil {
		t.Fatal(err)
	}
	w := workload.Config{Size: size}
	if strings.HasPrefix(size, "cpu(") || strings.HasPrefix(size, "io(") { // a job with phases
		w = workload.Config{Phases: size}
	}
	if cfg.Workload != nil { // the caller's own
		return cfg
	}
	if cfg.Workload, err = workload.New(w); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestReplaySimulator runs points with the ledger recording what the
// simulator fed it, and replays that recording (per-node logs, arrivals,
// ends, counts) as the coordinator replays what it and its agents saw:
// the records must be the very same, bit for bit.
func TestReplaySimulator(t *testing.T) {
	for _, tc := range []struct {
		name              string
		cfg               Config
		dispatch, migrate string
	}{
		{"random", Config{Model: scenario.Model{Nodes: 8, Load: 0.8, Jobs: 20000, Warmup: 2000, Seed: 1}}, "random", "none"},
		{"two servers, PS", Config{Model: scenario.Model{Nodes: 4, Servers: 2, Discipline: "ps", Load: 0.8, Jobs: 20000, Warmup: 2000, Seed: 2}}, "random", "none"},
		{"migrations with costs", Config{Model: scenario.Model{Nodes: 8, Load: 0.8, Jobs: 20000, Warmup: 2000, Seed: 3}, Costs: Costs{Latency: 0.01, TransferCPU: 0.1, ProbeCPU: 0.002}}, "random", "sender.threshold(T=1, probes=3)"},
		{"a node killed", Config{Model: scenario.Model{Nodes: 4, Load: 0.7, Jobs: 20000, Warmup: 2000, Seed: 4, FaultBin: 100, Faults: []fault.Fault{{Kind: fault.Kill, At: 3000, Nodes: []int{1}}}}}, "jsq", "none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := start(config(t, tc.cfg, tc.dispatch, tc.migrate, "exp(mean=1)"))
			if err != nil {
				t.Fatal(err)
			}
			c.m.led.Record()
			if err := c.run(context.Background()); err != nil {
				t.Fatal(err)
			}
			r, err := c.result()
			if err != nil {
				t.Fatal(err)
			}
			var live, replayed results.Result
			if err := c.m.led.Fill(&live, c.now); err != nil {
				t.Fatal(err)
			}
			if err := ledger.Replay(c.m.led.Config(), c.m.led.Log()).Fill(&replayed, c.now); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(live, replayed) {
				t.Errorf("simulator: %+v\nreplayed:  %+v", live, replayed)
			}
			if r.MeanResponse != live.MeanResponse || r.Utilization != live.Utilization || r.JobsIssued != int64(tc.cfg.Jobs) {
				t.Errorf("the record is not the ledger's: response %v vs %v, utilisation %v vs %v, %d issued",
					r.MeanResponse, live.MeanResponse, r.Utilization, live.Utilization, r.JobsIssued)
			}
			if r.WaitWhileIdle <= 0 || r.WaitWhileIdle >= 1 {
				t.Errorf("wait while idle %v: want a fraction strictly inside (0, 1)", r.WaitWhileIdle)
			}
			if len(tc.cfg.Faults) > 0 && (r.JobsFailed == 0 || len(r.ResponseOverTime) == 0) {
				t.Errorf("a killed node failed %d jobs, series of %d bins: want some of each", r.JobsFailed, len(r.ResponseOverTime))
			}
		})
	}
}

// TestWaitWhileIdleOneNode: with one node there is no other node to be idle.
func TestWaitWhileIdleOneNode(t *testing.T) {
	r := mustRun(t, Config{Model: scenario.Model{Nodes: 1, Servers: 2, Load: 0.9, Jobs: 50000, Warmup: 5000, Seed: 4}}, "random", "none", "exp(mean=1)")
	if r.WaitWhileIdle != 0 {
		t.Errorf("one node: wait while idle %v, want 0", r.WaitWhileIdle)
	}
	if r.MeanInSystem < 1 {
		t.Errorf("mean in system %v: implausible for M/M/2 at ρ=0.9", r.MeanInSystem)
	}
}

// TestWaitWhileIdleJSQ: joining the shortest queue leaves far less waiting
// beside idle servers than random dispatch does.
func TestWaitWhileIdleJSQ(t *testing.T) {
	cfg := Config{Model: scenario.Model{Nodes: 8, Load: 0.8, Jobs: 200000, Warmup: 20000, Seed: 5}}
	random := mustRun(t, cfg, "random", "none", "exp(mean=1)")
	jsq := mustRun(t, cfg, "jsq", "none", "exp(mean=1)")
	t.Logf("wait while idle: random %.4f, jsq %.4f", random.WaitWhileIdle, jsq.WaitWhileIdle)
	if !(jsq.WaitWhileIdle < random.WaitWhileIdle/2) {
		t.Errorf("wait while idle: jsq %.4f, random %.4f: want jsq below half of random", jsq.WaitWhileIdle, random.WaitWhileIdle)
	}
}

// TestWaitWhileIdleTheory: random dispatch splits Poisson arrivals into N
// independent M/M/1 queues, each idle with probability 1−ρ, busy with
// nobody waiting ρ(1−ρ) and with someone waiting ρ². A waiting node is
// never idle, so some node waits while another is idle with probability
// 1 − P(none waits) − P(none idle) + P(none waits, none idle)
// = 1 − (1−ρ²)^N − ρ^N + (ρ−ρ²)^N. The mean over replications must lie
// within its 95% confidence interval of that.
func TestWaitWhileIdleTheory(t *testing.T) {
	const reps = 10
	for _, tc := range []struct {
		nodes int
		rho   float64
	}{{2, 0.5}, {4, 0.8}, {8, 0.7}} {
		n := float64(tc.nodes)
		rho := tc.rho
		theory := 1 - math.Pow(1-rho*rho, n) - math.Pow(rho, n) + math.Pow(rho-rho*rho, n)
		var sum, sum2 float64
		for rep := range reps {
			cfg := Config{Model: scenario.Model{Nodes: tc.nodes, Load: rho, Jobs: 400000, Warmup: 40000, Seed: uint64(100 + rep)}}
			w := mustRun(t, cfg, "random", "none", "exp(mean=1)").WaitWhileIdle
			sum += w
			sum2 += w * w
		}
		mean := sum / reps
		sd := math.Sqrt((sum2 - reps*mean*mean) / (reps - 1))
		half := 2.262 * sd / math.Sqrt(reps) // t(0.975, 9)
		t.Logf("N=%d ρ=%.1f: wait while idle %.4f ± %.4f, theory %.4f", tc.nodes, rho, mean, half, theory)
		if math.Abs(mean-theory) > half {
			t.Errorf("N=%d ρ=%.1f: wait while idle %.4f ± %.4f, theory %.4f", tc.nodes, rho, mean, half, theory)
		}
		if half > 0.02*theory {
			t.Errorf("N=%d ρ=%.1f: half-width %.4f is over 2%% of %.4f: runs too short to check", tc.nodes, rho, half, theory)
		}
	}
}
