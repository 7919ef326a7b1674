package sim

import (
	"context"
	"math"
	"strconv"
	"testing"

	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/server"
	"github.com/loadlab/loadlab/tier"
	"github.com/loadlab/loadlab/workload"
)

// runTier runs ten replications of 100,000 requests on 4 single-core
// nodes at CPU load 0.5 (random dispatch, a thread per request that
// costs nothing to make) whose phases are given, with the tier db and
// the one-way latency given. A point in steady state (not overloaded)
// must meet Little's law.
func runTier(t *testing.T, db tier.Tier, phases, arch string, latency float64, overloaded bool) []results.Result {
	t.Helper()
	w, err := workload.New(workload.Config{Phases: phases})
	if err != nil {
		t.Fatal(err)
	}
	a, err := server.Parse(arch)
	if err != nil {
		t.Fatal(err)
	}
	const jobs = 100_000
	var out []results.Result
	for seed := range 10 {
		cfg := config(t, Config{Model: scenario.Model{Nodes: 4, Load: 0.5, Jobs: jobs, Warmup: jobs / 10, Seed: uint64(200 + seed),
			Workload: w, Server: a, Tiers: []tier.Tier{db}}, Costs: Costs{Latency: latency}}, "random", "none", "")
		r, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if r.JobsCompleted != jobs || len(r.TierStats) != 1 || r.TierStats[0].Name != db.Name {
			t.Fatalf("%d of %d jobs completed, tiers %+v", r.JobsCompleted, jobs, r.TierStats)
		}
		if !overloaded {
			checkLittle(t, r)
		}
		// A request's blocked time is its call's time at the tier and
		// its travel both ways: the two means are over the same calls.
		if want := r.TierStats[0].Time + 2*latency; math.Abs(r.MeanIO-want) > 1e-9*want {
			t.Errorf("mean blocked time %v, want the time at the tier and the travel, %v", r.MeanIO, want)
		}
		out = append(out, r)
	}
	return out
}

// holdTo checks that the replications' mean of metric is within three
// half-widths of its 95% interval of theory, the half-width under 2.5%
// of theory.
func holdTo(t *testing.T, name string, rs []results.Result, theory float64, metric func(results.Result) float64) {
	t.Helper()
	mean, half := meanCI(rs, metric)
	t.Logf("%s: theory %.5f, simulator %.5f ± %.5f", name, theory, mean, half)
	if half > 0.025*theory || math.Abs(mean-theory) > 3*half {
		t.Errorf("%s: simulator %.5f ± %.5f, theory %.5f", name, mean, half, theory)
	}
}

// TestTierMMc holds a tier to the queue it is. Requests arrive as a
// Poisson stream (λ = 2: 4 nodes at load 0.5, a CPU burst of mean 1) and
// call the tier as they start, so with one FCFS line of c servers and
// exponential call sizes of mean S the tier is M/M/c: utilisation λS/c,
// time there S·(1 + C(c, a)/(c − a)), a = λS, Erlang's C; one PS server
// has the mean time of one FCFS server, S/(1 − λS). A job without
// phases before its call makes it one thread per request: nothing else
// delays the calls.
func TestTierMMc(t *testing.T) {
	const lambda = 2.0
	for _, tc := range []struct {
		name, discipline string
		c                int
		s                float64
	}{
		{"M/M/1", "fcfs", 1, 0.3},
		{"M/M/1-PS", "ps", 1, 0.3}, // the same mean time as FCFS
		{"M/M/3", "fcfs", 3, 1.05},
	} {
		t.Run(tc.name, func(t *testing.T) {
			phases := "call(tier=db, size=exp(mean=" + ftoa(tc.s) + ")), cpu(exp(mean=1))"
			rs := runTier(t, tier.Tier{Name: "db", Servers: tc.c, Discipline: tc.discipline}, phases, "thread-per-request(create=0, switch=0)", 0, false)
			rho := lambda * tc.s / float64(tc.c)
			holdTo(t, "utilisation", rs, rho, func(r results.Result) float64 { return r.TierStats[0].Utilization })
			holdTo(t, "time at the tier", rs, tc.s*erlangC(tc.c, rho), func(r results.Result) float64 { return r.TierStats[0].Time })
		})
	}
}

// TestTierContention checks that the application nodes feel the tier:
// the mean response is the time at the tier, the travel both ways and
// the CPU burst's time at its node. The tier's departures are Poisson
// (Burke), each returning to a node picked at random on arrival, so each
// single-core node serves its bursts as an M/M/1-PS queue at load 0.5:
// 1/(1 − 0.5) = 2; the tier is M/M/1, S/(1 − λS). A slower tier (calls
// of mean S = 0.4 rather than 0.25) raises the response by what it adds
// at the tier, from 0.5 to 2.
func TestTierContention(t *testing.T) {
	const lambda, latency = 2.0, 0.05
	for _, s := range []float64{0.25, 0.4} {
		phases := "call(tier=db, size=exp(mean=" + ftoa(s) + ")), cpu(exp(mean=1))"
		rs := runTier(t, tier.Tier{Name: "db"}, phases, "thread-per-request(create=0, switch=0)", latency, false)
		want := s/(1-lambda*s) + 2*latency + 2
		holdTo(t, "mean response, tier S = "+ftoa(s), rs, want, func(r results.Result) float64 { return r.MeanResponse })
	}
}

// TestTierHoldsThreads checks that a call holds its request's thread.
// Iterative servers (one thread each) offered more than they can serve
// (2 requests a unit against 1.81) always have a request waiting, so each
// of the N nodes has exactly one request in progress: a closed system of
// N customers that alternate their CPU (think time Z, at a node of their
// own) and their call at the tier. That is the machine-repairman model:
// the tier is busy U = 1 − P₀, P₀ = 1 / Σₖ N!/(N−k)! (S/Z)ᵏ, whatever the
// distribution of Z (BCMP: an infinite-server station), and a call spends
// N/X − Z there, X = U/S. Were threads not held through the call, the
// waiting requests would feed the tier far more.
func TestTierHoldsThreads(t *testing.T) {
	const n, z, s = 4, 1.0, 0.5
	sum, term := 1.0, 1.0
	for k := 1; k <= n; k++ {
		term *= float64(n-k+1) * s / z
		sum += term
	}
	u := 1 - 1/sum
	rs := runTier(t, tier.Tier{Name: "db"}, "cpu(exp(mean=0.5)), call(tier=db, size=exp(mean=0.5)), cpu(exp(mean=0.5))", "iterative", 0, true)
	holdTo(t, "tier utilisation", rs, u, func(r results.Result) float64 { return r.TierStats[0].Utilization })
	holdTo(t, "time at the tier", rs, n*s/u-z, func(r results.Result) float64 { return r.TierStats[0].Time })
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
