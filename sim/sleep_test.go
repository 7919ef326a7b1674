package sim

import (
	"context"
	"math"
	"testing"

	"github.com/loadlab/loadlab/client"
	"github.com/loadlab/loadlab/energy"
	"github.com/loadlab/loadlab/fault"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/workload"
)

// TestSleepSetup holds sleep states to the M/M/1 queue with setup times.
// A node that sleeps as soon as it is empty (after 0) and takes a
// deterministic D to wake is an M/M/1 queue whose busy periods begin
// with a setup time I = D (exceptional first service: Welch, Operations
// Research 12, 1964; Harchol-Balter, Performance Modeling and Design of
// Computer Systems, ch. 27): E[T] = 1/(μ − λ) + (2E[I] + λE[I²]) / (2(1 + λE[I])), here
// 1/(μ − λ) + (2D + λD²)/(2(1 + λD)). Each cycle sleeps an exponential
// 1/λ and wakes for D, and the server is busy ρ of the time, so the
// fraction asleep is (1 − ρ)/(1 + λD), waking λD(1 − ρ)/(1 + λD), and
// the mean power P_sleep·asleep + P_busy·(1 − asleep). Ten replications
// of 100,000 jobs at each (ρ, D), within three half-widths of their 95%
// intervals, which must be narrow (2% of the response).
func TestSleepSetup(t *testing.T) {
	const idle, busy, sleep = 60.0, 180.0, 6.0
	for _, c := range []struct{ rho, d float64 }{{0.3, 2}, {0.5, 1}, {0.7, 4}} {
		s := sleep
		p := &energy.Power{Idle: idle, Busy: busy, Sleep: &s, Wake: c.d}
		rs := replicate(t, 10, 31, config(t, Config{Model: scenario.Model{Nodes: 1, Load: c.rho, Jobs: 100_000, Warmup: 10_000, Power: p}}, "random", "none", "exp(mean=1)"))
		lambda := c.rho
		wantR := 1/(1-lambda) + (2*c.d+lambda*c.d*c.d)/(2*(1+lambda*c.d))
		wantA := (1 - c.rho) / (1 + lambda*c.d)
		wantP := sleep*wantA + busy*(1-wantA)
		gotR, halfR := meanCI(rs, func(r results.Result) float64 { return r.MeanResponse })
		gotA, halfA := meanCI(rs, func(r results.Result) float64 { return r.Asleep })
		gotP, halfP := meanCI(rs, func(r results.Result) float64 { return r.Power })
		gotW, _ := meanCI(rs, func(r results.Result) float64 { return float64(r.Wakeups) / float64(r.JobsMeasured) })
		t.Logf("ρ %.1f, D %.0f: response %.4f ± %.4f (setup model %.4f, M/M/1 %.4f), asleep %.4f ± %.4f (%.4f), power %.2f ± %.2f W (%.2f), %.3f wake-ups a job",
			c.rho, c.d, gotR, halfR, wantR, 1/(1-lambda), gotA, halfA, wantA, gotP, halfP, wantP, gotW)
		if math.Abs(gotR-wantR) > 3*halfR || halfR > 0.02*wantR {
			t.Errorf("ρ %v, D %v: response %.4f ± %.4f, model %.4f", c.rho, c.d, gotR, halfR, wantR)
		}
		if math.Abs(gotA-wantA) > 3*halfA || math.Abs(gotP-wantP) > 3*halfP {
			t.Errorf("ρ %v, D %v: asleep %.4f ± %.4f, model %.4f; power %.2f ± %.2f, model %.2f", c.rho, c.d, gotA, halfA, wantA, gotP, halfP, wantP)
		}
	}
}

