package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/experiment"
	"github.com/loadlab/loadlab/results"
)

// status runs the command in-process and returns its standard output, what
// a user sees on standard error (the error as main prints it included) and
// the exit status main would return.
func status(t *testing.T, ctx context.Context, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(ctx, append([]string{"loadlab"}, args...), &out, &errOut)
	code = exitCode(err, &errOut)
	return out.String(), errOut.String(), code
}

// TestUsageErrors checks the exit status and the message of every kind of
// usage error: one "loadlab:" prefix, and help hints that name a command
// that exists.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // the whole of standard error
	}{
		{[]string{"frobnicate"}, "loadlab: unknown command \"frobnicate\": see loadlab --help\n"},
		{[]string{"frobnicate", "--out", "x"}, "loadlab: unknown command \"frobnicate\": see loadlab --help\n"},
		{[]string{"help", "frobnicate"}, "loadlab: unknown command \"frobnicate\": see loadlab --help\n"},
		{[]string{"version", "x"}, "loadlab: version: takes no arguments, got [\"x\"]\n"},
		{[]string{"--frobnicate"}, "loadlab: flag provided but not defined: -frobnicate (see loadlab --help)\n"},
		{[]string{"run", "--frobnicate"}, "loadlab: run: flag provided but not defined: -frobnicate (see loadlab run --help)\n"},
		{[]string{"sweep", "--workers"}, "loadlab: sweep: flag needs an argument: -workers (see loadlab sweep --help)\n"},
		{[]string{"export", "--csv=maybe", "x"}, "loadlab: export: invalid boolean value \"maybe\" for -csv: parse error (see loadlab export --help)\n"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, stderr, code := status(t, context.Background(), tc.args...)
			if code != 2 {
				t.Errorf("exit status %d, want 2", code)
			}
			if stderr != tc.want {
				t.Errorf("standard error\n%q, want\n%q", stderr, tc.want)
			}
		})
	}
}

// TestVersion checks --version and the version command: loadlab's version,
// the build's revision and whether its tree was modified (unknown in a test
// binary, which carries no VCS stamp unless built with -buildvcs=true).
func TestVersion(t *testing.T) {
	bi, _ := debug.ReadBuildInfo()
	revision, modified := experiment.BuildVCS(bi)
	for _, args := range [][]string{{"--version"}, {"version"}} {
		out, stderr, code := status(t, context.Background(), args...)
		if code != 0 || stderr != "" {
			t.Errorf("%v: exit status %d, standard error %q", args, code, stderr)
		}
		for _, want := range []string{"loadlab 0.", "commit " + revision + ",", "modified " + modified + ",", "go1."} {
			if !strings.Contains(out, want) {
				t.Errorf("%v printed %q, want it to contain %q", args, out, want)
			}
		}
	}
}

