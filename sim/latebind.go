package sim

import (
	"github.com/loadlab/loadlab/client"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/workload"
)

// Late binding (Sparrow; policy.Reserver). A request's first task has
// the dispatcher name nodes for reservations; each reservation is a job
// slot that queues at its node as a job would (policies see it in the
// queue length). When it reaches a free server, the node asks the
// dispatcher for a task: the server is held for the round trip (the
// reservation's service is 2·latency), and then runs the request's next
// task not yet running, in place, or lets the reservation go if every
// task runs already. The model needs FCFS servers without architectures,
// faults or client policies (scenario.Model checks).

// reserve handles task jb of a request as it arrives, with acts what the
// request logic says to do: its copies wait unbound for reservations, and
// the request's first task sends the reservations. Its slot j is freed (a
// copy runs in a reservation's slot).
func (c *cluster) reserve(jb workload.Job, acts []client.Action, j int32) {
	rs := c.reqs
	var other []client.Action
	for _, a := range acts {
		if a.Kind == client.Send {
			rs.unbound[a.Req] = append(rs.unbound[a.Req], a)
		} else {
			other = append(other, a)
		}
	}
	if jb.Task == 0 {
		c.rounds = 0
		c.reserved = c.late.Reserve(&c.dview, &c.jobs[j].Job, c.reserved[:0])
		k := c.cfg.Workload.Tasks()
		if len(c.reserved) == 0 {
			c.reserved = append(c.reserved, 0) // a policy that names no node: keep the request rather than lose it
			c.m.badDecisions++
		}
		// At least one reservation per task: fewer nodes than tasks get
		// several each.
		for i := range max(len(c.reserved), k) {
			at := c.reserved[i%len(c.reserved)]
			if at < 0 || int(at) >= len(c.nodes) {
				at = 0
				c.m.badDecisions++
			}
			s := c.newJob()
			c.jobs[s] = job{Job: policy.Job{Job: workload.Job{ID: jb.ID, Arrival: jb.Arrival}, Origin: at}, reserve: true,
				left: 2 * c.cfg.Costs.Latency * c.nodes[at].speed}
			c.m.counts.Probes++ // a reservation stands in for a probe
			if c.cfg.Costs.Latency > 0 {
				c.schedule(event{t: c.now + c.cfg.Costs.Latency, kind: evDeliver, node: int32(at), job: s})
			} else {
				c.deliver(at, s)
			}
		}
	}
	c.free = append(c.free, j)
	if len(other) > 0 {
		c.carryOut(other, -1)
	}
}

// bind is called when reservation s has left its service at node id (n),
// its round trip over: it becomes its request's next copy not yet bound,
// which takes the server it held, or it leaves. (Its departure may have
// started the next job waiting; that job goes back to the head of the
// queue.)
func (c *cluster) bind(id int32, n *node, s int32) {
	jb := &c.jobs[s]
	rs := c.reqs
	c.m.counts.Messages += 2 // the node's request for a task and the answer
	waiting := rs.unbound[jb.ID]
	if len(waiting) == 0 {
		c.free = append(c.free, s)
		c.changed(policy.NodeID(id))
		return // the migration policy is none (scenario.Model checks)
	}
	a := waiting[0]
	if len(waiting) == 1 {
		delete(rs.unbound, jb.ID)
	} else {
		rs.unbound[jb.ID] = waiting[1:]
	}
	if n.nRun == n.servers && n.nRun > 0 {
		w := n.stopAt(&c.pool, int(n.nRun)-1) // started as the reservation left: it waits again, first
		if !c.jobs[w].overhead {
			n.nRunReal--
		}
		n.waiting.pushFront(c.jobs, w)
	}
	*jb = job{Job: policy.Job{Job: rs.protos[a.Req][a.Task], Origin: policy.NodeID(id)}, left: a.Size, since: jb.since}
	rs.slot[a.Copy], rs.copyOf[s] = s, a.Copy
	n.nReal++
	n.work += a.Size
	n.start(&c.pool, s, c.now)
	c.occupied(id, n)
	c.nh.set(id, n.nextCompletion(&c.pool))
	c.changed(policy.NodeID(id))
}
