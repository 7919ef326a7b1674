package node

import (
	"math"
	"sync"
	"time"

	"github.com/loadlab/loadlab/latency"
	"github.com/loadlab/loadlab/ledger"
	"github.com/loadlab/loadlab/node/wire"
	"github.com/loadlab/loadlab/results"
)

// book is the coordinator's account of a point's jobs: when each was due
// and how big, which node holds it, how it ended; what each node reported
// of its completions; and the point's faults. The dispatchers, the
// completion handler, the watcher and the fault injector all write it,
// so its mutex guards every field, and only its methods touch them.
type book struct {
	mu    sync.Mutex
	cfg   *PointConfig // read only
	clock clock        // set by open, before the first job

	scheduled []float64 // scheduled arrival (model time) by job id; memory grows with jobs, 8 bytes each
	size      []float64
	blocked   []float64 // time each job blocks in its waits (jobs with phases; nil without a server architecture)
	ended     []bool
	ends      []ledger.End        // the jobs' ends as reported, times from the arrivals' origin: what the ledger replays
	tasks     []ledger.End        // fork-join requests: their tasks' completions (T, ID, Arrival)
	holder    []int32             // node believed to hold each job: its dispatch target, then wherever agents report it moved
	hops      []int32             // hop count of each job at its holder, as the last note of a move said
	placed    map[int64]placement // jobs in flight placed by a DoneWatcher
	unsent    map[int64]bool      // jobs whose submission got no answer (submitFailed)
	hit       []float64           // each job's size if its key hits its node's cache (nil: no caches)
	lookups   []ledger.Lookup     // the cache lookups the completions reported
	front     []float64           // each job's time at its front end, in and out (nil: no front end)
	left      []float64           // model time each relayed response left its front end (nil: no relay)

	dead []bool    // roster members found failed or gone during the run
	held []int     // elastic clusters: jobs each node holds that have not ended (holding); nil otherwise
	busy []float64 // service time of the completions each node reported (model units)
	seen []float64 // model time of the last completion each node reported

	done, failed int64
	ignored      int64      // ends reported for no job or for a job that had ended
	service      [2]float64 // measured and ideal service time of the measured jobs
	lag          *latency.Histogram
	delay        *latency.Histogram // scheduled arrival to arrival at the agent, less the decision's own time (its probes)
	lastEnd      float64
	allDone      chan struct{} // closed when every job has ended
	redirected   int64         // jobs placed on another agent than picked: the picked one's platform cannot run them
	offset       float64       // model time of the arrivals' origin: faults and their series count from here
	faults       *faultRun     // nil: no faults

	// classes counts the failed ends of ends[:tallied] by reason class,
	// for tally: a scrape reads only the ends added since the last.
	classes map[string]int64
	tallied int
}

func newBook(c *PointConfig) *book {
	b := &book{cfg: c, scheduled: make([]float64, c.Jobs), size: make([]float64, c.Jobs), ended: make([]bool, c.Jobs),
		holder: make([]int32, c.Jobs), hops: make([]int32, c.Jobs), ends: make([]ledger.End, 0, c.Jobs),
		placed: map[int64]placement{}, unsent: map[int64]bool{}, lag: latency.New(), delay: latency.New(), allDone: make(chan struct{})}
	// The per-job bookkeeping (33 bytes a job) is written once here, so
	// that it is resident from the start rather than faulted in as jobs
	// are issued: the process's memory then stays flat through a point.
	for i := range b.holder {
		b.holder[i] = -1 // not dispatched yet
		b.scheduled[i], b.size[i], b.ended[i], b.hops[i] = 0, 0, false, 0
	}
	if len(c.Faults) > 0 {
		b.faults = newFaultRun(*c)
	}
	if c.Server != nil {
		b.blocked = make([]float64, c.Jobs)
	}
	if c.Cache != nil {
		b.hit = make([]float64, c.Jobs)
	}
	if c.Front != nil {
		b.front = make([]float64, c.Jobs)
		if c.Front.Relays() {
			b.left = make([]float64, c.Jobs)
		}
	}
	return b
}

// atFront is the holder of a job whose response waits at its front end:
// no node holds it any more, so a node's death does not lose it.
const atFront = -2

// open readies the book for nodes agents, on clk (whose epoch configure has set).
func (b *book) open(nodes int, clk clock) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.clock = clk
	b.dead = make([]bool, nodes)
	if b.cfg.IsElastic() {
		b.held = make([]int, nodes)
	}
	b.busy, b.seen = make([]float64, nodes), make([]float64, nodes)
}

