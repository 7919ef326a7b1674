package sim

import (
	"context"
	"math"
	"testing"

	"github.com/loadlab/loadlab/front"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/workload"
)

// runFront runs ten replications of a point with front end f (10 nodes,
// exponential jobs of mean 1) whose responses are of the given size.
func runFront(t *testing.T, f, resp string, load float64, jobs int) []results.Result {
	t.Helper()
	fe, err := front.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	w, err := workload.New(workload.Config{Size: "exp(mean=1)", Response: resp})
	if err != nil {
		t.Fatal(err)
	}
	var out []results.Result
	for seed := range 10 {
		cfg := config(t, Config{Model: scenario.Model{Nodes: 10, Load: load, Jobs: jobs, Warmup: jobs / 10, Seed: uint64(100 + seed), Front: fe, Workload: w}}, "random", "none", "")
		r, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if r.JobsCompleted != int64(jobs) {
			t.Fatalf("%s: %d of %d jobs completed", f, r.JobsCompleted, jobs)
		}
		checkLittle(t, r)
		out = append(out, r)
	}
	return out
}

// replicate runs reps replications of cfg, replication i with seed
// seed0 + i.
func replicate(t *testing.T, reps int, seed0 uint64, cfg Config) []results.Result {
	t.Helper()
	var out []results.Result
	for i := range reps {
		cfg.Seed = seed0 + uint64(i)
		r, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// meanCI is the mean of metric over rs and the half-width of its 95%
// t-interval (ten replications: t = 2.262 with 9 degrees of freedom).
func meanCI(rs []results.Result, metric func(results.Result) float64) (mean, half float64) {
	for _, r := range rs {
		mean += metric(r)
	}
	mean /= float64(len(rs))
	ss := 0.0
	for _, r := range rs {
		ss += (metric(r) - mean) * (metric(r) - mean)
	}
	return mean, 2.262 * math.Sqrt(ss/float64(len(rs)-1)/float64(len(rs)))
}

// TestFrontEnd holds the front end to the queue it is. With TCP handoff
// every request costs it a fixed time and arrivals are Poisson: M/D/1, in
// utilisation and in the time a request spends there. Relaying, it also
// serves the responses, which come back as the nodes finish them, a
// stream that depends on the requests' own passage: no closed form for
// the time, but its utilisation is still λ times its time per request,
// in and out. Each is held within three half-widths of the replications'
// 95% interval, which must be under 2.5% of the theory value.
func TestFrontEnd(t *testing.T) {
	const lambda = 5.0 // 10 nodes at load 0.5, jobs of mean 1
	for _, tc := range []struct {
		name, front, resp string
		s                 float64                      // front-end time per request, in and out
		time              func(s, rho float64) float64 // nil: no closed form
	}{
		{"handoff M/D/1", "handoff(request=0.05, handoff=0.03)", "", 0.08, func(s, rho float64) float64 { return s + rho*s/(2*(1-rho)) }},
		{"relay", "relay(request=0.02, byte=1e-5)", "exp(mean=5000)", 0.07, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := runFront(t, tc.front, tc.resp, 0.5, 100_000)
			rho := lambda * tc.s
			type check struct {
				name   string
				theory float64
				metric func(results.Result) float64
			}
			checks := []check{{"utilisation", rho, func(r results.Result) float64 { return r.FrontUtilization }}}
			if tc.time != nil {
				checks = append(checks, check{"time at the front end", tc.time(tc.s, rho), func(r results.Result) float64 { return r.FrontTime }})
			}
			for _, m := range checks {
				mean, half := meanCI(rs, m.metric)
				t.Logf("%s: theory %.5f, simulator %.5f ± %.5f", m.name, m.theory, mean, half)
				if half > 0.025*m.theory || math.Abs(mean-m.theory) > 3*half {
					t.Errorf("%s: simulator %.5f ± %.5f, theory %.5f", m.name, mean, half, m.theory)
				}
			}
		})
	}
}

// TestHandoffIgnoresResponses checks what handoff is for: the front end
// never sees a response, so their size changes nothing, while a relaying
// front end slows every request as responses grow.
func TestHandoffIgnoresResponses(t *testing.T) {
	run := func(f, resp string) results.Result {
		return runFront(t, f, resp, 0.5, 20_000)[0]
	}
	small, large := run("handoff", "exp(mean=1000)"), run("handoff", "exp(mean=100000)")
	if small.MeanResponse != large.MeanResponse || small.FrontTime != large.FrontTime {
		t.Errorf("handoff: mean response %v with 1 kB responses, %v with 100 kB: want the same", small.MeanResponse, large.MeanResponse)
	}
	rSmall, rLarge := run("relay", "exp(mean=1000)"), run("relay", "exp(mean=100000)")
	if !(rLarge.MeanResponse > rSmall.MeanResponse+0.05) || !(rLarge.FrontUtilization > rSmall.FrontUtilization) {
		t.Errorf("relay: mean response %.4f, front end %.3f busy with 1 kB responses; %.4f, %.3f with 100 kB: want both higher", rSmall.MeanResponse, rSmall.FrontUtilization, rLarge.MeanResponse, rLarge.FrontUtilization)
	}
}
