package sim

import (
	"context"
	"math"
	"testing"

	"github.com/loadlab/loadlab/client"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/workload"
)

// admitSpec parses an admission policy or fails the test.
func admitSpec(t *testing.T, spec string) *policy.AdmitSpec {
	t.Helper()
	a, err := policy.Builtin().Admit(spec)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestAdmitQueue holds queue(k), which drops a job that finds k waiting,
// to M/M/1/K with K = k + 1 (the one in service): blocking probability
// P_K = (1 − ρ)ρ^K / (1 − ρ^(K+1)) and an admitted job's mean response
// L / (λ(1 − P_K)), within three half-widths of their 95% intervals over
// ten replications of 100,000 jobs. It also runs each seed with queue:
// k+1 instead: the same jobs must be dropped, under the other reason.
func TestAdmitQueue(t *testing.T) {
	for _, c := range []struct {
		k    int
		load float64
	}{{2, 0.8}, {4, 0.9}} {
		rho, kk := c.load, float64(c.k+1)
		pk := (1 - rho) * math.Pow(rho, kk) / (1 - math.Pow(rho, kk+1))
		l := rho/(1-rho) - (kk+1)*math.Pow(rho, kk+1)/(1-math.Pow(rho, kk+1))
		resp := l / (rho * (1 - pk))
		adm := admitSpec(t, "queue(k="+string(rune('0'+c.k))+")")
		cfg := config(t, Config{Model: scenario.Model{Nodes: 1, Admit: adm, Load: rho, Jobs: 100_000, Warmup: 10_000}}, "random", "none", "exp(mean=1)")
		rs := replicate(t, 10, 7, cfg)
		for i, r := range rs {
			if r.JobsCompleted+r.JobsFailed != r.JobsIssued || r.Failures[adm.Reason()] != r.JobsFailed {
				t.Fatalf("k=%d: %d issued, %d completed, %d failed (%v)", c.k, r.JobsIssued, r.JobsCompleted, r.JobsFailed, r.Failures)
			}
			bound := cfg
			bound.Admit, bound.Queue, bound.Seed = nil, c.k+1, uint64(7+i)
			b, err := Run(context.Background(), bound)
			if err != nil {
				t.Fatal(err)
			}
			if b.JobsFailed != r.JobsFailed || b.MeanResponse != r.MeanResponse {
				t.Errorf("k=%d seed %d: queue(k) dropped %d (mean response %v), queue: %d dropped %d (%v): want the same", c.k, 7+i, r.JobsFailed, r.MeanResponse, c.k+1, b.JobsFailed, b.MeanResponse)
			}
		}
		drop, dropHalf := meanCI(rs, func(r results.Result) float64 { return float64(r.JobsFailed) / float64(r.JobsIssued) })
		mean, meanHalf := meanCI(rs, func(r results.Result) float64 { return r.MeanResponse })
		t.Logf("queue(k=%d) ρ=%v: dropped %.5f ± %.5f (M/M/1/%d %.5f), response %.4f ± %.4f (%.4f)", c.k, rho, drop, dropHalf, c.k+1, pk, mean, meanHalf, resp)
		if math.Abs(drop-pk) > 3*dropHalf || math.Abs(mean-resp) > 3*meanHalf || meanHalf > 0.02*resp {
			t.Errorf("queue(k=%d) ρ=%v: dropped %.5f ± %.5f, want %.5f; response %.4f ± %.4f, want %.4f", c.k, rho, drop, dropHalf, pk, mean, meanHalf, resp)
		}
	}
}

// TestCodel overloads one M/M/1 node at ρ = 1.5 (load 0.75, doubled
// from the start) with codel(target=0.5, interval=5). Without admission
// its queue grows without bound; CoDel must hold the standing queue near
// bounded while keeping the server busy (its two aims, RFC 8289). It
// acts on a queue only once its sojourn has stayed above target for an
// interval, and an open stream does not slow down when dropped (as TCP
// does), so the bound is target + interval, not target: over ten
// replications of 50,000 jobs, the mean wait of the admitted jobs (a
// 95% interval) stays below target + interval, utilisation above 0.95,
// and so the jobs dropped are about 1 − 1/ρ of those issued (all that
// the server cannot take, at most 0.05/ρ more); every job ends once,
// each drop with codel's reason. (Measured: wait 4.1, utilisation 0.965,
// dropped 0.355; at ρ = 1.25 the wait is 3.3, and with target=1,
// interval=10 it is 6.6: it scales with the interval.)
func TestCodel(t *testing.T) {
	adm := admitSpec(t, "codel(target=0.5, interval=5)")
	w, err := workload.New(workload.Config{Arrival: "spike(at=0, duration=1e9, factor=2)", Size: "exp(mean=1)"})
	if err != nil {
		t.Fatal(err)
	}
	const rho, target, interval = 1.5, 0.5, 5.0
	cfg := config(t, Config{Model: scenario.Model{Nodes: 1, Admit: adm, Load: rho / 2, Jobs: 50_000, Warmup: 5_000, Workload: w}}, "random", "none", "")
	rs := replicate(t, 10, 11, cfg)
	for _, r := range rs {
		if r.JobsCompleted+r.JobsFailed != r.JobsIssued || r.Failures[adm.Reason()] != r.JobsFailed {
			t.Fatalf("%d issued, %d completed, %d failed (%v)", r.JobsIssued, r.JobsCompleted, r.JobsFailed, r.Failures)
		}
	}
	wait, waitHalf := meanCI(rs, func(r results.Result) float64 { return r.MeanWait })
	p99, p99Half := meanCI(rs, func(r results.Result) float64 { return r.P99Response })
	util, utilHalf := meanCI(rs, func(r results.Result) float64 { return r.Utilization })
	drop, dropHalf := meanCI(rs, func(r results.Result) float64 { return float64(r.JobsFailed) / float64(r.JobsIssued) })
	t.Logf("ρ=%v codel: mean wait %.3f ± %.3f, p99 response %.2f ± %.2f, utilisation %.4f ± %.4f, dropped %.4f ± %.4f (1 − 1/ρ = %.4f)", rho, wait, waitHalf, p99, p99Half, util, utilHalf, drop, dropHalf, 1-1/rho)
	if wait+waitHalf > target+interval {
		t.Errorf("mean wait %.3f ± %.3f: want below target + interval = %v", wait, waitHalf, target+interval)
	}
	if util-utilHalf < 0.95 {
		t.Errorf("utilisation %.4f ± %.4f: want above 0.95", util, utilHalf)
	}
	if drop < 1-1/rho-3*dropHalf || drop > 1-0.95/rho {
		t.Errorf("dropped %.4f ± %.4f: want between 1 − 1/ρ = %.4f and 1 − 0.95/ρ = %.4f", drop, dropHalf, 1-1/rho, 1-0.95/rho)
	}
}

// TestRetryStorm reproduces a metastable failure (examples/retry-storm.yaml)
// and its cure: 16 nodes at ρ = 0.8, the load doubled for 200 units at
// t = 3000, clients retrying attempts not done within 30 units (3 at
// most) and leaving timed-out ones to run (abandon=orphan). Before the
// spike almost no job fails. Without admission the cluster never
// recovers: in every bin of 250 units from t = 4500 on, at least 90% of
// the 3,200 jobs expected to arrive (ρ·16·250) fail. With queue(k=10),
// codel(target=2, interval=10) or timeout(wait=20) at most 1% do. A
// server-side timeout as long as the client's, timeout(wait=30), is not
// enough: a job that starts just in time times out in service, and its
// orphan wastes the server as before; between a quarter and three
// quarters of the jobs keep failing (measured: about half).
func TestRetryStorm(t *testing.T) {
	cp, err := client.Parse("retry(max=3, budget=10, min=0, timeout=30, abandon=orphan)")
	if err != nil {
		t.Fatal(err)
	}
	w, err := workload.New(workload.Config{Arrival: "spike(at=3000, duration=200, factor=2)", Size: "exp(mean=1)"})
	if err != nil {
		t.Fatal(err)
	}
	const bin, perBin = 250.0, 0.8 * 16 * 250
	for _, c := range []struct {
		admit    string
		min, max float64 // of the failed fraction of every bin from t = 4500 on
	}{{"none", 0.9, 1.1}, {"queue(k=10)", 0, 0.01}, {"codel(target=2, interval=10)", 0, 0.01}, {"timeout(wait=20)", 0, 0.01}, {"timeout(wait=30)", 0.25, 0.75}} {
		cfg := config(t, Config{Model: scenario.Model{Nodes: 16, Admit: admitSpec(t, c.admit), Load: 0.8, Jobs: 100_000, Warmup: 1, Seed: 5,
			Client: cp, Workload: w, FaultBin: bin}}, "random", "none", "")
		r, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if r.JobsCompleted+r.JobsFailed != r.JobsIssued {
			t.Fatalf("%s: %d issued, %d completed, %d failed", c.admit, r.JobsIssued, r.JobsCompleted, r.JobsFailed)
		}
		f := r.FailedOverTime
		before := int64(0)
		for _, n := range f[:int(3000/bin)] {
			before += n
		}
		t.Logf("admit %s: %d failed before the spike; per bin after: %v", c.admit, before, f[int(4500/bin):])
		if float64(before) > 0.001*3000/bin*perBin {
			t.Errorf("admit %s: %d jobs failed before the spike, want at most 0.1%%", c.admit, before)
		}
		for i := int(4500 / bin); i < len(f)-1; i++ { // the last bin is cut short
			if x := float64(f[i]) / perBin; x < c.min || x > c.max {
				t.Errorf("admit %s: %.3f of the jobs arriving at %v–%v failed, want %v to %v", c.admit, x, float64(i)*bin, float64(i+1)*bin, c.min, c.max)
			}
		}
	}
}
