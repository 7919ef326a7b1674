package node

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/loadlab/loadlab/client"
	"github.com/loadlab/loadlab/node/executor"
	"github.com/loadlab/loadlab/node/wire"
	"github.com/loadlab/loadlab/policy"
)

// clients is the coordinator's side of requests with tasks (fork-join) or
// under a client policy: client.Requests decides, the coordinator carries
// its actions out. Each copy of a task is a wire job of its own, whose ID
// is the copy's; the book counts requests.
type clients struct {
	mu     sync.Mutex
	q      *client.Requests
	copies map[int64]*copyState  // copies in the system
	protos map[int64][]*wire.Job // each open request's tasks, as its copies are made
	closed bool                  // the point is over: nothing more is started
	// What run sets before the first arrival: its context and submitter,
	// for the copies timers and ends send, and the arrivals' origin.
	ctx    context.Context
	sub    *submitter
	origin float64
	wg     sync.WaitGroup // cancellations in flight
	timers timerQueue
}

// copyState is a copy in the system, as the coordinator sees it.
type copyState struct {
	req       int64
	size      float64
	node      int32      // where it was sent; -1: not placed yet
	pl        *placement // its placement, if a DoneWatcher placed it
	cancelled bool       // cancelled: not sent if not placed yet, else not cancelled again
}

func newClients(c *PointConfig) *clients {
	return &clients{q: client.NewRequests(c.Client, c.Workload.Tasks()), copies: map[int64]*copyState{}, protos: map[int64][]*wire.Job{},
		timers: timerQueue{wake: make(chan struct{}, 1)}}
}

// start readies cl for the run: copies go out with ctx through sub, and
// model times count from origin.
func (cl *clients) start(ctx context.Context, sub *submitter, origin float64) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.ctx, cl.sub, cl.origin = ctx, sub, origin
}

// counts are the client policy's counts so far.
func (cl *clients) counts() client.Counts {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.q.Counts
}

// request is the request of copy id, or -1 if it is not in the system.
func (cl *clients) request(id int64) int64 {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cs, ok := cl.copies[id]; ok {
		return cs.req
	}
	return -1
}

// placed records that copy id went to node n, placed by pl if a
// DoneWatcher placed it; false if it was cancelled before, and is not to
// be sent (copyCancelled then ends it, and tells pl).
func (cl *clients) placed(id int64, n int32, pl *placement) bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cs, ok := cl.copies[id]
	if !ok {
		return false
	}
	cs.pl = pl
	if cs.cancelled {
		return false
	}
	cs.node = n
	return true
}

// moved records an agent's note that copy id moved to node to.
func (cl *clients) moved(id int64, to int32) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cs, ok := cl.copies[id]; ok {
		cs.node = to
	}
}

// lost returns the copies held by node n.
func (cl *clients) lost(n int) []int64 {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	var ids []int64
	for id, cs := range cl.copies {
		if cs.node == int32(n) {
			ids = append(ids, id)
		}
	}
	return ids
}

// close stops new cancellations and waits for those in flight.
func (cl *clients) close() {
	cl.mu.Lock()
	cl.closed = true
	cl.mu.Unlock()
	cl.wg.Wait()
}

// arrive issues task task of a request, j its first copy's job, and
// carries out what follows (its first copies are placed by d).
func (co *coordinator) arrive(ctx context.Context, d *dispatcher, j *wire.Job, task int32, sub *submitter) {
	cl := co.clients
	cl.mu.Lock()
	ts := cl.protos[j.ID]
	if task == 0 {
		ts = make([]*wire.Job, co.cfg.Workload.Tasks())
		cl.protos[j.ID] = ts
	}
	if int(task) < len(ts) {
		ts[task] = j
	}
	acts := cl.q.Arrive(co.since(), j.ID, task, j.Size, j.Arrival-cl.origin)
	protos := co.track(acts)
	origin := cl.origin
	cl.mu.Unlock()
	co.carry(ctx, d, acts, protos, sub, origin)
}

