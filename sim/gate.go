package sim

import (
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/loadlab/loadlab/fault"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/workload"
)

// Faults on requests (pause, partition, cut, drop, delay), with the
// semantics of node/fault.go's gate: each request is checked where it is
// received, when it is received. The requests are a dispatcher's
// submission (from None), a transfer, a probe (Probe or ProbeLater), a
// request for work and a policy message; gossip is never touched.
//
//   - partition, cut: a request between the two sides (Peers, by default
//     every node not in Nodes) is refused; the dispatcher's submissions
//     are not between nodes and pass.
//   - drop: a Fraction of the requests to or from Nodes are refused.
//   - delay: a Fraction of them are held Delay units (at most HoldLimit).
//   - pause: the node's servers make no progress (speed 0) and every
//     request to it is held until the pause ends, at most HoldLimit, and
//     refused then (after HoldLimit).
//
// A refused submission fails its job ("submit refused: agent node N", as
// agents name the reason); a refused transfer leaves the job with its
// sender (no migration counted); a refused probe reads the node as
// unreachable; a refused request for work or message is lost. A hold
// delays what the request carries: a job's arrival, a probe's answer (a
// synchronous Probe's hold is added to its decision's delay, as a round
// trip is, and keeps the decider's later decisions waiting: serialize), a
// request or a message. Random draws (drop, delay) come from a
// stream of their own per receiving node, named as the agents' is, and are
// made in the faults' order, so faults change no other draw.

// DefaultHoldLimit is the longest a fault holds a request, in model units,
// unless Config.HoldLimit says otherwise: the agents' limit (one second of
// wall time) at their default time unit of 10 ms.
const DefaultHoldLimit = 100

// The outcomes of a request at a gate.
const (
	gateNew     = 0 // not checked yet
	gatePassed  = 1 // passed (after a hold, if any)
	gateRefused = 2 // refused after a hold (a pause longer than the limit)
)

// isRequestFault says whether kind acts on requests (gate).
func isRequestFault(kind string) bool {
	switch kind {
	case fault.Pause, fault.Partition, fault.Cut, fault.Drop, fault.Delay:
		return true
	}
	return false
}

// gate checks a request from node from (None: the dispatcher) received by
// node to at time at (now, or later for the probe of a decision that
// waits for the decider's earlier ones: serialize), against the request
// faults in force at that time: it returns how long the request is held
// from at, and whether it is then served (true) or refused.
func (c *cluster) gate(from, to policy.NodeID, at float64) (hold float64, ok bool) {
	fs := c.faults
	drop, held := false, 0.0
	for k := range fs.log { // in index order: the draws are made in the same order every time
		x := &fs.log[k].Fault
		if !(x.At <= at && at < x.End()) {
			continue // not in force (the switch passes over the other kinds)
		}
		mine, theirs := slices.Contains(x.Nodes, int(to)), from >= 0 && slices.Contains(x.Nodes, int(from))
		switch x.Kind {
		case fault.Partition, fault.Cut:
			if from >= 0 && ((mine && peerOf(x, int(from))) || (theirs && peerOf(x, int(to)))) {
				drop = true
			}
		case fault.Drop:
			if (mine || theirs) && fs.rand(c, to).Float64() < x.Fraction {
				drop = true
			}
		case fault.Delay:
			if (mine || theirs) && fs.rand(c, to).Float64() < x.Fraction {
				held += x.Delay
			}
		}
	}
	if drop {
		return 0, false
	}
	if wait := fs.resumeAt(int(to), at) - at; wait > fs.limit {
		return fs.limit, false
	} else if wait > 0 {
		hold = wait
	}
	return hold + min(held, fs.limit), true
}

// peerOf says whether node n is on the far side of partition x: in its
// Peers, or, without Peers, any node not in its Nodes.
func peerOf(x *fault.Fault, n int) bool {
	if len(x.Peers) > 0 {
		return slices.Contains(x.Peers, n)
	}
	return !slices.Contains(x.Nodes, n)
}

// rand is node id's stream of fault draws, made on first use.
func (fs *faultState) rand(c *cluster, id policy.NodeID) *rand.Rand {
	if fs.rng[id] == nil {
		fs.rng[id] = workload.Stream(c.cfg.Seed, "faults/"+strconv.Itoa(int(id)))
	}
	return fs.rng[id]
}

// resumeAt is when no pause of node n is in force any more, from now:
// the end of the pauses in force, and of those that start before it.
func (fs *faultState) resumeAt(n int, now float64) float64 {
	r := now
	for more := true; more; {
		more = false
		for _, e := range fs.log {
			if e.Kind == fault.Pause && slices.Contains(e.Nodes, n) && e.At <= r && r < e.End() {
				r, more = e.End(), true
			}
		}
	}
	return r
}

