package sim

import (
	"fmt"

	"github.com/loadlab/loadlab/ledger"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/workload"
)

// measure streams a run's statistics. What every backend measures goes to
// a ledger.Ledger, which defines it once (see package ledger); measure
// keeps what only the simulator knows.
type measure struct {
	led    *ledger.Ledger
	counts ledger.Counts // the ledger's counts, kept here on the hot path and handed over at the end

	events, badDecisions int64
	overhead, gossipAge  float64
	gossipReads          int64

	// Work units (Config.Units)
	unitMoves, refused, redirected                           int64
	hits                                                     workload.HitSeries // code lookups at move destinations
	codeBytes, stateBytes, resourceBytes, moveTime, downtime float64

	onIssue func(workload.Job) // Config.OnIssue
}

func (m *measure) init(cfg Config) {
	lc := ledger.Config{Nodes: cfg.Nodes, Servers: []int{cfg.Servers}, Jobs: cfg.Jobs, Warmup: cfg.Warmup, Batches: cfg.Batches, Tiers: cfg.Tiers, Power: cfg.Power}
	if cfg.Front != nil {
		lc.Fronts = cfg.Front.N
	}
	lc.Bin = cfg.FaultBin // series over time: set for faults, server architectures and a load that changes
	m.led = ledger.New(lc)
	m.onIssue = cfg.OnIssue
}

// occupied tells the ledger the state of node id (n) after a change: its
// busy servers (overhead included) and its real jobs. (It takes n, which
// every caller has, so that it is inlined.)
func (c *cluster) occupied(id int32, n *node) {
	c.m.led.Node(c.now, int(id), n.busyServers(), int(n.nReal))
	if c.boardWatch != nil && c.board == nil { // the board is the nodes themselves: post the change
		c.post(id)
	}
	if c.dozing != nil {
		c.idleCheck(id, n)
	}
}

// arrival is called when job j enters the system (a request with tasks:
// its first task).
func (m *measure) arrival(c *cluster, j *workload.Job) {
	m.led.Arrive(c.now, j.ID)
	if m.onIssue != nil {
		m.onIssue(*j)
	}
}

func (c *cluster) result() (results.Result, error) {
	m := &c.m
	if m.badDecisions > 0 {
		return results.Result{}, fmt.Errorf("policy made %d invalid decisions (node out of range or itself)", m.badDecisions)
	}
	r := results.Result{SimTime: c.now, Events: m.events}
	if c.reqs != nil {
		c.reqs.counts(m)
	}
	m.led.Counts = m.counts
	if err := m.led.Fill(&r, c.now); err != nil {
		return results.Result{}, err
	}
	r.CodeBytes, r.StateBytes, r.ResourceBytes = m.codeBytes, m.stateBytes, m.resourceBytes
	r.RefusedMoves, r.RedirectedJobs = m.refused, m.redirected
	if m.unitMoves > 0 {
		r.MeanMigrationTime = m.moveTime / float64(m.unitMoves)
		r.MeanDowntime = m.downtime / float64(m.unitMoves)
	}
	r.CodeHitRate = m.hits.Rate()
	if m.hits.Bin > 0 {
		r.CodeHits, r.CodeHitBin = m.hits.Rates(), m.hits.Bin
	}
	if m.gossipReads > 0 {
		r.GossipAge = m.gossipAge / float64(m.gossipReads)
	}
	if c.faults != nil {
		c.faults.fill(&r)
	}
	return r, nil
}
