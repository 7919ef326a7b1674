package sim

import "github.com/loadlab/loadlab/policy"

// admission is each node's admission policy at work (Config.Admit): a
// node asks its Admitter as a job arrives (node.admits) and as a waiting
// job is about to start (node.startNext); the jobs refused at a start are
// failed once the event that started the next one is done (failShed), so
// that a retry they cause never runs inside a node's own update.
type admission struct {
	reason string    // Config.Admit.Reason(): one reason for both backends
	shed   []shedJob // refused at a start, not yet failed
}

// shedJob is job j, which node at refused as it was about to start.
type shedJob struct {
	j  int32
	at policy.NodeID
}

// admitInit gives every node its own Admitter, unless the policy admits
// every job.
func (c *cluster) admitInit() {
	if c.cfg.Admit.Admits() {
		return
	}
	c.admit = &admission{reason: c.cfg.Admit.Reason()}
	for i := range c.nodes {
		id := policy.NodeID(i)
		c.nodes[i].more().adm = &nodeAdmission{Admitter: c.cfg.Admit.New(), drop: func(j int32) { c.admit.shed = append(c.admit.shed, shedJob{j: j, at: id}) }}
	}
}

// failShed fails the jobs the nodes refused at a start.
func (c *cluster) failShed() {
	a := c.admit
	for k := 0; k < len(a.shed); k++ { // a failure may shed more (a retry's cancelled copies)
		c.failJob(a.shed[k].j, a.reason, a.shed[k].at)
	}
	a.shed = a.shed[:0]
}

// nodeAdmission is a node's admission policy and where the jobs it refuses
// as they are about to start go.
type nodeAdmission struct {
	policy.Admitter
	drop func(j int32)
}

// admits asks n's Admitter whether a real job arriving at now may join
// (n has one): as it arrives, and as it starts at once on a free server.
func (n *node) admits(jobs []job, now float64) bool {
	a := n.x.adm
	if !a.Arrive(now, n.waiting.len(jobs)) {
		return false
	}
	return n.nRun >= n.servers || a.Start(now, 0, 0)
}

// startAdmitted starts the first waiting job that n's Admitter lets start;
// those it refuses leave the node through drop.
func (n *node) startAdmitted(p *pool, now float64) {
	jobs, a := p.jobs, n.x.adm
	for q := n.waiting.len(jobs); q > 0; q-- {
		j := n.waiting.popFront(jobs)
		if !jobs[j].overhead && !a.Start(now, now-jobs[j].since, q-1) {
			n.nReal--
			n.work = max(0, n.work-jobs[j].left*jobs[j].inflation(n.speed))
			a.drop(j)
			continue
		}
		n.start(p, j, now)
		return
	}
}
