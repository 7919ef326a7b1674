package sim

import (
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/workload"
)

// Place (scenario.Model.Topology, package topology): nodes belong to
// sites, and clients to regions. A job reaches the node it is dispatched
// to after the one-way latency from its client region to the node's site
// (instead of Distances); a migration, of a job or of a work unit, crosses
// the path between its two nodes' sites, at that path's latency and
// bandwidth (instead of Costs.Latency and Costs.Bandwidth). Probes and
// policy messages keep Costs.Latency. The way back from the node to the
// client is not counted, as with Distances: a response time is the
// request's way there, its wait and its service.
//
// A work unit's resource with a home (workload.Resource.Home) stays at
// its home node: a unit elsewhere reaches it by global reference and pays,
// per use, a round trip on the path between its node's site and the
// home's, plus UseBytes over that path's bandwidth; at the home it pays
// nothing (atHome).

// placeInit sets up the sites of the nodes and the delay from each client
// region to each node.
func (c *cluster) placeInit() {
	c.link = workload.Link{Bandwidth: c.cfg.Costs.Bandwidth, Latency: c.cfg.Costs.Latency}
	if c.cfg.Units != nil {
		c.homed, _ = c.cfg.Units.Homes()
	}
	if t := c.cfg.Topology; t != nil {
		c.layout, _ = t.Lay(len(c.nodes)) // checked by Validate
		c.sites, c.reach = c.layout.Sites, c.layout.Reach
	}
}

// linkOf is the path of a migration from node from to node to: the
// topology's path between their sites, or the cost model's link.
func (c *cluster) linkOf(from, to policy.NodeID) workload.Link {
	if c.layout == nil {
		return c.link
	}
	lat, bw := c.layout.Path(int(from), int(to))
	return workload.Link{Latency: lat, Bandwidth: bw}
}

// far is the one-way delay of job j to node target as dispatched: from
// its client region with a topology, else the dispatcher's distance.
func (c *cluster) far(j int32, target policy.NodeID) float64 {
	switch {
	case c.reach != nil:
		return c.reach[c.jobs[j].Region][target]
	case c.cfg.Distances != nil:
		return c.cfg.Distances[target]
	}
	return 0
}

// atHome sets the time job j, a work unit about to join node id, spends
// per unit of progress reaching its resources that have a home
// (workload.Units.HomeTime over linkOf).
func (c *cluster) atHome(id policy.NodeID, j int32) {
	jb := &c.jobs[j]
	if !c.homed || jb.overhead {
		return
	}
	t := c.cfg.Units.HomeTime(jb.Class, jb.Key, int(id), len(c.nodes), func(from, to int) workload.Link {
		return c.linkOf(policy.NodeID(from), policy.NodeID(to))
	})
	if t != 0 || jb.u != nil {
		jb.unit().home = t
	}
}
