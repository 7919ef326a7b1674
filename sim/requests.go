package sim

import (
	"slices"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/workload"
)

// request is a job issued with tasks (fork-join) or under a client policy
// (copies, hedges, retries): what the simulator keeps of it until the last
// of its copies is gone. The ledger hears of the request once: when its
// last task completes, or when a task fails with no retry left.
type request struct {
	arrival float64
	left    int     // tasks not done
	over    bool    // completed or failed: the ledger was told
	live    int     // copies in the system
	service float64 // the longest service time of the copies that completed its tasks
	blocked float64 // and their longest blocked time
	size    float64 // the sum of its tasks' sizes
	tasks   []task
}

// task is one task of a request and its copies.
type task struct {
	proto   workload.Job // what a new copy is made from
	copies  []int32      // slots of its copies in the system
	sent    int          // copies sent in this attempt
	attempt int          // 1, 2, …; 0: not sent yet (late binding: waiting for a reservation)
	retry   bool         // a retry is scheduled
	done    bool
}

// arriveRequest issues the job in slot j, a request or one of its tasks,
// and sends its first copies.
func (c *cluster) arriveRequest(j int32) {
	jb := c.jobs[j].Job.Job
	r := c.reqs[jb.ID]
	if jb.Task == 0 {
		c.issued++
		c.m.arrival(c, jb.ID)
		r = &request{arrival: jb.Arrival, left: c.cfg.Workload.Tasks(), tasks: make([]task, c.cfg.Workload.Tasks())}
		c.reqs[jb.ID] = r
	}
	if r == nil || r.over { // it failed before all its tasks were sent
		c.free = append(c.free, j)
		return
	}
	r.size += jb.Size
	t := &r.tasks[jb.Task]
	t.proto = jb
	if c.late != nil {
		c.reserve(jb, r, j)
		return
	}
	t.attempt = 1
	c.sendCopies(jb.ID, r, t, j)
}

// sendCopies starts an attempt of task t: its first copies (the first in
// slot first, if not -1) and the timers of its hedge and timeout.
func (c *cluster) sendCopies(id int64, r *request, t *task, first int32) {
	t.sent = 0
	// All copies join the task before any is placed: a copy can fail as
	// it is placed (on a dead node), and its task must see the others.
	n := c.cfg.Client.Initial()
	for k := 0; k < n; k++ {
		c.addCopy(r, t, first)
		first = -1
	}
	c.placing = append(c.placing[:0], t.copies[len(t.copies)-n:]...) // t.copies changes as copies fail
	for _, j := range c.placing {
		c.place(j)
	}
	c.copyTimers(id, t)
}

// copyTimers schedules the next hedge and the timeout of task t's attempt.
func (c *cluster) copyTimers(id int64, t *task) {
	p := c.cfg.Client
	if p == nil {
		return
	}
	ti := int32(t.proto.Task)
	if p.Hedge(t.sent) {
		c.schedule(event{t: c.now + p.HedgeAfter, kind: evHedge, job: ti, from: int32(t.attempt), msg: policy.Message{Value: float64(id)}})
	}
	if p.Timeout > 0 && t.sent == p.Initial() {
		c.schedule(event{t: c.now + p.Timeout, kind: evTimeout, job: ti, from: int32(t.attempt), msg: policy.Message{Value: float64(id)}})
	}
}

// sendCopy dispatches a copy of task t.
func (c *cluster) sendCopy(r *request, t *task) {
	c.place(c.addCopy(r, t, -1))
}

// addCopy makes a copy of task t, in slot j if j >= 0, and returns its slot.
func (c *cluster) addCopy(r *request, t *task, j int32) int32 {
	if j < 0 {
		j = c.newJob()
		c.jobs[j] = job{Job: policy.Job{Job: t.proto}, left: t.proto.Size}
	}
	if t.sent > 0 {
		c.m.counts.Copies++
	}
	t.sent++
	t.copies = append(t.copies, j)
	r.live++
	return j
}

// requestEvent handles a client's cancellation, hedge, timeout or retry.
func (c *cluster) requestEvent(e event) {
	id := int64(e.msg.Value)
	r := c.reqs[id]
	if r == nil {
		return // every copy is gone
	}
	if e.kind == evCancel {
		c.cancel(policy.NodeID(e.node), id, r, e.job)
		return
	}
	t := &r.tasks[e.job]
	if r.over || t.done || t.attempt != int(e.from) || (t.retry && e.kind != evRetry) {
		return // answered, or overtaken by a later attempt
	}
	switch e.kind {
	case evHedge:
		c.sendCopy(r, t)
		c.copyTimers(id, t)
	case evTimeout:
		c.cancelCopies(t, id)
		c.retryOrFail(id, r, t, "timeout", -1)
	case evRetry:
		t.attempt, t.retry = t.attempt+1, false
		c.sendCopies(id, r, t, -1)
	}
}

