package policy

import (
	"fmt"
	"math"

	"github.com/loadlab/loadlab/workload"
)

// Cluster is what a point's policies are built for, as a backend knows it:
// the simulator and the coordinator from the point, an agent from its setup
// message. NewEnv turns it into the policies' Env.
type Cluster struct {
	Nodes        int             // cluster size
	Servers      int             // servers per node
	Speeds       []float64       // per node; nil means all 1
	ClassWeights []float64       // the workload's class weights, summing to 1
	ClassSizes   []workload.Dist // the workload's size distribution of each class; nil if unknown
	Distances    []float64       // one-way delay from the dispatcher to each node, model units; nil if unknown
	Units        *workload.Units // the point's work units; nil: none (every node runs every class)
	Platforms    []string        // each node's platform, for Units; nil: one platform
	Tasks        int             // tasks per request; 0 or 1: plain requests
	Regions      [][]float64     // one-way delay from each client region to each node; nil: no topology
	Sites        []int           // the site of each node; nil: no topology
	Energy       *Energy         // the power model as policies see it; nil: none
}

// NewEnv is the Env of c's policies, for a dispatcher (Node is None; a
// backend sets it for each node's Migrator). It trusts c: a backend that
// receives c from elsewhere checks it with Validate first.
func NewEnv(c Cluster) Env {
	env := Env{Nodes: c.Nodes, Servers: c.Servers, Speeds: c.Speeds, ClassWeights: c.ClassWeights,
		ClassSizes: c.ClassSizes, Distances: c.Distances, Node: None, Tasks: c.Tasks,
		Regions: c.Regions, Sites: c.Sites, Energy: c.Energy}
	if c.Units != nil {
		env.Runs = c.Units.Runs(c.Nodes, c.Platforms)
	}
	return env
}

// Validate reports whether every per-node list has one entry per node,
// every per-class list one per class, and every number is in range, so
// that no policy indexes past a list.
func (c Cluster) Validate() error {
	if c.Nodes < 1 || c.Servers < 1 {
		return fmt.Errorf("cluster: want at least 1 node and 1 server, got %d and %d", c.Nodes, c.Servers)
	}
	if c.ClassSizes != nil && len(c.ClassSizes) != len(c.ClassWeights) {
		return fmt.Errorf("class sizes: want one per class (%d), got %d", len(c.ClassWeights), len(c.ClassSizes))
	}
	for i, d := range c.ClassSizes {
		if d == nil {
			return fmt.Errorf("class sizes: class %d has none", i)
		}
	}
	if list, err := c.ValidateLists(); err != nil {
		return fmt.Errorf("%s: %w", list, err)
	}
	if c.Sites != nil && len(c.Sites) != c.Nodes {
		return fmt.Errorf("sites: want one per node (%d), got %d", c.Nodes, len(c.Sites))
	}
	for r, row := range c.Regions {
		if err := perNode("delay", row, c.Nodes, func(d float64) bool { return d >= 0 }, "≥ 0"); err != nil {
			return fmt.Errorf("regions: region %d: %w", r, err)
		}
	}
	return nil
}

// ValidateLists checks the per-node lists (speeds, distances, platforms):
// each nil, or one entry per node with every number in range. It returns
// the list at fault, as a spec names it, and what is wrong with it.
func (c Cluster) ValidateLists() (list string, err error) {
	if c.Platforms != nil && len(c.Platforms) != c.Nodes {
		return "platforms", fmt.Errorf("want one per node (%d), got %d", c.Nodes, len(c.Platforms))
	}
	if err := perNode("speed", c.Speeds, c.Nodes, func(s float64) bool { return s > 0 }, "> 0"); err != nil {
		return "speeds", err
	}
	if err := perNode("distance", c.Distances, c.Nodes, func(d float64) bool { return d >= 0 }, "≥ 0"); err != nil {
		return "distances", err
	}
	return "", nil
}

// perNode checks an optional per-node list of noun: nil, or n finite
// numbers for which ok holds (want says what ok means).
func perNode(noun string, xs []float64, n int, ok func(float64) bool, want string) error {
	if xs == nil {
		return nil
	}
	if len(xs) != n {
		return fmt.Errorf("want one per node (%d), got %d", n, len(xs))
	}
	for i, x := range xs {
		if !ok(x) || math.IsInf(x, 0) || math.IsNaN(x) {
			return fmt.Errorf("node %d has %s %g, want a finite number %s", i, noun, x, want)
		}
	}
	return nil
}
