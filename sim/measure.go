package sim

import (
	"fmt"

	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/workload"
)

// measure streams a run's statistics. Time averages (utilisation, TLP,
// number in system) cover the measurement window: from the arrival of the
// first measured job to the arrival of the last job, so neither the empty
// start nor the draining end biases them.
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

	inSystem         int64
	area, areaT      float64 // ∫ jobs in system dt over the window, and the time it was last advanced
	inWindow, closed bool
	winStart, winEnd float64
	busyStart        [][]float64 // per node busy-time integrals at the window's start
	busyEnd          [][]float64
}

func (m *measure) init(cfg Config) {
	m.warmup, m.last = int64(cfg.Warmup), int64(cfg.Jobs-1)
	m.resp = results.NewResponses(int64(cfg.Jobs-cfg.Warmup), cfg.Batches)
}

func (m *measure) advanceArea(now float64) {
	if m.inWindow && !m.closed {
		m.area += float64(m.inSystem) * (now - m.areaT)
		m.areaT = now
	}
}

func snapshotBusy(c *cluster) [][]float64 {
	out := make([][]float64, len(c.nodes))
	for i := range c.nodes {
		c.nodes[i].advance(c.now)
		out[i] = append([]float64(nil), c.nodes[i].busy...)
	}
	return out
}

// arrival is called when job id enters the system.
func (m *measure) arrival(c *cluster, id int64) {
	if id == m.warmup {
		m.inWindow, m.winStart, m.areaT = true, c.now, c.now
		m.busyStart = snapshotBusy(c)
	}
	m.advanceArea(c.now)
	m.inSystem++
	if id == m.last {
		m.winEnd = c.now
		m.busyEnd = snapshotBusy(c)
		m.closed = true
	}
}

// completion is called when a real job finishes on a node of the given speed.
func (m *measure) completion(c *cluster, j *job, speed float64) {
	m.advanceArea(c.now)
	m.inSystem--
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

	if w := m.winEnd - m.winStart; w > 0 {
		r.MeanInSystem = m.area / w
		r.ArrivalRate = float64(m.last-m.warmup) / w
	}
	start, end, span := m.busyStart, m.busyEnd, m.winEnd-m.winStart
	if span <= 0 { // a window of one job: fall back to the whole run
		start, end, span = nil, snapshotBusy(c), c.now
	}
	if span > 0 {
		r.NodeUtilization = make([]float64, len(c.nodes))
		r.NodeTLP = make([]float64, len(c.nodes))
		for i := range c.nodes {
			var busy, c0 float64
			for k, t := range end[i] {
				if start != nil {
					t -= start[i][k]
				}
				frac := t / span
				busy += float64(k) * frac
				if k == 0 {
					c0 = frac
				}
			}
			r.NodeUtilization[i] = busy / float64(c.cfg.Servers)
			if c0 < 1 {
				r.NodeTLP[i] = busy / (1 - c0)
			}
			r.Utilization += r.NodeUtilization[i] / float64(len(c.nodes))
			r.TLP += r.NodeTLP[i] / float64(len(c.nodes))
		}
	}
	return r, nil
}
