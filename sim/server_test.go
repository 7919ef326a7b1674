package sim

import (
	"fmt"
	"math"
	"testing"

	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/server"
)

// TestServersLecture holds the simulator to what the lecture argues about
// the three ways to construct a server: with half of each request's time
// blocked in I/O, the iterative server saturates at 1/E[total time] per
// node, far below what the threaded and event-driven servers carry, and
// its one thread never executes beside another (TLP 1), while theirs do.
// Every request ends once, and Little's law holds.
func TestServersLecture(t *testing.T) {
	const nodes, cores, jobs = 8, 4, 200_000
	// CPU load 0.4 per core: 1.6 requests per unit per node, each taking
	// 2 units in all (1 of CPU, 1 blocked), so an iterative server (one
	// thread: at most 0.5 per unit) is overloaded more than three times.
	for _, c := range []struct {
		arch     string
		tlpMin   float64
		overload bool
	}{
		{"iterative", 1, true},
		{"thread-per-request", 1.3, false},
		{"pool(n=16)", 1.3, false},
		{"event-loop(loops=4)", 1.3, false},
		{"process-per-request", 1.3, false},
		// User-level threads on one kernel thread: a blocking call stalls
		// them all, so it saturates as the iterative server does.
		{"user-threads(kernel=1)", 1, true},
		{"user-threads(kernel=8)", 1.3, false},
	} {
		t.Run(c.arch, func(t *testing.T) {
			arch, err := server.Parse(c.arch)
			if err != nil {
				t.Fatal(err)
			}
			cfg := Config{Model: scenario.Model{Nodes: nodes, Servers: cores, Load: 0.4, Jobs: jobs, Warmup: jobs / 10, Seed: 3, Server: arch}}
			r := mustRun(t, cfg, "random", "none", "cpu(exp(mean=0.5)), io(exp(mean=1)), cpu(exp(mean=0.5))")
			offered := 0.4 * cores * nodes
			t.Logf("%s: throughput %.3f (offered %.2f), response %.3f (cpu %.3f, io %.3f, wait %.3f), TLP %.3f, threads %.2f",
				c.arch, r.Throughput, offered, r.MeanResponse, r.MeanCPU, r.MeanIO, r.MeanWait, r.TLP, r.Threads)
			if r.JobsIssued != jobs || r.JobsCompleted != jobs || r.JobsFailed != 0 {
				t.Errorf("issued %d, completed %d, failed %d: want every one of %d completed once", r.JobsIssued, r.JobsCompleted, r.JobsFailed, jobs)
			}
			if math.Abs(r.MeanIO-1) > 0.02 || math.Abs(r.MeanCPU-1) > 0.02 {
				t.Errorf("mean cpu %.3f, io %.3f: want 1 and 1", r.MeanCPU, r.MeanIO)
			}
			if c.overload {
				// Completions over the whole run (the window's throughput
				// leaves out the backlog that builds before it opens); the
				// run ends when the node dealt the most jobs ends, so a
				// little below the capacity of all nodes together.
				if got, capacity := float64(r.JobsCompleted)/r.SimTime, float64(nodes)/2; got > 1.01*capacity || got < 0.9*capacity {
					t.Errorf("%.3f completions per unit: an iterative server completes one request per 2 units, %.2f in all", got, capacity)
				}
				if r.TLP != 1 {
					t.Errorf("TLP %v: one thread executes at a time", r.TLP)
				}
				return
			}
			checkLittle(t, r)
			if math.Abs(r.Throughput-offered) > 0.02*offered {
				t.Errorf("throughput %.3f, offered %.2f: a concurrent server carries the load", r.Throughput, offered)
			}
			if r.TLP < c.tlpMin || r.TLP > cores {
				t.Errorf("TLP %.3f: want between %v and %d", r.TLP, c.tlpMin, cores)
			}
			executing := r.Utilization * cores
			if arch.Blocking && r.Threads <= executing*1.2 {
				t.Errorf("%.2f threads in use, %.2f executing: blocked requests hold threads too", r.Threads, executing)
			}
			if !arch.Blocking && math.Abs(r.Threads-executing) > 0.01*executing {
				t.Errorf("%.2f threads in use, %.2f executing: an event loop's threads never block", r.Threads, executing)
			}
		})
	}
}

// TestServerCosts checks that the costs of threads show where the model
// says: creating a process per request costs more than a thread, a
// switch cost slows a node only when more threads are runnable than it
// has cores, and the event loop pays per completion event.
func TestServerCosts(t *testing.T) {
	run := func(arch string) float64 {
		a, err := server.Parse(arch)
		if err != nil {
			t.Fatal(err)
		}
		cfg := Config{Model: scenario.Model{Nodes: 20, Servers: 2, Load: 0.7, Jobs: 200_000, Warmup: 20_000, Seed: 5, Server: a}}
		r := mustRun(t, cfg, "random", "none", "cpu(exp(mean=1)), io(det(value=1))")
		return r.MeanResponse
	}
	for _, c := range []struct{ cheap, dear string }{
		{"thread-per-request(create=0, switch=0)", "thread-per-request(create=0.1, switch=0)"},
		{"thread-per-request", "process-per-request"},
		{"thread-per-request(create=0, switch=0)", "thread-per-request(create=0, switch=0.05, quantum=0.1)"},
		{"event-loop(loops=2, event=0)", "event-loop(loops=2, event=0.1)"},
	} {
		t.Run(fmt.Sprintf("%s<%s", c.cheap, c.dear), func(t *testing.T) {
			a, b := run(c.cheap), run(c.dear) // the same jobs: common random numbers
			t.Logf("%s %.4f, %s %.4f", c.cheap, a, c.dear, b)
			if !(b > a*1.02) {
				t.Errorf("%s: mean response %.4f, not above %s's %.4f", c.dear, b, c.cheap, a)
			}
		})
	}
	// With as many workers as cores nothing is ever switched: the cost is not paid.
	if a, b := run("pool(n=2, switch=0)"), run("pool(n=2, switch=0.05, quantum=0.1)"); a != b {
		t.Errorf("pool(n=2) on 2 cores: switch cost changed the response from %v to %v", a, b)
	}
}