// requestFault starts (end false) or ends request fault i: gate reads
// the faults' times; a pause also stops or restarts its nodes.
func (c *cluster) requestFault(i int32, end bool) {
	fs := c.faults
	f := fs.log[i].Fault
	if f.Kind != fault.Pause {
		return
	}
	for _, id := range f.Nodes {
		if end {
			fs.paused[id]--
		} else {
			fs.paused[id]++
		}
		if !fs.dead[id] {
			c.setSpeed(policy.NodeID(id), fs.speed(id))
		}
	}
}

// speed is node id's speed under the faults in force: 0 while paused.
func (fs *faultState) speed(id int) float64 {
	if fs.paused != nil && fs.paused[id] > 0 {
		return 0
	}
	return fs.nominal[id] / fs.slowBy[id]
}

// passes checks job j reaching node id (deliver) and reports whether it
// goes on now: a job held before is let through, a reservation and a job
// for a dead node are not checked (bounce handles the latter).
func (c *cluster) passes(id policy.NodeID, j int32) bool {
	jb := &c.jobs[j]
	if jb.passed {
		jb.passed = false
		return true
	}
	return jb.reserve || c.isDead(id) || c.gateJob(id, j, gateNew)
}

// gateJob checks job j reaching node id (a submission, or a transfer from
// its sender) and reports whether it may go on now; a held job is
// delivered again when its hold ends, a refused one (now, or at the end of
// its hold: state gateRefused) is failed or goes back to its sender.
func (c *cluster) gateJob(id policy.NodeID, j int32, state int32) bool {
	jb := &c.jobs[j]
	from := policy.None
	if jb.Hops > 0 {
		from = jb.sender
	}
	ok := false
	if state == gateNew {
		var hold float64
		hold, ok = c.gate(from, id, c.now)
		if hold > 0 {
			next := int32(gateNew) // delivered again, let through (passed)
			if !ok {
				next = gateRefused
			}
			jb.passed = ok
			c.schedule(event{t: c.now + hold, kind: evDeliver, node: int32(id), job: j, from: next})
			return false
		}
	}
	if ok {
		return true
	}
	if jb.Hops == 0 {
		c.failJob(j, "submit refused: agent node "+strconv.Itoa(int(id)), id)
		return false
	}
	// The sender keeps a job whose transfer failed: no migration happened.
	jb.Hops--
	c.faults.refusedMoves++
	c.m.counts.Migrations--
	c.m.counts.Bytes -= c.cfg.Costs.JobBytes
	if c.isDead(from) {
		c.failJob(j, "agent gone: node "+strconv.Itoa(int(from)), from)
		return false
	}
	c.enqueue(from, j)
	return false
}

// passGate checks a request for work or a message (event e, whose job
// field holds its gate state) at its receiver: it reports whether it is
// served now; a held one is scheduled again for when its hold ends, a
// refused one is lost.
func (c *cluster) passGate(e event) bool {
	ok, now := c.gateEvent(e)
	return ok && now
}

// gateEvent checks event e (a request for work, a message or a
// ProbeLater probe, whose job field holds its gate state) at its receiver
// node: whether it is served (ok) and whether that is decided now; when
// it is held, it is scheduled again for when its hold ends (now false).
func (c *cluster) gateEvent(e event) (ok, now bool) {
	switch e.job {
	case gatePassed:
		return true, true
	case gateRefused:
		return false, true
	}
	hold, ok := c.gate(policy.NodeID(e.from), policy.NodeID(e.node), c.now)
	if hold == 0 {
		return ok, true
	}
	e.job = gatePassed
	if !ok {
		e.job = gateRefused
	}
	e.t = c.now + hold
	c.schedule(e)
	return false, false
}

// serialize returns how long a decision of decider v made at now takes,
// d without faults, given the holds of its probes: an agent (and the
// coordinator's dispatcher) makes one decision at a time, so a decision
// whose probes are held keeps the decider's later ones waiting until it
// ends, and those that waited are then made in turn, each after the one
// before (a decision at the very end of the decider's busy time extends
// it). A node's arrivals that wait are decided when they may be, on what
// the node has then (deliver); a dispatcher's are decided at once, on
// what it sees then, and what they carry out is delayed. Without holds
// under way nothing changes, so a run is the one without faults outside
// their windows and the bursts they leave.
func (fs *faultState) serialize(v int, now, d, held float64) float64 {
	wait := max(0, fs.busyTill[v]-now)
	if wait == 0 && held == 0 && !(fs.busyTill[v] > 0 && fs.busyTill[v] == now) {
		return d
	}
	d += wait + held
	fs.busyTill[v] = now + d
	return d
}