// TestRunValidatesLikeASpec: run refuses what a sweep spec refuses, names
// the flag and its value, exits 2 and runs nothing.
func TestRunValidatesLikeASpec(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // prefix of the error
	}{
		{[]string{"--servers", "0"}, "--servers 0: must be at least 1"},
		{[]string{"--jobs", "0"}, "--jobs 0: must be at least 1"},
		{[]string{"--batches", "0"}, "--batches 0: must be at least 2"},
		{[]string{"--batches", "1"}, "--batches 1: must be at least 2"},
		{[]string{"--nodes", "0"}, "--nodes 0: must be at least 1"},
		{[]string{"--servers", "20000"}, "--servers 20000: at most 10000"},
		{[]string{"--warmup", "-5"}, "--warmup -5: must be at least 0"},
		{[]string{"--jobs", "100", "--warmup", "100"}, "--warmup 100: must be at least 0 and less than jobs (100)"},
		{[]string{"--load", "1.5"}, "--load 1.5: 1.5 is not a load"},
		{[]string{"--discipline", "lifo"}, "--discipline lifo: must be fcfs or ps"},
		{[]string{"--gossip", "-1"}, "--gossip -1: period must be a finite number ≥ 0"},
		{[]string{"--transfer-cpu", "-1"}, "--transfer-cpu -1:"},
		{[]string{"--dispatch-delay", "-1"}, "--dispatch-delay -1:"},
		{[]string{"--speeds", "1,-1"}, "--speeds 1,-1:"},
		{[]string{"--size", "exp(mean=-1)"}, "--size exp(mean=-1):"},
		{[]string{"--backend", "local", "--time-unit", "1us"}, "--time-unit 1us: want a duration of at least 100µs"},
		{[]string{"--backend", "local", "--kernel", "fft"}, "--kernel fft: allowed are sleep, hash, matmul"},
		{[]string{"--backend", "local", "--dispatchers", "65"}, "--dispatchers 65: want 1 to 64"},
		{[]string{"--backend", "testbed"}, "--join: testbed needs join: host:port"},
		{[]string{"--backend", "cloud"}, "--backend cloud: unknown backend \"cloud\": allowed are sim, local, testbed"},
		{[]string{"--front", "bogus"}, "--front bogus: unknown front end \"bogus\""},
		{[]string{"--cache", "bogus"}, "--cache bogus: unknown cache \"bogus\""},
		{[]string{"--cache", "lru(entries=100)"}, "--cache lru(entries=100): caches keep keys"},
		{[]string{"--keys", "zipf(n=0)"}, "--keys zipf(n=0): workload keys:"},
		{[]string{"--keys", "zipf(n=10, s=1)", "--hit", "nope"}, "--hit nope: workload hit: unknown distribution"},
		{[]string{"--response", "x"}, "--response x: workload response: unknown distribution"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, stderr, code := status(t, context.Background(), append([]string{"run", "--jobs", "2000"}, tc.args...)...)
			if code != 2 {
				t.Errorf("exit status %d, want 2; output %q", code, out)
			}
			if want := "loadlab: " + tc.want; !strings.HasPrefix(stderr, want) {
				t.Errorf("standard error %q, want it to start with %q", stderr, want)
			}
		})
	}
}

