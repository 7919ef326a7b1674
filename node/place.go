package node

import (
	"context"
	"fmt"
	"time"

	"github.com/loadlab/loadlab/node/wire"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/topology"
	"github.com/loadlab/loadlab/workload"
)

// Sites on real agents (scenario.Model.Topology, package topology). The
// agents run on one machine, or on a LAN, so they emulate the topology's
// matrix with per-peer delays, from the same topology.Layout the
// simulator uses (../sim/place.go), rather than shaping real links (tc
// netem needs root and a network namespace per agent):
//
//   - Dispatch: a job of client region r to agent n leaves the
//     coordinator Reach[r][n] model units after its decision (instead of
//     Distances), as the simulator delays its arrival.
//   - Moves: a job or a work unit moving from agent a to agent b is held
//     at a, before it is sent, for the path's one-way latency plus its
//     bytes (the frame's job and segment bytes, jobBytes) over the path's
//     bandwidth when finite: the emulated serialisation. Pre-copy's pages
//     and post-copy's push are held likewise for their bytes, a code fetch
//     for the round trip plus the code's bytes, and a remote use of a
//     resource (global reference) for the round trip plus UseBytes, as
//     the simulator's linkOf and workload's use cost charge them. The real
//     loopback transfer comes on top (tens of µs to a few hundred).
//   - Probes, steals, policy messages and completions keep their real
//     delay, as the simulator keeps Costs.Latency for them.
//
// What differs from shaped links: the delay is a sleep before the send,
// not a queue on the wire, so concurrent moves over one path do not share
// its bandwidth (as the simulator's dedicated links, Costs.Links), and
// the way back (an acknowledgement, a completion) is not delayed. Requests
// with tasks or a client policy do not run with a topology on agents yet.
//
// Resources with a home (workload.Resource.Home: key or a node) start at
// their home, not with the unit (atHome): a unit elsewhere reaches them by
// global reference, a held and real round trip a use.

// paths is an agent's emulation of the topology's paths to its peers; nil
// without a topology.
type paths struct {
	self   int
	layout *topology.Layout
	unit   time.Duration // wall time of a model unit
}

// layout lays s's topology over its roster; nil without a topology.
func (s *Setup) layout() (*topology.Layout, error) {
	if s.Topology == "" {
		return nil, nil
	}
	t, err := topology.Parse(s.Topology)
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	l, err := t.Lay(len(s.Roster))
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	return l, nil
}

// newPaths is agent self's paths over l (nil: no topology).
func newPaths(l *topology.Layout, self int32, unit time.Duration) *paths {
	if l == nil {
		return nil
	}
	return &paths{self: int(self), layout: l, unit: unit}
}

// link is the path from this agent to node to.
func (ps *paths) link(to policy.NodeID) workload.Link {
	lat, bw := ps.layout.Path(ps.self, int(to))
	return workload.Link{Latency: lat, Bandwidth: bw}
}

// sendTime is the emulated time to send bytes to node to, model units:
// the path's latency and bytes over its bandwidth, and with back the
// latency of the way back too (a round trip). 0 without a topology.
func (ps *paths) sendTime(to policy.NodeID, bytes float64, back bool) float64 {
	if ps == nil {
		return 0
	}
	l := ps.link(to)
	t := l.Latency + l.Transmit(bytes)
	if back {
		t += l.Latency
	}
	return t
}

// hold waits sendTime(to, bytes, back) from now, on the precise clock
// (sleepUntil), or returns ctx's error if ctx ends first.
func (ps *paths) hold(ctx context.Context, to policy.NodeID, bytes float64, back bool) error {
	t := ps.sendTime(to, bytes, back)
	if t <= 0 {
		return nil
	}
	return sleepUntil(ctx, time.Now().Add(time.Duration(t*float64(ps.unit))))
}

// placed is c with the layout's sites and client regions, for the wide-area
// dispatch strategies (nearest, dns, wan); c itself without a topology.
func placed(c policy.Cluster, l *topology.Layout) policy.Cluster {
	if l != nil {
		c.Regions, c.Sites = l.Reach, l.Sites
	}
	return c
}

// far is the emulated one-way delay of job j to node n as dispatched,
// model units: from its client region with a topology, else the point's
// Distances, else 0 (the simulator's sim.cluster.far).
func (co *coordinator) far(j *policy.Job, n policy.NodeID) float64 {
	switch {
	case co.layout != nil:
		return co.layout.Reach[j.Region][n]
	case co.cfg.Distances != nil:
		return co.cfg.Distances[n]
	}
	return 0
}

// atHome gives job j, a work unit as dispatched, the node that holds each
// of its resources (wire.Job.Homes): the resource's home (home: key or a
// node), or -1, with the unit. It leaves j alone when no resource has a
// home. A unit away from a home then makes its uses real round trips
// there (unit.go, remote), each held for the path's (paths.hold), as the
// simulator charges them (workload.Units.HomeTime over linkOf).
func (co *coordinator) atHome(j *wire.Job) {
	if co.units == nil {
		return
	}
	if homed, _ := co.units.Homes(); !homed {
		return
	}
	rs := co.units.Unit(j.Class).Resources
	j.Homes = make([]int32, len(rs))
	for i, r := range rs {
		j.Homes[i] = int32(r.Home.Node(j.Key, co.cfg.Nodes)) // -1 at dispatch
	}
}

// checkPlace refuses a topology with what agents do not emulate with it.
func (c *PointConfig) checkPlace() error {
	if c.Topology != nil && (c.Client != nil || c.Workload.Tasks() > 1) {
		return fmt.Errorf("topology %s: requests with tasks or a client policy run with a topology in the simulator only so far (their copies carry no client region): use backend sim", c.Topology)
	}
	return nil
}
