package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loadlab/loadlab/experiment"
	"github.com/loadlab/loadlab/results"
)

// loadlab runs the command in-process and returns its output and error.
func loadlab(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"loadlab"}, args...), &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestRunJSON(t *testing.T) {
	out, _, err := loadlab(t, "run", "--backend", "sim", "--nodes", "10", "--servers", "1", "--dispatch", "pod(d=2)",
		"--migrate", "none", "--load", "0.8", "--arrival", "poisson", "--size", "exp(mean=1)", "--jobs", "200000",
		"--warmup", "20000", "--seed", "4", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out)
	}
	for _, k := range []string{"mean_response", "p50_response", "p95_response", "p99_response", "mean_wait", "mean_slowdown",
		"ci95_halfwidth", "jobs_completed", "jobs_failed", "migrations_per_job", "probes_per_job", "utilization"} {
		if _, ok := got[k]; !ok {
			t.Errorf("JSON lacks %s", k)
		}
	}
	if got["jobs_completed"].(float64) != 200000 || got["jobs_failed"].(float64) != 0 {
		t.Errorf("jobs_completed %v, jobs_failed %v", got["jobs_completed"], got["jobs_failed"])
	}
	if p := got["probes_per_job"].(float64); p != 2 {
		t.Errorf("pod(d=2) made %v probes per job, want 2", p)
	}
	if m := got["mean_response"].(float64); m < 1.5 || m > 2.5 {
		t.Errorf("mean response %v out of range for pod(d=2) at 0.8", m)
	}
	again, _, _ := loadlab(t, "run", "--nodes", "10", "--dispatch", "pod(d=2)", "--load", "0.8", "--jobs", "200000", "--warmup", "20000", "--seed", "4", "--json")
	if stripEnv(again) != stripEnv(out) {
		t.Error("same seed, different output")
	}
}

// stripEnv drops the env object (wall time, start time) from run's JSON.
func stripEnv(s string) string {
	var m map[string]any
	_ = json.Unmarshal([]byte(s), &m)
	delete(m, "env")
	b, _ := json.Marshal(m)
	return string(b)
}

