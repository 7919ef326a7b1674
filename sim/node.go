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

// deque is a ring buffer of job slots (FCFS waiting line).
type deque struct {
	buf        []int32
	head, size int32
}

func (d *deque) grow() {
	nb := make([]int32, max(8, 2*len(d.buf)))
	for i := 0; i < int(d.size); i++ {
		nb[i] = d.at(i)
	}
	d.buf, d.head = nb, 0
}

func (d *deque) pushBack(x int32) {
	if int(d.size) == len(d.buf) {
		d.grow()
	}
	d.buf[(int(d.head)+int(d.size))%len(d.buf)] = x
	d.size++
}

func (d *deque) pushFront(x int32) {
	if int(d.size) == len(d.buf) {
		d.grow()
	}
	d.head = int32((int(d.head) - 1 + len(d.buf)) % len(d.buf))
	d.buf[d.head] = x
	d.size++
}

func (d *deque) popFront() int32 {
	x := d.buf[d.head]
	d.head = int32((int(d.head) + 1) % len(d.buf))
	d.size--
	return x
}

func (d *deque) at(i int) int32 { return d.buf[(int(d.head)+i)%len(d.buf)] }

// len is the number of elements.
func (d *deque) len() int { return int(d.size) }

// removeAt deletes the i-th element, shifting the later ones forward.
func (d *deque) removeAt(i int) int32 {
	x := d.at(i)
	for k := i; k < int(d.size)-1; k++ {
		d.buf[(int(d.head)+k)%len(d.buf)] = d.at(k + 1)
	}
	d.size--
	return x
}

// node is one simulated machine: c servers, a waiting line (FCFS) or a
// shared processor (PS), and the integrals its policies' view needs.
type node struct {
	// The fields every arrival, start and completion reads come first, in
	// 64 bytes: in a large cluster's array (page-aligned) they share one
	// cache line, and a node touched costs one miss. TestNodeSize keeps
	// the node at 128 bytes.
	speed    float64
	last     float64 // time the integrals were last advanced to
	work     float64 // remaining work of the real jobs, in size units, as of last
	running  []int32 // jobs in service (FCFS: at most servers; PS: all)
	nReal    int32   // real jobs present (waiting or running)
	nRunReal int32   // real jobs in service
	servers  int32
	ps       bool
	held     bool // asleep or waking (sleep.go): jobs wait, none starts
	// A probe's answer (loadTo) reads only this line: whether resume and
	// th, in the second, are needed is told here.
	paused   bool // speed is 0 and resume the speed it had (setSpeed)
	threaded bool // th is set

	waiting deque   // FCFS: jobs not started, in order
	vtime   float64 // PS: virtual time (service each job has received)
	resume  float64 // paused (speed 0): the speed it had, which its loads report; 0 otherwise

	th  *threads       // the server architecture's state (then ps is set: running holds the runnable threads); nil for plain servers
	adm *nodeAdmission // admission (Config.Admit); nil: every job is admitted
}

// busyServers is the number of servers doing something (overhead included).
func (n *node) busyServers() int {
	return min(len(n.running), int(n.servers))
}

// idle reports whether a job sent here now would start at once on a core
// of its own.
func (n *node) idle() bool {
	if n.th != nil {
		return n.nReal < n.servers && n.th.held < n.th.max
	}
	return n.nRunReal < n.servers && n.waiting.size == 0
}