// TestRunRecordsWhatRan: the point run prints is the point that ran.
func TestRunRecordsWhatRan(t *testing.T) {
	out, _, err := loadlab(t, "run", "--nodes", "3", "--servers", "2", "--jobs", "3000", "--batches", "10", "--seed", "18446744073709551615", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		JobsIssued int64 `json:"jobs_issued"`
		Point      struct {
			Servers int    `json:"servers"`
			Jobs    int    `json:"jobs"`
			Warmup  int    `json:"warmup"`
			Seed    string `json:"seed"` // a string: JavaScript and R read it exactly
			Policy  string `json:"policy"`
		} `json:"point"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	p := got.Point
	if p.Servers != 2 || p.Jobs != 3000 || got.JobsIssued != 3000 || p.Warmup != 300 || p.Seed != "18446744073709551615" || p.Policy != "random" {
		t.Errorf("recorded %+v, %d jobs issued: want servers 2, jobs 3000 (all issued), warmup 300, seed 18446744073709551615, policy random", p, got.JobsIssued)
	}
}

// TestRunFrontAndCache: --front and --cache (with the workload's --keys,
// --hit and --response) run the point with a front end and caches and
// record them. A relaying front end serves each request's 0.03 and its
// response's 3e-5 a byte × 5,000 bytes on average: 0.18 a request, at 2
// requests a unit (4 nodes at load 0.5) busy 0.36 of the time; held
// within 5% (20,000 requests: a far narrower spread). The cache's hit rate
// lies strictly between 0 and 1.
func TestRunFrontAndCache(t *testing.T) {
	var got struct {
		FrontUtilization float64 `json:"front_utilization"`
		CacheHitRate     float64 `json:"cache_hit_rate"`
		Point            struct {
			Front, Cache string
		} `json:"point"`
	}
	out, _, err := loadlab(t, "run", "--nodes", "4", "--load", "0.5", "--jobs", "20000", "--json",
		"--front", "relay(request=0.03, byte=3e-5)", "--response", "exp(mean=5000)")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got.Point.Front != "relay(request=0.03, byte=3e-05, n=1)" || math.Abs(got.FrontUtilization/0.36-1) > 0.05 {
		t.Errorf("front end %q busy %.4f: want relay(request=0.03, byte=3e-05, n=1) busy 0.36", got.Point.Front, got.FrontUtilization)
	}
	out, _, err = loadlab(t, "run", "--nodes", "4", "--load", "0.5", "--jobs", "20000", "--json", "--dispatch", "hash",
		"--cache", "lru(entries=100)", "--keys", "zipf(n=1000, s=1.1)", "--hit", "exp(mean=0.2)")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got.Point.Cache != "lru(entries=100)" || !(got.CacheHitRate > 0 && got.CacheHitRate < 1) {
		t.Errorf("cache %q, hit rate %.4f: want lru(entries=100), a hit rate in (0, 1)", got.Point.Cache, got.CacheHitRate)
	}
}

// extSpec is a small spec whose sweep the tests extend.
const extSpec = `name: ext
seed: 5
replications: 1
jobs: 2000
nodes: 4
loads: [0.5, 0.8]
policies:
  - name: random
  - name: jsq
    dispatch: jsq
`

// writeSpec writes a spec into dir and returns its path.
func writeSpec(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSweepExtended: a policy, a load or a replication added to a spec whose
// sweep already ran runs only the new points; a change of a stored point's
// configuration is refused, naming what changed, and leaves the directory
// as it was.
func TestSweepExtended(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "out")
	sweep := func(spec string) (string, string, int) {
		return status(t, context.Background(), "sweep", writeSpec(t, tmp, "ext.yaml", spec), "--out", dir, "--quiet", "--formats", "png")
	}
	if out, stderr, code := sweep(extSpec); code != 0 || !strings.Contains(out, "4 points (4 run now, 0 resumed)") {
		t.Fatalf("first sweep: status %d\n%s%s", code, out, stderr)
	}
	morePolicy := extSpec + "  - name: pod\n    dispatch: pod(d=2)\n"
	moreLoad := strings.Replace(morePolicy, "[0.5, 0.8]", "[0.5, 0.8, 0.9]", 1)
	moreReps := strings.Replace(moreLoad, "replications: 1", "replications: 2", 1)
	for _, step := range []struct {
		name, spec, want string
	}{
		{"a policy", morePolicy, "6 points (2 run now, 4 resumed)"},
		{"a load", moreLoad, "9 points (3 run now, 6 resumed)"},
		{"a replication", moreReps, "18 points (9 run now, 9 resumed)"},
		{"nothing", moreReps, "18 points (0 run now, 18 resumed)"},
	} {
		out, stderr, code := sweep(step.spec)
		if code != 0 || !strings.Contains(out, step.want) {
			t.Errorf("extended by %s: status %d, want %q:\n%s%s", step.name, code, step.want, out, stderr)
		}
		if kept, _ := os.ReadFile(filepath.Join(dir, "spec.yaml")); string(kept) != step.spec {
			t.Errorf("extended by %s: the directory's spec.yaml is not the new spec:\n%s", step.name, kept)
		}
	}
	recs, err := results.Read(dir)
	if err != nil || len(recs) != 18 {
		t.Fatalf("store: %d records, %v", len(recs), err)
	}

	// plot, export and report see every point.
	out, _, code := status(t, context.Background(), "plot", dir, "--formats", "png")
	if code != 0 || !strings.Contains(out, "ρ=0.9") || !strings.Contains(out, "pod") {
		t.Errorf("plot of the extended sweep (status %d) lacks the new load or policy:\n%s", code, out)
	}
	if _, _, code := status(t, context.Background(), "export", dir, "--csv"); code != 0 {
		t.Errorf("export: status %d", code)
	}
	if csv, _ := os.ReadFile(filepath.Join(dir, "results.csv")); strings.Count(string(csv), "\n") != 19 {
		t.Errorf("CSV has %d lines, want header + 18", strings.Count(string(csv), "\n"))
	}
	if _, stderr, code := status(t, context.Background(), "report", dir); code != 0 {
		t.Errorf("report: status %d: %s", code, stderr)
	}

	// A changed configuration of stored points is refused.
	for _, c := range []struct{ name, spec, want string }{
		{"jobs", strings.Replace(moreReps, "jobs: 2000", "jobs: 4000", 1), "jobs 2000 → 4000"},
		{"seed", strings.Replace(moreReps, "seed: 5", "seed: 6", 1), "seed"},
		{"a policy's parameters", strings.Replace(moreReps, "pod(d=2)", "pod(d=3)", 1), "dispatch pod(d=2) → pod(d=3)"},
		{"batches", moreReps + "batches: 10\n", "batches 30 → 10"},
	} {
		out, stderr, code := sweep(c.spec)
		if code != 2 || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, "choose another --out") {
			t.Errorf("changed %s: status %d, want 2 and an error naming %q:\n%s%s", c.name, code, c.want, out, stderr)
		}
		if kept, _ := os.ReadFile(filepath.Join(dir, "spec.yaml")); string(kept) != moreReps {
			t.Errorf("a refused spec replaced the directory's spec.yaml")
		}
	}
	if recs, _ := results.Read(dir); len(recs) != 18 {
		t.Errorf("refused sweeps changed the store: %d records", len(recs))
	}

	// Shrunk back to the first spec: the store keeps every point, the
	// report shows only the spec's own.
	if out, stderr, code := sweep(extSpec); code != 0 {
		t.Fatalf("shrunk sweep: status %d\n%s%s", code, out, stderr)
	}
	if _, stderr, code := status(t, context.Background(), "report", dir); code != 0 {
		t.Fatalf("report of the shrunk sweep: status %d: %s", code, stderr)
	}
	md, err := os.ReadFile(filepath.Join(dir, "report", "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(md), "pod") || strings.Contains(string(md), "ρ=0.9") {
		t.Errorf("the report of the shrunk sweep shows points its spec no longer has:\n%s", md)
	}
}

// TestSweepInterrupted: an interrupted sweep exits with status 130 and says
// how to resume.
func TestSweepInterrupted(t *testing.T) {
	tmp := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, stderr, code := status(t, ctx, "sweep", writeSpec(t, tmp, "ext.yaml", extSpec), "--out", filepath.Join(tmp, "out"), "--quiet")
	if code != 130 || !strings.Contains(stderr, "run the same command again to resume") {
		t.Errorf("status %d, want 130 and how to resume: %s", code, stderr)
	}
}

// TestHelpTexts renders every command's help: no flag says its default
// twice, and the backends are named right.
func TestHelpTexts(t *testing.T) {
	commands := []string{""}
	for _, c := range []string{"run", "sweep", "merge", "plot", "export", "report", "compare", "policies", "agent", "cluster", "calibrate-migration", "serve"} {
		commands = append(commands, c)
	}
	for _, cmd := range commands {
		args := []string{"--help"}
		if cmd != "" {
			args = []string{cmd, "--help"}
		}
		out, _, code := status(t, context.Background(), args...)
		if code != 0 || out == "" {
			t.Errorf("%s --help: status %d, output %q", cmd, code, out)
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.Count(line, "(default") > 1 {
				t.Errorf("%s --help says a default twice: %s", cmd, strings.TrimSpace(line))
			}
		}
	}
	out, _, _ := status(t, context.Background(), "run", "--help")
	for flag, want := range map[string]string{"--backend": "testbed", "--time-unit": "local, testbed:", "--kernel": "local, testbed:", "--warmup": "(default: jobs/10)"} {
		found := false
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), flag+" ") {
				found = true
				if !strings.Contains(line, want) {
					t.Errorf("run --help: %s\nwant it to say %q", strings.TrimSpace(line), want)
				}
			}
		}
		if !found {
			t.Errorf("run --help has no %s", flag)
		}
	}
	out, _, _ = status(t, context.Background(), "sweep", "--help")
	if !strings.Contains(out, "130") {
		t.Errorf("sweep --help does not document the exit status of an interrupted sweep:\n%s", out)
	}
}
