package node

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadlab/loadlab/fault"
	"github.com/loadlab/loadlab/node/executor"
	"github.com/loadlab/loadlab/node/wire"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/workload"
)

// Fault injection on real agents (PointConfig.Faults). The coordinator
// starts and ends each fault at its model time:
//
//   - kill (local backend only): the agent crashes, as a process killed
//     with SIGKILL would: serf stops without a leave, its endpoint closes,
//     its executor drops the jobs it holds, and nothing it was about to
//     send (completions, notes of moved jobs) leaves. The coordinator
//     fails its jobs when serf marks the member failed, and records how
//     long that took. A testbed coordinator does not own the agents'
//     processes, so it refuses kill.
//   - pause: the agent stalls for the duration: its executor makes no
//     progress (speed 0) and every request to it is held until the pause
//     ends, at most maxHold, and refused after that, as the accept queue
//     of a stalled process would. Serf keeps running, as it does in a
//     process whose workers stall (a long GC or a stuck disk) while its
//     gossip thread answers: a pause tests how policies ride out a stall;
//     kill tests failure detection.
//   - slow: the executor's speed is divided by the factor for the
//     duration. The load it publishes keeps the configured speed, as a
//     degraded machine does not know it is slow.
//   - partition, cut: requests between the two sides (Peers, by default
//     every node not in Nodes) are refused both ways, at the receiver.
//   - drop, delay: a fraction of the requests to or from Nodes are refused
//     (as a reset connection), or held Delay model units (at most
//     maxHold) before they are served.
//
// Faults act on the agents' TCP plane (probes, submits, transfers, steals,
// policy messages), checked where each agent receives a request; the
// coordinator's control operations and the completions agents report
// (the measurement) are never touched, nor is serf's gossip.

// maxHold is the longest a fault holds a request: well below the callers'
// timeouts (probeTimeout, transferTimeout), so a held request is either
// served while its caller still waits or refused, never served after the
// caller gave up (which would run a transferred job twice).
const maxHold = time.Second

// errDropped is the answer to a request a fault refused.
var errDropped = errors.New("refused by an injected fault")

// faultOp starts or ends fault Index of the point at an agent.
type faultOp struct {
	Index int         `json:"index"`
	Fault fault.Fault `json:"fault"`
	On    bool        `json:"on"`
}

// faults is an agent's state of the faults in force during a point.
type faults struct {
	crashed atomic.Bool // killed: nothing leaves any more

	mu      sync.Mutex
	self    int
	on      map[int]fault.Fault // faults in force by index
	rng     *rand.Rand
	resumed chan struct{} // closed when no pause is in force
	unit    time.Duration
	speed   float64 // configured
	ex      *executor.Executor
}

func newFaults(s *Setup, ex *executor.Executor) *faults {
	f := &faults{self: int(s.ID), on: map[int]fault.Fault{}, rng: workload.Stream(s.Seed, "faults/"+strconv.Itoa(int(s.ID))),
		resumed: make(chan struct{}), unit: s.TimeUnit, speed: s.Speed, ex: ex}
	close(f.resumed)
	return f
}

// holding says whether a fault in force may hold or refuse a request
// between node self and any of nodes (fault.Fault.Holds): a round trip
// measured across one is the fault's doing, which the simulator models
// itself, not a cost of the path. A nil faults (a dispatcher's) holds
// nothing.
func (f *faults) holding(self policy.NodeID, nodes ...policy.NodeID) bool {
	if f == nil {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, x := range f.on {
		if x.Holds(int(self), math.Inf(-1), math.Inf(1)) {
			return true
		}
		for _, n := range nodes {
			if x.Holds(int(n), math.Inf(-1), math.Inf(1)) {
				return true
			}
		}
	}
	return false
}

// set starts or ends a fault and applies the executor's speed.
func (f *faults) set(op faultOp) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if op.On {
		f.on[op.Index] = op.Fault
	} else {
		delete(f.on, op.Index)
	}
	speed, paused := f.speed, false
	for _, x := range f.on {
		if !slices.Contains(x.Nodes, f.self) {
			continue
		}
		switch x.Kind {
		case fault.Slow:
			speed /= x.Factor
		case fault.Pause:
			paused = true
		}
	}
	select {
	case <-f.resumed:
		if paused {
			f.resumed = make(chan struct{})
		}
	default:
		if !paused {
			close(f.resumed)
		}
	}
	if paused {
		speed = 0
	}
	if op.Fault.Kind == fault.Slow || op.Fault.Kind == fault.Pause {
		return f.ex.SetSpeed(speed)
	}
	return nil
}

