package sim

import (
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/workload"
)

// Planned migrations (fault.Evacuate, with work units): at its time each
// node the fault names goes out of service and every unit it holds,
// running or waiting, moves to another node by the fault's Method (its
// units' own mobility if none), at once and in the node's order (running
// units first, then the queue), as a policy's moves do (migrate.go): a
// running unit by that method, a unit that has not started weakly (code
// and initial state), each paying the CPU of its move at the node; with
// shared links (Costs.Links) they queue for the node's outgoing side, the
// running ones first.
//
//   - Destinations: each unit goes to the node in service (neither out
//     nor killed) whose platform runs it with the fewest real jobs, the
//     units this evacuation sent it counted, ties to the lowest index:
//     the least loaded first, as an operator's drain would.
//   - Out of service: from its start until Duration later (for good with
//     0) the node takes no work. Dispatch strategies and other nodes'
//     policies read it as unreachable (the load a probe of a dead node
//     reports); a job that reaches it anyway (a random or hashed pick, a
//     transfer decided before) goes on at once, free, to the least loaded
//     node in service (FaultEvent.Redirected); moves to it are refused.
//     Its own policy is not called meanwhile; when it comes back its
//     timer fires. Its CPU overheads, and pre-copy units in their live
//     rounds, still run there.
//   - Nothing is lost: a unit that cannot move (no node in service, a
//     platform that cannot run it, a pre-copy under way) stays and is
//     served where it is (FaultEvent.Refused); a job that finds no node
//     in service is kept.
//   - The record (results.FaultEvent): units moved and refused, bytes
//     sent, the sum and the longest of their downtimes (a pre-copy's
//     final stop; for the others the whole move, a wait for a shared link
//     included), and the migration time, from the start until the last
//     unit runs at its destination with all its state. A pre-copy whose
//     unit finishes during its live rounds counts as moved, as a
//     policy's moves do.

// evacuate starts evacuation fault i.
func (c *cluster) evacuate(i int32) {
	fs := c.faults
	e := &fs.log[i]
	var ids []policy.NodeID
	for _, id := range e.Nodes {
		if fs.dead[id] || fs.out[id] {
			continue
		}
		fs.out[id], fs.outBy[id] = true, int(i)
		ids = append(ids, policy.NodeID(id))
	}
	c.moving = c.cfg.Units.WithMethod(workload.Method(e.Method))
	defer func() { c.moving = nil }()
	sent := make([]int, len(c.nodes)) // units this evacuation sent to each node
	for _, id := range ids {
		n := &c.nodes[id]
		n.advance(c.now)
		held := n.list(&c.pool, nil)
		for _, j := range held {
			to := c.leastLoaded(sent, c.jobs[j].Class)
			if to < 0 || !c.moveUnit(id, to, j, 0, true) {
				e.Refused++
				continue
			}
			sent[to]++
			m := c.moved
			e.Moved++
			e.Bytes += m.bytes
			e.Downtime += m.downtime
			e.MaxDowntime = max(e.MaxDowntime, m.downtime)
			e.Migration = max(e.Migration, m.takes)
		}
		c.nh.set(int32(id), n.nextCompletion(&c.pool))
		c.changed(id)
	}
}

// comeBack ends evacuation fault i's maintenance: its nodes take work
// again, and their policies' timers fire.
func (c *cluster) comeBack(i int32) {
	fs := c.faults
	for _, id := range fs.log[i].Nodes {
		if !fs.out[id] || fs.outBy[id] != int(i) || fs.dead[id] {
			continue
		}
		fs.out[id] = false
		c.inService(policy.NodeID(id))
	}
}

// inService is called when node id comes (back) into service, after an
// evacuation or as an elastic cluster's member: its load is published and
// its policy's timer fires.
func (c *cluster) inService(id policy.NodeID) {
	c.changed(id)
	if !c.inert {
		c.rounds = 0
		c.act(id, c.migrator(id).Timer(c.nodeView(id)))
	}
}

// leastLoaded returns the node in service that can run class with the
// fewest real jobs plus extra (nil: none), ties to the lowest index; None
// when there is none.
func (c *cluster) leastLoaded(extra []int, class int32) policy.NodeID {
	best, load := policy.None, 0
	for k := range c.nodes {
		id := policy.NodeID(k)
		if c.isDead(id) || c.isOut(id) || c.cfg.Units != nil && !c.canRun(id, class) {
			continue
		}
		l := int(c.nodes[k].nReal)
		if extra != nil {
			l += extra[k]
		}
		if best == policy.None || l < load {
			best, load = id, l
		}
	}
	return best
}

// isOut says whether node id is out of service: for an evacuation, or
// not (yet, or any more) a member of an elastic cluster (elastic.go).
func (c *cluster) isOut(id policy.NodeID) bool {
	return c.evacuated(id) || c.outOfService(id)
}

// evacuated says whether node id is out of service for an evacuation.
func (c *cluster) evacuated(id policy.NodeID) bool {
	return c.faults != nil && c.faults.out != nil && id >= 0 && int(id) < len(c.faults.out) && c.faults.out[id]
}

// forward sends job j, which reached node id while it is out of service,
// on to the least loaded node in service that can run it, with its code
// as a dispatch brings it, and reports whether it did (false: there is
// none, and the job stays).
func (c *cluster) forward(id policy.NodeID, j int32) bool {
	class := c.jobs[j].Class
	to := c.leastLoaded(nil, class)
	if to < 0 {
		return false
	}
	if c.cfg.Units != nil {
		c.caches[to].Insert(c.cfg.Units.Unit(class).Code)
	}
	if c.evacuated(id) {
		c.faults.log[c.faults.outBy[id]].Redirected++
	} else {
		c.m.redirected++ // an elastic cluster's node out of service
	}
	c.deliver(to, j)
	return true
}
