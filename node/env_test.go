package node

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/loadlab/loadlab/param"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/sim"
	"github.com/loadlab/loadlab/workload"
)

// envSpy records the Env each instance of its policies is built for: the
// migration policy test.envspy (which keeps every job) per node, and the
// dispatch strategy test.envspy (random) at its latest build.
type envSpy struct {
	mu       sync.Mutex
	migrate  map[policy.NodeID]policy.Env
	dispatch policy.Env
}

func (s *envSpy) registry(t *testing.T) *policy.Registry {
	t.Helper()
	r := policy.Builtin()
	random, err := r.Dispatch("random")
	if err != nil {
		t.Fatal(err)
	}
	s.migrate = map[policy.NodeID]policy.Env{}
	r.AddMigrate(policy.Info{Name: "test.envspy"}, func(param.Values) (policy.MigrateBuilder, error) {
		return func(env policy.Env) policy.Migrator {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.migrate[env.Node] = env
			return policy.Base{}
		}, nil
	})
	r.AddDispatch(policy.Info{Name: "test.envspy"}, func(param.Values) (policy.DispatchBuilder, error) {
		return func(env policy.Env) policy.Dispatcher {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.dispatch = env
			return random.New(env)
		}, nil
	})
	return r
}

// envFields is an Env in comparable form: distributions by their specs.
type envFields struct {
	Nodes, Servers int
	Speeds         []float64
	ClassWeights   []float64
	ClassSizes     []string
	Distances      []float64
	Runs           [][]bool
	Node           policy.NodeID
}

func fieldsOf(e policy.Env) envFields {
	f := envFields{Nodes: e.Nodes, Servers: e.Servers, Speeds: e.Speeds, ClassWeights: e.ClassWeights,
		Distances: e.Distances, Runs: e.Runs, Node: e.Node}
	for _, d := range e.ClassSizes {
		f.ClassSizes = append(f.ClassSizes, d.String())
	}
	return f
}

// TestAgentEnvMatchesSim checks that a migration policy on a real agent is
// built for the Env the simulator builds it for at the same point: the
// same classes with their size distributions, and the distances the
// dispatcher uses (emulated ones, the simulator's too; or measured ones,
// which the agents get from the coordinator).
func TestAgentEnvMatchesSim(t *testing.T) {
	ctx := clusterContext(t)
	w, err := workload.New(workload.Config{Classes: []workload.ClassConfig{
		{Name: "short", Weight: 3, Size: "exp(mean=0.5)"},
		{Name: "long", Weight: 1, Size: "hyperexp(mean=2.5, scv=4)"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	native := &workload.UnitConfig{Platforms: workload.Platforms{Builds: []workload.Build{{Kernel: "long", Platforms: []string{"x86_64"}}}}}
	for _, c := range []struct {
		name      string
		distances []float64            // nil: measured
		units     *workload.UnitConfig // with platforms x86_64, arm64, x86_64; long jobs only on x86_64
	}{
		{"emulated distances", []float64{0.1, 0.2, 0.3}, nil},
		{"measured distances", nil, nil},
		{"units on two platforms", []float64{0, 0.1, 0}, native},
	} {
		t.Run(c.name, func(t *testing.T) {
			var agents, simulated envSpy
			cfg := pointWith(t, agents.registry(t), 3, "test.envspy", "test.envspy", 0.5, 60, 5*time.Millisecond)
			cfg.Workload, cfg.Speeds, cfg.Servers, cfg.Distances = w, []float64{1, 2, 1}, 2, c.distances
			var units *workload.Units
			if c.units != nil {
				cfg.Units, cfg.Platforms = c.units, []string{"x86_64", "arm64", "x86_64"}
				if units, err = workload.NewUnits(*c.units, w.Classes()); err != nil {
					t.Fatal(err)
				}
			}
			r, err := RunLocal(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			checkAllEnded(t, r)

			spied := pointWith(t, simulated.registry(t), cfg.Nodes, "test.envspy", "test.envspy", cfg.Load, cfg.Jobs, cfg.TimeUnit)
			if _, err := sim.Run(ctx, sim.Config{Model: scenario.Model{Nodes: cfg.Nodes, Servers: cfg.Servers, Speeds: cfg.Speeds, Distances: cfg.Distances, Load: cfg.Load, Jobs: cfg.Jobs, Warmup: cfg.Warmup, Seed: cfg.Seed, Workload: w, Dispatch: spied.Dispatch, Migrate: spied.Migrate, Platforms: cfg.Platforms}, Units: units}); err != nil {
				t.Fatal(err)
			}
			if c.distances == nil {
				// The simulator has no network to measure: the agents must
				// see the coordinator's measured distances.
				dist := agents.dispatch.Distances
				if len(dist) != cfg.Nodes {
					t.Fatalf("dispatcher's distances %v, want %d measured ones", dist, cfg.Nodes)
				}
				for n, e := range simulated.migrate {
					e.Distances = dist
					simulated.migrate[n] = e
				}
			}
			if len(agents.migrate) != cfg.Nodes {
				t.Fatalf("agents built %d migration policies, want %d", len(agents.migrate), cfg.Nodes)
			}
			if c.units != nil && agents.migrate[0].Runs == nil {
				t.Errorf("agent's Env has no Runs with work units on two platforms")
			}
			for n := range policy.NodeID(cfg.Nodes) {
				got, want := fieldsOf(agents.migrate[n]), fieldsOf(simulated.migrate[n])
				if !reflect.DeepEqual(got, want) {
					t.Errorf("node %d: agent's Env\n%+v\nwant the simulator's\n%+v", n, got, want)
				}
			}
		})
	}
}
