package experiment

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/loadlab/loadlab/external"
	"github.com/loadlab/loadlab/node"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/scale"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/sim"
	"github.com/loadlab/loadlab/topology"
	"github.com/loadlab/loadlab/workload"
)

// elastic is the row's elastic plan: its own or the spec's; nil when
// neither sets one.
func (p PolicyRow) elastic(s *Spec) *scale.Config {
	if p.Elastic != nil {
		return p.Elastic
	}
	return s.Elastic
}

// scaler is the row's autoscaling policy; nil without one.
func (p PolicyRow) scaler() (*policy.ScaleSpec, error) {
	if p.Scale == "" {
		return nil, nil
	}
	return external.Builtin().Scale(p.Scale)
}

// checkElasticAgents refuses an elastic row on real backends where the
// agents do not run it yet: on a testbed (its agents are its user's to
// start), and what node.CheckElastic names.
func (s *Spec) checkElasticAgents(p PolicyRow, plan *scale.Config, sc *policy.ScaleSpec) error {
	real := slices.IndexFunc(s.Backends, IsReal)
	if real < 0 {
		return nil
	}
	b := s.Backends[real]
	if tb := slices.IndexFunc(s.Backends, IsTestbed); tb >= 0 {
		return fmt.Errorf("backend %s: elastic clusters (nodes joining and leaving) run on the local backend, which starts its agents itself, and in the simulator: a testbed's agents are started by their user", s.Backends[tb])
	}
	if p.units(s) != nil {
		return fmt.Errorf("backend %s: elastic clusters run on agents without work units only so far: use backend sim", b)
	}
	m := scenario.Model{Elastic: plan, Scale: sc, Faults: p.faults(s)}
	migrate := p.Migrate
	if migrate == "" {
		migrate = "none"
	}
	m.Migrate, _ = policy.Builtin().Migrate(migrate) // checked where the policies are
	m.Front, _ = p.front(s)
	m.Client, _ = p.client(s)
	m.Topology, _ = topology.Parse(s.Topology)
	for _, w := range s.Workloads {
		if m.Workload, _ = workload.New(w.Config); m.Workload == nil {
			continue
		}
		if err := node.CheckElastic(m); err != nil {
			return fmt.Errorf("backend %s: %w", b, err)
		}
	}
	return nil
}

// checkElastic checks row i's elastic plan and autoscaler against the
// cluster, each workload and what the row runs beside, at the line that
// set them; real backends refuse what they do not run of them.
func (s *Spec) checkElastic(i int, p PolicyRow) error {
	path := []string{"policies", strconv.Itoa(i)}
	sc, err := p.scaler()
	if err != nil {
		return s.errAt(append(path, "scale"), "%v", err)
	}
	plan := p.elastic(s)
	if plan == nil && sc == nil {
		return nil
	}
	where := []string{"elastic"} // the setting an error points at
	switch {
	case p.Elastic != nil:
		where = append(path, "elastic")
	case plan == nil:
		where = append(path, "scale")
	}
	if err := s.checkElasticAgents(p, plan, sc); err != nil {
		return s.errAt(where, "%v", err)
	}
	probe := sim.Config{Model: scenario.Model{Nodes: s.Nodes, Servers: s.Servers, Discipline: "fcfs", Load: s.Loads[0], Jobs: s.Jobs, Warmup: s.Warmup,
		Elastic: plan, Scale: sc, Faults: p.faults(s)}}
	probe.Server, _ = p.server(s)
	probe.Client, _ = p.client(s)
	if p.units(s) != nil {
		probe.Platforms = []string{""}
	}
	if d, err := external.Builtin().Dispatch(p.Dispatch); err == nil && policy.Reserves(d) {
		probe.Dispatch = d
	}
	for _, w := range s.Workloads {
		wl, err := workload.New(w.Config)
		if err != nil {
			return nil // reported where workloads are checked
		}
		probe.Workload = wl
		var fe *scenario.FieldError
		if err := probe.ValidateSettings(); errors.As(err, &fe) && fe.Field == "elastic" {
			return s.errAt(where, "%v", fe.Err)
		}
	}
	return nil
}
