package node

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadlab/loadlab/param"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/results"
)

// The tests in this file run real agents with policies that use the whole
// policy API, as the simulator carries it out (../sim/api_test.go): jobs
// pushed while running and while waiting, several jobs handed over on a
// request, messages, probes without waiting, polls, and completions told
// to the dispatcher. Each point checks that every job ends exactly once.

// apiCounts is what the test policies below observe, across all agents.
type apiCounts struct {
	replies, dones, polls      atomic.Int64 // Replied, Done and Polled calls
	pushed, pushedPartial      atomic.Int64 // running jobs pushed, and those among them with progress
	sent, received, requests   atomic.Int64 // test messages sent and received; requests for work sent after one
	bad                        atomic.Int64 // calls that broke a promise of the API
	badWhy                     atomic.Value // the first such, a string
	minRequested, maxRequested atomic.Int64 // jobs handed over per Requested
}

func (c *apiCounts) reset() {
	for _, a := range []*atomic.Int64{&c.replies, &c.dones, &c.polls, &c.pushed, &c.pushedPartial, &c.sent, &c.received, &c.requests, &c.bad, &c.maxRequested} {
		a.Store(0)
	}
	c.minRequested.Store(math.MaxInt64)
}

func (c *apiCounts) broke(format string, args ...any) {
	if c.bad.Add(1) == 1 {
		c.badWhy.Store(fmt.Sprintf(format, args...))
	}
}

// laterDispatch probes two random nodes per job without waiting and sends
// the job to the node with the shortest queue its replies reported, each
// pick counted against that node until its next reply (a ReplyWatcher and
// a DoneWatcher).
type laterDispatch struct {
	c      *apiCounts
	queue  []int
	sample []policy.NodeID
}

func (d *laterDispatch) Pick(v policy.View, _ *policy.Job) policy.NodeID {
	n := v.Nodes()
	a, b := policy.NodeID(v.Rand().IntN(n)), policy.NodeID(v.Rand().IntN(n))
	d.sample = append(d.sample[:0], a)
	if b != a {
		d.sample = append(d.sample, b)
	}
	v.ProbeLater(d.sample)
	best := policy.NodeID(0)
	for i := range d.queue {
		if d.queue[i] < d.queue[best] {
			best = policy.NodeID(i)
		}
	}
	d.queue[best]++
	return best
}

func (d *laterDispatch) Replied(v policy.View, n policy.NodeID, l policy.Load) {
	d.c.replies.Add(1)
	if n < 0 || int(n) >= v.Nodes() || l.Servers != 1 {
		d.c.broke("reply from node %d with load %+v", n, l)
		return
	}
	d.queue[n] = l.Queue
}

func (d *laterDispatch) Done(v policy.View, j *policy.Job) {
	d.c.dones.Add(1)
	if j.Origin < 0 || int(j.Origin) >= v.Nodes() {
		d.c.broke("Done for job %d with origin %d", j.ID, j.Origin)
	}
}

// pushPoll pushes the job in service to the next node whenever a fresh job
// arrives to a node with one running job that was never moved and nothing
// waiting: each such arrival preempts a running job, which must move with
// its progress (strong mobility). It also counts the polls it gets.
type pushPoll struct {
	policy.Base
	c    *apiCounts
	jobs []policy.JobInfo
}

func (p *pushPoll) Arrived(v policy.View, j *policy.Job) policy.Action {
	p.jobs = v.Jobs(p.jobs)
	if l := v.Local(); len(p.jobs) != l.Queue {
		p.c.broke("Jobs lists %d jobs, Local counts %d", len(p.jobs), l.Queue)
	}
	if j.Hops > 0 || len(p.jobs) != 1 || !p.jobs[0].Running || p.jobs[0].Hops > 0 {
		return policy.Action{}
	}
	if in := p.jobs[0]; in.Done < 0 || in.Done > in.Size || in.Since > v.Now() {
		p.c.broke("running job %+v at %g", in, v.Now())
	}
	p.c.pushed.Add(1)
	if p.jobs[0].Done > 0 {
		p.c.pushedPartial.Add(1)
	}
	return policy.Action{Verb: policy.Push, Node: (v.Self() + 1) % policy.NodeID(v.Nodes()), Job: 0}
}

