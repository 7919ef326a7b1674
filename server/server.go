// Package server describes how a node constructs its server, the
// comparison the lecture's chapter on processes is built around
// (Tanenbaum & van Steen, ch. 3): a single-threaded iterative server, a
// multithreaded one (a thread or process per request, or a pool of
// workers fed by a dispatcher), and a finite-state machine (an event loop
// that never blocks).
//
// Every architecture is one model with a few parameters, which the
// simulator runs (and, for real agents, which the executor implements):
//
//   - A node has Servers cores of its speed. A request needs a thread to
//     run; at most Threads requests hold one at a time, the others wait
//     for one in arrival order (FCFS).
//   - A request alternates CPU bursts and blocking waits
//     (workload.Job.Phases). During a burst its thread is runnable; the
//     runnable threads share the cores as a processor-sharing scheduler
//     would (each gets min(1, cores/runnable) of a core). When more
//     threads are runnable than there are cores, the scheduler switches
//     among them every Quantum, and each switch costs Switch of CPU: the
//     cores do useful work Quantum/(Quantum+Switch) of the time.
//   - During a wait a Blocking request keeps its thread (and so occupies
//     one of Threads); a non-blocking one (the event loop) gives it back
//     and, when the wait completes, queues again for a thread with Event
//     more CPU to run, the cost of handling the completion event.
//   - Create is CPU each request pays first, for the thread (or process)
//     made for it.
//
// User-level threads (user-threads) are this model with Threads the
// kernel threads: a user thread that blocks in a system call blocks its
// kernel thread, so at most that many requests run or wait at once,
// whatever the number of user threads; in exchange creating and switching
// them costs little.
//
// Time is in model units: a job of size 1 takes 1 unit on a speed-1 core.
// The defaults assume a unit of 10 ms (a thread is created in about
// 20 µs, a process in about 500 µs, a thread switch costs about 5 µs, a
// process switch about 30 µs with the TLB flush, a time slice is 4 ms, an
// event 5 µs); give them in other units as parameters.
package server

import (
	"math"
	"slices"
	"strconv"

	"github.com/loadlab/loadlab/param"
)

// Arch is a server architecture with its parameters.
type Arch struct {
	Name     string   // iterative, thread-per-request, process-per-request, user-threads, pool or event-loop
	Threads  int      // most requests holding a thread at once; 0: no limit
	Blocking bool     // a waiting request keeps its thread (false: the event loop's non-blocking calls)
	Create   float64  // CPU a request pays first for its own thread or process, size units
	Switch   float64  // CPU per context switch, size units
	Quantum  float64  // time slice when more threads are runnable than cores, model units
	Event    float64  // non-blocking: CPU to handle a wait's completion event, size units
	spec     string   // canonical form
	given    []string // the parameters the parsed text gave (Parse)
	schema   param.Schema
}

// Default costs, for a model unit of 10 ms.
const (
	ThreadCreate  = 0.002  // 20 µs
	ProcessCreate = 0.05   // 500 µs: fork, exec, a fresh address space
	ThreadSwitch  = 0.0005 // 5 µs
	ProcessSwitch = 0.003  // 30 µs: the MMU and the TLB change too
	Quantum       = 0.4    // 4 ms
	EventCost     = 0.0005 // 5 µs
	UserCreate    = 0.0002 // 2 µs: a stack and a context in user space
	UserSwitch    = 0.0001 // 1 µs: no system call
)

