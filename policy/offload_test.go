package policy_test

import (
	"testing"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/workload"
)

// TestEnergyOffload is the decision table of energy-aware offloading: on
// a phone of speed 0.25 beside two servers of speed 1, running a job
// costs it Work·size/0.25 = 8·size joules (Work 2) and moving it costs
// Transfer; it offloads exactly when Transfer < margin × 8·size, to the
// server with fewer jobs, and never otherwise: not a job that was moved
// already, not from the fastest nodes, not without a power model; with
// a bound on the time here (within), a job that would end later moves
// at a loss.
func TestEnergyOffload(t *testing.T) {
	reg := policy.Builtin()
	one := policy.Load{Queue: 1, Running: 1, Servers: 1, Speed: 1}
	three := policy.Load{Queue: 3, Running: 1, Servers: 1, Speed: 1}
	idle := policy.Load{Servers: 1, Speed: 1}
	for _, c := range []struct {
		name     string
		spec     string
		energy   *policy.Energy
		self     policy.NodeID
		size     float64
		hops     int32
		loads    []policy.Load
		transfer bool
		to       policy.NodeID
	}{
		{"saves: 4 J to move against 8 J here", "energy", &policy.Energy{Work: 2, Transfer: 4}, 0, 1, 0, []policy.Load{idle, three, one}, true, 2},
		{"saves, to the other server", "energy", &policy.Energy{Work: 2, Transfer: 4}, 0, 1, 0, []policy.Load{idle, one, three}, true, 1},
		{"breaks even: 4 J either way, keeps", "energy", &policy.Energy{Work: 2, Transfer: 4}, 0, 0.5, 0, []policy.Load{idle, idle, one}, false, 0},
		{"costs more to move", "energy", &policy.Energy{Work: 2, Transfer: 4}, 0, 0.4, 0, []policy.Load{idle, idle, one}, false, 0},
		{"a free transfer always saves", "energy", &policy.Energy{Work: 2}, 0, 0.01, 0, []policy.Load{idle, one, idle}, true, 2},
		{"margin 2 moves at half the saving", "energy(margin=2)", &policy.Energy{Work: 2, Transfer: 4}, 0, 0.3, 0, []policy.Load{idle, idle, one}, true, 1},
		{"margin 0 never moves", "energy(margin=0)", &policy.Energy{Work: 2}, 0, 100, 0, []policy.Load{idle, idle, one}, false, 0},
		{"a large margin always moves", "energy(margin=1e9)", &policy.Energy{Work: 2, Transfer: 100}, 0, 0.001, 0, []policy.Load{idle, idle, one}, true, 1},
		{"a moved job stays", "energy", &policy.Energy{Work: 2, Transfer: 4}, 0, 10, 1, []policy.Load{idle, idle, one}, false, 0},
		{"a server has no faster node", "energy", &policy.Energy{Work: 2}, 1, 10, 0, []policy.Load{idle, three, idle}, false, 0},
		{"no power model, no offloading", "energy", nil, 0, 10, 0, []policy.Load{idle, idle, one}, false, 0},
		{"late here: (1 + 0.4)/0.25 = 5.6 > 5 moves at a loss", "energy(within=5)", &policy.Energy{Work: 2, Transfer: 4}, 0, 0.4, 0, []policy.Load{{Queue: 1, Running: 1, Work: 1, Servers: 1, Speed: 0.25}, idle, one}, true, 1},
		{"in time here: (0.8 + 0.4)/0.25 = 4.8 ≤ 5 stays", "energy(within=5)", &policy.Energy{Work: 2, Transfer: 4}, 0, 0.4, 0, []policy.Load{{Queue: 1, Running: 1, Work: 0.8, Servers: 1, Speed: 0.25}, idle, one}, false, 0},
		{"a bound does not stop a saving", "energy(within=100)", &policy.Energy{Work: 2, Transfer: 4}, 0, 1, 0, []policy.Load{idle, three, one}, true, 2},
	} {
		ms, err := reg.Migrate(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		env := policy.NewEnv(policy.Cluster{Nodes: 3, Servers: 1, Speeds: []float64{0.25, 1, 1}, ClassWeights: []float64{1}, Energy: c.energy})
		env.Node = c.self
		m := ms.New(env)
		v := newView(t, c.self, c.loads)
		a := m.Arrived(v, &policy.Job{Job: workload.Job{Size: c.size}, Hops: c.hops})
		if got := a.Verb == policy.Transfer; got != c.transfer || got && a.Node != c.to {
			t.Errorf("%s: %v to node %d, want transfer %v to node %d", c.name, a.Verb, a.Node, c.transfer, c.to)
		}
		if saves := env.Saves(c.self, c.size, 1); c.spec == "energy" && c.hops == 0 && c.self == 0 && saves != c.transfer {
			t.Errorf("%s: Env.Saves %v, policy transfers %v", c.name, saves, c.transfer)
		}
	}
}
