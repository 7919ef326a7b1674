package node

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/loadlab/loadlab/front"
	"github.com/loadlab/loadlab/latency"
	"github.com/loadlab/loadlab/ledger"
	"github.com/loadlab/loadlab/node/wire"
)

// The coordinator's front ends (PointConfig.Front, package front), as the
// simulator has them: N FCFS servers, each a goroutine of its own. Request
// ID goes to front end ID mod N (round robin, as DNS hands out their
// addresses), waits its turn, is taken in (front.Front.In: the request
// cost, plus the handoff cost with TCP handoff) and only then goes on to
// the dispatchers. With relay, an agent's completion carries the
// response's bytes (Completion.Body, really sent over TCP) back to the
// coordinator, where it waits its turn at the same front end, which
// passes it on (front.Front.Out of its bytes) before the request
// completes. With handoff the completion goes to the client's side
// directly, past the front ends.
//
// What is emulated: a front end's work. Like the executor's CPU, it is
// busy time on the model clock: an item that starts at s (the later of
// when it reached the front end and the end of the item before it) ends
// at s + its cost, and the front end sleeps until then. A request reaches
// its front end at its scheduled arrival; a response as its job ended at
// its node, its completion's trip to the coordinator left out (as with
// handoff, where a request completes at its node's end, and as in the
// simulator). Items wait in the line in that order, each held frontHold
// past its time so that one whose message came a little late still takes
// its place. The busy periods the ledger hears are that schedule, and a
// request's time at its front end is from when it reached it to the end
// of its service, in and out. A TCP connection cannot
// be handed over between processes of different hosts (and on one host
// only with SCM_RIGHTS over a Unix socket): the handoff is the one-time
// cost paid at the front end, after which the agent answers the client's
// listener (the job's ReplyTo) itself, as a server that took the
// connection over would.

// frontEnds are the point's front ends.
type frontEnds struct {
	cfg     *front.Front
	clock   clock
	ends    []*frontEnd
	pending sync.WaitGroup // requests queued or in service at a front end
	late    *latency.Histogram
	lmu     sync.Mutex // guards late
	stop    context.CancelFunc
	wg      sync.WaitGroup // the front ends' goroutines
}

// frontEnd is one front end: its line, and what it did.
type frontEnd struct {
	mu    sync.Mutex
	line  []frontItem
	wake  chan struct{} // a token when the line grows
	busy  float64       // model time its last item ends (its schedule)
	steps []ledger.FrontStep
}

// frontItem is a request on its way in (req) or the completion of one
// whose response is relayed (done), which reached its front end at key
// (wall time, Unix nanoseconds; model time at): a request at its
// scheduled arrival, a response at its end at its node.
type frontItem struct {
	req  arrival
	done *wire.Completion
	key  int64
	at   float64
}

// frontHold is how long a front end holds an item past the time it
// reached it before serving it, so that one whose message came a little
// late (a completion's trip from its agent, a request's release on a
// busy machine) still takes its place in the line by when it reached the
// front end in the model. Requests leave their front end that much later
// in wall time, which the dispatch delay measures; their time there is
// the model's.
const frontHold = 2 * time.Millisecond

// newFrontEnds makes the front ends of f (nil: none). They are made with
// the coordinator, before it serves completions; start gives them the
// point's clock.
func newFrontEnds(f *front.Front) *frontEnds {
	if f == nil {
		return nil
	}
	fe := &frontEnds{cfg: f, late: latency.New()}
	for range f.N {
		fe.ends = append(fe.ends, &frontEnd{wake: make(chan struct{}, 1)})
	}
	return fe
}

// of is the front end of job id.
func (fe *frontEnds) of(id int64) *frontEnd { return fe.ends[id%int64(len(fe.ends))] }

