package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestSecureTestbedRun: `loadlab run` takes the cluster's keys from the
// same variables as the agents and runs a point on them; without the keys
// it cannot reach them.
func TestSecureTestbedRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts agent processes")
	}
	t.Setenv("LOADLAB_SECRET", testSecret)
	t.Setenv("LOADLAB_GOSSIP_KEY", testGossipKey)
	label := "securerun-" + time.Now().Format("150405.000")
	a := startAgent(t, "--name r-0 --label "+label)
	t.Cleanup(func() { _ = a.cmd.Process.Kill() })
	b := startAgent(t, "--name r-1 --label "+label+" --join "+a.gossip)
	t.Cleanup(func() { _ = b.cmd.Process.Kill() })
	args := []string{"run", "--backend", "testbed", "--join", a.gossip, "--label", label, "--nodes", "2",
		"--dispatch", "pod(d=2)", "--load", "0.5", "--jobs", "300", "--warmup", "30", "--time-unit", "5ms", "--json"}
	out, _, err := loadlab(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r["jobs_completed"].(float64) != 300 || r["jobs_failed"].(float64) != 0 {
		t.Errorf("secure testbed run: completed %v failed %v", r["jobs_completed"], r["jobs_failed"])
	}
	t.Setenv("LOADLAB_SECRET", "")
	t.Setenv("LOADLAB_GOSSIP_KEY", "")
	if _, _, err := loadlab(t, args...); err == nil || !strings.Contains(err.Error(), "joining") {
		t.Errorf("run without the keys: got %v, want the join refused", err)
	}
}
