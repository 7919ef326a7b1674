package node

import (
	"context"
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
	// schedule records job w's scheduled arrival at (model time) before
	// the job is released; it must be quick.
	schedule func(w workload.Job, at float64)
}

// arrival is a job the generator releases, its task of its request
// (fork-join requests; 0 otherwise) and its client region.
type arrival struct {
	*wire.Job
	Task   int32
	Region int32
}

// policyJob is what the dispatch strategy sees of a.
func (a arrival) policyJob() policy.Job {
	pj := toPolicyJob(a.Job)
	pj.Region = a.Region
	return pj
}

// run sends each job to out at its scheduled time and returns nil after the
// last, or ctx's error as soon as ctx ends (a job due later is not waited
// for). It does not close out.
func (g *generator) run(ctx context.Context, out chan<- arrival) error {
	for i := 0; i < g.n; i++ {
		w := g.jobs.Next()
		at := w.Arrival + g.offset
		g.schedule(w, at)
		if err := sleepUntil(ctx, g.clock.wall(at)); err != nil {
			return err
		}
		select {
		case out <- arrival{&wire.Job{ID: w.ID, Arrival: at, Size: w.Size, Class: w.Class, Key: w.Key, Origin: -1, ReplyTo: g.replyTo, Phases: w.Phases}, w.Task, w.Region}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
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
	if d := time.Until(deadline) - coarseMargin; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	executor.SleepUntil(deadline)
	return nil
}
