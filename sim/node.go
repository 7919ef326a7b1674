package sim

import (
	"fmt"
	"math"

	"github.com/loadlab/loadlab/policy"
)

// job is a slot in the simulator's job pool.
type job struct {
	policy.Job
	left      float64       // work still to do, in size units, as of when it last stopped or started
	since     float64       // time it joined its current node
	end       float64       // FCFS: completion time while in service; PS: finish tag in virtual time
	overhead  bool          // a pseudo-job that stands for CPU spent on probes or transfers
	migrating bool          // pre-copy live rounds under way (Config.Units): it stays here, running, until they end
	reserve   bool          // a reservation of late binding (latebind.go): it queues as a job and stands for a task to come
	passed    bool          // held by a fault on its way (gate.go) and let through when it reaches its node
	sender    policy.NodeID // the node that last transferred it (Faults: where a transfer to a dead node returns)
	phase     int16         // server architectures: the index of its current phase in Phases (see threads; workload.MaxCalls keeps it in range)
	next      int32         // waiting: the next job slot in its node's line, plus one (0: the last)

	u *unitState // work units (Config.Units) only; nil otherwise, and for a unit that runs as a plain job would
}

// unitState is what a work unit adds to a job (Config.Units). It stays out
// of the job, which every arrival zeroes.
type unitState struct {
	factor   float64 // speed factor of its kernel on this node's platform (interpreter tier < 1); 0 means 1
	remote   float64 // time per unit of progress spent in remote accesses (global references)
	downtime float64 // with migrating: the final stop-and-copy that follows the rounds
	toRemote float64 // with migrating: remote once it has moved
	home     float64 // time per unit of progress reaching its resources that have a home, from this node (place.go)
}

// unit returns the job's unit state, made on first use.
func (jb *job) unit() *unitState {
	if jb.u == nil {
		jb.u = &unitState{}
	}
	return jb.u
}

// inflation is how many units of the node's work one unit of the job's
// size takes at a node of the given speed: 1 for a plain job; 1/factor +
// speed·remote for a unit on an interpreter tier or using resources by
// global reference (at speed s a unit of progress takes 1/(s·factor) +
// remote, as workload.ResourcePlan documents).
func (jb *job) inflation(speed float64) float64 {
	u := jb.u
	if u == nil || (u.factor == 0 && u.remote == 0 && u.home == 0) {
		return 1
	}
	f := u.factor
	if f == 0 {
		f = 1
	}
	return 1/f + speed*(u.remote+u.home)
}

// line is an FCFS waiting line, kept as a list through the job slots
// (job.next), so that a node holds no buffer of its own. head and tail are
// a slot plus one; 0 when the line is empty.
type line struct{ head, tail int32 }

func (q *line) empty() bool { return q.head == 0 }

func (q *line) pushBack(jobs []job, j int32) {
	jobs[j].next = 0
	if q.tail == 0 {
		q.head = j + 1
	} else {
		jobs[q.tail-1].next = j + 1
	}
	q.tail = j + 1
}

func (q *line) pushFront(jobs []job, j int32) {
	jobs[j].next = q.head
	q.head = j + 1
	if q.tail == 0 {
		q.tail = j + 1
	}
}

func (q *line) popFront(jobs []job) int32 {
	j := q.head - 1
	q.head = jobs[j].next
	if q.head == 0 {
		q.tail = 0
	}
	return j
}

// len is the number of jobs in the line (a walk along it).
func (q *line) len(jobs []job) int {
	k := 0
	for s := q.head; s != 0; s = jobs[s-1].next {
		k++
	}
	return k
}

// appendTo appends the line's jobs to out, in order.
func (q *line) appendTo(jobs []job, out []int32) []int32 {
	for s := q.head; s != 0; s = jobs[s-1].next {
		out = append(out, s-1)
	}
	return out
}

// has reports whether job j is in the line.
func (q *line) has(jobs []job, j int32) bool {
	for s := q.head; s != 0; s = jobs[s-1].next {
		if s-1 == j {
			return true
		}
	}
	return false
}

// remove takes job j out of the line and reports whether it was there.
func (q *line) remove(jobs []job, j int32) bool {
	prev := int32(0)
	for s := q.head; s != 0; prev, s = s, jobs[s-1].next {
		if s-1 != j {
			continue
		}
		if prev == 0 {
			q.head = jobs[j].next
		} else {
			jobs[prev-1].next = jobs[j].next
		}
		if q.tail == j+1 {
			q.tail = prev
		}
		return true
	}
	return false
}

// pool is where the nodes keep their jobs: the job slots, and the FCFS
// nodes' servers, Servers slots a node in one block (an FCFS node of one
// server keeps its job in service in itself, a PS node its running jobs in
// a list of its own, which grows).
type pool struct {
	jobs []job
	runs []int32
}

