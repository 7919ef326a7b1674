package node

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/loadlab/loadlab/node/executor"
	"github.com/loadlab/loadlab/node/wire"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/workload"
)

// generator releases a point's jobs at their scheduled times, open-loop:
// a slow dispatcher delays dispatch (measured as lag), never the schedule.
type generator struct {
	jobs    interface{ Next() workload.Job } // the arrivals, in order
	n       int                              // jobs to release
	clock   clock
	offset  float64 // model time of the arrivals' origin
	replyTo string  // where agents send completions
	// schedule records job w's scheduled arrival at (model time) and its
	// wire form j (its hit size) before the job is released; it must be
	// quick.
	schedule func(w workload.Job, j *wire.Job, at float64)
	content  content // what each job carries for caches and front ends
	// users are the workload's closed users (users.go); nil: none. With
	// them, jobs is the open stream beside them, if the workload has one.
	users *closedUsers
	open  bool
	// onIssue, if set, is called with each job as released (its arrival
	// from the arrivals' origin): PointConfig.OnIssue.
	onIssue func(workload.Job)
}

// content draws each job's hit size (with caches of keys) and response
// bytes (with a front end), in job order, from streams of the point's
// seed; a nil distribution draws nothing.
type content struct {
	hit, resp         workload.Dist
	hitRand, respRand *rand.Rand
}

// newContent draws hit sizes from hit and responses from resp (either
// nil: none) with the simulator's streams of seed.
func newContent(seed uint64, hit, resp workload.Dist) content {
	return content{hit: hit, resp: resp, hitRand: workload.Stream(seed, "hit"), respRand: workload.Stream(seed, "response")}
}

// fill sets j's hit size and response bytes.
func (c content) fill(j *wire.Job) {
	if c.hit != nil {
		j.Hit = max(c.hit.Rand(c.hitRand), 0)
	}
	if c.resp != nil {
		j.Response = max(c.resp.Rand(c.respRand), 0)
	}
}

// arrival is a job the generator releases, its task of its request
// (fork-join requests; 0 otherwise), and when it is due at the
// dispatcher (model time): its arrival, or when a front end took it in.
type arrival struct {
	*wire.Job
	Task   int32
	Due    float64
	Region int32 // its client region (a topology's)
}

// policyJob is what the dispatch strategy sees of a.
func (a arrival) policyJob() policy.Job {
	pj := toPolicyJob(a.Job)
	pj.Region = a.Region
	return pj
}

// An outlet takes each job the generator releases, as it is released: a
// queue's send (queueTo), or the decision itself. Its error (ctx's) ends
// the run.
type outlet func(ctx context.Context, a arrival) error

// queueTo is the outlet that sends to out, waiting for room until ctx ends.
func queueTo(out chan<- arrival) outlet {
	return func(ctx context.Context, a arrival) error {
		select {
		case out <- a:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// run gives each job to out at its scheduled time and returns nil after
// the last, or ctx's error as soon as ctx ends (a job due later is not
// waited for).
func (g *generator) run(ctx context.Context, out outlet) error {
	if g.users != nil {
		return g.runUsers(ctx, out)
	}
	for i := 0; i < g.n; i++ {
		if err := g.release(ctx, out, g.jobs.Next(), true); err != nil {
			return err
		}
	}
	return nil
}

// release gives job w to out at its scheduled time (wait false: now, its
// time having come).
func (g *generator) release(ctx context.Context, out outlet, w workload.Job, wait bool) error {
	at := w.Arrival + g.offset
	j := &wire.Job{ID: w.ID, Arrival: at, Size: w.Size, Class: w.Class, Key: w.Key, Origin: -1, ReplyTo: g.replyTo, Phases: w.Phases}
	g.content.fill(j)
	g.schedule(w, j, at)
	if g.onIssue != nil {
		g.onIssue(w)
	}
	if wait {
		if err := sleepUntil(ctx, g.clock.wall(at)); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return out(ctx, arrival{Job: j, Task: w.Task, Due: at, Region: w.Region})
}

// coarseMargin is how long before a deadline sleepUntil stops waiting on a
// Go timer and naps and spins instead: timers fire a millisecond or more
// late (../shared/notes/timing.md), and several on a busy machine.
const coarseMargin = 20 * time.Millisecond

// sleepUntil returns at deadline, as punctually as executor.SleepUntil,
// or with ctx's error as soon as ctx ends. It waits on a timer, which ctx
// can interrupt, until coarseMargin before the deadline, and leaves the
// rest to executor.SleepUntil: so it returns at most about coarseMargin
// after ctx ends.
func sleepUntil(ctx context.Context, deadline time.Time) error {
	_, err := sleepUntilOrWake(ctx, deadline, nil, coarseMargin)
	return err
}

// sleepUntilOrWake is sleepUntil with a margin of its own that also
// returns, woken true, when wake receives before margin ahead of the
// deadline.
func sleepUntilOrWake(ctx context.Context, deadline time.Time, wake <-chan struct{}, margin time.Duration) (woken bool, err error) {
	if d := time.Until(deadline) - margin; d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-wake:
			return true, nil
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	executor.SleepUntil(deadline)
	return false, nil
}
