package node

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/loadlab/loadlab/sim"
	"github.com/loadlab/loadlab/stats"
	"github.com/loadlab/loadlab/workload"
)

// TestClosedUsersOnAgents runs closed users who think exp(mean=5)
// between requests of exp(mean=1) on 4 agents at random: 8 and 24 users,
// and 8 beside an open Poisson stream at load 0.3 (a mixed population);
// 2,000 requests (a tenth left out) at 10 ms a unit (under the race
// detector 400 at 50 ms, checked for races and ends only). A request reaches its agent D after it is due
// (D: the dispatch delay the agents measured), a delay station in the
// closed loop; so mean-value analysis (mixed MVA beside the open stream)
// with think time 5 + D gives the throughput, and its response plus D
// the mean response. Both must be within 3 standard deviations of one
// run (from 20 simulator runs of the same point calibrated with D) plus
// timingTolerance, and, closed, within 10% of the calibrated simulator's
// run of the same seed; mixed, within as much of the 20 runs' mean (the
// agents' requests reorder against the open stream's: another sample
// path). Every request ends once, completed. About 35 s.
//
// Closed, the agents follow the simulator's sample path of their seed (the
// users' requests come in the same order, the same sizes), which
// strays from MVA as any one run does (within 3 sd); their own timing (a
// delay varying job by job, releases late on a busy machine) moves them
// off that path by a few percent more: timingTolerance.
func TestClosedUsersOnAgents(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real clusters")
	}
	const nodes, think = 4, 5.0
	jobs := 2000 / raceScale // the race detector's slower pace: as long a test
	for _, c := range []struct {
		users int
		open  float64 // the load of an open Poisson stream beside the users; 0: none
	}{{8, 0}, {24, 0}, {8, 0.3}} {
		t.Run(fmt.Sprintf("%d users, open %g", c.users, c.open), func(t *testing.T) {
			wc := workload.Config{Size: "exp(mean=1)", Users: c.users, Think: "exp(mean=5)"}
			load := 0.5 // only labels a closed point
			if c.open > 0 {
				wc.Arrival, load = "poisson", c.open
			}
			w, err := workload.New(wc)
			if err != nil {
				t.Fatal(err)
			}
			cfg := localPoint(t, nodes, "random", "none", load, jobs, raceScale*10*time.Millisecond)
			cfg.Workload, cfg.Seed = w, 5
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			real, err := RunLocal(ctx, cfg)
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			if real.JobsIssued != int64(jobs) {
				t.Fatalf("%d requests issued, want %d", real.JobsIssued, jobs)
			}
			checkAllEnded(t, real)
			d := real.DispatchDelay
			calibrated := sim.Config{Model: cfg.Model, Costs: sim.Costs{Dispatch: d}}
			same, err := sim.Run(context.Background(), calibrated)
			if err != nil {
				t.Fatal(err)
			}
			var xs, rs []float64
			for i := range 20 {
				calibrated.Seed = 100 + uint64(i)
				s, err := sim.Run(context.Background(), calibrated)
				if err != nil {
					t.Fatal(err)
				}
				xs, rs = append(xs, s.Throughput), append(rs, s.MeanResponse)
			}
			x, r := stats.MixedMVA(c.users, nodes, think+d, c.open*nodes) // MVA without an open stream
			r += d
			sdX, sdR := sd(xs), sd(rs)
			t.Logf("throughput agents %.4f, simulator %.4f, MVA %.4f (sd of a run %.4f); response agents %.4f, simulator %.4f, MVA %.4f (sd %.4f); dispatch delay %.4f, schedule lag p99 %.3f, emulation lag p99 %.3f, service error %+.2f%%",
				real.Throughput, same.Throughput, x, sdX, real.MeanResponse, same.MeanResponse, r, sdR, d, real.ScheduleLagP99, real.EmulationLag, 100*real.ServiceError)
			if raceScale > 1 {
				return // under the race detector, for races only, as the other agreement tests (400 requests: too few to compare)
			}
			skipIfLate(t, real, 10)
			for _, m := range []struct {
				name                      string
				agents, sim, simMean, mva float64
				sd                        float64
			}{{"throughput", real.Throughput, same.Throughput, mean(xs), x, sdX}, {"mean response", real.MeanResponse, same.MeanResponse, mean(rs), r, sdR}} {
				if tol := 3*m.sd + timingTolerance*m.mva; math.Abs(m.agents-m.mva) > tol {
					t.Errorf("%s on agents %.4f, MVA %.4f: more than 3 sd (%.4f) + %.0f%% apart", m.name, m.agents, m.mva, m.sd, 100*timingTolerance)
				}
				if c.open > 0 {
					// The users' requests interleave with the open stream
					// by absolute time: a dispatch delay that varies about
					// its mean reorders them, and the agents' run is another
					// sample path than the simulator's of the same seed, one
					// more draw of the simulator's runs.
					if tol := 3*m.sd*math.Sqrt(1+1.0/20) + timingTolerance*m.simMean; math.Abs(m.agents-m.simMean) > tol {
						t.Errorf("%s on agents %.4f, calibrated simulator's 20 runs %.4f (sd %.4f): more than 3 sd + %.0f%% apart", m.name, m.agents, m.simMean, m.sd, 100*timingTolerance)
					}
				} else if dev := math.Abs(m.agents/m.sim - 1); !(dev <= 0.1) {
					t.Errorf("%s on agents %.4f, calibrated simulator %.4f: %.1f%% apart, want within 10%%", m.name, m.agents, m.sim, 100*dev)
				}
			}
		})
	}
}

// timingTolerance is what TestClosedUsersOnAgents allows the agents'
// timing on top of a run's statistical spread, as a share of the MVA
// value: closed, their throughput and response strayed from the
// simulator's run of the same seed mostly by under 2%, and by at most
// 5.5%, in 11 runs on a busy machine (load average 9 on 2 cores).
const timingTolerance = 0.05

// mean is the mean of xs.
func mean(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m += x
	}
	return m / float64(len(xs))
}

// sd is the sample standard deviation of xs.
func sd(xs []float64) float64 {
	m := mean(xs)
	ss := 0.0
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	return math.Sqrt(ss / float64(len(xs)-1))
}