// start sets the model time of the arrivals' origin.
func (b *book) start(offset float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.offset = offset
}

// origin is the model time of the arrivals' origin.
func (b *book) origin() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.offset
}

// schedule records job id's scheduled arrival (model time at), size,
// time blocked in its waits and size if its key hits its node's cache.
func (b *book) schedule(id int64, at, size, blocked, hit float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.scheduled[id], b.size[id] = at, size
	if b.blocked != nil {
		b.blocked[id] = blocked
	}
	if b.hit != nil {
		b.hit[id] = hit
	}
}

// looked records the cache lookup a completion of job id reported
// (wire.LookupNone: none): a hit served the job's hit size.
func (b *book) looked(id int64, lookup uint8) {
	if lookup == wire.LookupNone || b.hit == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if id < 0 || int(id) >= len(b.hit) || b.ended[id] {
		return
	}
	b.lookups = append(b.lookups, ledger.Lookup{ID: id, Hit: lookup == wire.LookupHit})
	if lookup == wire.LookupHit {
		b.size[id] = b.hit[id]
	}
}

// frontIn records that job id spent d (model units) at its front end on
// its way in.
func (b *book) frontIn(id int64, d float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.front[id] = d
}

// toFront records that job id completed at its node and its response
// waits at its front end, and returns its placement, if a DoneWatcher
// placed it (as in the simulator, the dispatcher hears of it now), and
// whether the job had not ended yet.
func (b *book) toFront(id int64) (pl placement, placed, open bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if id < 0 || int(id) >= len(b.ended) || b.ended[id] {
		return placement{}, false, false
	}
	b.holder[id] = atFront
	pl, placed = b.placed[id]
	delete(b.placed, id)
	return pl, placed, true
}

// relayed records that job id's response spent d at its front end on its
// way out and left it at model time left.
func (b *book) relayed(id int64, d, left float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if id >= 0 && int(id) < len(b.left) {
		b.front[id] += d
		b.left[id] = left
	}
}

// place records that job id went to node n after lag (model units) behind
// its schedule, redirected there if its picked node could not run it;
// pl is its placement if a DoneWatcher placed it.
func (b *book) place(id int64, n int32, lag float64, redirected bool, pl *placement) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lag.Record(lag)
	if redirected {
		b.redirected++
	}
	b.hold(b.holder[id], -1)
	b.holder[id] = n
	b.hold(n, +1)
	if pl != nil {
		b.placed[id] = *pl
	}
}

// delayed records a submission's dispatch delay (model units).
func (b *book) delayed(d float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.delay.Record(d)
}

// moved records an agent's note that job id moved to node to, its hops-th
// move; an older note than one already seen changes nothing.
func (b *book) moved(id int64, to, hops int32) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if id >= 0 && int(id) < len(b.holder) && hops >= b.hops[id] {
		if !b.ended[id] {
			b.hold(b.holder[id], -1)
			b.hold(to, +1)
		}
		b.holder[id], b.hops[id] = to, hops
	}
}

// bury records that node n was found failed or gone, the first time it is
// called for n, and returns the jobs it held that have not ended.
func (b *book) bury(n int) (lost []int64, first bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dead[n] {
		return nil, false
	}
	b.dead[n] = true
	if b.faults != nil {
		b.faults.detected(n, b.clock.now()-b.offset)
	}
	for id, h := range b.holder {
		if h == int32(n) && !b.ended[id] {
			lost = append(lost, int64(id))
		}
	}
	return lost, true
}

// isDead says whether node n was found failed or gone.
func (b *book) isDead(n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dead[n]
}

// notSent records that job id's submission got no answer.
func (b *book) notSent(id int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.unsent[id] = true
}

