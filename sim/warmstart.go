package sim

import (
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/workload"
)

// initialID marks the jobs a warm start puts on the nodes: no generator
// issued them, so they have no ID of the run's; their completions count
// in the jobs in system only (ledger.Resident).
const initialID = -2

// warmStart fills the nodes as Config.WarmStart says (scenario.WarmStart):
// node i holds k jobs drawn from the tail with the stream "warm-start",
// each of a class drawn by the workload's weights and a size from its
// class, in service or waiting as an arrival at time 0 would be.
func (c *cluster) warmStart() error {
	cfg := c.cfg
	for _, x := range []struct {
		on   bool
		what string
	}{
		{!c.plain, "requests (tasks, clients or late binding)"}, {c.users != nil, "closed users"},
		{cfg.Units != nil, "work units"}, {cfg.Power.Sleeps(), "sleep states"},
		{cfg.Cache != nil, "caches"}, {cfg.State != nil, "client state"}, {cfg.Workload.Phased(), "jobs with phases"},
	} {
		if x.on {
			return scenario.Errorf("warm_start", "not with %s: the jobs a node starts with are plain jobs; start empty or leave out %s", x.what, x.what)
		}
	}
	sizes, cum := cfg.Workload.ClassSizes(), workload.Cumulative(cfg.Workload.ClassWeights())
	if len(sizes) == 0 {
		return scenario.Errorf("warm_start", "the workload has no size distribution to draw the starting jobs' sizes from (a trace's sizes are its own): start empty")
	}
	tail := cfg.WarmStart.Tail(cfg.Load)
	rng := workload.Stream(cfg.Seed, "warm-start")
	total := 0
	for i := range c.nodes {
		k := scenario.Jobs(tail, rng.Float64())
		if k == 0 {
			continue
		}
		n := &c.nodes[i]
		for range k {
			class := workload.Pick(cum, rng.Float64())
			size := sizes[class].Rand(rng)
			j := c.newJob()
			c.jobs[j] = job{Job: policy.Job{Job: workload.Job{ID: initialID, Size: size, Class: int32(class)}}, left: size}
			n.admit(&c.pool, j, 0)
		}
		total += k
		c.occupied(int32(i), n)
		c.nh.set(int32(i), n.nextCompletion(&c.pool))
	}
	c.m.led.Resident(0, total)
	if c.board != nil {
		c.publish() // the board shows the nodes as they start
	}
	return nil
}
