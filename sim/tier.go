package sim

import (
	"math"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/tier"
	"github.com/loadlab/loadlab/workload"
)

// Shared tiers (Config.Tiers, package tier). A request's call phase holds
// its thread at its node (threads.go) while the call travels to the tier
// (Costs.Latency), waits and is served there, and travels back
// (Costs.Latency again); then its next burst follows as after any wait.
// A tier is a node of its own (one line for its servers, FCFS or PS)
// whose job slots are the calls; the node tree holds the tiers after the
// nodes, so a tier's next completion is found as a node's is. The ledger
// hears how many of a tier's servers are busy and how long each call of
// a measured request spent there; the call's whole wait, travel
// included, replaces its size in the request's Phases, so the request's
// blocked time is the wait it had.

// tierSet is the tiers' state.
type tierSet struct {
	ts []tierState
	of [][]int32 // by class, by wait: the tier the wait calls, -1 for I/O; nil for a class that calls none
}

// tierState is one tier.
type tierState struct {
	n      node
	calls  pool      // call slots (calls.jobs) and the tier's servers
	free   []int32   // free call slots
	caller []int32   // by call slot: the job slot of the request that waits for it
	at     []float64 // by call slot: when it reached the tier
}

// newTiers is the tiers of cfg, idle; nil without tiers.
func newTiers(cfg Config) *tierSet {
	if len(cfg.Tiers) == 0 {
		return nil
	}
	s := &tierSet{ts: make([]tierState, len(cfg.Tiers)), of: make([][]int32, len(cfg.Workload.Classes()))}
	for k, t := range cfg.Tiers {
		s.ts[k].n = node{speed: t.Speed, servers: int32(t.Servers), ps: t.Discipline == "ps"}
		s.ts[k].calls.runs = make([]int32, t.Servers)
		if s.ts[k].n.ps {
			s.ts[k].n.more()
		}
	}
	for i := range s.of {
		names := cfg.Workload.Calls(i)
		if names == nil {
			continue
		}
		s.of[i] = make([]int32, len(names))
		for w, name := range names {
			s.of[i][w] = int32(tier.Index(cfg.Tiers, name)) // "" (I/O): -1
		}
	}
	return s
}

// tierOf is the tier that job jb's current phase, a wait, calls: -1 for
// I/O (or no tiers).
func (s *tierSet) tierOf(jb *job) int32 {
	if s == nil || s.of[jb.Class] == nil {
		return -1
	}
	return s.of[jb.Class][jb.phase/2]
}

// call sends the call of request j, whose current phase calls a tier, on
// its way.
func (c *cluster) call(j int32) {
	if l := c.cfg.Costs.Latency; l > 0 {
		c.schedule(event{t: c.now + l, kind: evCall, job: j})
		return
	}
	c.callArrive(j)
}

// callArrive queues the call of request j at its tier.
func (c *cluster) callArrive(j int32) {
	jb := &c.jobs[j]
	k := c.tiers.tierOf(jb)
	t := &c.tiers.ts[k]
	var x int32
	if n := len(t.free); n > 0 {
		x, t.free = t.free[n-1], t.free[:n-1]
	} else {
		t.calls.jobs, t.caller, t.at = append(t.calls.jobs, job{}), append(t.caller, 0), append(t.at, 0)
		x = int32(len(t.calls.jobs) - 1)
	}
	size := jb.Phases[jb.phase]
	t.calls.jobs[x] = job{Job: policy.Job{Job: workload.Job{ID: jb.ID, Size: size}}, left: size}
	t.caller[x], t.at[x] = j, c.now
	t.n.advance(c.now)
	busy := t.n.busyServers()
	t.n.admit(&t.calls, x, c.now)
	c.tierChanged(int(k), busy)
}

// tierChanged tells the ledger and the node tree that tier k changed; it
// had busy servers busy before.
func (c *cluster) tierChanged(k, busy int) {
	t := &c.tiers.ts[k]
	if d := t.n.busyServers() - busy; d != 0 {
		c.m.led.Tier(c.now, k, d)
	}
	c.nh.set(int32(len(c.nodes)+k), t.n.nextCompletion(&t.calls))
}

// tierDone ends the next call that tier k completes and sends its answer
// back to its request.
func (c *cluster) tierDone(k int) {
	t := &c.tiers.ts[k]
	t.n.advance(c.now)
	busy := t.n.busyServers()
	x := t.n.complete(&t.calls, t.n.finishing(&t.calls), c.now)
	c.tierChanged(k, busy)
	j, d := t.caller[x], c.now-t.at[x]
	t.free = append(t.free, x)
	jb := &c.jobs[j]
	c.m.led.TierTime(jb.ID, k, d)
	l := c.cfg.Costs.Latency
	jb.Phases[jb.phase] = d + 2*l // the wait its request had
	if l > 0 {
		c.schedule(event{t: c.now + l, kind: evAnswer, job: j})
		return
	}
	c.callBack(j)
}

// callBack ends the wait of request j, whose call has come back: its
// node goes on with its next burst at once.
func (c *cluster) callBack(j int32) {
	jb := &c.jobs[j]
	id := jb.Origin
	n := &c.nodes[id]
	n.advance(c.now)
	jb.end = c.now
	c.nh.set(int32(id), n.nextCompletion(&c.pool))
}

// calling marks job jb, whose current phase is a wait that calls a tier,
// as waiting for its call: its wait has no end until the call is back.
func calling(jb *job) { jb.end = math.Inf(1) }
