package client

import "slices"

// Requests is the bookkeeping of requests issued with tasks (fork-join)
// or under a client policy: which copies each task has in the system,
// when a task and its request complete or fail, when a hedge, a timeout
// or a retry is due, which copies to cancel, and the counts. It is pure
// decision logic: no goroutines, sockets or clocks. Its caller tells it
// what happened, at model time now, and carries out the actions it
// returns: send a copy, cancel one, set a timer, record a task's or a
// request's end. The simulator (sim/requests.go, as events) and the
// agents' coordinator (node/requests.go, as messages and timers on the
// model clock) both drive it: one definition of a request's life.
//
// Every request ends once (Complete or Fail); every copy Send names ends
// once too, by one of CopyDone, CopyFailed or Cancelled.
type Requests struct {
	p      *Policy
	tasks  int
	issued int64
	Counts Counts

	reqs   map[int64]*request
	copies map[int64]copyOf // copies in the system: their request and task
	next   int64            // the next copy's id
	out    []Action         // the actions of the call under way
}

// Counts are what a client policy costs: copies beyond the first of each
// attempt, retries, cancellations, and the work of the copies that
// answered (Useful) and of those that did not (Wasted), size units.
type Counts struct {
	Copies, Retries, Cancels int64
	Useful, Wasted           float64
}

// ActionKind says what an Action asks of the caller.
type ActionKind uint8

const (
	Send     ActionKind = iota + 1 // dispatch copy Copy of task Task of request Req (Size its work)
	Cancel                         // cancel copy Copy where it is; tell Cancelled, or its own end (a copy may be named twice)
	SetTimer                       // call Fire(Timer) at model time At
	TaskDone                       // task Task of request Req (with Tasks > 1) completed at At
	Complete                       // request Req completed at At: Service, Blocked and Size are its
	Fail                           // request Req failed at At for Reason, at node Node (-1: none)
)

// TimerKind is what a timer is for.
type TimerKind uint8

const (
	Hedge   TimerKind = iota + 1 // another copy may be due
	Timeout                      // the attempt times out
	Retry                        // the task is tried again
)

// TimeoutReason is why a request fails whose last attempt timed out (a
// deadline missed), on every backend.
const TimeoutReason = "timeout"

// Timer is a timer a SetTimer action asks for.
type Timer struct {
	Kind    TimerKind
	Req     int64
	Task    int32
	Attempt int
}

// Action is one thing for the caller to do.
type Action struct {
	Kind    ActionKind
	Req     int64
	Task    int32
	Copy    int64
	Size    float64 // Send: the copy's work; Complete: the request's (all its tasks')
	Arrival float64 // the request's arrival
	At      float64 // SetTimer: when; TaskDone, Complete, Fail: when it happened
	Timer   Timer
	Service float64 // Complete: the longest service time of the copies that answered its tasks
	Blocked float64 // Complete: and their longest blocked time
	Reason  string  // Fail
	Node    int32   // Fail
	First   bool    // Send: the first copy of its task's first attempt
}

type request struct {
	arrival float64
	left    int  // tasks not done
	over    bool // completed or failed
	live    int  // copies in the system
	service float64
	blocked float64
	size    float64
	tasks   []task
}

type task struct {
	size    float64
	copies  []int64 // copies in the system
	sent    int     // copies sent in this attempt
	attempt int
	retry   bool // a retry is scheduled
	done    bool
}

type copyOf struct {
	req    int64
	task   int32
	orphan bool // its attempt timed out and left it to run (Policy.Orphan): its end answers nothing
}

// NewRequests starts the bookkeeping for policy p (nil: none) and
// requests of tasks tasks each (0 or 1: one).
func NewRequests(p *Policy, tasks int) *Requests {
	return &Requests{p: p, tasks: max(tasks, 1), reqs: map[int64]*request{}, copies: map[int64]copyOf{}}
}

// Issued is the number of requests issued so far.
func (q *Requests) Issued() int64 { return q.issued }

// Open is the number of requests not over or with copies in the system.
func (q *Requests) Open() int { return len(q.reqs) }

// Of returns the request and task of copy c, if it is in the system.
func (q *Requests) Of(c int64) (req int64, task int32, ok bool) {
	o, ok := q.copies[c]
	return o.req, o.task, ok
}