// gate applies the faults in force to request m before it is served: it
// returns at once, after a hold, or with errDropped.
func (f *faults) gate(ctx context.Context, m *wire.Msg) error {
	if f == nil {
		return nil
	}
	from := int(m.From) // -1: the coordinator
	f.mu.Lock()
	resumed := f.resumed
	var hold time.Duration
	drop := false
	for _, k := range f.sorted() {
		x := f.on[k]
		mine, theirs := slices.Contains(x.Nodes, f.self), slices.Contains(x.Nodes, from)
		switch x.Kind {
		case fault.Partition, fault.Cut:
			if from >= 0 && ((mine && peerOf(x, from)) || (theirs && peerOf(x, f.self))) {
				drop = true
			}
		case fault.Drop:
			if (mine || theirs) && f.rng.Float64() < x.Fraction {
				drop = true
			}
		case fault.Delay:
			if (mine || theirs) && f.rng.Float64() < x.Fraction {
				hold += time.Duration(x.Delay * float64(f.unit))
			}
		}
	}
	f.mu.Unlock()
	if drop {
		return errDropped
	}
	limit := time.NewTimer(maxHold)
	defer limit.Stop()
	select {
	case <-resumed:
	case <-limit.C:
		return fmt.Errorf("paused: %w", errDropped)
	case <-ctx.Done():
		return ctx.Err()
	}
	if hold > 0 {
		t := time.NewTimer(min(hold, maxHold))
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// peerOf says whether node n is on the far side of partition x: in its
// Peers, or, without Peers, any node not in its Nodes.
func peerOf(x fault.Fault, n int) bool {
	if len(x.Peers) > 0 {
		return slices.Contains(x.Peers, n)
	}
	return !slices.Contains(x.Nodes, n)
}

// sorted lists the indexes of the faults in force in order, so that the
// random draws are made in the same order every time.
func (f *faults) sorted() []int {
	ks := make([]int, 0, len(f.on))
	for k := range f.on {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	return ks
}

// down says whether the agent was killed: nothing it sends leaves.
func (f *faults) down() bool { return f != nil && f.crashed.Load() }

// crash stops the agent as a kill -9 would (see the comment at the top).
func (a *Agent) crash() {
	p := a.current()
	if p != nil {
		p.faults.crashed.Store(true)
		if a.cfg.onCrash != nil {
			a.cfg.onCrash(p.stats())
		}
	}
	a.g.Close() // no leave: serf's failure detector has to notice
	a.stop()
	a.ln.Close()
	if p != nil {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		p.ex.Close(ctx) // drop its jobs without reporting them
	}
}

// applyFault carries out a coordinator's opFault at this agent.
func (a *Agent) applyFault(op *faultOp) error {
	p := a.current()
	if p == nil {
		return errors.New("not configured")
	}
	if op == nil {
		return errors.New("fault missing")
	}
	return p.faults.set(*op)
}

// faultRun is the coordinator's state of the point's faults.
type faultRun struct {
	log      []results.FaultEvent
	killedAt map[int]float64 // node id → model time of its kill, from the first arrival
	killedBy map[int]int     // node id → index of the kill fault
}

func newFaultRun(c PointConfig) *faultRun {
	fr := &faultRun{killedAt: map[int]float64{}, killedBy: map[int]int{}}
	for _, f := range c.Faults {
		fr.log = append(fr.log, results.FaultEvent{Fault: f, Applied: -1})
	}
	return fr
}

// failed records (book.mu held) a job that failed at node holder at time
// now (from the first arrival) against the fault applied there last.
func (fr *faultRun) failed(holder int32, now float64) {
	if k := latestFault(fr.log, int(holder), now); k >= 0 {
		fr.log[k].Failed++
	}
}

// fill adds the log and the detection time to r.
func (fr *faultRun) fill(r *results.Result) {
	r.FaultLog = fr.log
	n, sum := 0, 0.0
	for i, e := range fr.log {
		switch {
		case e.Kind != fault.Kill || e.Applied < 0:
		case e.Detected > 0:
			n++
			sum += e.Detected
		default:
			r.FaultLog[i].Detected = -1 // serf did not notice within the point
		}
	}
	if n > 0 {
		r.DetectionTime = sum / float64(n)
	}
}

// faultStep is a fault starting or ending.
type faultStep struct {
	at    float64 // model time from the first arrival
	index int
	on    bool
}

// inject starts and ends the point's faults at their model times (offset
// is the model time of the first arrival's origin) until ctx ends.
func (co *coordinator) inject(ctx context.Context, offset float64) {
	var steps []faultStep
	for i, f := range co.cfg.Faults {
		steps = append(steps, faultStep{f.At, i, true})
		if end := f.End(); f.Kind != fault.Kill && !math.IsInf(end, 1) {
			steps = append(steps, faultStep{end, i, false})
		}
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].at < steps[j].at })
	for _, st := range steps {
		t := time.NewTimer(time.Until(co.clock.wall(offset + st.at)))
		select {
		case <-ctx.Done():
			t.Stop()
			co.book.unapplied()
			return
		case <-t.C:
		}
		f := co.cfg.Faults[st.index]
		now := co.clock.now() - offset
		var err error
		if f.Kind == fault.Kill {
			err = co.killNodes(f, st.index, now)
		} else {
			err = co.sendFault(ctx, faultOp{Index: st.index, Fault: f, On: st.on})
		}
		co.book.applied(st.index, st.on, now, err)
	}
}

// killNodes crashes the agents of a kill fault (local backend).
func (co *coordinator) killNodes(f fault.Fault, index int, now float64) error {
	if co.cfg.kill == nil {
		return errors.New("kill needs the agents' processes: local backend only")
	}
	for _, n := range f.Nodes {
		if n < 0 || n >= len(co.ctl.roster) {
			return fmt.Errorf("node %d is not in the roster", n)
		}
		co.book.kill(n, index, now)
		if !co.cfg.kill(co.ctl.roster[n]) {
			return fmt.Errorf("agent %s not found", co.ctl.roster[n])
		}
	}
	return nil
}

// sendFault tells every agent of the roster that a fault starts or ends;
// agents that are gone or were killed are skipped.
func (co *coordinator) sendFault(ctx context.Context, op faultOp) error {
	var wg sync.WaitGroup
	errs := make([]error, len(co.ctl.roster))
	for i := range co.ctl.roster {
		if co.book.killed(i) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			if _, err := co.ctl.call(cctx, i, control{Op: opFault, Fault: &op}); !errors.Is(err, errNotListed) {
				errs[i] = err // an agent serf no longer lists is skipped, as a killed one is
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// detected records (book.mu held) that serf found node n failed at model
// time now (from the first arrival), if it was killed.
func (fr *faultRun) detected(n int, now float64) {
	at, ok := fr.killedAt[n]
	if !ok {
		return
	}
	if e := &fr.log[fr.killedBy[n]]; e.Detected == 0 {
		e.Detected = max(now-at, 1e-9)
	}
}

// latestFault is the index in log of the fault of node n (in its Nodes or
// Peers) applied last at or before now; -1 if none.
func latestFault(log []results.FaultEvent, n int, now float64) int {
	best := -1
	for k, e := range log {
		if e.Applied >= 0 && e.Applied <= now && (slices.Contains(e.Nodes, n) || slices.Contains(e.Peers, n)) &&
			(best < 0 || e.Applied >= log[best].Applied) {
			best = k
		}
	}
	return best
}
