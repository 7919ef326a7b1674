package sim

import (
	"github.com/loadlab/loadlab/policy"
)

// An elastic cluster (Config.Elastic, Config.Scale; package scale): nodes
// join and leave during the run. Config.Nodes are its slots. A node is off,
// starting (present, taking no work), in service, or draining (present,
// taking no new work, finishing what it holds). Nodes out of service are
// hidden from the policies as nodes out for an evacuation are (isOut):
// gossip and probes read them unreachable, a job that reaches one is
// forwarded to the least loaded node in service (Result.RedirectedJobs:
// a strategy that keeps nodes of its own, sized by policy.Env, may name
// one), their policies' calls
// and timers wait. The dispatcher's and the nodes' View.Nodes is the
// number of nodes in service at the bottom of the slots, so a strategy
// that draws among View.Nodes draws among those alone.

// member is a slot's state.
type member uint8

const (
	memberOff member = iota
	memberStarting
	memberIn
	memberDraining
)

// The from of an evScale event: what comes due.
const (
	scaleStep    = iota // step job of the schedule
	scaleDecide         // the autoscaler's decision
	scaleStarted        // node's start-up ends; job is the start's number (a cancelled start's event finds another)
)

// elastic is a run's members.
type elastic struct {
	state   []member
	started []int32 // each slot's number of starts, so that a cancelled start's end is ignored
	visible int     // nodes 0…visible−1 are in service: what the policies see
	present int     // nodes not off
	scaler  policy.Scaler
	busy    float64 // the ledger's busy area at the last decision
	loads   []policy.Load
	sent    []int // scratch: jobs a drain handed to each node
}

// elasticInit sets up the members and schedules the plan's steps and the
// autoscaler's first decision.
func (c *cluster) elasticInit() {
	if !c.cfg.IsElastic() {
		return
	}
	n := len(c.nodes)
	el := &elastic{state: make([]member, n), started: make([]int32, n), sent: make([]int, n)}
	start := n
	if p := c.cfg.Elastic; p != nil {
		start = p.Start(n)
		for i := range p.Schedule {
			c.schedule(event{t: p.Schedule[i].At, kind: evScale, job: int32(i), from: scaleStep})
		}
	}
	for i := range start {
		el.state[i] = memberIn
	}
	el.visible, el.present = start, start
	if c.cfg.Scale != nil {
		el.scaler = c.cfg.Scale.New()
		c.schedule(event{t: el.scaler.Period(), kind: evScale, from: scaleDecide})
	}
	c.el = el
	c.m.led.Members(0, start)
}

// scaleEvent handles an evScale event.
func (c *cluster) scaleEvent(e event) {
	el := c.el
	switch e.from {
	case scaleStep:
		c.resize(c.cfg.Elastic.Schedule[e.job].Delta())
	case scaleDecide:
		c.resize(el.scaler.Scale(c.membersNow()))
		c.schedule(event{t: c.now + el.scaler.Period(), kind: evScale, from: scaleDecide})
	case scaleStarted:
		if el.state[e.node] == memberStarting && el.started[e.node] == e.job {
			c.serve(policy.NodeID(e.node))
		}
	}
}

// membersNow is what the autoscaler sees now.
func (c *cluster) membersNow() *policy.Members {
	el := c.el
	period := el.scaler.Period()
	area := c.m.led.BusyArea(c.now)
	m := &policy.Members{Now: c.now, Slots: len(c.nodes), Servers: c.cfg.Servers, Busy: (area - el.busy) / period}
	el.busy = area
	el.loads = el.loads[:0]
	for i := range el.visible {
		n := &c.nodes[i]
		n.advance(c.now)
		el.loads = append(el.loads, n.load())
	}
	m.Loads = el.loads
	for i := el.visible; i < len(c.nodes); i++ {
		switch el.state[i] {
		case memberStarting, memberIn: // in service above a node starting: it shows as one more on its way
			m.Starting++
		case memberDraining:
			m.Draining++
		}
	}
	return m
}