// Arrive issues task ti of request id, which arrived at arrival, with
// size of work; task 0 issues the request. The tasks of a request arrive
// in order.
func (q *Requests) Arrive(now float64, id int64, ti int32, size, arrival float64) []Action {
	q.out = nil // fresh each call: the caller may keep it
	r := q.reqs[id]
	if ti == 0 {
		q.issued++
		r = &request{arrival: arrival, left: q.tasks, tasks: make([]task, q.tasks)}
		q.reqs[id] = r
	}
	if r == nil || r.over || int(ti) >= len(r.tasks) { // it failed before all its tasks were sent
		return q.out
	}
	r.size += size
	t := &r.tasks[ti]
	t.size, t.attempt = size, 1
	q.sendCopies(now, id, ti, r, t)
	return q.out
}

// sendCopies starts an attempt of task ti: its first copies, and the
// timers of its hedge and timeout.
func (q *Requests) sendCopies(now float64, id int64, ti int32, r *request, t *task) {
	t.sent = 0
	for range q.p.Initial() {
		q.addCopy(id, ti, r, t)
	}
	q.timers(now, id, ti, r, t)
}

// timers asks for the next hedge and the timeout of task ti's attempt.
func (q *Requests) timers(now float64, id int64, ti int32, r *request, t *task) {
	p := q.p
	if p == nil {
		return
	}
	if p.Hedge(t.sent) {
		q.out = append(q.out, Action{Kind: SetTimer, Req: id, Task: ti, Arrival: r.arrival, At: now + p.HedgeAfter,
			Timer: Timer{Kind: Hedge, Req: id, Task: ti, Attempt: t.attempt}})
	}
	if p.Timeout > 0 && t.sent == p.Initial() {
		q.out = append(q.out, Action{Kind: SetTimer, Req: id, Task: ti, Arrival: r.arrival, At: now + p.Timeout,
			Timer: Timer{Kind: Timeout, Req: id, Task: ti, Attempt: t.attempt}})
	}
}

// addCopy makes a copy of task ti and asks for it to be sent.
func (q *Requests) addCopy(id int64, ti int32, r *request, t *task) {
	if t.sent > 0 {
		q.Counts.Copies++
	}
	c := q.next
	q.next++
	q.out = append(q.out, Action{Kind: Send, Req: id, Task: ti, Copy: c, Size: t.size, Arrival: r.arrival, First: t.sent == 0 && t.attempt == 1})
	t.sent++
	t.copies = append(t.copies, c)
	q.copies[c] = copyOf{req: id, task: ti}
	r.live++
}

// Fire handles timer tm, due now.
func (q *Requests) Fire(now float64, tm Timer) []Action {
	q.out = nil // fresh each call: the caller may keep it
	r := q.reqs[tm.Req]
	if r == nil || int(tm.Task) >= len(r.tasks) {
		return q.out // every copy is gone
	}
	t := &r.tasks[tm.Task]
	if r.over || t.done || t.attempt != tm.Attempt || (t.retry && tm.Kind != Retry) {
		return q.out // answered, or overtaken by a later attempt
	}
	switch tm.Kind {
	case Hedge:
		q.addCopy(tm.Req, tm.Task, r, t)
		q.timers(now, tm.Req, tm.Task, r, t)
	case Timeout:
		// Failing cancels every copy of the request again: a second
		// cancellation of a copy finds nothing to stop.
		if q.p.Orphan {
			q.orphan(t)
		} else {
			q.cancelCopies(tm.Req, tm.Task, r, t)
		}
		q.retryOrFail(now, tm.Req, tm.Task, r, t, TimeoutReason, -1)
	case Retry:
		t.attempt, t.retry = t.attempt+1, false
		q.sendCopies(now, tm.Req, tm.Task, r, t)
	}
	return q.out
}

// take forgets copy c, returning what it was a copy of: its request and
// task; false if it is unknown.
func (q *Requests) take(c int64) (copyOf, *request, *task, bool) {
	o, ok := q.copies[c]
	if !ok {
		return o, nil, nil, false
	}
	r := q.reqs[o.req]
	t := &r.tasks[o.task]
	q.forget(c, r, t)
	return o, r, t, true
}