// copyDone is called when copy j completed at a node of the given speed,
// after blocked time units in waits.
func (c *cluster) copyDone(j int32, speed, blocked float64) {
	jb := &c.jobs[j]
	r := c.reqs[jb.ID]
	t := &r.tasks[jb.Task]
	c.forget(jb.ID, r, t, j)
	if r.over || t.done { // too late: another copy answered, or the request failed
		c.m.counts.Wasted += jb.Size
		c.cleanUp(jb.ID, r)
		return
	}
	t.done = true
	c.m.counts.Useful += jb.Size
	c.cancelCopies(t, jb.ID)
	r.service, r.blocked = max(r.service, jb.Size/speed), max(r.blocked, blocked)
	if len(r.tasks) > 1 {
		c.m.led.Task(c.now, jb.ID, r.arrival)
	}
	if r.left--; r.left == 0 {
		r.over = true
		c.done++
		c.m.led.Complete(c.now, jb.ID, r.arrival, r.service, r.blocked, r.size)
	}
	c.cleanUp(jb.ID, r)
}

// copyFailed is called when copy j failed for reason at node at.
func (c *cluster) copyFailed(j int32, reason string, at policy.NodeID) {
	jb := &c.jobs[j]
	r := c.reqs[jb.ID]
	t := &r.tasks[jb.Task]
	c.forget(jb.ID, r, t, j)
	if !r.over && !t.done && !t.retry && len(t.copies) == 0 {
		c.retryOrFail(jb.ID, r, t, reason, at) // no copy of this attempt is left
	}
	c.cleanUp(jb.ID, r)
}

// retryOrFail tries task t again, if the client policy allows, or fails
// its request.
func (c *cluster) retryOrFail(id int64, r *request, t *task, reason string, at policy.NodeID) {
	if ok, wait := c.cfg.Client.Retry(t.attempt, c.issued, c.m.counts.Retries); ok {
		c.m.counts.Retries++
		t.retry = true
		c.schedule(event{t: c.now + wait, kind: evRetry, job: t.proto.Task, from: int32(t.attempt), msg: policy.Message{Value: float64(id)}})
		return
	}
	r.over = true
	c.failRequest(id, r.arrival, reason, at)
	for i := range r.tasks {
		c.cancelCopies(&r.tasks[i], id)
	}
}

// cancelCopies sends a cancellation to each copy of task t in the system:
// a message that reaches its node one latency later.
func (c *cluster) cancelCopies(t *task, id int64) {
	for _, s := range t.copies {
		c.m.counts.Messages++
		c.schedule(event{t: c.now + c.cfg.Costs.Latency, kind: evCancel, node: int32(c.jobs[s].Origin), job: s, msg: policy.Message{Value: float64(id)}})
	}
}

// cancel stops copy s of request id at node at: where it is if it is
// there, or as it arrives if it is still on its way.
func (c *cluster) cancel(at policy.NodeID, id int64, r *request, s int32) {
	ti := slices.IndexFunc(r.tasks, func(t task) bool { return slices.Contains(t.copies, s) })
	if ti < 0 {
		return // it completed or failed meanwhile
	}
	t := &r.tasks[ti]
	n := &c.nodes[at]
	if c.isDead(at) || !n.holds(c.jobs, s) {
		// On its way: it arrives as nothing, an empty overhead job that
		// passes through its node at no cost and leaves no trace.
		c.m.counts.Cancels++
		c.forget(id, r, t, s)
		if c.doneWatch != nil {
			c.rounds = 0
			c.doneWatch.Done(&c.views[len(c.nodes)], &c.jobs[s].Job)
		}
		c.jobs[s] = job{Job: policy.Job{Job: workload.Job{ID: -1}, Origin: at}, overhead: true}
		c.cleanUp(id, r)
		return
	}
	n.advance(c.now)
	n.take(c.jobs, s, c.now)
	c.occupied(int32(at), n)
	c.nh.set(int32(at), n.nextCompletion(c.jobs))
	c.changed(at)
	c.m.counts.Wasted += c.jobs[s].Size - c.jobs[s].left
	c.m.counts.Cancels++
	c.forget(id, r, t, s)
	c.ended(s)
	c.cleanUp(id, r)
}

// ended tells the dispatcher that copy j it placed is gone, and frees
// its slot.
func (c *cluster) ended(j int32) {
	if c.doneWatch != nil {
		c.rounds = 0
		c.doneWatch.Done(&c.views[len(c.nodes)], &c.jobs[j].Job)
	}
	c.free = append(c.free, j)
}

// forget takes copy j out of task t's copies in the system.
func (c *cluster) forget(id int64, r *request, t *task, j int32) {
	t.copies = slices.DeleteFunc(t.copies, func(x int32) bool { return x == j })
	r.live--
}

// cleanUp forgets request id once it is over and none of its copies is
// left.
func (c *cluster) cleanUp(id int64, r *request) {
	if r.over && r.live == 0 {
		delete(c.reqs, id)
	}
}

// holds reports whether job j is at node n, running or waiting.
func (n *node) holds(jobs []job, j int32) bool {
	if n.isRunning(j) {
		return true
	}
	for i := 0; i < n.waiting.size; i++ {
		if n.waiting.at(i) == j {
			return true
		}
	}
	return false
}
