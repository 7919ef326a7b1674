package sim

import (
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

// reserve handles task jb of request r as it arrives: the first task
// sends the request's reservations; every task waits to be bound. Its
// slot j is freed (the task runs in a reservation's slot).
func (c *cluster) reserve(jb workload.Job, r *request, j int32) {
	if jb.Task == 0 {
		c.rounds = 0
		c.reserved = c.late.Reserve(&c.views[len(c.nodes)], &c.jobs[j].Job, c.reserved[:0])
		k := len(r.tasks)
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
}

// bind is called when reservation s has left its service at node id (n),
// its round trip over: it becomes its request's next task not yet
// running, which takes the server it held, or it leaves. (Its departure
// may have started the next job waiting; that job goes back to the head
// of the queue.)
func (c *cluster) bind(id int32, n *node, s int32) {
	jb := &c.jobs[s]
	r := c.reqs[jb.ID]
	ti := -1
	if r != nil && !r.over {
		for i := range r.tasks {
			if t := &r.tasks[i]; t.attempt == 0 && t.proto.ID == jb.ID {
				ti = i
				break
			}
		}
	}
	c.m.counts.Messages += 2 // the node's request for a task and the answer
	if ti < 0 {
		c.free = append(c.free, s)
		c.changed(policy.NodeID(id))
		return // the migration policy is none (scenario.Model checks)
	}
	if last := len(n.running) - 1; len(n.running) == n.servers && last >= 0 {
		w := n.running[last] // started as the reservation left: it waits again, first
		n.running = n.running[:last]
		if !c.jobs[w].overhead {
			n.nRunReal--
		}
		n.waiting.pushFront(w)
	}
	t := &r.tasks[ti]
	t.attempt = 1
	*jb = job{Job: policy.Job{Job: t.proto, Origin: policy.NodeID(id)}, left: t.proto.Size, since: jb.since}
	n.nReal++
	n.work += t.proto.Size
	n.start(c.jobs, s, c.now)
	c.addCopy(r, t, s)
	c.occupied(id, n)
	c.nh.set(id, n.nextCompletion(c.jobs))
	c.changed(policy.NodeID(id))
}