// CopyDone records that copy c completed at now, its work size done in
// service time service, blocked time units in waits.
func (q *Requests) CopyDone(now float64, c int64, size, service, blocked float64) []Action {
	q.out = nil // fresh each call: the caller may keep it
	o, r, t, ok := q.take(c)
	if !ok {
		return q.out
	}
	if r.over || t.done || o.orphan { // too late: another copy answered, the request failed, or its attempt timed out
		q.Counts.Wasted += size
		q.cleanUp(o.req, r)
		return q.out
	}
	t.done = true
	q.Counts.Useful += size
	q.cancelCopies(o.req, o.task, r, t)
	r.service, r.blocked = max(r.service, service), max(r.blocked, blocked)
	if len(r.tasks) > 1 {
		q.out = append(q.out, Action{Kind: TaskDone, Req: o.req, Task: o.task, Arrival: r.arrival, At: now})
	}
	if r.left--; r.left == 0 {
		r.over = true
		q.out = append(q.out, Action{Kind: Complete, Req: o.req, Arrival: r.arrival, At: now, Service: r.service, Blocked: r.blocked, Size: r.size})
	}
	q.cleanUp(o.req, r)
	return q.out
}

// CopyFailed records that copy c failed at now for reason at node (-1:
// none).
func (q *Requests) CopyFailed(now float64, c int64, reason string, node int32) []Action {
	q.out = nil // fresh each call: the caller may keep it
	o, r, t, ok := q.take(c)
	if !ok {
		return q.out
	}
	if !r.over && !t.done && !t.retry && !o.orphan && len(t.copies) == 0 {
		q.retryOrFail(now, o.req, o.task, r, t, reason, node) // no copy of this attempt is left
	}
	q.cleanUp(o.req, r)
	return q.out
}

// Cancelled records that a cancellation stopped copy c after work done
// (size units; 0 if it had not started, or had not arrived).
func (q *Requests) Cancelled(c int64, work float64) {
	o, ok := q.copies[c]
	if !ok {
		return
	}
	r := q.reqs[o.req]
	q.Counts.Cancels++
	q.Counts.Wasted += work
	q.forget(c, r, &r.tasks[o.task])
	q.cleanUp(o.req, r)
}

// retryOrFail tries task ti again, if the client policy allows, or fails
// its request and cancels all its copies.
func (q *Requests) retryOrFail(now float64, id int64, ti int32, r *request, t *task, reason string, node int32) {
	if ok, wait := q.p.Retry(t.attempt, q.issued, q.Counts.Retries); ok {
		q.Counts.Retries++
		t.retry = true
		q.out = append(q.out, Action{Kind: SetTimer, Req: id, Task: ti, Arrival: r.arrival, At: now + wait,
			Timer: Timer{Kind: Retry, Req: id, Task: ti, Attempt: t.attempt}})
		return
	}
	r.over = true
	q.out = append(q.out, Action{Kind: Fail, Req: id, Arrival: r.arrival, At: now, Reason: reason, Node: node})
	for i := range r.tasks {
		q.cancelCopies(id, int32(i), r, &r.tasks[i])
	}
}

// cancelCopies asks for each copy of task ti in the system to be cancelled.
func (q *Requests) cancelCopies(id int64, ti int32, r *request, t *task) {
	for _, c := range t.copies {
		q.out = append(q.out, Action{Kind: Cancel, Req: id, Task: ti, Copy: c, Arrival: r.arrival})
	}
}

// orphan detaches the copies of task t's timed-out attempt: they stay in
// the system until they end, their work counted wasted, and nothing
// cancels them (a request's failure cancels only t.copies).
func (q *Requests) orphan(t *task) {
	for _, c := range t.copies {
		o := q.copies[c]
		o.orphan = true
		q.copies[c] = o
	}
	t.copies = t.copies[:0]
}

// forget takes copy c out of task t's copies in the system.
func (q *Requests) forget(c int64, r *request, t *task) {
	t.copies = slices.DeleteFunc(t.copies, func(x int64) bool { return x == c })
	delete(q.copies, c)
	r.live--
}

// cleanUp forgets request id once it is over and none of its copies is
// left.
func (q *Requests) cleanUp(id int64, r *request) {
	if r.over && r.live == 0 {
		delete(q.reqs, id)
	}
}
