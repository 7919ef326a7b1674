package sim

import (
	"math"
	"testing"

	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/stats"
	"github.com/loadlab/loadlab/workload"
)

// TestClosedUsersMVA holds closed users to exact mean-value analysis: n
// users thinking exp(mean=5) between requests of exp(mean=1) to one node,
// and to four nodes at random, at every n tested. Ten replications of
// 50,000 requests; throughput and mean response within three half-widths
// of their 95% intervals.
func TestClosedUsersMVA(t *testing.T) {
	for _, c := range []struct{ users, nodes int }{{1, 1}, {3, 1}, {6, 1}, {12, 1}, {8, 4}, {30, 4}} {
		w, err := workload.New(workload.Config{Size: "exp(mean=1)", Users: c.users, Think: "exp(mean=5)"})
		if err != nil {
			t.Fatal(err)
		}
		rs := replicate(t, 10, 11, config(t, Config{Model: scenario.Model{Nodes: c.nodes, Load: 0.5, Jobs: 50_000, Warmup: 5_000, Workload: w}}, "random", "none", ""))
		for _, r := range rs {
			if r.JobsCompleted != 50_000 {
				t.Fatalf("%d users: %d of 50,000 completed", c.users, r.JobsCompleted)
			}
		}
		x, resp := stats.MVA(c.users, c.nodes, 5)
		gotX, halfX := meanCI(rs, func(r results.Result) float64 { return r.Throughput })
		gotR, halfR := meanCI(rs, func(r results.Result) float64 { return r.MeanResponse })
		t.Logf("%2d users, %d nodes: throughput %.4f ± %.4f (MVA %.4f), response %.4f ± %.4f (MVA %.4f)", c.users, c.nodes, gotX, halfX, x, gotR, halfR, resp)
		if math.Abs(gotX-x) > 3*halfX || math.Abs(gotR-resp) > 3*halfR || halfR > 0.02*resp {
			t.Errorf("%d users, %d nodes: throughput %.4f ± %.4f, response %.4f ± %.4f; MVA %.4f, %.4f", c.users, c.nodes, gotX, halfX, gotR, halfR, x, resp)
		}
	}
}

// TestMixedUsersMVA holds a mixed population to mixed mean-value
// analysis (Lazowska et al., Quantitative System Performance, ch. 7): on
// one node of exponential service 1, an open Poisson stream of rate λ
// uses U = λ of it; n closed users who think exp(mean=5) see R_c(m) =
// (1 + Q_c(m−1)) / (1 − U), and open requests R_o = (1 + Q_c(n)) / (1 − U).
// The mean over all requests and the total throughput are held within
// three half-widths of ten replications' 95% intervals.
func TestMixedUsersMVA(t *testing.T) {
	const lambda, z = 0.4, 5.0
	for _, n := range []int{2, 6} {
		w, err := workload.New(workload.Config{Arrival: "poisson", Size: "exp(mean=1)", Users: n, Think: "exp(mean=5)"})
		if err != nil {
			t.Fatal(err)
		}
		wantX, wantR := stats.MixedMVA(n, 1, z, lambda)
		rs := replicate(t, 10, 31, config(t, Config{Model: scenario.Model{Nodes: 1, Load: lambda, Jobs: 60_000, Warmup: 6_000, Workload: w}}, "random", "none", ""))
		gotX, halfX := meanCI(rs, func(r results.Result) float64 { return r.Throughput })
		gotR, halfR := meanCI(rs, func(r results.Result) float64 { return r.MeanResponse })
		t.Logf("%d users beside λ = %v: throughput %.4f ± %.4f (mixed MVA %.4f), response %.4f ± %.4f (%.4f)", n, lambda, gotX, halfX, wantX, gotR, halfR, wantR)
		if math.Abs(gotX-wantX) > 3*halfX || math.Abs(gotR-wantR) > 3*halfR {
			t.Errorf("%d users: throughput %.4f ± %.4f, response %.4f ± %.4f; mixed MVA %.4f, %.4f", n, gotX, halfX, gotR, halfR, wantX, wantR)
		}
	}
}