func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string // substrings of the error
	}{
		{[]string{"run", "--dispatch", "nosuch"}, []string{"--dispatch", "unknown dispatch policy", "pod"}},
		{[]string{"run", "--migrate", "sender.threshold(T=2, probez=3)"}, []string{"--migrate", "probez", "allowed"}},
		{[]string{"run", "--dispatch", "pod(d=zero)"}, []string{"--dispatch", "parameter d"}},
		{[]string{"run", "--load", "1"}, []string{"--load", "between 0 and 1"}},
		{[]string{"run", "--load", "-0.2"}, []string{"--load"}},
		{[]string{"run", "--size", "hyperexp(mean=1, scv=0.5)"}, []string{"--size", "scv"}},
		{[]string{"run", "--size", "exp(mean=1"}, []string{"--size", "parenthesis"}},
		{[]string{"run", "--arrival", "mmpp(rates=[1], switch=[1,1])"}, []string{"--arrival", "rates"}},
		{[]string{"run", "--nodes", "0"}, []string{"--nodes"}},
		{[]string{"run", "--latency", "-1"}, []string{"--latency"}},
		{[]string{"run", "--dispatch-delay", "-1"}, []string{"--dispatch-delay", "≥ 0"}},
		{[]string{"run", "--preempt-cpu", "-1"}, []string{"--preempt-cpu"}},
		{[]string{"run", "--distances", "0.1,-1"}, []string{"--distances", "≥ 0"}},
		{[]string{"run", "--gossip", "1", "--gossip-mode", "lazy"}, []string{"--gossip-mode", "periodic, individual or delayed"}},
		{[]string{"run", "--nodes", "many"}, []string{"nodes"}},
		{[]string{"run", "--frobnicate"}, []string{"frobnicate"}},
		{[]string{"run", "--backend", "cloud"}, []string{"--backend"}},
		{[]string{"calibrate-migration", "--sizes", "0,12QB"}, []string{"--sizes", "12Q", "0 to 7MiB"}},
		{[]string{"calibrate-migration", "--sizes", "0,9MiB"}, []string{"--sizes", "frame limit"}},
		{[]string{"calibrate-migration", "--sizes", "1KiB"}, []string{"--sizes", "at least 2 sizes"}},
		{[]string{"calibrate-migration", "--moves", "1"}, []string{"--moves", "at least 2"}},
		{[]string{"calibrate-migration", "--time-unit", "1us"}, []string{"--time-unit", "100µs"}},
		{[]string{"sweep"}, []string{"spec file"}},
		{[]string{"sweep", "testdata/missing.yaml"}, []string{"missing.yaml"}},
		{[]string{"sweep", "testdata/bad-yaml.yaml"}, []string{"bad-yaml.yaml:"}},
		{[]string{"sweep", "testdata/bad-field.yaml"}, []string{"bad-field.yaml:3:", "replicatons", "not a setting"}},
		{[]string{"sweep", "testdata/bad-load.yaml"}, []string{"bad-load.yaml:4:", "loads[1]", "1.2", "between 0 and 1"}},
		{[]string{"sweep", "testdata/bad-policy.yaml"}, []string{"bad-policy.yaml:6:", "policies[1].migrate", "sender.treshold", "sender.threshold"}},
		{[]string{"sweep", "testdata/bad-param.yaml"}, []string{"bad-param.yaml:4:", "policies[0].dispatch", "d"}},
		{[]string{"sweep", "testdata/bad-size.yaml"}, []string{"bad-size.yaml:5:", "workloads[0].size"}},
		{[]string{"sweep", "testdata/bad-cost.yaml"}, []string{"bad-cost.yaml:4:", "costs.latency"}},
		{[]string{"sweep", "testdata/dup-loads.yaml"}, []string{"dup-loads.yaml:2:", "loads[2]", "0.5 is listed twice"}},
		{[]string{"sweep", "testdata/dup-rows.yaml"}, []string{"dup-rows.yaml:5:", "policies[1]", "same as policies[0]"}},
		{[]string{"sweep", "testdata/scalar-loads.yaml"}, []string{"scalar-loads.yaml:2:", "loads", "a list", "[0.5]"}},
		{[]string{"sweep", "testdata/not-utf8.yaml"}, []string{"not-utf8.yaml:4:14:", "byte 0xe9", "not UTF-8"}},
		{[]string{"sweep", "testdata/binary.yaml"}, []string{"binary.yaml:3:1:", "byte 0x00", "not text"}},
		{[]string{"sweep", "testdata/huge.yaml"}, []string{"huge.yaml:2:", "replications: policies 7 × workloads 1 × loads 8 × replications 100000000 × backends 1 = 5600000000 points", "limit of 1000000"}},
		{[]string{"export", "testdata"}, []string{"--csv"}},
		{[]string{"agent", "--bind", "0.0.0.0"}, []string{"--bind", "--insecure"}},
		{[]string{"agent", "--bind", "localhost"}, []string{"--bind", "not an IP"}},
		{[]string{"agent", "--gossip-interval", "1ms"}, []string{"--gossip-interval", "1ms is out of range", "10ms"}},
		{[]string{"cluster", "--gossip-interval", "20s"}, []string{"--gossip-interval", "20s is out of range"}},
		{[]string{"cluster", "--nodes", "0"}, []string{"--nodes"}},
		{[]string{"export", "testdata", "--csv"}, []string{"holds no results"}},
		{[]string{"plot", "testdata"}, []string{"not a sweep directory"}},
		{[]string{"sweep", "testdata/tiny.yaml", "--shard", "4/3"}, []string{"--shard", "1 ≤ i ≤ n"}},
		{[]string{"sweep", "testdata/tiny.yaml", "--shard", "two"}, []string{"--shard"}},
		{[]string{"merge", "testdata"}, []string{"--out"}},
		{[]string{"merge", "--out", "x"}, []string{"directories to merge"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out := t.TempDir()
			args := tc.args
			if args[0] == "sweep" && len(args) > 1 {
				args = append(args, "--out", filepath.Join(out, "s"))
			}
			_, _, err := loadlab(t, args...)
			if err == nil {
				t.Fatal("no error")
			}
			var stderr bytes.Buffer
			if code := exitCode(err, &stderr); code != 2 {
				t.Errorf("exit status %d, want 2 (error: %v)", code, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if entries, _ := os.ReadDir(out); len(entries) != 0 {
				t.Errorf("bad input wrote %d files", len(entries))
			}
		})
	}
}

func TestSweepPlotExport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tiny")
	out, _, err := loadlab(t, "sweep", "testdata/tiny.yaml", "--out", dir, "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"18 points (18 run now, 0 resumed)", "receiver.threshold", "response.png"} {
		if !strings.Contains(out, want) {
			t.Errorf("sweep output lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"response.png", "response.svg", "response.pdf", "response.csv", "p99.png", "overhead.png"} {
		if st, err := os.Stat(filepath.Join(dir, "figures", f)); err != nil || st.Size() == 0 {
			t.Errorf("figure %s missing or empty: %v", f, err)
		}
	}
	again, _, err := loadlab(t, "sweep", "testdata/tiny.yaml", "--out", dir, "--quiet")
	if err != nil || !strings.Contains(again, "(0 run now, 18 resumed)") {
		t.Errorf("second sweep should resume everything: %v\n%s", err, again)
	}
	if _, _, err := loadlab(t, "plot", dir); err != nil {
		t.Errorf("plot: %v", err)
	}
	if _, _, err := loadlab(t, "export", dir, "--csv"); err != nil {
		t.Fatal(err)
	}
	csv, err := os.ReadFile(filepath.Join(dir, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(csv), "\n"); lines != 19 {
		t.Errorf("CSV has %d lines, want header + 18", lines)
	}
	// Another spec may not write into this directory.
	if _, _, err := loadlab(t, "sweep", "../../examples/quick.yaml", "--out", dir); err == nil || !strings.Contains(err.Error(), "another spec") {
		t.Errorf("sweep of another spec into %s: %v", dir, err)
	}
}

// TestHelperSweep is the child process of TestResumeAfterKill.
func TestHelperSweep(t *testing.T) {
	dir := os.Getenv("LOADLAB_TEST_SWEEP_DIR")
	if dir == "" {
		t.Skip("helper process for TestResumeAfterKill")
	}
	if err := run(context.Background(), []string{"loadlab", "sweep", "testdata/tiny.yaml", "--out", dir, "--quiet", "--workers", "2"}, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// TestResumeAfterKill kills a sweep with SIGKILL at random moments, again
// and again, and checks that the final store has every point exactly once
// with the same results as an uninterrupted sweep.
func TestResumeAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("kills child processes")
	}
	clean := filepath.Join(t.TempDir(), "clean")
	if _, _, err := loadlab(t, "sweep", "testdata/tiny.yaml", "--out", clean, "--quiet"); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	recs, err := results.Read(clean)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		b, _ := json.Marshal(r.Result)
		want[r.Point.Key] = string(b)
	}

	dir := filepath.Join(t.TempDir(), "killed")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	var stored []int
	for kill := 0; kill < 8; kill++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSweep$")
		cmd.Env = append(os.Environ(), "LOADLAB_TEST_SWEEP_DIR="+dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(20+rng.IntN(150)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		recs, err := results.Read(dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("after kill %d: %v", kill, err)
		}
		stored = append(stored, len(recs))
	}
	t.Logf("points stored after each SIGKILL: %v", stored)
	out, _, err := loadlab(t, "sweep", "testdata/tiny.yaml", "--out", dir, "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	t.Log(strings.SplitN(out, "\n", 2)[0])
	got, err := results.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := experiment.LoadSpec("testdata/tiny.yaml")
	if err != nil {
		t.Fatal(err)
	}
	points, _ := s.Points()
	if len(got) != len(points) {
		t.Fatalf("store holds %d records, spec has %d points", len(got), len(points))
	}
	seen := map[string]bool{}
	for _, r := range got {
		if seen[r.Point.Key] {
			t.Errorf("point %s stored twice", r.Point.Key)
		}
		seen[r.Point.Key] = true
		b, _ := json.Marshal(r.Result)
		if want[r.Point.Key] != string(b) {
			t.Errorf("point %s (%s, load %g, rep %d) differs from the uninterrupted sweep", r.Point.Key, r.Point.Policy, r.Point.Load, r.Point.Replication)
		}
	}
}

// TestSweepJSON checks --json: one object per point as it finishes, then a
// summary with every cell, all on standard output and nothing else there.
func TestSweepJSON(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tiny")
	out, _, err := loadlab(t, "sweep", "testdata/tiny.yaml", "--out", dir, "--quiet", "--json")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 19 {
		t.Fatalf("%d lines, want 18 points and a summary:\n%s", len(lines), out)
	}
	for i, l := range lines[:18] {
		var p struct {
			Done, Total  int
			MeanResponse float64 `json:"mean_response"`
			Point        struct {
				Seed string // a string: JavaScript reads it exactly
			}
		}
		if err := json.Unmarshal([]byte(l), &p); err != nil || p.Total != 18 || p.Done < 1 || p.MeanResponse <= 0 || p.Point.Seed == "" {
			t.Errorf("line %d: %v %+v: %s", i, err, p, l)
		}
	}
	var sum struct {
		Points  int
		Figures []string
		Cells   []struct {
			Policy       string
			MeanResponse float64 `json:"mean_response"`
		}
	}
	if err := json.Unmarshal([]byte(lines[18]), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Points != 18 || len(sum.Cells) == 0 || len(sum.Figures) == 0 {
		t.Errorf("summary %+v", sum)
	}
}