// resize adds delta nodes (> 0) or removes −delta (< 0), within the slots
// and keeping one node in service. Adding takes the lowest slots not in
// service: a draining node comes back at once, an off one starts.
// Removing takes the highest: a starting node is cancelled, one in service
// drains.
func (c *cluster) resize(delta int) {
	el := c.el
	for i := 0; delta > 0 && i < len(el.state); i++ {
		switch el.state[i] {
		case memberDraining:
			c.serve(policy.NodeID(i))
			delta--
		case memberOff:
			c.start(policy.NodeID(i))
			delta--
		}
	}
	for i := len(el.state) - 1; delta < 0 && i > 0; i-- {
		switch el.state[i] {
		case memberStarting:
			c.leave(policy.NodeID(i))
			delta++
		case memberIn:
			c.drain(policy.NodeID(i))
			delta++
		}
	}
}

// start adds node id: it is present from now and in service after the
// start-up time.
func (c *cluster) start(id policy.NodeID) {
	el := c.el
	el.state[id] = memberStarting
	el.started[id]++
	el.present++
	c.m.led.Members(c.now, el.present)
	startup := 0.0
	if c.cfg.Elastic != nil {
		startup = c.cfg.Elastic.Startup
	}
	if startup == 0 {
		c.serve(id)
		return
	}
	c.schedule(event{t: c.now + startup, kind: evScale, node: int32(id), job: el.started[id], from: scaleStarted})
}

// serve puts node id in service (started, or back from draining): it
// takes work, its policy's timer fires, and a dispatcher that watches
// idle nodes hears of it.
func (c *cluster) serve(id policy.NodeID) {
	el := c.el
	el.state[id] = memberIn
	was := el.visible
	c.reveal()
	for k := was; k < el.visible; k++ { // it, and those in service above it
		id := policy.NodeID(k)
		c.inService(id)
		if c.idleWatch != nil && c.nodes[k].idle() { // a node that joins announces itself idle (jiq)
			c.idleWatch.Idle(&c.dview, id)
		}
	}
}

// drain takes node id out of service: it takes no new work, hands what
// waits there to the nodes in service if the point migrates, finishes
// what it runs, then leaves.
func (c *cluster) drain(id policy.NodeID) {
	el := c.el
	el.state[id] = memberDraining
	c.reveal()
	n := &c.nodes[id]
	n.advance(c.now)
	if !c.inert {
		clear(el.sent)
		c.scratch = n.list(&c.pool, c.scratch[:0])
		waiting := append([]int32(nil), c.scratch[n.nRunReal:]...)
		for _, j := range waiting {
			to := c.leastLoaded(el.sent, c.jobs[j].Class)
			if to < 0 {
				break
			}
			el.sent[to]++
			c.handOver(id, to, []int32{j}, 0)
		}
	}
	c.drained(id)
}

// drained lets node id leave if it is draining and holds no job.
func (c *cluster) drained(id policy.NodeID) {
	if c.el.state[id] == memberDraining && c.nodes[id].nReal == 0 {
		c.leave(id)
	}
}

// leave turns node id off: a drained node, or a start cancelled.
func (c *cluster) leave(id policy.NodeID) {
	el := c.el
	el.state[id] = memberOff
	el.present--
	c.m.led.Members(c.now, el.present)
	c.reveal()
}

// reveal recomputes the nodes the policies see: those in service at the
// bottom of the slots.
func (c *cluster) reveal() {
	el := c.el
	el.visible = 0
	for el.visible < len(el.state) && el.state[el.visible] == memberIn {
		el.visible++
	}
}

// outOfService says whether node id, of an elastic cluster, takes no new
// work: starting, draining, off, or above one that is not in service.
func (c *cluster) outOfService(id policy.NodeID) bool {
	return c.el != nil && int(id) >= c.el.visible
}

// members is the number of nodes the policies see (View.Nodes).
func (c *cluster) members() int {
	if c.el != nil {
		return c.el.visible
	}
	return len(c.nodes)
}
