package sim

import (
	"github.com/loadlab/loadlab/energy"
	"github.com/loadlab/loadlab/policy"
)

// Sleep states (energy.Power.Sleep). A node with nothing to do (no job
// waiting or running, overheads included) for After model units goes to
// sleep; the next job to reach it (a dispatched or transferred job, or
// an overhead) wakes it, which takes Wake units, and it starts its jobs
// when awake. Jobs held meanwhile are in its queue: policies see a
// sleeping node as an idle one (it is empty) and a waking one as its
// queue says, with no server running: the cost of waking is the
// policy's to learn, as a real cluster's dispatcher would. A timer
// policy or a probe does not wake a node. The ledger integrates the
// time asleep and waking (ledger.Sleep) for the energy.

// dozing is the nodes' sleep states.
type dozing struct {
	state []energy.State
	gen   []int32 // per node: counts its idle spells, naming the doze timer of the current one
	timer []bool  // per node: a doze timer is pending for the current idle spell
}

// sleepInit sets up sleep states if the power model has them; every node
// starts awake and empty, so idle from time 0.
func (c *cluster) sleepInit() {
	if !c.cfg.Power.Sleeps() {
		return
	}
	n := len(c.nodes)
	c.dozing = &dozing{state: make([]energy.State, n), gen: make([]int32, n), timer: make([]bool, n)}
	for i := range c.nodes {
		c.idleCheck(int32(i), &c.nodes[i])
	}
}

// idleCheck starts node id's idle spell if it has just become empty and
// is awake: it sleeps now (After 0) or when its doze timer fires.
func (c *cluster) idleCheck(id int32, n *node) {
	z := c.dozing
	if n.nRun > 0 || !n.waiting.empty() || z.state[id] != energy.Awake || z.timer[id] {
		return
	}
	if c.cfg.Power.After == 0 {
		c.doze(id, n)
		return
	}
	z.gen[id]++
	z.timer[id] = true
	c.schedule(event{t: c.now + c.cfg.Power.After, kind: evDoze, node: id, job: z.gen[id]})
}

// dozeTimer is node id's doze timer of idle spell gen firing.
func (c *cluster) dozeTimer(id int32, gen int32) {
	z := c.dozing
	if !z.timer[id] || z.gen[id] != gen {
		return // the spell ended: a job came
	}
	z.timer[id] = false
	c.doze(id, &c.nodes[id])
}

// doze puts empty node id to sleep.
func (c *cluster) doze(id int32, n *node) {
	c.dozing.state[id] = energy.Asleep
	n.held = true
	c.m.led.Sleep(c.now, int(id), energy.Asleep)
}

// rouse is called as a job joins node id, before it is admitted: it ends
// an idle spell, or starts waking a sleeping node (at once without a
// wake-up delay).
func (c *cluster) rouse(id policy.NodeID) {
	z := c.dozing
	switch z.state[id] {
	case energy.Awake:
		z.timer[id] = false
	case energy.Asleep:
		z.state[id] = energy.Waking
		c.m.led.Sleep(c.now, int(id), energy.Waking)
		if c.cfg.Power.Wake > 0 {
			c.schedule(event{t: c.now + c.cfg.Power.Wake, kind: evAwake, node: int32(id)})
			return
		}
		c.awake(id)
	}
}

// awake ends node id's waking: its held jobs start.
func (c *cluster) awake(id policy.NodeID) {
	n := &c.nodes[id]
	n.advance(c.now)
	c.dozing.state[id] = energy.Awake
	c.m.led.Sleep(c.now, int(id), energy.Awake)
	n.startHeld(&c.pool, c.now)
	c.occupied(int32(id), n) // empty again (its jobs were taken away meanwhile): a new idle spell
	c.nh.set(int32(id), n.nextCompletion(&c.pool))
	c.changed(id)
}