// record is the bookkeeping of a job's end; it returns the job's
// placement, if a DoneWatcher placed it and this is its first end.
func (b *book) record(id int64, node int32, startNs, endNs int64, reason string) (placement, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if id < 0 || int(id) >= len(b.ended) || b.ended[id] {
		b.ignored++
		return placement{}, false
	}
	b.ended[id] = true
	b.hold(b.holder[id], -1)
	pl, placed := b.placed[id]
	delete(b.placed, id)
	arrival := b.scheduled[id] - b.offset
	if reason != "" {
		b.failed++
		now := b.clock.now() - b.offset
		b.ends = append(b.ends, ledger.End{T: now, ID: id, Arrival: arrival, Reason: reason})
		if b.faults != nil {
			b.faults.failed(b.holder[id], now)
		}
	} else {
		b.done++
		end := b.clock.model(time.Unix(0, endNs))
		left := end // when it left the system: its response relayed, or its end
		if b.left != nil && b.left[id] > 0 {
			left = b.left[id]
		}
		b.lastEnd = max(b.lastEnd, left)
		ideal := b.size[id] / b.cfg.speed(node)
		service := end - b.clock.model(time.Unix(0, startNs))
		blocked := 0.0
		if b.cfg.Discipline == "ps" {
			service = ideal // under PS, end − start is the whole sojourn, not a service time
		}
		if b.blocked != nil {
			// A server architecture: from its first burst to its end a
			// request computes, shares cores, blocks and waits for a
			// thread; its service and blocked time are its demand, as
			// the simulator counts them (mean_cpu, mean_io).
			service, blocked = ideal, b.blocked[id]
		}
		if node >= 0 && int(node) < len(b.busy) {
			b.busy[node] += service
			b.seen[node] = max(b.seen[node], end)
		}
		e := ledger.End{T: left - b.offset, ID: id, Arrival: arrival, Service: service, Blocked: blocked, Size: b.size[id]}
		if b.front != nil {
			e.Front = b.front[id]
		}
		b.ends = append(b.ends, e)
		if id >= int64(b.cfg.Warmup) {
			b.service[0] += service
			b.service[1] += ideal
		}
	}
	if b.done+b.failed == int64(b.cfg.Jobs) {
		close(b.allDone)
	}
	return pl, placed
}

// ignore counts an end reported for no job in flight.
func (b *book) ignore() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ignored++
}

// copyDone is the bookkeeping of a copy of request id that completed at
// node, its work size served from startNs to endNs (the agent's wall
// clock): it returns its end (model time from the arrivals' origin), its
// service time and its time blocked, as record counts them for a job.
func (b *book) copyDone(id int64, node int32, size float64, startNs, endNs int64) (end, service, blocked float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	end = b.clock.model(time.Unix(0, endNs))
	b.lastEnd = max(b.lastEnd, end)
	ideal := size / b.cfg.speed(node)
	service = end - b.clock.model(time.Unix(0, startNs))
	if b.cfg.Discipline == "ps" {
		service = ideal
	}
	if b.blocked != nil && id >= 0 && int(id) < len(b.blocked) {
		service, blocked = ideal, b.blocked[id]
	}
	if node >= 0 && int(node) < len(b.busy) {
		b.busy[node] += service
		b.seen[node] = max(b.seen[node], end)
	}
	if id >= int64(b.cfg.Warmup) {
		b.service[0] += service
		b.service[1] += ideal
	}
	return end - b.offset, service, blocked
}

// task records that a task of request id completed at (model time from
// the arrivals' origin).
func (b *book) task(id int64, at float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if id >= 0 && int(id) < len(b.scheduled) {
		b.tasks = append(b.tasks, ledger.End{T: at, ID: id, Arrival: b.scheduled[id] - b.offset})
	}
}

// finish records that request id ended at (model time from the arrivals'
// origin): completed, with its service and blocked time and its size, if
// reason is empty, else failed. A request ends once; a second end is
// ignored and counted.
func (b *book) finish(id int64, at, service, blocked, size float64, reason string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if id < 0 || int(id) >= len(b.ended) || b.ended[id] {
		b.ignored++
		return
	}
	b.ended[id] = true
	e := ledger.End{T: at, ID: id, Arrival: b.scheduled[id] - b.offset, Reason: reason}
	if reason != "" {
		b.failed++
		if b.faults != nil {
			b.faults.failed(b.holder[id], at)
		}
	} else {
		b.done++
		e.Service, e.Blocked, e.Size = service, blocked, size
	}
	b.ends = append(b.ends, e)
	if b.done+b.failed == int64(b.cfg.Jobs) {
		close(b.allDone)
	}
}

