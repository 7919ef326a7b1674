package sim

import "github.com/loadlab/loadlab/server"

// threads is the state of a node that runs a server architecture
// (Model.Server; package server has the model). The node itself is a
// processor-sharing node whose running jobs are the runnable threads and
// whose waiting line is the requests waiting for a thread; threads adds
// the requests in a wait and the threads they hold.
//
// A request's job slot keeps its place in its phases: phase is the index
// of the current phase in Job.Phases (a plain job has one burst, Size);
// in a burst, left and end are as for any PS job; in a wait, end is the
// model time the wait is over.
type threads struct {
	arch    *server.Arch
	max     int     // most threads held at once (server.Arch.MaxThreads)
	blocked []int32 // requests in a wait
	held    int     // threads held by requests
	told    int     // held as the ledger last heard it
	toldRun int     // threads executing as the ledger last heard it
	tiers   *tierSet
	calling int32 // a request whose wait, begun in the last step, calls a tier (the cluster sends the call); -1: none
}

// burst returns the CPU of phase k of job jb, in size units.
func burst(jb *job, k int16) float64 {
	if jb.Phases == nil {
		return jb.Size
	}
	return jb.Phases[k]
}

// last reports whether phase k is job jb's last.
func last(jb *job, k int16) bool { return int(k) >= len(jb.Phases)-1 }

// admitThread adds request j (the node must be advanced, j counted as
// present): it takes a thread and starts its first burst, or waits for a
// thread. Overhead runs at once, without a thread.
func (n *node) admitThread(p *pool, j int32, now float64) {
	jb, th := &p.jobs[j], n.x.th
	if jb.overhead {
		n.start(p, j, now)
		return
	}
	jb.phase = 0
	jb.left = burst(jb, 0) + th.arch.Create
	if th.held < th.max {
		th.held++
		n.start(p, j, now)
		return
	}
	n.waiting.pushBack(p.jobs, j)
}

// nextWait folds the end of the earliest wait into next.
func (t *threads) nextWait(jobs []job, next float64) float64 {
	for _, j := range t.blocked {
		next = min(next, jobs[j].end)
	}
	return next
}

// release gives back a thread at time now and hands it to the first
// request waiting for one.
func (n *node) release(p *pool, now float64) {
	th := n.x.th
	th.held--
	if !n.waiting.empty() && th.held < th.max {
		th.held++
		n.start(p, n.waiting.popFront(p.jobs), now)
	}
}

// stepThreads carries out node n's next event at time now (the node must
// be advanced): a burst or a wait ends. It returns the job slot of a
// request or overhead that finished, or -1.
func (n *node) stepThreads(p *pool, now float64) int32 {
	t, jobs := n.x.th, p.jobs
	for i, j := range t.blocked {
		if jobs[j].end > now {
			continue
		}
		// The wait is over: the next burst follows, with the cost of the
		// completion event where the call did not block.
		t.blocked[i] = t.blocked[len(t.blocked)-1]
		t.blocked = t.blocked[:len(t.blocked)-1]
		jb := &jobs[j]
		jb.phase++
		jb.left = burst(jb, jb.phase)
		if t.arch.Blocking {
			n.start(p, j, now) // it kept its thread
			return -1
		}
		jb.left += t.arch.Event
		if t.held < t.max {
			t.held++
			n.start(p, j, now)
		} else {
			n.waiting.pushBack(jobs, j)
		}
		return -1
	}
	j := n.stopAt(p, n.finishing(p))
	jb := &jobs[j]
	if jb.overhead {
		return j
	}
	n.nRunReal--
	if last(jb, jb.phase) {
		n.nReal--
		n.release(p, now)
		return j
	}
	jb.phase++
	if t.tiers.tierOf(jb) >= 0 {
		calling(jb)
		t.calling = j
	} else {
		jb.end = now + jb.Phases[jb.phase]
	}
	t.blocked = append(t.blocked, j)
	if !t.arch.Blocking {
		n.release(p, now)
	}
	return -1
}

// newThreads is the thread state of a node running arch, whose requests
// call tiers (nil: none).
func newThreads(arch *server.Arch, tiers *tierSet) *threads {
	if arch == nil {
		return nil
	}
	return &threads{arch: arch, max: arch.MaxThreads(), tiers: tiers, calling: -1}
}

// threadsChanged tells the ledger how many threads node n's requests hold
// now, and how many execute.
func (c *cluster) threadsChanged(n *node) {
	run := n.busyServers()
	th := n.x.th
	if d, e := th.held-th.told, run-th.toldRun; d != 0 || e != 0 {
		c.m.led.Threads(c.now, d, e)
		th.told, th.toldRun = th.held, run
	}
}
