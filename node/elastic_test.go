package node

import (
	"strings"
	"testing"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/scale"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/workload"
)

// TestElasticRefused checks that agents refuse an elastic cluster, which
// they do not run yet, rather than run it on every node.
func TestElasticRefused(t *testing.T) {
	w, err := workload.New(workload.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	d, _ := policy.Builtin().Dispatch("random")
	m, _ := policy.Builtin().Migrate("none")
	sc, _ := policy.Builtin().Scale("target")
	for _, model := range []scenario.Model{
		{Elastic: &scale.Config{Initial: 1, Schedule: []scale.Step{{At: 5, Add: 1}}}},
		{Scale: sc},
	} {
		model.Nodes, model.Load, model.Jobs, model.Workload, model.Dispatch, model.Migrate = 2, 0.5, 10, w, d, m
		c := PointConfig{Model: model}
		if err := c.fill(); err == nil || !strings.Contains(err.Error(), "elastic: nodes joining and leaving") {
			t.Errorf("an elastic point: %v, want it refused", err)
		}
	}
}