func (p *pushPoll) Polled(_ policy.View, from policy.NodeID, l policy.Load) {
	p.c.polls.Add(1)
	if from != policy.None || l != (policy.Load{}) {
		p.c.broke("polled by %d with load %+v: want the dispatcher's (None, no load)", from, l)
	}
}

// Message kinds of grab.
const (
	grabIdle  uint8 = 1 // the sender is idle
	grabCome  uint8 = 2 // the sender has work to give: ask for it
	grabNodes       = 4
)

// grab is message-driven stealing that hands over running jobs too: a node
// left idle tells the next node; that one, if it holds two jobs or more,
// answers "come"; the idle node then asks it for work (Request from
// Message), and it hands over the first half of its jobs, the running one
// among them (Requested with n ≥ 1, a running job preempted).
type grab struct {
	policy.Base
	c *apiCounts
}

func (g grab) Departed(v policy.View) policy.Action {
	if v.Local().Queue == 0 {
		g.c.sent.Add(1)
		v.Send((v.Self()+1)%policy.NodeID(v.Nodes()), policy.Message{Kind: grabIdle, Value: float64(v.Self())})
	}
	return policy.Action{}
}

func (g grab) Message(v policy.View, from policy.NodeID, m policy.Message) policy.Action {
	g.c.received.Add(1)
	if from < 0 || from == v.Self() {
		g.c.broke("message %+v from node %d at node %d", m, from, v.Self())
	}
	switch m.Kind {
	case grabIdle:
		if m.Value != float64(from) {
			g.c.broke("message %+v from node %d carries another sender", m, from)
		}
		if v.Local().Queue >= 2 {
			g.c.sent.Add(1)
			v.Send(from, policy.Message{Kind: grabCome, Value: float64(v.Self())})
		}
	case grabCome:
		if v.Local().Queue == 0 {
			g.c.requests.Add(1)
			return policy.Action{Verb: policy.Request, Node: from}
		}
	default:
		g.c.broke("message of unknown kind %d", m.Kind)
	}
	return policy.Action{}
}

func (g grab) Requested(v policy.View, _ policy.NodeID) (first, n int) {
	q := v.Local().Queue
	if q < 2 {
		return 0, 0
	}
	k := int64(q / 2)
	for cur := g.c.minRequested.Load(); k < cur && !g.c.minRequested.CompareAndSwap(cur, k); cur = g.c.minRequested.Load() {
	}
	for cur := g.c.maxRequested.Load(); k > cur && !g.c.maxRequested.CompareAndSwap(cur, k); cur = g.c.maxRequested.Load() {
	}
	return 0, q / 2
}

// goroutineSlack is how many more goroutines a cluster may have after a
// point than after the first: serf's come and go.
const goroutineSlack = 3

// badPush pushes a job that is not there: an invalid decision, which the
// simulator rejects.
type badPush struct{ policy.Base }

func (badPush) Arrived(v policy.View, _ *policy.Job) policy.Action {
	return policy.Action{Verb: policy.Push, Node: (v.Self() + 1) % policy.NodeID(v.Nodes()), Job: v.Local().Queue}
}

// apiRegistry is the built-in registry with the test policies added.
func apiRegistry(c *apiCounts) *policy.Registry {
	r := policy.Builtin()
	r.AddDispatch(policy.Info{Name: "test.later"}, func(param.Values) (policy.DispatchBuilder, error) {
		return func(env policy.Env) policy.Dispatcher { return &laterDispatch{c: c, queue: make([]int, env.Nodes)} }, nil
	})
	r.AddMigrate(policy.Info{Name: "test.pushpoll"}, func(param.Values) (policy.MigrateBuilder, error) {
		return func(policy.Env) policy.Migrator { return &pushPoll{c: c} }, nil
	})
	r.AddMigrate(policy.Info{Name: "test.grab"}, func(param.Values) (policy.MigrateBuilder, error) {
		return func(policy.Env) policy.Migrator { return grab{c: c} }, nil
	})
	r.AddMigrate(policy.Info{Name: "test.badpush"}, func(param.Values) (policy.MigrateBuilder, error) {
		return func(policy.Env) policy.Migrator { return badPush{} }, nil
	})
	return r
}

