package node

import (
	"strings"
	"testing"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/tier"
	"github.com/loadlab/loadlab/workload"
)

// TestTiersRefused checks that agents refuse a point with tiers, which
// they do not run yet, rather than take a call for an I/O wait.
func TestTiersRefused(t *testing.T) {
	w, err := workload.New(workload.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	d, _ := policy.Builtin().Dispatch("random")
	m, _ := policy.Builtin().Migrate("none")
	c := PointConfig{Model: scenario.Model{Nodes: 2, Load: 0.5, Jobs: 10, Workload: w, Dispatch: d, Migrate: m, Tiers: []tier.Tier{{Name: "db"}}}}
	if err := c.fill(); err == nil || !strings.Contains(err.Error(), "tiers: shared tiers run in the simulator only so far") {
		t.Errorf("a point with tiers: %v, want it refused", err)
	}
}
