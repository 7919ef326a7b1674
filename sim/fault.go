package sim

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/loadlab/loadlab/fault"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/workload"
)

// Faults the simulator models (Config.Faults), so that simulated points
// compare with real ones under the same faults:
//
//   - kill: at its time the node's jobs, waiting or running, fail ("agent
//     gone: node N"), its CPU overheads vanish, and it takes part in nothing
//     more: a job dispatched to it fails (the same reason), a job transferred to
//     it goes back to its sender (a real agent keeps a job whose transfer
//     fails), probes find it unreachable, requests, messages and timers
//     there are lost. Gossip shows it empty, hence idle, from its next
//     publication (exact views at once), as agents read a member serf no
//     longer lists as alive: dispatchers that trust gossip sink work into
//     it. Failure detection is instant: the real backends measure how long
//     gossip takes (results.FaultEvent.Detected).
//   - slow: the node's speed is divided by the factor for the duration;
//     jobs in service keep the work they received. Loads keep reporting
//     the configured speed.
//   - evacuate (with work units): a planned migration of the node's work
//     to the others, the node out of service for the duration (for good
//     with 0): see evacuate.go.
//
//   - pause, partition, cut, drop, delay: on requests, as on agents; see
//     gate.go.

// faultState is a run's faults: their log, the nodes killed and slowed,
// and the response time over time.
type faultState struct {
	log     []results.FaultEvent
	dead    []bool
	nominal []float64 // each node's configured speed
	slowBy  []float64 // product of the factors of the slows in force, per node
	out     []bool    // nodes out of service for an evacuation (nil: no evacuations)
	outBy   []int     // the evacuation fault that took each node out

	// Request faults (gate.go).
	paused       []int        // pauses in force, per node
	rng          []*rand.Rand // each node's stream of fault draws; nil until used
	limit        float64      // the longest a request is held (Config.HoldLimit)
	refusedMoves int64        // transfers refused, the job kept by its sender
	busyTill     []float64    // per decider (nodes, then the dispatcher): the end of its held decisions
}

// checkFaults rejects faults the simulator does not model (the Model
// checks the nodes they name).
func (c Config) checkFaults() error {
	evacuations := 0
	for i, f := range c.Faults {
		switch f.Kind {
		case fault.Kill, fault.Slow, fault.Pause, fault.Partition, fault.Cut, fault.Drop, fault.Delay:
		case fault.Evacuate:
			evacuations++
			if c.Units == nil {
				return fieldErr("faults", "fault %d (%s): an evacuation moves work units: give the point units", i, f)
			}
			if err := (workload.Mobility{Method: workload.Method(f.Method)}).Validate(); err != nil {
				return fieldErr("faults", "fault %d (%s): %v", i, f, err)
			}
			if !(f.Duration >= 0) || math.IsInf(f.Duration, 0) {
				return fieldErr("faults", "fault %d (%s): want a duration ≥ 0 (0: for good), got %g", i, f, f.Duration)
			}
		default:
			return fieldErr("faults", "fault %d: unknown kind %q: the simulator models kill, pause, slow, partition, cut, drop, delay and evacuate", i, f.Kind)
		}
		if f.Kind == fault.Slow && !(f.Factor > 0) {
			return fieldErr("faults", "fault %d: slow needs a factor > 0, got %g", i, f.Factor)
		}
	}
	if evacuations < len(c.Faults) && c.Units != nil {
		return fieldErr("faults", "only evacuate is modelled together with work units: give the other faults a point without units")
	}
	if !(c.HoldLimit >= 0) || math.IsInf(c.HoldLimit, 0) {
		return fieldErr("hold_limit", "want the longest a fault holds a request, in model units > 0 (0: %d), got %g", DefaultHoldLimit, c.HoldLimit)
	}
	return nil
}

// faultsInit schedules the faults' starts and ends.
func (c *cluster) faultsInit() {
	n := len(c.nodes)
	fs := &faultState{dead: make([]bool, n), nominal: make([]float64, n), slowBy: make([]float64, n), limit: c.cfg.HoldLimit}
	if fs.limit == 0 {
		fs.limit = DefaultHoldLimit
	}
	for i := range c.nodes {
		fs.nominal[i], fs.slowBy[i] = c.nodes[i].speed, 1
	}
	for i, f := range c.cfg.Faults {
		fs.log = append(fs.log, results.FaultEvent{Fault: f, Applied: -1})
		c.schedule(event{t: f.At, kind: evFault, job: int32(i)})
		if f.Kind == fault.Evacuate && fs.out == nil {
			fs.out, fs.outBy = make([]bool, n), make([]int, n)
		}
		if isRequestFault(f.Kind) && fs.rng == nil {
			fs.paused, fs.rng, fs.busyTill = make([]int, n), make([]*rand.Rand, n), make([]float64, n+1)
			c.gates = true
		}
		if end := f.End(); f.Kind != fault.Kill && !math.IsInf(end, 1) {
			c.schedule(event{t: end, kind: evFault, job: int32(i), from: 1})
		}
	}
	c.faults = fs
}