// node is one simulated machine: c servers, a waiting line (FCFS) or a
// shared processor (PS), and the integrals its policies' view needs.
type node struct {
	// Every arrival, start and completion reads only these 64 bytes: in a
	// large cluster's array (page-aligned) a node is one cache line, and a
	// node touched costs one miss. TestNodeSize keeps it at 64 bytes; what
	// only some models use is in extra.
	speed    float64
	last     float64  // time the integrals were last advanced to
	work     float64  // remaining work of the real jobs, in size units, as of last
	run      [1]int32 // FCFS: one server: the job in service (nRun 1); more: where its servers' slots start in pool.runs
	nRun     int32    // jobs in service (FCFS: at most servers; PS: all)
	nReal    int32    // real jobs present (waiting or running)
	nRunReal int32    // real jobs in service
	servers  int32
	waiting  line // FCFS: jobs not started, in order
	ps       bool
	held     bool // asleep or waking (sleep.go): jobs wait, none starts
	paused   bool // speed is 0 and extra.resume the speed it had (setSpeed)
	threaded bool // extra.th is set
	x        *extra
}

// extra is the part of a node that only some models use: PS, server
// architectures, admission and pauses. A node of plain FCFS servers that
// never pauses has none.
type extra struct {
	running []int32 // PS: the jobs in service
	vtime   float64 // PS: virtual time (service each job has received)
	resume  float64 // paused (speed 0): the speed it had, which its loads report; 0 otherwise

	th  *threads       // the server architecture's state (then ps is set: running holds the runnable threads); nil for plain servers
	adm *nodeAdmission // admission (Config.Admit); nil: every job is admitted
}

// more returns the node's extra part, made on first use.
func (n *node) more() *extra {
	if n.x == nil {
		n.x = &extra{}
	}
	return n.x
}

// admission is the node's admission policy, nil if it admits every job.
func (n *node) admission() *nodeAdmission {
	if n.x == nil {
		return nil
	}
	return n.x.adm
}

// inService returns the jobs in service.
func (n *node) inService(p *pool) []int32 {
	switch {
	case n.ps:
		return n.x.running
	case n.servers == 1:
		return n.run[:n.nRun]
	}
	return p.runs[n.run[0] : n.run[0]+n.nRun]
}

// stopAt removes the job at position i of inService and returns it.
func (n *node) stopAt(p *pool, i int) int32 {
	r := n.inService(p)
	j, last := r[i], len(r)-1
	r[i] = r[last]
	if n.ps {
		n.x.running = r[:last]
	}
	n.nRun--
	return j
}

// busyServers is the number of servers doing something (overhead included).
func (n *node) busyServers() int {
	return int(min(n.nRun, n.servers))
}

// idle reports whether a job sent here now would start at once on a core
// of its own.
func (n *node) idle() bool {
	if n.threaded {
		return n.nReal < n.servers && n.x.th.held < n.x.th.max
	}
	return n.nRunReal < n.servers && n.waiting.empty()
}

// rates returns the service rate each running job receives and the rate at
// which the real jobs' work goes down.
func (n *node) rates() (each, real float64) {
	r := n.nRun
	if r == 0 {
		return 0, 0
	}
	each = n.speed
	if n.ps && r > n.servers {
		each = n.speed * float64(n.servers) / float64(r)
		if n.threaded {
			each *= n.x.th.arch.Efficiency(int(r), int(n.servers))
		}
	}
	return each, each * float64(n.nRunReal)
}

// advance brings the integrals up to time now.
func (n *node) advance(now float64) {
	dt := now - n.last
	if dt <= 0 {
		return
	}
	each, real := n.rates()
	n.work -= real * dt
	if n.work < 0 || n.nReal == 0 {
		n.work = 0
	}
	if n.ps {
		n.x.vtime += each * dt
	}
	n.last = now
}

// load reports the node's state at time now (the node must be advanced).
func (n *node) load() policy.Load {
	var l policy.Load
	n.loadTo(&l)
	return l
}

// loadTo writes load's answer into l, field by field. Where a probe's
// answer goes straight into its slot this spares a copy through the stack:
// a Load (five fields) is not kept in registers, and copying a just-built
// one 16 bytes at a time waits on the 8-byte stores that built it (a tenth
// of pod(d=2)'s time on 100 nodes, docs/BENCHMARKS.md).
func (n *node) loadTo(l *policy.Load) {
	l.Queue = int(n.nReal)
	l.Running = int(n.nRunReal)
	if n.threaded {
		l.Running = n.x.th.held // requests in service: holding a thread
	}
	l.Work = n.work
	l.Servers = int(n.servers)
	l.Speed = n.speed
	if n.paused {
		l.Speed = n.x.resume // the speed it had, which an agent keeps publishing
	}
}

// nextCompletion is the time the next job in service finishes (+Inf if none).
func (n *node) nextCompletion(p *pool) float64 {
	next := math.Inf(1)
	jobs := p.jobs
	if n.ps {
		each, _ := n.rates()
		for _, j := range n.x.running {
			if t := n.last + (jobs[j].end-n.x.vtime)/each; t < next {
				next = t
			}
		}
		if n.threaded {
			next = n.x.th.nextWait(jobs, next)
		}
		return next
	}
	for _, j := range n.inService(p) {
		if jobs[j].end < next {
			next = jobs[j].end
		}
	}
	return next
}

