package sim

import (
	"fmt"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/workload"
)

// Migrations of work units (Config.Units), by the code-migration model of
// Fuggetta, Picco & Vigna, "Understanding code mobility", IEEE TSE 24(5),
// 1998, with the cost of each move from workload.Units.Migrate over a link
// of Costs.Bandwidth and Costs.Latency (Costs.JobBytes is not used):
//
//   - What moves: a job with no progress moves weakly; one with progress
//     (running, or waiting after an earlier strong move) moves strongly by
//     the configured method when the paradigm moves state, else weakly and
//     restarts from the beginning at the destination (Cost.Redo).
//   - When it arrives: stop-and-copy and weak moves after Cost.Total;
//     pre-copy leaves the unit where it is, running, for the live rounds
//     (Total − Downtime), then stops it and delivers it Downtime later;
//     post-copy delivers it after Cost.Delay: the downtime plus the
//     progress lost while its state is pulled at 1/Slowdown of its speed,
//     counted as if it stood still (exact with Slowdown 1, the default).
//     Pre-copy bytes are those of the state at the decision: what the
//     unit's state grows during the rounds is not sent.
//   - Shared links (Costs.Links, link.go): a move waits its turn on the
//     link; a unit moving with its state keeps running meanwhile (a
//     pre-copy's live rounds start when the link is free; a stop-and-copy
//     or post-copy stops then), any other waits stopped, which adds to
//     its downtime. Its bytes are those of its state at the decision.
//   - A pre-copy whose unit finishes during the live rounds, or a strong
//     move whose unit finishes while it waits for a shared link, is
//     abandoned (its bytes and its link time stay counted); a unit whose
//     move is under way so cannot be moved again meanwhile (a refused move).
//   - Code: each node has a code cache (Paradigm.NewCache). A dispatch
//     brings the unit's code to its node (the client submits it); a move
//     pushes the code (Insert) or, for code on demand, the destination
//     looks it up (Get), fetching it on a miss. Migration.HasCode is the
//     destination's Has before the move.
//   - Refusals: a move the paradigm refuses (ErrNoCode, ErrHopLimit) or
//     whose destination's platform cannot run the unit is not carried out:
//     the unit stays and Result.RefusedMoves counts it.
//   - Resources: a unit reached by global reference pays RemoteTime per
//     unit of progress at its new node (see job.inflation); each move
//     replans its resources from the unit's own segment, wherever it is.
//   - Platforms: a unit runs at its node's speed times
//     Platforms.Speed(code, platform); a dispatch to a node that cannot
//     run it goes to the next node, in index order, that can
//     (Result.RedirectedJobs).
//
// CPU costs (TransferCPU, PreemptCPU, ReceiveCPU) apply as without units.

// unitsInit sets up the code caches and checks that Units fits the
// workload and that every class can run on some node.
func (c *cluster) unitsInit() error {
	u := c.cfg.Units
	c.link = workload.Link{Bandwidth: c.cfg.Costs.Bandwidth, Latency: c.cfg.Costs.Latency}
	c.m.hits.Bin = c.cfg.HitBin
	c.caches = make([]*workload.CodeCache, len(c.nodes))
	for i := range c.caches {
		c.caches[i] = u.Paradigm().NewCache()
	}
	classes := c.cfg.Workload.Classes()
	for k, name := range classes {
		if _, _, err := u.Migrate(workload.Migration{Class: int32(k), HasCode: true}); err != nil {
			return fmt.Errorf("units: not resolved for the workload's classes (%d): %w", len(classes), err)
		}
		runs := false
		for i := range c.nodes {
			runs = runs || c.canRun(policy.NodeID(i), int32(k))
		}
		if !runs {
			return fmt.Errorf("platforms: no node can run class %s (kernel %s)", name, u.Unit(int32(k)).Code.Key())
		}
	}
	return nil
}

// canRun reports whether node id's platform runs units of class.
func (c *cluster) canRun(id policy.NodeID, class int32) bool {
	return c.cfg.Units.CanRun(class, int(id), c.cfg.Platforms)
}

// placed is called when the dispatcher has picked target for job j: it
// redirects a job the target cannot run and brings the job's code there.
func (c *cluster) placed(target policy.NodeID, j int32) policy.NodeID {
	class := c.jobs[j].Class
	n, redirected := c.cfg.Units.Place(class, int(target), c.cfg.Platforms)
	if redirected {
		c.m.redirected++
	}
	target = policy.NodeID(n)
	c.caches[target].Insert(c.cfg.Units.Unit(class).Code)
	return target
}

// settle sets the platform speed factor of job j, about to join node id.
func (c *cluster) settle(id policy.NodeID, j int32) {
	jb := &c.jobs[j]
	if jb.overhead {
		return
	}
	platform := ""
	if c.cfg.Platforms != nil {
		platform = c.cfg.Platforms[id]
	}
	f, _ := c.cfg.Units.Platforms().Speed(c.cfg.Units.Unit(jb.Class).Code, platform)
	if f == 1 {
		f = 0
	}
	if f != 0 || jb.u != nil {
		jb.unit().factor = f
	}
}

