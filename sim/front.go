package sim

import (
	"math/rand/v2"

	"github.com/loadlab/loadlab/workload"
)

// The cluster's front end (scenario.Model.Front, package front): N FCFS
// servers of their own. A request arrives at front end ID mod N (round
// robin, as DNS hands out their addresses), queues, is taken in (In) and
// only then dispatched. With relay, a completed request's response
// queues at the same front end and is passed back (Out of its bytes)
// before the request completes; with handoff it completes at its node.
// The ledger hears how busy the front ends are and how long each
// measured request spent at its front end, in and out.

// frontEnd is one front end: its line and the item in service. An item
// is a request's job slot (on its way in) or ^r for response r (on its
// way out).
type frontEnd struct {
	line fifo[int32]
	cur  int32
	busy bool
}

// fifo is a first-in first-out line, a ring that grows: a front end's
// items (and the minimal event loop's arrival times, baseline_test.go).
type fifo[T any] struct {
	buf        []T
	head, size int
}

func (f *fifo[T]) push(x T) {
	if f.size == len(f.buf) {
		nb := make([]T, max(8, 2*len(f.buf)))
		for i := 0; i < f.size; i++ {
			nb[i] = f.buf[(f.head+i)%len(f.buf)]
		}
		f.buf, f.head = nb, 0
	}
	f.buf[(f.head+f.size)%len(f.buf)] = x
	f.size++
}

func (f *fifo[T]) pop() T {
	x := f.buf[f.head]
	f.head = (f.head + 1) % len(f.buf)
	f.size--
	return x
}

// response is a completed request on its way back through its front end.
type response struct {
	id                              int64
	arrival, service, blocked, size float64 // what the ledger completes it with
	in                              float64 // its time at the front end on its way in
	out                             float64 // its service on the way out (front.Front.Out)
	since                           float64 // when it joined the line on its way out
}

// fronts is the front ends' state.
type fronts struct {
	ends  []frontEnd
	in    []float64 // by job slot: when its request joined the line, then its time there
	resps []response
	free  []int32 // free entries of resps
	bytes workload.Dist
	rand  *rand.Rand // response sizes
}

func newFronts(cfg Config) *fronts {
	if cfg.Front == nil {
		return nil
	}
	return &fronts{ends: make([]frontEnd, cfg.Front.N), bytes: cfg.Workload.Response(), rand: workload.Stream(cfg.Seed, "response")}
}

// frontArrive queues request j, just issued, at its front end.
func (c *cluster) frontArrive(j int32) {
	fr := c.fronts
	for len(fr.in) < len(c.jobs) {
		fr.in = append(fr.in, 0)
	}
	fr.in[j] = c.now
	c.frontPush(int(c.jobs[j].ID%int64(len(fr.ends))), j)
}

// frontPush queues item x at front end f, or starts it if f is idle.
func (c *cluster) frontPush(f int, x int32) {
	fe := &c.fronts.ends[f]
	if fe.busy {
		fe.line.push(x)
		return
	}
	fe.busy = true
	c.m.led.Front(c.now, 1)
	c.frontStart(f, x)
}

// frontStart serves item x at front end f.
func (c *cluster) frontStart(f int, x int32) {
	fe := &c.fronts.ends[f]
	fe.cur = x
	d := c.cfg.Front.In()
	if x < 0 {
		d = c.fronts.resps[^x].out
	}
	c.schedule(event{t: c.now + d, kind: evFront, node: int32(f)})
}

// frontDone ends the item in service at front end f: a request goes on
// to be dispatched, a response completes its request.
func (c *cluster) frontDone(f int) {
	fr := c.fronts
	fe := &fr.ends[f]
	x := fe.cur
	if fe.line.size > 0 {
		c.frontStart(f, fe.line.pop())
	} else {
		fe.busy = false
		c.m.led.Front(c.now, -1)
	}
	if x >= 0 {
		fr.in[x] = c.now - fr.in[x]
		c.place(x)
		return
	}
	r := &fr.resps[^x]
	c.done++
	c.m.led.Complete(c.now, r.id, r.arrival, r.service, r.blocked, r.size)
	c.m.led.FrontTime(r.id, r.in+c.now-r.since)
	fr.free = append(fr.free, ^x)
}

// frontBack completes job j at its node, after service and blocked time:
// with relay its response goes back through its front end first.
func (c *cluster) frontBack(j int32, service, blocked float64) {
	fr := c.fronts
	jb := &c.jobs[j]
	if !c.cfg.Front.Relays() {
		c.done++
		c.m.led.Complete(c.now, jb.ID, jb.Arrival, service, blocked, jb.Size)
		c.m.led.FrontTime(jb.ID, fr.in[j])
		return
	}
	bytes := 0.0
	if fr.bytes != nil {
		bytes = fr.bytes.Rand(fr.rand)
	}
	var k int32
	if n := len(fr.free); n > 0 {
		k, fr.free = fr.free[n-1], fr.free[:n-1]
	} else {
		fr.resps = append(fr.resps, response{})
		k = int32(len(fr.resps) - 1)
	}
	fr.resps[k] = response{id: jb.ID, arrival: jb.Arrival, service: service, blocked: blocked, size: jb.Size,
		in: fr.in[j], out: c.cfg.Front.Out(bytes), since: c.now}
	c.frontPush(int(jb.ID%int64(len(fr.ends))), ^k)
}
