package node

import (
	"strings"
	"testing"

	"github.com/loadlab/loadlab/fault"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/workload"
)

// TestEvacuateNotOnAgents: agents refuse a planned evacuation, which runs
// in the simulator only so far, before they start anything.
func TestEvacuateNotOnAgents(t *testing.T) {
	w, err := workload.New(workload.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	reg := policy.Builtin()
	d, _ := reg.Dispatch("random")
	m, _ := reg.Migrate("none")
	c := PointConfig{Model: scenario.Model{Nodes: 2, Load: 0.5, Jobs: 10, Workload: w, Dispatch: d, Migrate: m,
		Faults: []fault.Fault{{At: 1, Kind: fault.Evacuate, Nodes: []int{0}, Method: "pre-copy"}}}}
	if err := c.fill(); err == nil || !strings.Contains(err.Error(), "faults: fault 0 (evacuate(at=1, nodes=0, method=pre-copy)): a planned evacuation runs in the simulator only so far") {
		t.Errorf("got %v, want the evacuation refused", err)
	}
}
