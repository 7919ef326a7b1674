package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCapacityCommand runs loadlab capacity on a one-node spec: random
// dispatch on M/M/1 meets mean<4 up to ρ = 0.75. It prints the table,
// writes capacity.csv and the figure, and refuses a bad objective as a
// usage error.
func TestCapacityCommand(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "one.yaml")
	if err := os.WriteFile(spec, []byte("nodes: 1\nloads: [0.5]\njobs: 40000\nreplications: 3\npolicies: [{dispatch: random}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "cap")
	stdout, stderr, code := status(t, context.Background(), "capacity", spec, "--slo", "mean<4", "--lo", "0.5", "--hi", "0.95", "--tol", "0.01", "--out", out, "--formats", "png", "-q")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var load float64
	for _, line := range strings.Split(stdout, "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] == "random" {
			if _, err := fmt.Sscan(f[2], &load); err != nil {
				t.Fatal(err)
			}
		}
	}
	if load < 0.72 || load > 0.78 {
		t.Errorf("capacity %v under mean<4 on M/M/1, want about 0.75:\n%s", load, stdout)
	}
	for _, f := range []string{"capacity.csv", "capacity.png", "capacity.csv"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	if _, stderr, code := status(t, context.Background(), "capacity", spec, "--slo", "latency<3"); code != 2 || !strings.Contains(stderr, `unknown metric "latency"`) {
		t.Errorf("bad objective: exit %d, %q", code, stderr)
	}
}

// TestJobsOut: a point's jobs written with --jobs-out are the same bytes
// every run, and a spec replaying them reads them back.
func TestJobsOut(t *testing.T) {
	dir := t.TempDir()
	var outs [2][]byte
	for i := range outs {
		f := filepath.Join(dir, fmt.Sprintf("jobs%d.csv", i))
		if _, stderr, code := status(t, context.Background(), "run", "--nodes", "4", "--load", "0.5", "--jobs", "3000", "--seed", "9", "--jobs-out", f); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		outs[i] = b
	}
	if string(outs[0]) != string(outs[1]) || strings.Count(string(outs[0]), "\n") != 3001 {
		t.Fatalf("two runs wrote different jobs, or not 3,000 of them (%d lines)", strings.Count(string(outs[0]), "\n"))
	}
	spec := filepath.Join(dir, "replay.yaml")
	if err := os.WriteFile(spec, []byte("nodes: 4\nloads: [0.5]\njobs: 3000\nreplications: 1\nworkloads: [{name: t, arrival: \"trace(file=jobs0.csv)\"}]\npolicies: [{dispatch: random}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := status(t, context.Background(), "sweep", spec, "--out", filepath.Join(dir, "out"), "-q"); code != 0 {
		t.Fatalf("replay: exit %d: %s", code, stderr)
	}
}

// TestJobsOutAcrossBackends: the same trace point run on the simulator
// and twice on local agents writes the same job list with --jobs-out,
// byte for byte. The list is what each backend issued, as it issued it
// (the simulator at each arrival, the coordinator as it released each
// job): IDs, arrivals, sizes, classes and keys, and nothing of how the
// jobs ended, which differs between backends.
func TestJobsOutAcrossBackends(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real clusters")
	}
	dir := t.TempDir()
	var outs []string
	for i, backend := range []string{"sim", "local", "local"} {
		f := filepath.Join(dir, fmt.Sprintf("%s%d.csv", backend, i))
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		_, stderr, code := status(t, ctx, "run", "--backend", backend, "--nodes", "4", "--load", "0.5", "--jobs", "300", "--seed", "3", "--time-unit", "5ms",
			"--dispatch", "jsq", "--arrival", "trace(file=../../workload/testdata/traces/sample.csv, from=20)", "--jobs-out", f)
		cancel()
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", backend, code, stderr)
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, string(b))
	}
	if n := strings.Count(outs[0], "\n"); n != 301 {
		t.Fatalf("the simulator wrote %d lines, want a header and 300 jobs", n)
	}
	for i, out := range outs[1:] {
		if out != outs[0] {
			t.Errorf("local run %d wrote other jobs than the simulator: %d lines, first difference at byte %d", i+1, strings.Count(out, "\n"), firstDiff(out, outs[0]))
		}
	}
}

// firstDiff is the index of the first byte where a and b differ.
func firstDiff(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}