func costs(create, sw string) param.Schema {
	s := param.Schema{}
	if create != "" {
		s = append(s, param.Param{Name: "create", Kind: param.Float, Default: create, Doc: "CPU to create the request's thread or process, size units, >= 0"})
	}
	return append(s,
		param.Param{Name: "switch", Kind: param.Float, Default: sw, Doc: "CPU per context switch, size units, >= 0"},
		param.Param{Name: "quantum", Kind: param.Float, Default: ftoa(Quantum), Doc: "time slice when more threads are runnable than cores, model units, > 0"})
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

var archs = param.Registry[*Arch]{
	{Name: "event-loop", Doc: "finite-state machine: loops threads that never block; a wait's completion is an event costing event CPU",
		Schema: append(param.Schema{
			{Name: "loops", Kind: param.Int, Default: "1", Doc: "event-loop threads, >= 1 (one per core: loops = servers)"},
			{Name: "event", Kind: param.Float, Default: ftoa(EventCost), Doc: "CPU per completion event, size units, >= 0"},
		}, costs("", ftoa(ThreadSwitch))...),
		Build: func(v param.Values) (*Arch, error) {
			a := &Arch{Name: "event-loop", Threads: v.Int("loops"), Event: v.Float("event")}
			if a.Threads < 1 {
				return nil, v.Errorf("loops", "must be at least 1, got %d", a.Threads)
			}
			return a.withCosts(v)
		}},
	{Name: "iterative", Doc: "one thread serves one request at a time, blocking through its waits",
		Build: func(v param.Values) (*Arch, error) {
			return &Arch{Name: "iterative", Threads: 1, Blocking: true, Quantum: Quantum}, nil
		}},
	{Name: "pool", Doc: "dispatcher/worker: n worker threads, made in advance, take requests from a queue and block through their waits",
		Schema: append(param.Schema{{Name: "n", Kind: param.Int, Doc: "worker threads, >= 1"}}, costs("", ftoa(ThreadSwitch))...),
		Build: func(v param.Values) (*Arch, error) {
			a := &Arch{Name: "pool", Threads: v.Int("n"), Blocking: true}
			if a.Threads < 1 {
				return nil, v.Errorf("n", "must be at least 1, got %d", a.Threads)
			}
			return a.withCosts(v)
		}},
	{Name: "process-per-request", Doc: "a new process per request (a superserver that forks): heavier to create and to switch than a thread",
		Schema: append(param.Schema{{Name: "limit", Kind: param.Int, Default: "0", Doc: "most processes at once, >= 0; 0 = no limit"}}, costs(ftoa(ProcessCreate), ftoa(ProcessSwitch))...),
		Build:  perRequest("process-per-request")},
	{Name: "user-threads", Doc: "a user-level thread per request on `kernel` kernel threads: cheap to create and switch, but a blocking call stalls its kernel thread and every user thread on it, and they use at most `kernel` cores",
		Schema: append(param.Schema{{Name: "kernel", Kind: param.Int, Default: "1", Doc: "kernel threads the user threads run on, >= 1"}}, costs(ftoa(UserCreate), ftoa(UserSwitch))...),
		Build: func(v param.Values) (*Arch, error) {
			// Only as many requests as kernel threads run or block at
			// once (a blocked user thread holds its kernel thread); the
			// others wait, holding a cheap user thread, in arrival order.
			a := &Arch{Name: "user-threads", Threads: v.Int("kernel"), Blocking: true, Create: v.Float("create")}
			if a.Threads < 1 {
				return nil, v.Errorf("kernel", "must be at least 1, got %d", a.Threads)
			}
			if !(a.Create >= 0) || math.IsInf(a.Create, 0) {
				return nil, v.Errorf("create", "must be a finite number >= 0, got %v", a.Create)
			}
			return a.withCosts(v)
		}},
	{Name: "thread-per-request", Doc: "a new thread per request, blocking through its waits",
		Schema: append(param.Schema{{Name: "limit", Kind: param.Int, Default: "0", Doc: "most threads at once, >= 0; 0 = no limit"}}, costs(ftoa(ThreadCreate), ftoa(ThreadSwitch))...),
		Build:  perRequest("thread-per-request")},
}

func perRequest(name string) func(v param.Values) (*Arch, error) {
	return func(v param.Values) (*Arch, error) {
		a := &Arch{Name: name, Threads: v.Int("limit"), Blocking: true, Create: v.Float("create")}
		if a.Threads < 0 {
			return nil, v.Errorf("limit", "must be at least 0 (0: no limit), got %d", a.Threads)
		}
		if !(a.Create >= 0) || math.IsInf(a.Create, 0) {
			return nil, v.Errorf("create", "must be a finite number >= 0, got %v", a.Create)
		}
		return a.withCosts(v)
	}
}

// withCosts sets the switch cost and quantum from v and checks them.
func (a *Arch) withCosts(v param.Values) (*Arch, error) {
	a.Switch, a.Quantum = v.Float("switch"), v.Float("quantum")
	switch {
	case !(a.Switch >= 0) || math.IsInf(a.Switch, 0):
		return nil, v.Errorf("switch", "must be a finite number >= 0, got %v", a.Switch)
	case !(a.Quantum > 0) || math.IsInf(a.Quantum, 0):
		return nil, v.Errorf("quantum", "must be a finite number > 0, got %v", a.Quantum)
	case !(a.Event >= 0) || math.IsInf(a.Event, 0):
		return nil, v.Errorf("event", "must be a finite number >= 0, got %v", a.Event)
	}
	return a, nil
}

// Parse parses an architecture: "iterative", "pool(n=8)",
// "thread-per-request(limit=100)", "process-per-request",
// "event-loop(loops=4)".
func Parse(s string) (*Arch, error) {
	a, err := archs.Parse("server architecture", s)
	if err != nil {
		return nil, err
	}
	c, _ := param.Parse(s) // parsed once already: cannot fail
	for _, d := range archs {
		if d.Name == c.Name {
			v, _ := param.Bind(c, d.Schema)
			a.spec = v.Canonical(d.Schema)
			a.schema = d.Schema
		}
	}
	a.given = c.Keys
	return a, nil
}

// Calibrated returns a copy of a whose creation, switch and event costs
// are create, sw and event, each only where a has that parameter and its
// text left it at its default: a cost the spec gives stands. The real
// backend measures these costs (calibrate: true in a spec).
func (a *Arch) Calibrated(create, sw, event float64) *Arch {
	c := *a
	c.given = slices.Clone(a.given)
	set := map[string]float64{}
	for name, v := range map[string]float64{"create": create, "switch": sw, "event": event} {
		has := slices.ContainsFunc(a.schema, func(p param.Param) bool { return p.Name == name })
		if has && !slices.Contains(a.given, name) && v >= 0 && !math.IsInf(v, 0) {
			set[name] = v
		}
	}
	if len(set) == 0 {
		return &c
	}
	if v, ok := set["create"]; ok {
		c.Create = v
	}
	if v, ok := set["switch"]; ok {
		c.Switch = v
	}
	if v, ok := set["event"]; ok {
		c.Event = v
	}
	call, _ := param.Parse(a.spec) // a canonical form: cannot fail
	for name, v := range set {
		call.Args[name] = ftoa(v)
		if !slices.Contains(c.given, name) {
			c.given = append(c.given, name)
		}
	}
	v, _ := param.Bind(call, c.schema) // values of the schema's kinds: cannot fail
	c.spec = v.Canonical(c.schema)
	return &c
}

// Entries lists the architectures, for `loadlab policies`.
func Entries() []param.Entry { return archs.Entries() }

// String is the canonical form with every parameter, e.g. "pool(n=8, switch=0.0005, quantum=0.4)".
func (a *Arch) String() string {
	if a.spec == "" {
		return a.Name
	}
	return a.spec
}

// Efficiency is the fraction of the cores' time that goes to the
// requests' work when runnable threads share cores cores: 1 when every
// runnable thread has a core, else Quantum/(Quantum+Switch).
func (a *Arch) Efficiency(runnable, cores int) float64 {
	if runnable <= cores || a.Switch == 0 {
		return 1
	}
	return a.Quantum / (a.Quantum + a.Switch)
}

// MaxThreads returns the most requests that hold a thread at once, with
// math.MaxInt for no limit.
func (a *Arch) MaxThreads() int {
	if a.Threads == 0 {
		return math.MaxInt
	}
	return a.Threads
}
