package sim

import (
	"github.com/loadlab/loadlab/client"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/workload"
)

// requests is what the simulator keeps of the requests issued with tasks
// (fork-join) or under a client policy: client.Requests decides (when a
// task and its request complete or fail, when a hedge, a timeout or a
// retry is due, which copies to cancel, the counts), as it does for the
// agents' coordinator; the simulator carries its actions out as events.
// Each copy of a task is a job in a slot of its own.
type requests struct {
	q      *client.Requests
	slot   map[int64]int32          // the slot of each copy in the system
	copyOf map[int32]int64          // the copy in each slot that holds one
	protos map[int64][]workload.Job // each open request's tasks, as its copies are made
	// Late binding (latebind.go): each request's copies waiting for a
	// reservation to reach a free server.
	unbound map[int64][]client.Action
}

func newRequests(cfg Config) *requests {
	return &requests{q: client.NewRequests(cfg.Client, cfg.Workload.Tasks()), slot: map[int64]int32{}, copyOf: map[int32]int64{},
		protos: map[int64][]workload.Job{}, unbound: map[int64][]client.Action{}}
}

// arriveRequest issues the job in slot j, a request or one of its tasks,
// and sends its first copies.
func (c *cluster) arriveRequest(j int32) {
	jb := c.jobs[j].Job.Job
	rs := c.reqs
	if jb.Task == 0 {
		c.issued++
		c.m.arrival(c, &jb)
		rs.protos[jb.ID] = make([]workload.Job, c.cfg.Workload.Tasks())
	} else if c.m.onIssue != nil {
		c.m.onIssue(jb) // a later task: issued, not a new arrival
	}
	if ts := rs.protos[jb.ID]; int(jb.Task) < len(ts) {
		ts[jb.Task] = jb
	}
	acts := rs.q.Arrive(c.now, jb.ID, jb.Task, jb.Size, jb.Arrival)
	if c.late != nil {
		c.reserve(jb, acts, j)
		return
	}
	c.carryOut(acts, j)
}

// carryOut carries out acts. Its copies are all made before any is placed
// (a copy can fail as it is placed, on a dead node, and its task must see
// the others), the first in slot first if it is not -1; they are placed
// before its timers are set. A slot first no copy takes is freed.
func (c *cluster) carryOut(acts []client.Action, first int32) {
	rs := c.reqs
	n := 0
	for _, a := range acts {
		if a.Kind != client.Send {
			continue
		}
		j := first
		first = -1
		if j < 0 {
			j = c.newJob()
			c.jobs[j] = job{Job: policy.Job{Job: rs.protos[a.Req][a.Task]}, left: a.Size}
		}
		rs.slot[a.Copy], rs.copyOf[j] = j, a.Copy
		n++
	}
	if first >= 0 {
		c.free = append(c.free, first) // the request failed before all its tasks were sent
	}
	if n > 0 {
		for _, a := range acts { // acts is the call's own: placing carries actions of its own
			if j, ok := rs.slot[a.Copy]; ok && a.Kind == client.Send {
				c.place(j)
			}
		}
	}
	for _, a := range acts {
		switch a.Kind {
		case client.Cancel:
			// A message that reaches the copy's node one latency later.
			s := rs.slot[a.Copy]
			c.m.counts.Messages++
			c.schedule(event{t: c.now + c.cfg.Costs.Latency, kind: evCancel, node: int32(c.jobs[s].Origin), job: s, msg: policy.Message{Value: float64(a.Req)}})
		case client.SetTimer:
			kind := evHedge
			switch a.Timer.Kind {
			case client.Timeout:
				kind = evTimeout
			case client.Retry:
				kind = evRetry
			}
			c.schedule(event{t: a.At, kind: kind, job: a.Task, from: int32(a.Timer.Attempt), msg: policy.Message{Value: float64(a.Req)}})
		case client.TaskDone:
			c.m.led.Task(a.At, a.Req, a.Arrival)
		case client.Complete:
			c.done++
			c.m.led.Complete(a.At, a.Req, a.Arrival, a.Service, a.Blocked, a.Size)
			delete(rs.protos, a.Req)
		case client.Fail:
			c.failRequest(a.Req, a.Arrival, a.Reason, policy.NodeID(a.Node))
			delete(rs.protos, a.Req)
		}
	}
}

