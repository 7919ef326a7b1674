package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSweepJSONAxis sweeps examples/axes/probes.yaml with fewer jobs and
// --json: the summary has one cell per probe limit, each with its axis
// and value, and the registry's metrics under their JSON names.
func TestSweepJSONAxis(t *testing.T) {
	spec, err := os.ReadFile("../../examples/axes/probes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	file := filepath.Join(tmp, "probes.yaml")
	small := strings.Replace(strings.Replace(string(spec), "jobs: 50000", "jobs: 4000", 1), "replications: 5", "replications: 2", 1)
	if err := os.WriteFile(file, []byte(small), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := loadlab(t, "sweep", file, "--out", filepath.Join(tmp, "out"), "--quiet", "--json", "--formats", "svg")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var sum struct {
		Cells []map[string]any
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum.Cells) != 5 {
		t.Fatalf("%d cells, want one per probe limit (5)", len(sum.Cells))
	}
	for i, x := range []float64{1, 2, 3, 5, 8} {
		c := sum.Cells[i]
		if c["axis"] != "probes" || c["x"] != x || c["load"] != 0.9 || c["replications"] != 2.0 {
			t.Errorf("cell %d: axis %v, x %v, load %v, replications %v; want probes, %g, 0.9, 2", i, c["axis"], c["x"], c["load"], c["replications"], x)
		}
		for _, k := range []string{"mean_response", "mean_ci95_halfwidth", "p99_response", "p99_ci95_halfwidth", "probes_per_job",
			"probes_per_job_ci95_halfwidth", "utilization", "jobs_issued", "jobs_failed"} {
			if _, ok := c[k]; !ok {
				t.Errorf("cell %d lacks %s: %v", i, k, c)
			}
		}
		// A probe limit of x sends at most x probes per job.
		if p, _ := c["probes_per_job"].(float64); p <= 0 || p > x {
			t.Errorf("cell %d: %v probes per job at probes=%g", i, c["probes_per_job"], x)
		}
	}
}