// TestSleepAfter follows a node with a delay before it sleeps through
// deterministic cycles. Jobs of size 1 arrive every 10 units; the node,
// asleep, takes 2 to wake, serves the job for 1, idles 3 (after) and
// sleeps the remaining 4: every response is 3, every job a wake-up, the
// node asleep 0.4 of the time, and its power (2·180 + 1·180 + 3·60 +
// 4·6)/10 = 74.4 W, to rounding. A node whose idle spells never last
// the delay never sleeps and runs as it would without sleep states.
func TestSleepAfter(t *testing.T) {
	for _, c := range []struct {
		after                       float64
		response, asleep, power, up float64
	}{
		{3, 3, 0.4, 74.4, 1},
		{11, 1, 0, 72, 0},
	} {
		s := 6.0
		w, err := workload.New(workload.Config{Arrival: "det", Size: "det(value=1)"})
		if err != nil {
			t.Fatal(err)
		}
		p := &energy.Power{Idle: 60, Busy: 180, Sleep: &s, Wake: 2, After: c.after}
		r, err := Run(context.Background(), config(t, Config{Model: scenario.Model{Nodes: 1, Load: 0.1, Jobs: 1000, Warmup: 100, Seed: 1, Power: p, Workload: w}}, "random", "none", ""))
		if err != nil {
			t.Fatal(err)
		}
		up := float64(r.Wakeups) / float64(r.JobsMeasured)
		t.Logf("after %v: response %.6f, asleep %.6f, power %.4f W, %.4f wake-ups a job", c.after, r.MeanResponse, r.Asleep, r.Power, up)
		if math.Abs(r.MeanResponse-c.response) > 1e-9 || math.Abs(r.Asleep-c.asleep) > 2e-3 || math.Abs(r.Power-c.power) > 0.2 || math.Abs(up-c.up) > 2e-3 {
			t.Errorf("after %v: response %v, asleep %v, power %v, %v wake-ups a job; want %v, %v, %v, %v", c.after, r.MeanResponse, r.Asleep, r.Power, up, c.response, c.asleep, c.power, c.up)
		}
	}
}

// TestSleepConserves runs sleep states beside what moves or shares jobs
// (migrations that push, pull and probe, two servers under processor
// sharing, stale gossip, a node killed, client copies that are
// cancelled): every job ends exactly once, and nodes do sleep and wake.
func TestSleepConserves(t *testing.T) {
	s := 2.0
	p := &energy.Power{Idle: 10, Busy: 30, Sleep: &s, Wake: 0.5, After: 0.2}
	hedge, err := client.Parse("hedge(after=1)")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name              string
		cfg               Config
		dispatch, migrate string
	}{
		{"sender", Config{Model: scenario.Model{Nodes: 8, Load: 0.5}, Costs: Costs{Latency: 0.01, TransferCPU: 0.05}}, "random", "sender.threshold(T=1, probes=3)"},
		{"receiver", Config{Model: scenario.Model{Nodes: 8, Load: 0.5}, Costs: Costs{Latency: 0.01}}, "random", "receiver.threshold(T=1, probes=3)"},
		{"steal", Config{Model: scenario.Model{Nodes: 8, Load: 0.6}}, "random", "steal(probes=2, retry=0.5)"},
		{"ps, two servers", Config{Model: scenario.Model{Nodes: 4, Servers: 2, Discipline: "ps", Load: 0.5}}, "jsq", "none"},
		{"gossip", Config{Model: scenario.Model{Nodes: 8, Load: 0.5}, Gossip: 1}, "jsq", "none"},
		{"hedged copies", Config{Model: scenario.Model{Nodes: 8, Load: 0.4, Client: hedge}, Costs: Costs{Latency: 0.01}}, "random", "none"},
		{"a node killed", Config{Model: scenario.Model{Nodes: 4, Load: 0.4, FaultBin: 100, Faults: []fault.Fault{{Kind: fault.Kill, At: 2000, Nodes: []int{1}}}}}, "random", "none"},
	} {
		c.cfg.Jobs, c.cfg.Warmup, c.cfg.Seed, c.cfg.Power = 20_000, 2000, 5, p
		r, err := Run(context.Background(), config(t, c.cfg, c.dispatch, c.migrate, "exp(mean=1)"))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if r.JobsIssued != r.JobsCompleted+r.JobsFailed || r.JobsIssued != 20_000 || r.Asleep <= 0 || r.Wakeups == 0 {
			t.Errorf("%s: %d issued, %d completed, %d failed; asleep %v, %d wake-ups", c.name, r.JobsIssued, r.JobsCompleted, r.JobsFailed, r.Asleep, r.Wakeups)
		}
	}
}
