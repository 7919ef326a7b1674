package experiment

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/loadlab/loadlab/external"
	"github.com/loadlab/loadlab/node"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/sim"
)

// A Backend runs points: the simulator, or real agents.
type Backend interface {
	// Run runs p under ctx and returns what it measured.
	Run(ctx context.Context, p Point) (results.Result, error)
	// Real reports whether the backend runs real agents in wall time
	// (time_unit, kernel and dispatchers apply, and it owns the machine
	// while it runs).
	Real() bool
}

// Simulator runs points in the discrete-event simulator.
type Simulator struct{}

// Agents runs points on real agents: a cluster it starts for each point
// on 127.0.0.1, or, with Testbed, agents already running that it joins.
type Agents struct{ Testbed bool }

// backends are the backends by the names specs and records use.
var backends = map[string]Backend{
	"sim":     Simulator{},
	"local":   Agents{},
	"testbed": Agents{Testbed: true},
}

// BackendNamed returns the backend a spec or record calls name.
func BackendNamed(name string) (Backend, bool) {
	b, ok := backends[name]
	return b, ok
}

// BackendNames lists the backends' names, the simulator first.
func BackendNames() []string { return []string{"sim", "local", "testbed"} }

// IsReal reports whether the backend called name runs real agents.
func IsReal(name string) bool {
	b, ok := backends[name]
	return ok && b.Real()
}

// IsTestbed reports whether the backend called name joins agents already
// running.
func IsTestbed(name string) bool {
	a, ok := backends[name].(Agents)
	return ok && a.Testbed
}

// Real is false: the simulator runs in model time.
func (Simulator) Real() bool { return false }

// Run simulates p.
func (Simulator) Run(ctx context.Context, p Point) (results.Result, error) {
	return sim.Run(ctx, sim.Config{Model: p.Model, Gossip: p.Gossip, GossipMode: p.GossipMode, Costs: p.CostModel, Units: p.UnitModel, OnIssue: p.OnIssue, HoldLimit: p.HoldLimit})
}

// Real is true.
func (Agents) Real() bool { return true }

// Run runs p on real agents.
func (a Agents) Run(ctx context.Context, p Point) (results.Result, error) {
	unit, err := time.ParseDuration(p.TimeUnit)
	if err != nil {
		return results.Result{}, err
	}
	cfg := node.PointConfig{Model: p.Model, TimeUnit: unit, Kernel: p.Kernel, Dispatchers: p.Dispatchers, Units: p.UnitConfig,
		Security: p.Security, GossipKeys: p.GossipKeys, OnIssue: p.OnIssue, Metrics: p.Metrics,
		Registry: external.Builtin()} // the local agents run external migration policies too (testbed agents use their own registry)
	if p.Gossip > 0 {
		cfg.Gossip = time.Duration(p.Gossip * float64(unit))
	}
	if p.FindTimeout != "" {
		cfg.FindTimeout, _ = time.ParseDuration(p.FindTimeout) // validated with the spec
	}
	if a.Testbed {
		bind := p.Bind
		if bind == "" {
			bind = "127.0.0.1"
		}
		return node.RunTestbed(ctx, cfg, p.Join, bind, p.Label)
	}
	return node.RunLocal(ctx, cfg)
}

// unknownBackend is the error for a backend name no backend has.
func unknownBackend(name string) error {
	return fmt.Errorf("unknown backend %q: allowed are %s", name, strings.Join(BackendNames(), ", "))
}
