package node

import (
	"strings"
	"testing"
	"time"

	"github.com/loadlab/loadlab/energy"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/scenario"
)

// TestEnergyRefused: what agents do not run of the power model they
// refuse, naming it: sleep states, and energy-aware offloading (agents
// are not told the power model); and a warm start (agents start empty).
func TestEnergyRefused(t *testing.T) {
	reg := policy.Builtin()
	asleep := 5.0
	sleep := localPoint(t, 2, "random", "none", 0.5, 100, 10*time.Millisecond)
	sleep.Power = &energy.Power{Idle: 10, Busy: 20, Sleep: &asleep, Wake: 1}
	offload := pointWith(t, reg, 2, "random", "energy", 0.5, 100, 10*time.Millisecond)
	offload.Power = &energy.Power{Idle: 10, Busy: 20}
	warm := localPoint(t, 2, "random", "none", 0.5, 100, 10*time.Millisecond)
	var err error
	if warm.WarmStart, err = scenario.ParseWarmStart("meanfield(d=1)"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cfg  PointConfig
		want string
	}{{sleep, "energy: sleep states run in the simulator only"}, {offload, "migrate energy(margin=1, within=0): energy-aware offloading runs in the simulator only"},
		{warm, "warm_start meanfield(d=1): a warm start runs in the simulator only"}} {
		if err := c.cfg.fill(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error saying %q", err, c.want)
		}
	}
}