// rates returns the service rate each running job receives and the rate at
// which the real jobs' work goes down.
func (n *node) rates() (each, real float64) {
	r := len(n.running)
	if r == 0 {
		return 0, 0
	}
	each = n.speed
	if n.ps && r > int(n.servers) {
		each = n.speed * float64(n.servers) / float64(r)
		if n.th != nil {
			each *= n.th.arch.Efficiency(r, int(n.servers))
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
		n.vtime += each * dt
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
		l.Running = n.th.held // requests in service: holding a thread
	}
	l.Work = n.work
	l.Servers = int(n.servers)
	l.Speed = n.speed
	if n.paused {
		l.Speed = n.resume // the speed it had, which an agent keeps publishing
	}
}

// nextCompletion is the time the next job in service finishes (+Inf if none).
func (n *node) nextCompletion(jobs []job) float64 {
	next := math.Inf(1)
	if n.ps {
		each, _ := n.rates()
		for _, j := range n.running {
			if t := n.last + (jobs[j].end-n.vtime)/each; t < next {
				next = t
			}
		}
		if n.th != nil {
			next = n.th.nextWait(jobs, next)
		}
		return next
	}
	for _, j := range n.running {
		if jobs[j].end < next {
			next = jobs[j].end
		}
	}
	return next
}

// finishing returns the index in running of the job that completes first.
func (n *node) finishing(jobs []job) int {
	best := 0
	for i := 1; i < len(n.running); i++ {
		if jobs[n.running[i]].end < jobs[n.running[best]].end {
			best = i
		}
	}
	return best
}

// start puts job j into service at time now.
func (n *node) start(jobs []job, j int32, now float64) {
	jb := &jobs[j]
	k := jb.inflation(n.speed) // 1 for plain jobs: x*1 and x/1 are exact
	if n.ps {
		jb.end = n.vtime + jb.left*k
	} else {
		jb.end = now + jb.left*k/n.speed // paused (speed 0): +Inf, left kept (setSpeed)
	}
	n.running = append(n.running, j)
	if !jb.overhead {
		n.nRunReal++
	}
}

// admit adds job j at time now (the node must be advanced): it starts at
// once if a server is free (FCFS) or always (PS); overhead jumps the line.
// It reports whether the node is a server architecture (its threads may
// have changed).
func (n *node) admit(jobs []job, j int32, now float64) (threaded bool) {
	if !jobs[j].overhead {
		n.nReal++
		n.work += jobs[j].left * jobs[j].inflation(n.speed)
	}
	if n.th != nil {
		n.admitThread(jobs, j, now)
		return true
	}
	if !n.held && (n.ps || len(n.running) < int(n.servers)) {
		n.start(jobs, j, now)
		return false
	}
	if jobs[j].overhead {
		n.waiting.pushFront(j)
	} else {
		n.waiting.pushBack(j)
	}
	return false
}

// complete removes the job in service at position i and, under FCFS,
// starts the next waiting one. It returns the finished job.
func (n *node) complete(jobs []job, i int, now float64) int32 {
	j := n.running[i]
	last := len(n.running) - 1
	n.running[i] = n.running[last]
	n.running = n.running[:last]
	if !jobs[j].overhead {
		n.nReal--
		n.nRunReal--
	}
	if !n.ps && n.waiting.len() > 0 {
		if n.adm == nil { // the plain path, inlined
			n.start(jobs, n.waiting.popFront(), now)
		} else {
			n.startNext(jobs, now)
		}
	}
	return j
}

// startHeld starts the jobs held while the node slept or woke (sleep.go):
// as many as servers are free (FCFS), or all (PS).
func (n *node) startHeld(jobs []job, now float64) {
	n.held = false
	for n.waiting.size > 0 && (n.ps || len(n.running) < int(n.servers)) {
		n.start(jobs, n.waiting.popFront(), now)
	}
}

// list appends the real jobs present to out: in service first, then
// waiting in FCFS order (the order of policy.View.Jobs).
func (n *node) list(jobs []job, out []int32) []int32 {
	for _, j := range n.running {
		if !jobs[j].overhead {
			out = append(out, j)
		}
	}
	for i := 0; i < n.waiting.len(); i++ {
		if j := n.waiting.at(i); !jobs[j].overhead {
			out = append(out, j)
		}
	}
	return out
}

// remaining is the work job j (present here) still needs at time now (the
// node must be advanced).
func (n *node) remaining(jobs []job, j int32, now float64) float64 {
	jb := &jobs[j]
	for _, r := range n.running {
		if r != j {
			continue
		}
		if n.ps {
			return max(0, jb.end-n.vtime) / jb.inflation(n.speed)
		}
		if n.speed == 0 {
			return jb.left // paused: the work it had when it stopped or started (setSpeed)
		}
		return max(0, (jb.end-now)*n.speed) / jb.inflation(n.speed)
	}
	return jb.left
}

// isRunning reports whether job j is in service here.
func (n *node) isRunning(j int32) bool {
	for _, r := range n.running {
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
func (n *node) take(jobs []job, j int32, now float64) (running bool) {
	jobs[j].left = n.remaining(jobs, j, now)
	n.nReal--
	n.work = max(0, n.work-jobs[j].left*jobs[j].inflation(n.speed))
	for i, r := range n.running {
		if r == j {
			last := len(n.running) - 1
			n.running[i] = n.running[last]
			n.running = n.running[:last]
			n.nRunReal--
			if !n.ps && n.waiting.len() > 0 {
				if n.adm == nil {
					n.start(jobs, n.waiting.popFront(), now)
				} else {
					n.startNext(jobs, now)
				}
			}
			return true
		}
	}
	for i := 0; i < n.waiting.len(); i++ {
		if n.waiting.at(i) == j {
			n.waiting.removeAt(i)
			return false
		}
	}
	panic(fmt.Sprintf("sim: job slot %d is not at this node", j)) // an internal bug, never a policy's
}
