package sim

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/server"
	"github.com/loadlab/loadlab/workload"
)

// Closed forms, written here independently of package analysis so that the
// simulator and the figures are not checked against one shared mistake.

func mm1(rho float64) float64 { return 1 / (1 - rho) }

// pk is the Pollaczek–Khinchine mean response time of M/G/1 (mean size 1).
func pk(rho, scv float64) float64 { return 1 + rho*(1+scv)/(2*(1-rho)) }

// erlangC is the mean response time of M/M/k at per-server load rho.
func erlangC(k int, rho float64) float64 {
	a := rho * float64(k)
	b := 1.0 // Erlang B by recursion
	for i := 1; i <= k; i++ {
		b = a * b / (float64(i) + a*b)
	}
	c := b / (1 - rho*(1-b))
	return 1 + c/(float64(k)*(1-rho))
}

// supermarket is the N → ∞ mean response of power-of-d (Mitzenmacher 2001).
func supermarket(rho float64, d int) float64 {
	sum := 0.0
	for i := 1; ; i++ {
		e := (math.Pow(float64(d), float64(i)) - float64(d)) / float64(d-1)
		t := math.Pow(rho, e)
		sum += t
		if t < 1e-12 {
			return sum
		}
	}
}

func mustRun(t testing.TB, cfg Config, dispatch, migrate, size string) results.Result {
	t.Helper()
	r, err := Run(context.Background(), config(t, cfg, dispatch, migrate, size))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// checkLittle asserts L = λW over the measurement window.
func checkLittle(t *testing.T, r results.Result) {
	t.Helper()
	lw := r.ArrivalRate * r.MeanResponse
	if rel := math.Abs(r.MeanInSystem-lw) / lw; rel > 0.01 {
		t.Errorf("Little's law: L = %.4f, λW = %.4f (off by %.2f%%)", r.MeanInSystem, lw, 100*rel)
	}
	if r.JobsIssued != r.JobsCompleted+r.JobsFailed {
		t.Errorf("conservation: issued %d != completed %d + failed %d", r.JobsIssued, r.JobsCompleted, r.JobsFailed)
	}
}

// TestTheory holds the simulator to queueing theory. A run may differ from
// theory by at most three half-widths of its 95% batch-means interval, and
// each run must be long enough that the half-width is under 2.5% of the
// theory value, so the test cannot pass by being imprecise. Seeds are fixed:
// the outcome is the same on every machine.
func TestTheory(t *testing.T) {
	type tc struct {
		name              string
		dispatch, migrate string
		size, discipline  string
		server            string  // server architecture ("": none)
		tasks             int     // tasks per request (0: 1)
		servers           int     // cores per node (0: 1)
		cpu               float64 // CPU share of the mean service time (0: all of it): the offered load on CPU is rho·cpu
		nodes, jobs       int
		rho               float64
		theory            float64
		maxRel            float64 // extra allowance for a known model difference (finite N)
	}
	var cases []tc
	for _, rho := range []float64{0.5, 0.8, 0.9} {
		jobs := 2_000_000
		if rho == 0.9 {
			jobs = 6_000_000
		}
		cases = append(cases,
			tc{name: "M/M/1", dispatch: "random", size: "exp(mean=1)", nodes: 100, jobs: jobs, rho: rho, theory: mm1(rho)},
			tc{name: "M/D/1", dispatch: "random", size: "det(value=1)", nodes: 100, jobs: jobs, rho: rho, theory: pk(rho, 0)},
			tc{name: "M/H2/1", dispatch: "random", size: "hyperexp(mean=1, scv=4)", nodes: 100, jobs: 3 * jobs, rho: rho, theory: pk(rho, 4)},
			tc{name: "M/H2/1-PS", dispatch: "random", size: "hyperexp(mean=1, scv=4)", discipline: "ps", nodes: 100, jobs: jobs, rho: rho, theory: mm1(rho)},
			tc{name: "lwl = M/M/8", dispatch: "lwl", size: "exp(mean=1)", nodes: 8, jobs: jobs / 2, rho: rho, theory: erlangC(8, rho)},
			tc{name: "pod(d=2) N=1000", dispatch: "pod(d=2)", size: "exp(mean=1)", nodes: 1000, jobs: jobs, rho: rho, theory: supermarket(rho, 2), maxRel: 0.02},
			tc{name: "pod(d=3) N=1000", dispatch: "pod(d=3)", size: "exp(mean=1)", nodes: 1000, jobs: jobs, rho: rho, theory: supermarket(rho, 3), maxRel: 0.02},
			// Server architectures (package server). An iterative server
			// holds its one thread through the wait: M/G/1 whose service
			// is the request's total time, here S = X + 0.5 with X
			// exponential of mean 0.5 (E[S] = 1, SCV 0.25).
			tc{name: "iterative = M/G/1 (cpu+io)", dispatch: "random", size: "cpu(exp(mean=0.5)), io(det(value=0.5))", server: "iterative", cpu: 0.5, nodes: 100, jobs: jobs, rho: rho, theory: pk(rho, 0.25)},
			// A pool of c workers on c cores, CPU only: M/M/c.
			tc{name: "pool(4) = M/M/4", dispatch: "random", size: "exp(mean=1)", server: "pool(n=4)", servers: 4, nodes: 100, jobs: jobs, rho: rho, theory: erlangC(4, rho)},
			// A thread per request on one core, CPU only, free threads:
			// M/G/1-PS, insensitive to the size distribution.
			tc{name: "thread-per-request = M/H2/1-PS", dispatch: "random", size: "hyperexp(mean=1, scv=4)", server: "thread-per-request(create=0, switch=0)", nodes: 100, jobs: jobs, rho: rho, theory: mm1(rho)},
			// One event loop, CPU only: handlers run to completion, FCFS.
			tc{name: "event-loop = M/D/1", dispatch: "random", size: "det(value=1)", server: "event-loop(event=0)", nodes: 100, jobs: jobs, rho: rho, theory: pk(rho, 0)},
			// Fork-join: each request forks into 2 tasks that rr sends
			// to the two nodes, so each node sees every request: the
			// two-server fork-join queue, whose mean response Nelson
			// and Tantawi (1988) give exactly, (12 − ρ)/8 · 1/(μ − λ).
			tc{name: "fork-join(2) = Nelson-Tantawi", dispatch: "rr", size: "exp(mean=1)", tasks: 2, nodes: 2, jobs: jobs / 2, rho: rho, theory: (12 - rho) / 8 * mm1(rho)},
		)
	}
	if testing.Short() {
		t.Skip("theory agreement needs long runs")
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/rho=%g", c.name, c.rho), func(t *testing.T) {
			t.Parallel()
			migrate := c.migrate
			if migrate == "" {
				migrate = "none"
			}
			load := c.rho
			if c.cpu > 0 {
				load *= c.cpu
			}
			cfg := Config{Model: scenario.Model{Nodes: c.nodes, Servers: c.servers, Load: load, Jobs: c.jobs, Warmup: c.jobs / 10, Seed: 7, Discipline: c.discipline}}
			if c.server != "" {
				var err error
				if cfg.Server, err = server.Parse(c.server); err != nil {
					t.Fatal(err)
				}
			}
			if c.tasks > 0 {
				cfg.Workload = tasksWorkload(t, c.size, c.tasks)
			}
			r := mustRun(t, cfg, c.dispatch, migrate, c.size)
			h := r.CI95HalfWidth
			diff := r.MeanResponse - c.theory
			t.Logf("%-18s rho=%.1f theory %.4f measured %.4f ± %.4f (%+.2f%%)", c.name, c.rho, c.theory, r.MeanResponse, h, 100*diff/c.theory)
			if h > 0.025*c.theory {
				t.Errorf("run too short: half-width %.4f is %.1f%% of the theory value", h, 100*h/c.theory)
			}
			if math.Abs(diff) > 3*h+c.maxRel*c.theory {
				t.Errorf("mean response %.4f ± %.4f, theory %.4f: off by %.2f half-widths", r.MeanResponse, h, c.theory, math.Abs(diff)/h)
			}
			if c.maxRel > 0 && math.Abs(diff) > c.maxRel*c.theory {
				t.Errorf("mean response %.4f is %.2f%% from the supermarket limit %.4f; want within %.0f%%", r.MeanResponse, 100*diff/c.theory, c.theory, 100*c.maxRel)
			}
			if math.Abs(r.Utilization-load) > 0.01 {
				t.Errorf("utilization %.4f, offered load %.2f", r.Utilization, load)
			}
			checkLittle(t, r)
		})
	}
}

// tasksWorkload is a workload of requests of k tasks of the given size.
func tasksWorkload(t testing.TB, size string, k int) *workload.Workload {
	t.Helper()
	w, err := workload.New(workload.Config{Size: size, Tasks: k})
	if err != nil {
		t.Fatal(err)
	}
	return w
}