// since (clients.mu held) is the model time now from the arrivals'
// origin: the clock of client.Requests and of the ledger.
func (co *coordinator) since() float64 { return co.clock.now() - co.clients.origin }

// track (cl.mu held) notes the copies acts sends and forgets the tasks of
// the requests they end. It returns the job each Send action makes a copy
// of (nil for the other actions).
func (co *coordinator) track(acts []client.Action) []*wire.Job {
	cl := co.clients
	protos := make([]*wire.Job, len(acts))
	for i, a := range acts {
		if a.Kind == client.Send {
			cl.copies[a.Copy] = &copyState{req: a.Req, size: a.Size, node: -1}
			protos[i] = cl.protos[a.Req][a.Task] // kept until the request ends
		}
	}
	for _, a := range acts {
		if a.Kind == client.Complete || a.Kind == client.Fail {
			delete(cl.protos, a.Req)
		}
	}
	return protos
}

// carry carries out acts, protos what track returned for them: d places
// the copies sent (nil: the first dispatcher) through sub; model times
// count from origin.
func (co *coordinator) carry(ctx context.Context, d *dispatcher, acts []client.Action, protos []*wire.Job, sub *submitter, origin float64) {
	if d == nil {
		d = co.disps[0]
	}
	for i, a := range acts {
		switch a.Kind {
		case client.Send:
			j := *protos[i]
			j.ID, j.Origin = a.Copy, -1
			pj := toPolicyJob(&j)
			pj.ID, pj.Task = a.Req, a.Task // as the simulator shows a copy to the dispatch strategy
			due := co.clock.now()
			if a.First {
				due = j.Arrival
			}
			co.dispatch(ctx, d, &j, pj, due, sub)
		case client.Cancel:
			co.cancel(a.Copy)
		case client.SetTimer:
			co.clients.timers.add(co.clock.wall(a.At+origin), a.Timer)
		case client.TaskDone:
			co.book.task(a.Req, a.At)
		case client.Complete:
			co.book.finish(a.Req, a.At, a.Service, a.Blocked, a.Size, "")
		case client.Fail:
			co.book.finish(a.Req, a.At, 0, 0, 0, a.Reason)
		}
	}
}

// copyEnded records that copy id ended, as co.end does for a plain job.
func (co *coordinator) copyEnded(id int64, node int32, startNs, endNs int64, reason string, hops int32) {
	cl := co.clients
	cl.mu.Lock()
	cs, ok := cl.copies[id]
	if !ok {
		cl.mu.Unlock()
		co.book.ignore()
		return
	}
	delete(cl.copies, id)
	var acts []client.Action
	switch reason {
	case reasonCancelled: // dropped as it arrived: cancelled on its way
		cl.q.Cancelled(id, 0)
	case "":
		end, service, blocked := co.book.copyDone(cs.req, node, cs.size, startNs, endNs)
		acts = cl.q.CopyDone(end, id, cs.size, service, blocked)
	default:
		at := node
		if at < 0 {
			at = cs.node
		}
		acts = cl.q.CopyFailed(co.since(), id, reason, at)
	}
	protos := co.track(acts)
	ctx, sub, origin := cl.ctx, cl.sub, cl.origin
	cl.mu.Unlock()
	co.copyGone(cs, hops)
	co.carry(ctx, nil, acts, protos, sub, origin)
}

// copyGone tells the DoneWatcher that placed copy cs that it is gone.
func (co *coordinator) copyGone(cs *copyState, hops int32) {
	if cs.pl == nil {
		return
	}
	pl := cs.pl
	pl.job.Hops = hops
	pl.d.mu.Lock()
	defer pl.d.mu.Unlock()
	pl.d.view.begin()
	pl.d.done.Done(pl.d.view, &pl.job)
}

