package sim

import (
	"context"
	"slices"
	"testing"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/workload"
)

// TestClassDispatchByWork runs two classes whose job shares and work shares
// differ tenfold: 90% of the jobs are short (mean 0.1) and carry 9% of the
// work. class dispatch must size its node groups by work, so that its mean
// response stays within a small factor of leastconn's; sized by job shares,
// the long jobs' two nodes are overloaded six times over.
func TestClassDispatchByWork(t *testing.T) {
	w, err := workload.New(workload.Config{Classes: []workload.ClassConfig{
		{Name: "short", Weight: 0.9, Size: "exp(mean=0.1)"},
		{Name: "long", Weight: 0.1, Size: "exp(mean=9)"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	reg := policy.Builtin()
	mean := map[string]float64{}
	for _, d := range []string{"class", "leastconn"} {
		cfg := Config{Model: scenario.Model{Nodes: 20, Load: 0.7, Jobs: 100000, Seed: 12, Workload: w}}
		if cfg.Dispatch, err = reg.Dispatch(d); err != nil {
			t.Fatal(err)
		}
		if cfg.Migrate, err = reg.Migrate("none"); err != nil {
			t.Fatal(err)
		}
		r, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		mean[d] = r.MeanResponse
		t.Logf("%s: mean response %.3f, busiest node %.2f", d, r.MeanResponse, slices.Max(r.NodeUtilization))
	}
	// Round-robin within a class's group cannot match leastconn, but with
	// groups sized by work every node runs at about ρ.
	if mean["class"] > 4*mean["leastconn"] {
		t.Errorf("class: mean response %.3f, leastconn %.3f: want class within 4× of leastconn", mean["class"], mean["leastconn"])
	}
}