// requestEvent handles a client's cancellation, hedge, timeout or retry.
func (c *cluster) requestEvent(e event) {
	id := int64(e.msg.Value)
	if e.kind == evCancel {
		c.cancel(policy.NodeID(e.node), id, e.job)
		return
	}
	kind := client.Hedge
	switch e.kind {
	case evTimeout:
		kind = client.Timeout
	case evRetry:
		kind = client.Retry
	}
	c.carryOut(c.reqs.q.Fire(c.now, client.Timer{Kind: kind, Req: id, Task: e.job, Attempt: int(e.from)}), -1)
}

// forget frees slot j of its copy, returning the copy; false if it held
// none.
func (rs *requests) forget(j int32) (int64, bool) {
	cp, ok := rs.copyOf[j]
	if ok {
		delete(rs.copyOf, j)
		delete(rs.slot, cp)
	}
	return cp, ok
}

// copyDone is called when copy j completed at a node of the given speed,
// after blocked time units in waits.
func (c *cluster) copyDone(j int32, speed, blocked float64) {
	jb := &c.jobs[j]
	cp, ok := c.reqs.forget(j)
	if !ok {
		return
	}
	c.carryOut(c.reqs.q.CopyDone(c.now, cp, jb.Size, jb.Size/speed, blocked), -1)
}

// copyFailed is called when copy j failed for reason at node at.
func (c *cluster) copyFailed(j int32, reason string, at policy.NodeID) {
	cp, ok := c.reqs.forget(j)
	if !ok {
		return
	}
	c.carryOut(c.reqs.q.CopyFailed(c.now, cp, reason, int32(at)), -1)
}

// cancel stops the copy in slot s, of request id, at node at: where it is
// if it is there, or as it arrives if it is still on its way.
func (c *cluster) cancel(at policy.NodeID, id int64, s int32) {
	rs := c.reqs
	cp, ok := rs.copyOf[s]
	if req, _, live := rs.q.Of(cp); !ok || !live || req != id {
		return // it completed or failed meanwhile
	}
	n := &c.nodes[at]
	if c.isDead(at) || !n.holds(&c.pool, s) {
		// On its way: it arrives as nothing, an empty overhead job that
		// passes through its node at no cost and leaves no trace.
		rs.forget(s)
		rs.q.Cancelled(cp, 0)
		if c.doneWatch != nil {
			c.rounds = 0
			c.doneWatch.Done(&c.dview, &c.jobs[s].Job)
		}
		c.jobs[s] = job{Job: policy.Job{Job: workload.Job{ID: -1}, Origin: at}, overhead: true}
		return
	}
	n.advance(c.now)
	n.take(&c.pool, s, c.now)
	c.occupied(int32(at), n)
	c.nh.set(int32(at), n.nextCompletion(&c.pool))
	c.changed(at)
	rs.forget(s)
	rs.q.Cancelled(cp, c.jobs[s].Size-c.jobs[s].left)
	c.ended(s)
}

// ended tells the dispatcher that copy j it placed is gone, and frees
// its slot.
func (c *cluster) ended(j int32) {
	if c.doneWatch != nil {
		c.rounds = 0
		c.doneWatch.Done(&c.dview, &c.jobs[j].Job)
	}
	c.free = append(c.free, j)
}

// counts hands the client policy's counts to the ledger's.
func (rs *requests) counts(m *measure) {
	cc := rs.q.Counts
	m.counts.Copies, m.counts.Retries, m.counts.Cancels, m.counts.Useful, m.counts.Wasted = cc.Copies, cc.Retries, cc.Cancels, cc.Useful, cc.Wasted
}

// holds reports whether job j is at node n, running or waiting.
func (n *node) holds(p *pool, j int32) bool {
	return n.isRunning(p, j) || n.waiting.has(p.jobs, j)
}
