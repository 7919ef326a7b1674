package sim

import (
	"errors"
	"testing"

	"github.com/loadlab/loadlab/scenario"
)

// TestFieldError checks that an invalid setting comes back as a FieldError
// naming the setting as a spec does, so callers route it without reading
// its text.
func TestFieldError(t *testing.T) {
	ok := Config{Model: scenario.Model{Nodes: 2, Servers: 1, Load: 0.5, Jobs: 10, Batches: 2}}
	for _, tc := range []struct {
		edit  func(*Config)
		field string
	}{
		{func(c *Config) { c.Nodes = -1 }, "nodes"},
		{func(c *Config) { c.Warmup = 10 }, "warmup"},
		{func(c *Config) { c.GossipMode = "gently" }, "gossip_mode"},
		{func(c *Config) { c.Costs.Latency = -1 }, "costs.latency"},
		{func(c *Config) { c.Speeds = []float64{1} }, "speeds"},
		{func(c *Config) { c.FaultBin = -1 }, "fault_bin"},
	} {
		c := ok
		tc.edit(&c)
		var fe *scenario.FieldError
		if err := c.ValidateSettings(); !errors.As(err, &fe) || fe.Field != tc.field || fe.Err == nil {
			t.Errorf("want a FieldError for %s, got %v", tc.field, err)
		}
	}
	if err := ok.ValidateSettings(); err != nil {
		t.Errorf("valid settings: %v", err)
	}
}