// moveUnit carries out the move of job j from node from to node to after
// delay (the decision's probe rounds), or refuses it. present says the
// job is at node from (queued or running); otherwise it has just arrived
// there and is not queued yet. It reports whether the move was carried
// out (begun, for pre-copy).
func (c *cluster) moveUnit(from, to policy.NodeID, j int32, delay float64, present bool) bool {
	jb := &c.jobs[j]
	if jb.migrating || !c.canRun(to, jb.Class) || c.isOut(to) {
		c.m.refused++
		return false
	}
	n := &c.nodes[from]
	running, progress := false, jb.Size-jb.left
	if present {
		n.advance(c.now)
		running = n.isRunning(&c.pool, j)
		progress = jb.Size - n.remaining(&c.pool, j, c.now)
	}
	u := c.units()
	code := u.Unit(jb.Class).Code
	has := c.caches[to].Has(code.Key())
	cost, plan, err := u.Migrate(workload.Migration{Class: jb.Class, Progress: progress, Hops: int(jb.Hops), HasCode: has, Link: c.linkOf(from, to)})
	if err != nil { // ErrNoCode or ErrHopLimit: the class was checked at the start
		c.m.refused++
		return false
	}

	c.m.counts.Migrations++
	c.m.unitMoves++
	c.m.counts.Bytes += cost.Bytes
	c.m.codeBytes += cost.CodeBytes
	c.m.stateBytes += cost.StateBytes
	c.m.resourceBytes += cost.ResourceBytes
	live := cost.Total - cost.Downtime
	precopy := cost.Method == workload.PreCopy && present && live > 0
	wait := c.linkWait(from, to, c.now+delay, c.link.Transmit(cost.Bytes)) // 0 unless links are shared
	// A unit moving with its state runs on while it waits for the link;
	// one that moves weakly, or has not started, waits stopped.
	stays := precopy || wait > 0 && present && progress > 0 && cost.Redo == 0
	down := cost.Downtime
	if !stays {
		down += wait
	}
	c.moved = moved{bytes: cost.Bytes, downtime: down, takes: delay + wait + cost.Total}
	c.m.moveTime += cost.Total
	c.m.downtime += down
	c.m.hits.Add(c.now, has)
	switch u.Paradigm().Code {
	case workload.CodePull:
		c.caches[to].Get(code)
	case workload.CodePush:
		c.caches[to].Insert(code)
	}
	if running {
		c.m.counts.Preemptions++
	}
	if stays {
		lead := wait
		if precopy {
			lead += live
		}
		jb.migrating = true
		jb.unit().downtime, jb.u.toRemote = cost.Delay, plan.RemoteTime
		c.schedule(event{t: c.now + delay + lead, kind: evStop, node: int32(from), from: int32(to), job: j, msg: policy.Message{Value: float64(jb.ID)}})
		c.charge(from, running)
		return true
	}
	if present {
		n.take(&c.pool, j, c.now)
		c.occupied(int32(from), n)
		c.nh.set(int32(from), n.nextCompletion(&c.pool))
	}
	c.charge(from, running) // may move c.jobs
	if cost.Redo > 0 {
		c.jobs[j].left = c.jobs[j].Size // weak: it starts again
	}
	c.send(to, j, delay+wait+cost.Delay-cost.Redo, plan.RemoteTime)
	return true
}

// moved is what the last move carried out cost, for an evacuation's record.
type moved struct {
	bytes    float64 // everything sent
	downtime float64 // how long the unit makes no progress, its wait for a shared link included
	takes    float64 // from the decision until it runs at its destination with all its state
}

// units returns the units as moves use them: the evacuation under way's
// method, else the configured mobility.
func (c *cluster) units() *workload.Units {
	if c.moving != nil {
		return c.moving
	}
	return c.cfg.Units
}

// charge makes node from pay the CPU of sending a job, as without units:
// TransferCPU, plus PreemptCPU when the job was running.
func (c *cluster) charge(from policy.NodeID, running bool) {
	cpu := c.cfg.Costs.TransferCPU
	if running {
		cpu += c.cfg.Costs.PreemptCPU
	}
	if cpu > 0 {
		c.addOverhead(from, cpu)
	}
}

// send delivers job j, taken from its node, to node to after delay.
func (c *cluster) send(to policy.NodeID, j int32, delay, remote float64) {
	jb := &c.jobs[j]
	jb.Hops++
	if remote != 0 || jb.u != nil {
		jb.unit().remote, jb.u.factor = remote, 0
	}
	if delay <= 0 {
		c.deliver(to, j)
		return
	}
	c.schedule(event{t: c.now + delay, kind: evDeliver, node: int32(to), job: j})
}

// stop ends the live rounds of a pre-copy, or a strong move's wait for a
// shared link: the unit stops at node from and reaches node to after the
// final stop-and-copy (the move's delay). A unit that finished meanwhile
// is left alone.
func (c *cluster) stop(from, to policy.NodeID, j int32, id int64) {
	jb := &c.jobs[j]
	if !jb.migrating || jb.ID != id || jb.overhead {
		return
	}
	jb.migrating = false
	n := &c.nodes[from]
	n.advance(c.now)
	n.take(&c.pool, j, c.now)
	c.occupied(int32(from), n)
	c.nh.set(int32(from), n.nextCompletion(&c.pool))
	c.changed(from)
	c.send(to, j, jb.u.downtime, jb.u.toRemote)
}