// fault starts (end false) or ends fault i.
func (c *cluster) fault(i int32, end bool) {
	fs := c.faults
	f := fs.log[i].Fault
	if !end {
		fs.log[i].Applied = c.now
	}
	if f.Kind == fault.Evacuate {
		if end {
			c.comeBack(i)
		} else {
			c.evacuate(i)
		}
		return
	}
	if isRequestFault(f.Kind) {
		c.requestFault(i, end)
		return
	}
	for _, id := range f.Nodes {
		switch {
		case f.Kind == fault.Kill:
			c.kill(policy.NodeID(id))
		case fs.dead[id]:
		case end:
			fs.slowBy[id] /= f.Factor
			c.setSpeed(policy.NodeID(id), fs.speed(id))
		default:
			fs.slowBy[id] *= f.Factor
			c.setSpeed(policy.NodeID(id), fs.speed(id))
		}
	}
}

// setSpeed changes node id's speed now (0: paused); jobs in service keep
// the work they received.
func (c *cluster) setSpeed(id policy.NodeID, speed float64) {
	n := &c.nodes[id]
	n.advance(c.now)
	if !n.ps && speed != n.speed {
		for _, j := range n.inService(&c.pool) {
			jb := &c.jobs[j]
			switch {
			case n.speed == 0: // paused: left holds the work it still needs, end is +Inf
				jb.end = c.now + jb.left*jb.inflation(speed)/speed
			case speed == 0:
				jb.left, jb.end = (jb.end-c.now)*n.speed/jb.inflation(n.speed), c.inf
			default:
				jb.end = c.now + (jb.end-c.now)*n.speed/speed
			}
		}
	}
	switch {
	case speed == 0 && n.speed != 0:
		n.more().resume, n.paused = n.speed, true
	case n.speed == 0:
		n.more().resume, n.paused = 0, false
	}
	n.speed = speed // under PS the virtual time runs at the new rate from here
	c.nh.set(int32(id), n.nextCompletion(&c.pool))
}

// kill stops node id: its jobs fail, its overheads vanish.
func (c *cluster) kill(id policy.NodeID) {
	fs := c.faults
	if fs.dead[id] {
		return
	}
	fs.dead[id] = true
	if c.sessions != nil {
		c.sessions.Crash(int32(id)) // the states it held are lost with it
	}
	n := &c.nodes[id]
	n.advance(c.now)
	var held []int32
	held = append(held, n.inService(&c.pool)...)
	held = n.waiting.appendTo(c.jobs, held)
	if n.ps {
		n.x.running = n.x.running[:0]
	}
	n.nRun, n.waiting = 0, line{}
	n.nReal, n.nRunReal, n.work = 0, 0, 0
	if int(id) < len(c.wakeSeq) {
		c.wakeSeq[id] = 0 // its pending timer, if any, is void
	}
	c.occupied(int32(id), n)
	c.nh.set(int32(id), c.inf)
	reason := "agent gone: node " + strconv.Itoa(int(id))
	for _, j := range held {
		if c.jobs[j].overhead {
			c.free = append(c.free, j)
			continue
		}
		c.failJob(j, reason, id)
	}
	c.changed(id)
}

// isDead says whether node id was killed.
func (c *cluster) isDead(id policy.NodeID) bool {
	return c.faults != nil && id >= 0 && int(id) < len(c.faults.dead) && c.faults.dead[id]
}

// bounce handles job j reaching dead node id: a transfer goes back to its
// sender, a dispatched job fails.
func (c *cluster) bounce(id policy.NodeID, j int32) {
	jb := &c.jobs[j]
	if jb.overhead {
		c.free = append(c.free, j)
		return
	}
	if jb.Hops > 0 && !c.isDead(jb.sender) {
		c.enqueue(jb.sender, j)
		return
	}
	// One reason per cause, as on real agents: the dead node's.
	dead := id
	if jb.Hops > 0 {
		dead = jb.sender
	}
	c.failJob(j, "agent gone: node "+strconv.Itoa(int(dead)), id)
}

// failJob ends real job j as failed at node at; the dispatcher, if it
// watches completions, is told, as the coordinator tells it of a failed
// job.
func (c *cluster) failJob(j int32, reason string, at policy.NodeID) {
	jb := &c.jobs[j]
	if c.reqs != nil {
		c.copyFailed(j, reason, at) // the request fails only when no copy or retry is left
	} else {
		c.failRequest(jb.ID, jb.Arrival, reason, at)
	}
	if c.doneWatch != nil {
		c.rounds = 0
		c.doneWatch.Done(&c.dview, &jb.Job)
	}
	c.free = append(c.free, j)
}

// failRequest ends request id, which arrived at arrival, as failed for
// reason at node at (-1: no node), and counts it against the fault
// applied there last.
func (c *cluster) failRequest(id int64, arrival float64, reason string, at policy.NodeID) {
	c.failed++
	c.m.led.Fail(c.now, id, arrival, reason)
	if c.users != nil {
		c.userDone(id)
	}
	fs := c.faults
	if fs == nil {
		return
	}
	best := -1 // the fault applied last at the node it failed at
	for k, e := range fs.log {
		if e.Applied >= 0 && slices.Contains(e.Nodes, int(at)) &&
			(best < 0 || e.Applied >= fs.log[best].Applied) {
			best = k
		}
	}
	if best >= 0 {
		fs.log[best].Failed++
	}
}

// fill adds the faults' log to r.
func (fs *faultState) fill(r *results.Result) {
	r.FaultLog = fs.log
	r.TransferFails = fs.refusedMoves
}

// unreachable is the load a probe of a dead node reports, as on agents.
var unreachable = policy.Load{Queue: 1 << 30, Running: 1, Servers: 1, Speed: 1, Work: 1e18}