// cancel sends a cancellation to the agent holding copy id: a real
// message, which stops the copy where it is. The agent's answer says how
// much work the copy had done (wasted), and ends it as cancelled; if the
// copy is not there (it completed meanwhile, or has not arrived), its own
// end settles it. A copy not placed yet is not sent.
func (co *coordinator) cancel(id int64) {
	cl := co.clients
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cs, ok := cl.copies[id]
	if !ok || cl.closed {
		return
	}
	if cs.cancelled {
		return // cancelled already (a request that fails cancels all its copies)
	}
	cs.cancelled = true
	if cs.node < 0 {
		return
	}
	n := policy.NodeID(cs.node)
	co.count.messages.Add(1)
	run := cl.ctx
	cl.wg.Go(func() {
		m, ok := co.view.peers.get(n)
		if !ok {
			return // gone: watch fails its copies
		}
		ctx, stop := context.WithTimeout(run, transferTimeout)
		defer stop()
		c, err := co.pool.Get(ctx, m.Tags[tagRPC])
		if err != nil {
			return
		}
		reply, err := c.Call(ctx, &wire.Msg{Type: wire.TypeCancel, From: -1, Done: &wire.Completion{JobID: id}})
		if err != nil || reply.Note == nil || reply.Note.Kind != wire.CancelStopped {
			return
		}
		co.copyCancelled(id, reply.Note.Value)
	})
}

// copyCancelled records that a cancellation stopped copy id after work.
func (co *coordinator) copyCancelled(id int64, work float64) {
	cl := co.clients
	cl.mu.Lock()
	cs, ok := cl.copies[id]
	if ok {
		delete(cl.copies, id)
		cl.q.Cancelled(id, work)
	}
	cl.mu.Unlock()
	if ok {
		co.copyGone(cs, 0)
	}
}

// fire handles a client timer that is due.
func (co *coordinator) fire(ctx context.Context, tm client.Timer) {
	cl := co.clients
	cl.mu.Lock()
	acts := cl.q.Fire(co.since(), tm)
	protos := co.track(acts)
	sub, origin := cl.sub, cl.origin
	cl.mu.Unlock()
	co.carry(ctx, nil, acts, protos, sub, origin)
}

// timerQueue holds the client policy's timers (hedges, timeouts, retries)
// by their wall deadlines; one goroutine fires them (run).
type timerQueue struct {
	mu   sync.Mutex
	h    timerHeap
	wake chan struct{} // a timer earlier than the first was added
}

type dueTimer struct {
	at time.Time
	t  client.Timer
}

type timerHeap []dueTimer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(dueTimer)) }
func (h *timerHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// add sets timer t for wall time at.
func (tq *timerQueue) add(at time.Time, t client.Timer) {
	tq.mu.Lock()
	heap.Push(&tq.h, dueTimer{at: at, t: t})
	first := tq.h[0].at.Equal(at)
	tq.mu.Unlock()
	if first {
		select {
		case tq.wake <- struct{}{}:
		default:
		}
	}
}

// run fires each timer at its deadline, as punctually as sleepUntil, until
// ctx ends: it waits on a Go timer (which an earlier timer added
// interrupts) until coarseMargin before the first deadline, and leaves the
// rest to executor.SleepUntil.
func (tq *timerQueue) run(ctx context.Context, fire func(client.Timer)) {
	for {
		tq.mu.Lock()
		var next time.Time
		if len(tq.h) > 0 {
			next = tq.h[0].at
		}
		tq.mu.Unlock()
		if next.IsZero() {
			select {
			case <-ctx.Done():
				return
			case <-tq.wake:
			}
			continue
		}
		if d := time.Until(next) - coarseMargin; d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-tq.wake:
				t.Stop()
				continue
			case <-t.C:
				continue
			}
		}
		if ctx.Err() != nil {
			return
		}
		executor.SleepUntil(next)
		tq.mu.Lock()
		due := heap.Pop(&tq.h).(dueTimer) // the first now, which may be one added meanwhile
		tq.mu.Unlock()
		fire(due.t)
	}
}
