package sim

import (
	"fmt"

	"github.com/loadlab/loadlab/occupancy"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/workload"
)

// measure streams a run's statistics. Time averages (utilisation, TLP,
// number in system, wait while idle) come from an occupancy.Ledger, over
// its window: from the arrival of the first measured job to the arrival of
// the last job, so neither the empty start nor the draining end biases
// them.
type measure struct {
	warmup, last int64 // IDs of the first measured job and of the last job

	resp *results.Responses

	probes, migrations, messages, events, badDecisions int64
	preemptions                                        int64
	bytes, overhead, gossipAge                         float64
	gossipReads                                        int64

	// Work units (Config.Units)
	unitMoves, refused, redirected                           int64
	hits                                                     workload.HitSeries // code lookups at move destinations
	codeBytes, stateBytes, resourceBytes, moveTime, downtime float64

	occ      *occupancy.Ledger
	winStart float64 // arrival of the first measured job: throughput counts from here
}

func (m *measure) init(cfg Config) {
	m.warmup, m.last = int64(cfg.Warmup), int64(cfg.Jobs-1)
	m.resp = results.NewResponses(int64(cfg.Jobs-cfg.Warmup), cfg.Batches)
	servers := make([]int, cfg.Nodes)
	for i := range servers {
		servers[i] = cfg.Servers
	}
	m.occ = occupancy.New(servers, cfg.Jobs, cfg.Warmup)
}

// occupied tells the ledger node id's state after a change: its busy
// servers (overhead included) and its real jobs.
func (c *cluster) occupied(id int32) {
	n := &c.nodes[id]
	c.m.occ.Node(c.now, int(id), n.busyServers(), n.nReal)
}

// arrival is called when job id enters the system.
func (m *measure) arrival(c *cluster, id int64) {
	if id == m.warmup {
		m.winStart = c.now
	}
	m.occ.Arrive(c.now, id)
}

// completion is called when a real job finishes on a node of the given speed.
func (m *measure) completion(c *cluster, j *job, speed float64) {
	m.occ.Depart(c.now)
	if c.faults != nil {
		c.faults.completed(j.Arrival, c.now-j.Arrival)
	}
	if j.ID < m.warmup {
		return
	}
	m.resp.Add(c.now-j.Arrival, j.Size/speed, j.Size)
}

func (c *cluster) result() (results.Result, error) {
	m := &c.m
	if m.badDecisions > 0 {
		return results.Result{}, fmt.Errorf("policy made %d invalid decisions (node out of range or itself)", m.badDecisions)
	}
	issued := c.issued
	if issued != c.done+c.failed {
		return results.Result{}, fmt.Errorf("conservation check failed: %d jobs issued, %d completed, %d failed", issued, c.done, c.failed)
	}
	r := results.Result{
		JobsIssued: issued, JobsCompleted: c.done, JobsFailed: c.failed,
		Migrations: m.migrations, Preemptions: m.preemptions, Probes: m.probes, Messages: m.messages, BytesMoved: m.bytes,
		SimTime: c.now, Events: m.events,
	}
	if err := m.resp.Fill(&r); err != nil {
		return results.Result{}, err
	}
	if span := c.now - m.winStart; span > 0 {
		r.Throughput = float64(r.JobsMeasured) / span
	}
	r.MigrationsPerJob = float64(m.migrations) / float64(issued)
	r.ProbesPerJob = float64(m.probes) / float64(issued)
	r.BytesPerJob = m.bytes / float64(issued)
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

	st := m.occ.Stats(c.now)
	r.ArrivalRate = st.ArrivalRate
	r.Utilization, r.NodeUtilization = st.Utilization, st.NodeUtilization
	r.TLP, r.NodeTLP = st.TLP, st.NodeTLP
	r.MeanInSystem, r.WaitWhileIdle = st.MeanInSystem, st.WaitWhileIdle
	return r, nil
}
