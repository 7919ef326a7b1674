package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSweepAlongAxis sweeps examples/axes/nodes.yaml with fewer jobs and
// checks the table's columns, the figures along the axis and their theory
// line, and that plot draws chosen metrics again.
func TestSweepAlongAxis(t *testing.T) {
	spec, err := os.ReadFile("../../examples/axes/nodes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	file := filepath.Join(tmp, "nodes.yaml")
	small := strings.Replace(strings.Replace(string(spec), "jobs: 50000", "jobs: 4000", 1), "replications: 5", "replications: 2", 1)
	if err := os.WriteFile(file, []byte(small), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "out")
	out, _, err := loadlab(t, "sweep", file, "--out", dir, "--quiet", "--formats", "svg")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"28 points", "nodes=2", "nodes=128", "mean_response_vs_nodes.svg"} {
		if !strings.Contains(out, want) {
			t.Errorf("sweep output lacks %q:\n%s", want, out)
		}
	}
	csv, err := os.ReadFile(filepath.Join(dir, "figures", "mean_response_vs_nodes.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(csv), "workload,policy,load,nodes,value,ci_low,ci_high\n") || strings.Count(string(csv), "supermarket d=2") != 7 {
		t.Errorf("mean_response_vs_nodes.csv lacks its header or the supermarket limit at each N:\n%s", csv)
	}
	if _, _, err := loadlab(t, "plot", dir, "--metrics", "utilization,throughput", "--formats", "svg"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"utilization_vs_nodes.svg", "throughput_vs_nodes.csv"} {
		if _, err := os.Stat(filepath.Join(dir, "figures", f)); err != nil {
			t.Errorf("plot --metrics: %v", err)
		}
	}
	if _, _, err := loadlab(t, "plot", dir, "--metrics", "speed"); err == nil || !strings.Contains(err.Error(), `--metrics: "speed" is not a metric`) {
		t.Errorf("plot --metrics speed: %v", err)
	}
	if out, _, err := loadlab(t, "metrics"); err != nil || !strings.Contains(out, "probes_per_job") {
		t.Errorf("metrics: %v\n%s", err, out)
	}
}