// close ends the jobs that never ended as failed, with the reason unended
// gives from the node believed to hold the job (-1: none), whether that
// node was found dead and whether its submission got no answer. It
// returns what only the coordinator measures; the ledger adds the rest.
func (b *book) close(unended func(holder int, dead, unsent bool) string) results.Result {
	b.mu.Lock()
	defer b.mu.Unlock()
	for id, e := range b.ended {
		if !e {
			h := int(b.holder[id])
			dead := h >= 0 && h < len(b.dead) && b.dead[h]
			b.ended[id] = true
			b.failed++
			b.ends = append(b.ends, ledger.End{T: math.Inf(1), ID: int64(id), Arrival: b.scheduled[id] - b.offset,
				Reason: unended(h, dead, b.unsent[int64(id)])})
		}
	}
	r := results.Result{SimTime: b.lastEnd}
	if b.service[1] > 0 {
		r.ServiceError = b.service[0]/b.service[1] - 1
	}
	r.ScheduleLagP99 = b.lag.Quantile(0.99)
	if b.delay.Count() > 0 {
		r.DispatchDelay = b.delay.Mean()
	}
	r.RedirectedJobs = b.redirected
	if b.faults != nil {
		b.faults.fill(&r)
	}
	return r
}

// lifeUtilization is the utilisation of node i, an agent whose counters
// are lost (it died), over its life: the service time of the completions
// it reported, over the time from the first arrival to its death (when
// the point killed it) or else to its last completion. Work it did on jobs
// it lost or handed over running is not known, so the figure is low by at
// most that.
func (b *book) lifeUtilization(i int) float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	end := b.seen[i]
	if b.faults != nil {
		if at, ok := b.faults.killedAt[i]; ok {
			end = b.offset + at
		}
	}
	life := end - b.scheduled[0]
	if life <= 0 {
		return 0
	}
	return b.busy[i] / (life * float64(b.cfg.Servers))
}

// span is the time from the first scheduled arrival to the last end (every
// busy moment of the point lies in it), and offset the model time of the
// arrivals' origin.
func (b *book) span() (span, offset float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lastEnd - b.scheduled[0], b.offset
}

// log returns the point's arrivals, ends, tasks' completions and cache
// lookups for the ledger to replay (times from the arrivals' origin), the
// time of the last end, and how many ends were ignored.
func (b *book) log() (l ledger.Log, end float64, ignored int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	arrivals := make([]float64, len(b.scheduled))
	for id, t := range b.scheduled {
		arrivals[id] = t - b.offset
	}
	return ledger.Log{Arrivals: arrivals, Ends: b.ends, Tasks: b.tasks, Lookups: b.lookups}, math.Max(b.lastEnd-b.offset, 0), b.ignored
}

// unapplied marks the faults not applied yet as such: the point ended first.
func (b *book) unapplied() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range b.faults.log {
		if b.faults.log[i].Applied < 0 && b.faults.log[i].Error == "" {
			b.faults.log[i].Error = "not applied: the point ended first"
		}
	}
}

// applied records fault index starting (on) at model time now, or ending,
// with the error of applying it, if any.
func (b *book) applied(index int, on bool, now float64, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := &b.faults.log[index]
	if on {
		e.Applied = now
	}
	if err != nil && e.Error == "" {
		e.Error = err.Error()
	}
}

// kill records that fault index kills node n at model time now.
func (b *book) kill(n, index int, now float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.faults.killedAt[n], b.faults.killedBy[n] = now, index
}

// killed says whether a fault killed node n.
func (b *book) killed(n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.faults.killedAt[n]
	return ok
}

// tally is the point's account at a metrics scrape (metrics.go).
type tally struct {
	completed    int64            // jobs completed
	failed       map[string]int64 // jobs failed, by reason class (a copy)
	placed       int64            // jobs the dispatchers placed
	delay        float64          // mean dispatch delay (model units)
	lag50, lag99 float64          // the schedule lag's quantiles (model units)
}

// tally returns the point's account for a metrics scrape, its ends as
// ends holds them: what the ledger replays into the record's
// jobs_completed and jobs_failed.
func (b *book) tally() tally {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.classes == nil {
		b.classes = map[string]int64{}
	}
	for _, e := range b.ends[b.tallied:] {
		if e.Reason != "" {
			b.classes[reasonClass(e.Reason)]++
		}
	}
	b.tallied = len(b.ends)
	t := tally{completed: b.done, failed: make(map[string]int64, len(b.classes)), placed: b.lag.Count(),
		lag50: b.lag.Quantile(0.5), lag99: b.lag.Quantile(0.99)}
	for k, v := range b.classes {
		t.failed[k] = v
	}
	if b.delay.Count() > 0 {
		t.delay = b.delay.Mean()
	}
	return t
}
