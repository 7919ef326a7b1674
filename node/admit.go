package node

import (
	"fmt"
	"sync"
	"time"

	"github.com/loadlab/loadlab/node/executor"
	"github.com/loadlab/loadlab/node/wire"
	"github.com/loadlab/loadlab/policy"
)

// admission is a point's admission policy at this agent (Setup.Admit), as
// a simulated node runs it: asked as a job arrives (run, before it joins
// the executor) and as a waiting job is about to start (the executor's
// gate), in model time from the point's epoch. A job it refuses fails
// with the policy's reason, reported as any failure is.
type admission struct {
	mu     sync.Mutex // the Admitter is asked from arrivals and from the executor's slots
	adm    policy.Admitter
	reason string
	clock  clock
}

// newAdmission returns the admission of a point set up by s, and sets the
// executor's gate in ecfg to it; nil when every job is admitted. fail
// reports a job the gate dropped (called with the executor's lock held).
func newAdmission(s *Setup, ecfg *executor.Config, fail func(j *wire.Job, reason string)) (*admission, error) {
	if s.Admit == "" {
		return nil, nil
	}
	spec, err := policy.Builtin().Admit(s.Admit)
	if err != nil {
		return nil, fmt.Errorf("admit: %w", err)
	}
	if spec.Admits() {
		return nil, nil
	}
	if s.Discipline == executor.DisciplinePS || s.Server != "" {
		return nil, fmt.Errorf("admit %s: admission runs on fcfs servers without a server architecture so far", spec)
	}
	a := &admission{adm: spec.New(), reason: spec.Reason(), clock: clock{epoch: time.Unix(0, s.EpochNano), unit: s.TimeUnit}}
	if a.clock.unit == 0 {
		a.clock.unit = executor.DefaultConfig().TimeUnit
	}
	ecfg.Gate = a.start
	ecfg.Dropped = func(u *executor.Unit) { fail(u.Data.(*wire.Job), a.reason) }
	return a, nil
}

// arrive reports whether a job arriving now may join an executor where
// waiting jobs wait.
func (a *admission) arrive(waiting int) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.adm.Arrive(a.clock.now(), waiting)
}

// start is the executor's gate.
func (a *admission) start(start, queued time.Time, behind int) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.adm.Start(a.clock.model(start), a.clock.units(start.Sub(queued)), behind)
}