// finishing returns the index in inService of the job that completes first.
func (n *node) finishing(p *pool) int {
	r, jobs := n.inService(p), p.jobs
	best := 0
	for i := 1; i < len(r); i++ {
		if jobs[r[i]].end < jobs[r[best]].end {
			best = i
		}
	}
	return best
}

// start puts job j into service at time now.
func (n *node) start(p *pool, j int32, now float64) {
	jb := &p.jobs[j]
	k := jb.inflation(n.speed) // 1 for plain jobs: x*1 and x/1 are exact
	if n.ps {
		jb.end = n.x.vtime + jb.left*k
		n.x.running = append(n.x.running, j)
	} else {
		jb.end = now + jb.left*k/n.speed // paused (speed 0): +Inf, left kept (setSpeed)
		if n.servers == 1 {
			n.run[0] = j
		} else {
			p.runs[n.run[0]+n.nRun] = j
		}
	}
	n.nRun++
	if !jb.overhead {
		n.nRunReal++
	}
}

// admit adds job j at time now (the node must be advanced): it starts at
// once if a server is free (FCFS) or always (PS); overhead jumps the line.
// It reports whether the node is a server architecture (its threads may
// have changed).
func (n *node) admit(p *pool, j int32, now float64) (threaded bool) {
	jobs := p.jobs
	if !jobs[j].overhead {
		n.nReal++
		n.work += jobs[j].left * jobs[j].inflation(n.speed)
	}
	if n.threaded {
		n.admitThread(p, j, now)
		return true
	}
	if !n.held && (n.ps || n.nRun < n.servers) {
		n.start(p, j, now)
		return false
	}
	if jobs[j].overhead {
		n.waiting.pushFront(jobs, j)
	} else {
		n.waiting.pushBack(jobs, j)
	}
	return false
}

// complete removes the job in service at position i and, under FCFS,
// starts the next waiting one. It returns the finished job.
func (n *node) complete(p *pool, i int, now float64) int32 {
	j := n.stopAt(p, i)
	if !p.jobs[j].overhead {
		n.nReal--
		n.nRunReal--
	}
	if !n.ps && !n.waiting.empty() {
		n.startNext(p, now)
	}
	return j
}

// startNext starts the first waiting job (FCFS), or the first its
// admission policy lets start.
func (n *node) startNext(p *pool, now float64) {
	if n.admission() == nil { // the plain path, inlined
		n.start(p, n.waiting.popFront(p.jobs), now)
		return
	}
	n.startAdmitted(p, now)
}

// startHeld starts the jobs held while the node slept or woke (sleep.go):
// as many as servers are free (FCFS), or all (PS).
func (n *node) startHeld(p *pool, now float64) {
	n.held = false
	for !n.waiting.empty() && (n.ps || n.nRun < n.servers) {
		n.start(p, n.waiting.popFront(p.jobs), now)
	}
}

// list appends the real jobs present to out: in service first, then
// waiting in FCFS order (the order of policy.View.Jobs).
func (n *node) list(p *pool, out []int32) []int32 {
	jobs := p.jobs
	for _, j := range n.inService(p) {
		if !jobs[j].overhead {
			out = append(out, j)
		}
	}
	for s := n.waiting.head; s != 0; s = jobs[s-1].next {
		if !jobs[s-1].overhead {
			out = append(out, s-1)
		}
	}
	return out
}

// remaining is the work job j (present here) still needs at time now (the
// node must be advanced).
func (n *node) remaining(p *pool, j int32, now float64) float64 {
	jb := &p.jobs[j]
	if !n.isRunning(p, j) {
		return jb.left
	}
	if n.ps {
		return max(0, jb.end-n.x.vtime) / jb.inflation(n.speed)
	}
	if n.speed == 0 {
		return jb.left // paused: the work it had when it stopped or started (setSpeed)
	}
	return max(0, (jb.end-now)*n.speed) / jb.inflation(n.speed)
}

// isRunning reports whether job j is in service here.
func (n *node) isRunning(p *pool, j int32) bool {
	for _, r := range n.inService(p) {
		if r == j {
			return true
		}
	}
	return false
}

// take removes real job j from the node at time now (the node must be
// advanced), running or waiting, and records its remaining work in left.
// A running job stops where it is (strong mobility); under FCFS the next
// waiting job takes its server.
func (n *node) take(p *pool, j int32, now float64) (running bool) {
	jobs := p.jobs
	jobs[j].left = n.remaining(p, j, now)
	n.nReal--
	n.work = max(0, n.work-jobs[j].left*jobs[j].inflation(n.speed))
	for i, r := range n.inService(p) {
		if r == j {
			n.stopAt(p, i)
			n.nRunReal--
			if !n.ps && !n.waiting.empty() {
				n.startNext(p, now)
			}
			return true
		}
	}
	if n.waiting.remove(jobs, j) {
		return false
	}
	panic(fmt.Sprintf("sim: job slot %d is not at this node", j)) // an internal bug, never a policy's
}
