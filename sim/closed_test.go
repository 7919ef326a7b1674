package sim

import (
	"context"
	"math"
	"testing"

	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/workload"
)

// mva is exact mean-value analysis of a closed network of k identical
// FCFS exponential queues of mean service 1, each visited with
// probability 1/k (random dispatch), and a think time of mean z: the
// throughput and the mean response with n users.
func mva(n, k int, z float64) (x, r float64) {
	q := 0.0 // mean jobs at one queue
	for m := 1; m <= n; m++ {
		r = 1 + q // time at the queue a request visits: its service and those ahead
		x = float64(m) / (r + z)
		q = x * r / float64(k)
	}
	return x, r
}

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
		var rs []results.Result
		for seed := range 10 {
			cfg := config(t, Config{Model: scenario.Model{Nodes: c.nodes, Load: 0.5, Jobs: 50_000, Warmup: 5_000, Seed: uint64(11 + seed), Workload: w}}, "random", "none", "")
			r, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if r.JobsCompleted != 50_000 {
				t.Fatalf("%d users: %d of 50,000 completed", c.users, r.JobsCompleted)
			}
			rs = append(rs, r)
		}
		x, resp := mva(c.users, c.nodes, 5)
		gotX, halfX := meanCI(rs, func(r results.Result) float64 { return r.Throughput })
		gotR, halfR := meanCI(rs, func(r results.Result) float64 { return r.MeanResponse })
		t.Logf("%2d users, %d nodes: throughput %.4f ± %.4f (MVA %.4f), response %.4f ± %.4f (MVA %.4f)", c.users, c.nodes, gotX, halfX, x, gotR, halfR, resp)
		if math.Abs(gotX-x) > 3*halfX || math.Abs(gotR-resp) > 3*halfR || halfR > 0.02*resp {
			t.Errorf("%d users, %d nodes: throughput %.4f ± %.4f, response %.4f ± %.4f; MVA %.4f, %.4f", c.users, c.nodes, gotX, halfX, gotR, halfR, x, resp)
		}
	}
}