// push queues it at f, in the order of when items reached it (ties: in
// the order pushed).
func (f *frontEnd) push(it frontItem) {
	f.mu.Lock()
	i, _ := slices.BinarySearchFunc(f.line, it.key+1, func(x frontItem, k int64) int { return cmp.Compare(x.key, k) })
	f.line = slices.Insert(f.line, i, it)
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// take queues request a, due now, at its front end.
func (fe *frontEnds) take(a arrival) {
	fe.pending.Add(1)
	fe.of(a.ID).push(frontItem{req: a, key: fe.clock.wall(a.Due).UnixNano(), at: a.Due})
}

// relay queues completion d, which has just reached the coordinator, at
// its job's front end, where it arrived in the model as it ended at its
// node.
func (fe *frontEnds) relay(d *wire.Completion) {
	fe.of(d.JobID).push(frontItem{done: d, key: d.EndUnixNano})
}

// serve runs front end f until ctx ends: each request taken in goes to
// out, with its time at the front end to in; each response passed back
// goes to back with its time there. On its way out it lets go of the
// requests still in its line (pending).
func (fe *frontEnds) serve(ctx context.Context, f *frontEnd, out chan<- arrival, in func(id int64, d float64), back func(d *wire.Completion, spent float64)) {
	defer func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, it := range f.line {
			if it.done == nil {
				fe.pending.Done()
			}
		}
		f.line = nil
	}()
	hold := time.NewTimer(time.Hour)
	defer hold.Stop()
	for {
		f.mu.Lock()
		var it frontItem
		wait := time.Hour // nothing in line: until something is pushed
		if len(f.line) > 0 {
			if wait = time.Until(time.Unix(0, f.line[0].key).Add(frontHold)); wait <= 0 {
				it = f.line[0]
				f.line[0] = frontItem{}
				f.line = f.line[1:]
			}
		}
		f.mu.Unlock()
		if wait > 0 {
			hold.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-f.wake:
			case <-hold.C:
			}
			if !hold.Stop() {
				select {
				case <-hold.C:
				default:
				}
			}
			continue
		}
		cost := fe.cfg.In()
		if it.done != nil {
			cost = fe.cfg.Out(float64(len(it.done.Body)))
			it.at = fe.clock.model(time.Unix(0, it.key))
		}
		start := max(it.at, f.busy)
		f.busy = start + cost
		f.mu.Lock()
		f.steps = append(f.steps, ledger.FrontStep{T: start, Delta: 1}, ledger.FrontStep{T: f.busy, Delta: -1})
		f.mu.Unlock()
		end := fe.clock.wall(f.busy)
		if err := sleepUntil(ctx, end); err != nil {
			if it.done == nil {
				fe.pending.Done()
			}
			return
		}
		fe.lmu.Lock()
		fe.late.Record(fe.clock.units(time.Since(end)))
		fe.lmu.Unlock()
		if it.done != nil {
			back(it.done, f.busy-it.at)
			continue
		}
		in(it.req.ID, f.busy-it.req.Due)
		it.req.Due = f.busy
		select {
		case out <- it.req:
		case <-ctx.Done():
		}
		fe.pending.Done()
	}
}

// log returns the front ends' busy changes, times from the arrivals'
// origin offset, and the 99th percentile of how late a front end ended
// its items (model units).
func (fe *frontEnds) log(offset float64) ([]ledger.FrontStep, float64) {
	var steps []ledger.FrontStep
	for _, f := range fe.ends {
		f.mu.Lock()
		for _, s := range f.steps {
			steps = append(steps, ledger.FrontStep{T: s.T - offset, Delta: s.Delta})
		}
		f.mu.Unlock()
	}
	fe.lmu.Lock()
	defer fe.lmu.Unlock()
	return steps, fe.late.Quantile(0.99)
}

// start serves the front ends on clk until close or ctx's end (see serve).
func (fe *frontEnds) start(ctx context.Context, clk clock, out chan<- arrival, in func(id int64, d float64), back func(d *wire.Completion, spent float64)) {
	fe.clock = clk
	ctx, fe.stop = context.WithCancel(ctx)
	for _, f := range fe.ends {
		fe.wg.Go(func() { fe.serve(ctx, f, out, in, back) })
	}
}

// close stops the front ends and waits for them: none sends a request
// on, nor passes a response back, once it returns.
func (fe *frontEnds) close() {
	if fe.stop != nil { // started
		fe.stop()
	}
	fe.wg.Wait()
}

// wait returns once every request taken has passed its front end and gone
// on, or else, if ctx ends first, once the front ends have stopped.
func (fe *frontEnds) wait(ctx context.Context) {
	done := make(chan struct{})
	go func() { fe.pending.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		fe.close()
		<-done // serve let go of the requests it held
	}
}

// toFront sends completion d, whose response the front ends relay, to its
// job's front end. The dispatcher that placed the job, if a DoneWatcher,
// hears of its end now, as in the simulator; a job that had ended
// already is ended again, which the book ignores and counts.
func (co *coordinator) toFront(d *wire.Completion) {
	pl, placed, open := co.book.toFront(d.JobID)
	if !open {
		co.end(d.JobID, d.Node, d.StartUnixNano, d.EndUnixNano, "", d.Hops)
		return
	}
	co.fronts.relay(d)
	if placed {
		pl.job.Hops = d.Hops
		pl.d.mu.Lock()
		defer pl.d.mu.Unlock()
		pl.d.view.begin()
		pl.d.done.Done(pl.d.view, &pl.job)
	}
}

// relayed ends the job of completion d, whose response spent spent at its
// front end on its way out (queued and passed on). The request completes
// that long after its end at its node: the trip of the completion from
// the agent to the coordinator is left out, as it is with handoff, where
// a request completes at its node's end, and as the simulator has it.
func (co *coordinator) relayed(d *wire.Completion, spent float64) {
	co.book.relayed(d.JobID, spent, co.clock.model(time.Unix(0, d.EndUnixNano))+spent)
	co.end(d.JobID, d.Node, d.StartUnixNano, d.EndUnixNano, "", d.Hops)
}