// TestLocalPolicyAPI runs points on one cluster of real agents with the
// catalogue policies that use the extended API and with test policies
// that check each part of it.
func TestLocalPolicyAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := new(apiCounts)
	reg := apiRegistry(c)
	label := "api-" + runLabel()
	agents := startAgentsWith(ctx, t, grabNodes, "api-", label, reg)
	defer closeAgents(agents)
	settled := 0 // goroutines after the first point: the agents then hold pooled connections to each other
	for _, tc := range []struct {
		dispatch, migrate string
		check             func(t *testing.T, cfg PointConfig, r results.Result)
	}{
		// Catalogue policies.
		{"random", "age(cost=0.5, period=0.25, probes=2)", func(t *testing.T, _ PointConfig, r results.Result) {
			if r.Preemptions == 0 || r.Preemptions != r.Migrations {
				t.Errorf("age pushed %d running jobs in %d migrations: want some, and only running ones", r.Preemptions, r.Migrations)
			}
		}},
		{"random", "above.average", func(t *testing.T, _ PointConfig, r results.Result) {
			if r.Messages == 0 || r.Migrations == 0 || r.Preemptions != 0 {
				t.Errorf("above.average sent %d messages and pushed %d jobs (%d running): want messages and waiting jobs pushed",
					r.Messages, r.Migrations, r.Preemptions)
			}
		}},
		{"random", "steal", func(t *testing.T, _ PointConfig, r results.Result) {
			if r.Migrations == 0 || r.Preemptions != 0 {
				t.Errorf("steal moved %d jobs (%d running): want waiting jobs moved", r.Migrations, r.Preemptions)
			}
		}},
		// prequal's probes without waiting also poll stable.symmetric,
		// which learns from the polls of other agents too.
		{"prequal", "stable.symmetric", func(t *testing.T, _ PointConfig, r results.Result) {
			if r.ProbesPerJob <= 3 || r.ProbeRTTP50 <= 0 || r.Migrations == 0 {
				t.Errorf("%.3f probes per job (want prequal's 3 and polls), round trip p50 %.4f, %d jobs moved",
					r.ProbesPerJob, r.ProbeRTTP50, r.Migrations)
			}
		}},
		{"leastconn", "receiver.reserve", func(t *testing.T, cfg PointConfig, r results.Result) {
			if r.Messages == 0 {
				t.Errorf("receiver.reserve sent no message")
			}
		}},
		// Test policies.
		{"test.later", "test.pushpoll", func(t *testing.T, cfg PointConfig, r results.Result) {
			if got := c.replies.Load(); got != r.Probes || got == 0 {
				t.Errorf("%d replies to %d probes without waiting", got, r.Probes)
			}
			if got := c.polls.Load(); got != r.Probes {
				t.Errorf("agents were polled %d times by %d probes", got, r.Probes)
			}
			if got := c.dones.Load(); got != r.JobsIssued {
				t.Errorf("Done called %d times for %d jobs", got, r.JobsIssued)
			}
			if r.Preemptions == 0 || r.Preemptions != r.Migrations || r.Preemptions > c.pushed.Load() {
				t.Errorf("%d running jobs pushed by the policy, %d preempted, %d migrations: want every migration a preemption",
					c.pushed.Load(), r.Preemptions, r.Migrations)
			}
			if c.pushedPartial.Load() < c.pushed.Load()/2 {
				t.Errorf("only %d of %d pushed jobs had made progress", c.pushedPartial.Load(), c.pushed.Load())
			}
			// Moved jobs keep their progress: the servers do the offered
			// work, not more.
			if r.Utilization > cfg.Load+0.06 {
				t.Errorf("utilisation %.3f with preemptions at load %.2f: work was repeated", r.Utilization, cfg.Load)
			}
		}},
		{"random", "test.grab", func(t *testing.T, _ PointConfig, r results.Result) {
			sent, received := c.sent.Load(), c.received.Load()
			if sent == 0 || received < sent*9/10 || received > sent {
				t.Errorf("%d test messages sent, %d received", sent, received)
			}
			if r.Messages < sent+c.requests.Load() {
				t.Errorf("%d messages and requests counted, the policy sent %d and %d", r.Messages, sent, c.requests.Load())
			}
			if r.Preemptions == 0 || r.Migrations <= r.Preemptions || c.maxRequested.Load() < 2 {
				t.Errorf("%d jobs handed over (%d running), at most %d per request: want running and waiting jobs, several at once",
					r.Migrations, r.Preemptions, c.maxRequested.Load())
			}
		}},
	} {
		t.Run(tc.dispatch+"+"+tc.migrate, func(t *testing.T) {
			c.reset()
			// Five times as long under -race (race_test.go): at 5 ms a unit
			// the race detector's agents fell behind the schedule (mean
			// response 63 at utilisation 0.49), and age found no queue
			// long enough to push from.
			cfg := localPoint(t, grabNodes, "random", "none", 0.8, 600, raceScale*5*time.Millisecond)
			var err error
			if cfg.Dispatch, err = reg.Dispatch(tc.dispatch); err != nil {
				t.Fatal(err)
			}
			if cfg.Migrate, err = reg.Migrate(tc.migrate); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			r, err := RunTestbed(ctx, cfg, agents[0].GossipAddr(), "127.0.0.1", label)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%v: mean %.3f util %.3f migrations %d preemptions %d messages %d probes %d failures %v",
				time.Since(start).Round(time.Millisecond), r.MeanResponse, r.Utilization, r.Migrations, r.Preemptions, r.Messages, r.Probes, r.Failures)
			if r.JobsIssued != int64(cfg.Jobs) || r.JobsCompleted != r.JobsIssued || r.JobsFailed != 0 {
				t.Errorf("conservation: issued %d completed %d failed %d (%v)", r.JobsIssued, r.JobsCompleted, r.JobsFailed, r.Failures)
			}
			for reason, n := range r.Failures {
				if strings.HasPrefix(reason, "ignored") {
					t.Errorf("%d jobs reported twice: %s", n, reason)
				}
			}
			if n := c.bad.Load(); n > 0 {
				t.Errorf("%d calls broke the API, the first: %v", n, c.badWhy.Load())
			}
			tc.check(t, cfg, r)
			// Nothing of a point outlives it: the number of goroutines
			// does not grow from point to point.
			n := runtime.NumGoroutine()
			if settled == 0 {
				settled = n
			}
			for deadline := time.Now().Add(2 * time.Second); n > settled+goroutineSlack && time.Now().Before(deadline); n = runtime.NumGoroutine() {
				time.Sleep(20 * time.Millisecond)
			}
			if n > settled+goroutineSlack {
				t.Errorf("%d goroutines after the point, %d after the first: some outlived their point", n, settled)
			}
		})
	}
	// An invalid decision is dropped, its job kept, and the run reported
	// failed, as the simulator reports it.
	cfg := localPoint(t, grabNodes, "random", "none", 0.5, 100, 5*time.Millisecond)
	cfg.Warmup = 0
	var err error
	if cfg.Migrate, err = reg.Migrate("test.badpush"); err != nil {
		t.Fatal(err)
	}
	r, err := RunTestbed(ctx, cfg, agents[0].GossipAddr(), "127.0.0.1", label)
	if err == nil || !strings.Contains(err.Error(), "100 invalid decisions") {
		t.Errorf("a policy pushing jobs that are not there: error %v, want 100 invalid decisions", err)
	}
	if r.JobsCompleted != 100 || r.Migrations != 0 {
		t.Errorf("invalid pushes: %d of 100 jobs completed, %d moved; want all completed where they were", r.JobsCompleted, r.Migrations)
	}
}
