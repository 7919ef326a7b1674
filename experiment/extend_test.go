package experiment

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/results"
)

// TestSpecInputErrors: duplicates, a value where a list belongs, bytes that
// are not text and a spec too big are refused at their file:line.
func TestSpecInputErrors(t *testing.T) {
	const pol = "policies: [{dispatch: random}]\n"
	for _, tc := range []struct {
		spec string
		want string
	}{
		{"loads: [0.5, 0.5]\n" + pol, "t.yaml:1: loads[1]: 0.5 is listed twice (also loads[0])"},
		{"loads: [0.5, 0.7, 0.50]\n" + pol, "t.yaml:1: loads[2]: 0.5 is listed twice"},
		{"loads:\n  - 0.3\n  - 0.3\n" + pol, "t.yaml:3: loads[1]"},
		{"loads: 0.5\n" + pol, "t.yaml:1: loads: want a list, e.g. loads: [0.5]"},
		{"loads: [0.5]\nbackends: local\n" + pol, "t.yaml:2: backends: want a list, e.g. backends: [local]"},
		{"loads: [0.5]\npolicies:\n  - {dispatch: pod(d=2)}\n  - {dispatch: pod}\n", `t.yaml:4: policies[1]: "pod" is the same as policies[0] ("pod(d=2)")`},
		{"loads: [0.5]\npolicies:\n  - {name: a, migrate: sender.threshold(T=2)}\n  - {migrate: 'sender.threshold(T=2, probes=3)', costs: {}}\n", "t.yaml:4: policies[1]"},
		{"loads: [0.5]\npolicies:\n  - {name: a, dispatch: jsq}\n  - {name: b, dispatch: jsq}\n", ""},       // named apart: both run
		{"loads: [0.5]\npolicies:\n  - {dispatch: jsq}\n  - {dispatch: jsq, gossip: 1, name: stale}\n", ""}, // different rows
		{"loads: [0.5]\nworkloads: [{name: a}, {name: a}]\n" + pol, "t.yaml:2: workloads[1].name"},
		{"loads: [0.5]\n" + pol + "name: caf\xe9\n", "t.yaml:3:10: byte 0xe9 (offset 53) is not UTF-8"},
		{"loads: [0.5]\n\x00\x01ELF", "t.yaml:2:1: byte 0x00 (offset 13) is not text"},
		{"loads: [0.5]\n" + pol + "name: a\u0085b\x7f\n", "t.yaml:3:10: byte 0x7f (offset 54) is not text"},
		{"replications: 100000000\nloads: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]\npolicies: [{dispatch: random}, {dispatch: jsq}, {dispatch: lwl}, {dispatch: sed}, {dispatch: rr}, {dispatch: pod}, {migrate: symmetric}]\n",
			"t.yaml:1: replications: policies 7 × workloads 1 × loads 8 × replications 100000000 × backends 1 = 5600000000 points, more than the limit of 1000000"},
		{"replications: 2\nprecision: 0.01\nmax_replications: 9223372036854775807\nloads: [0.5]\n" + pol,
			"t.yaml:3: max_replications: policies 1 × workloads 1 × loads 1 × max_replications 9223372036854775807 × backends 1 = 9223372036854775807 points"},
		{"replications: 9223372036854775807\nloads: [0.5, 0.6]\nbackends: [sim, local]\n" + pol, "= 36893488147419103228 points"},
	} {
		_, err := ParseSpec("t.yaml", []byte(tc.spec))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("spec %q: %v", tc.spec, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !IsInput(err)):
			t.Errorf("spec %q:\ngot  %v\nwant an input error containing %q", tc.spec, err, tc.want)
		}
	}
}

// TestLazyPoints: a spec at the size limit is accepted, its points are
// built one at a time as they are asked for, and a cancelled context stops
// both the expansion and a sweep of it, which then holds next to nothing.
func TestLazyPoints(t *testing.T) {
	s, err := ParseSpec("t.yaml", []byte("replications: 125000\nloads: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]\npolicies: [{dispatch: random}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Count() != MaxPoints {
		t.Fatalf("%d points, want %d", s.Count(), MaxPoints)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	for i, p := range s.All(ctx, 0, s.Replications) {
		if i != n || p.Replication != n/8 || p.Load != s.Loads[n%8] {
			t.Fatalf("point %d: index %d, replication %d, load %g", n, i, p.Replication, p.Load)
		}
		if n++; n == 10 {
			cancel()
		}
	}
	if n != 10 {
		t.Errorf("expansion went on for %d points after its context was cancelled at 10", n-10)
	}
	// The point of an index is the point the expansion yields.
	if p := s.point(999_999); p.Replication != 124_999 || p.Load != 0.8 || p.Seed != PointSeed(1, "exp", 0.8, 124_999) {
		t.Errorf("last point: %+v", p.Point)
	}

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	sum, err := Sweep(ctx, s, Options{Out: filepath.Join(t.TempDir(), "out")})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "run the same command again to resume") || sum.Ran != 0 {
		t.Errorf("cancelled sweep: %+v, %v", sum, err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("a cancelled sweep of %d points allocated %d MiB", MaxPoints, alloc>>20)
	}
}

// TestExtendShards: the shards of a spec extended by a policy run only the
// new points, and their merge holds every point once; a shard whose stored
// points the spec changed is refused, naming the change.
func TestExtendShards(t *testing.T) {
	base, err := ParseSpec("t.yaml", []byte(twoPolicies))
	if err != nil {
		t.Fatal(err)
	}
	extended, err := ParseSpec("t.yaml", []byte(twoPolicies+"  - {name: pod, dispatch: pod(d=2)}\n"))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	var dirs []string
	for i := 1; i <= 2; i++ {
		dir := filepath.Join(root, fmt.Sprintf("shard%d", i))
		dirs = append(dirs, dir)
		first, err := Sweep(context.Background(), base, Options{Out: dir, Shard: i, Shards: 2})
		if err != nil {
			t.Fatal(err)
		}
		again, err := Sweep(context.Background(), extended, Options{Out: dir, Shard: i, Shards: 2})
		if err != nil {
			t.Fatal(err)
		}
		if again.Resumed != first.Points || again.Ran != again.Points-first.Points {
			t.Errorf("shard %d: %+v after %+v: want the %d stored points resumed and only the new ones run", i, again, first, first.Points)
		}
	}
	sum, err := Merge(context.Background(), filepath.Join(root, "merged"), dirs)
	if err != nil || sum.Points != 24 || sum.Merged != 24 || sum.Missing != 0 {
		t.Errorf("merge: %+v, %v: want all 24 points", sum, err)
	}
	recs, _ := results.Read(filepath.Join(root, "merged"))
	for _, r := range recs {
		if !extended.Holds(r.Point) {
			t.Errorf("merged point %s (%s) is not the extended spec's", r.Point.Key, r.Point.Policy)
		}
	}

	// A spec that changes a stored point's jobs is refused, by Sweep and Merge.
	changed, err := ParseSpec("t.yaml", []byte(strings.Replace(twoPolicies, "jobs: 5000", "jobs: 6000", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Sweep(context.Background(), changed, Options{Out: dirs[0], Shard: 1, Shards: 2}); err == nil || !IsInput(err) || !strings.Contains(err.Error(), "jobs 5000 → 6000") {
		t.Errorf("a sweep changing jobs: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dirs[1], SpecFile), changed.Raw(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dirs[0], SpecFile), changed.Raw(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(root, "refused")
	if _, err := Merge(context.Background(), out, dirs); err == nil || !IsInput(err) || !strings.Contains(err.Error(), "jobs 5000 → 6000") {
		t.Errorf("merging stores whose points the spec changed: %v", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused merge created %s", out)
	}
}

// TestBuildVCS: the recorded revision comes from the build's VCS stamp, and
// is "unknown" without one.
func TestBuildVCS(t *testing.T) {
	for _, tc := range []struct {
		bi                 *debug.BuildInfo
		revision, modified string
	}{
		{nil, "unknown", "unknown"},
		{&debug.BuildInfo{}, "unknown", "unknown"},
		{&debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "-buildvcs", Value: "false"}}}, "unknown", "unknown"},
		{&debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123abc"}, {Key: "vcs.modified", Value: "true"}}}, "0123abc", "true"},
		{&debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abc"}, {Key: "vcs.modified", Value: "false"}}}, "0123abc", "false"},
	} {
		r, m := BuildVCS(tc.bi)
		if r != tc.revision || m != tc.modified {
			t.Errorf("%v: revision %q, modified %q; want %q, %q", tc.bi, r, m, tc.revision, tc.modified)
		}
	}
}

// TestHelperHostEnv is the child process of TestCommitNotFromWorkingDirectory.
func TestHelperHostEnv(t *testing.T) {
	if os.Getenv("LOADLAB_TEST_HOST_ENV") == "" {
		t.Skip("helper process for TestCommitNotFromWorkingDirectory")
	}
	e := HostEnv()
	fmt.Printf("commit=%s modified=%s\n", e.Commit, e.Modified)
}

// TestCommitNotFromWorkingDirectory runs loadlab from inside another git
// repository: the commit recorded is the build's own (unknown for a test
// binary built as go test builds it), never that repository's.
func TestCommitNotFromWorkingDirectory(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	repo := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	if err := os.WriteFile(filepath.Join(repo, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", "f")
	git("commit", "-q", "-m", "other project")
	other := git("rev-parse", "HEAD")

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestHelperHostEnv$")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "LOADLAB_TEST_HOST_ENV=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if strings.Contains(string(out), other) {
		t.Errorf("run inside another repository, loadlab recorded its commit %s:\n%s", other, out)
	}
	bi, _ := debug.ReadBuildInfo()
	revision, modified := BuildVCS(bi) // unknown, unless the test was built with -buildvcs=true
	if want := "commit=" + revision + " modified=" + modified; !strings.Contains(string(out), want) {
		t.Errorf("want the build's own %q, got:\n%s", want, out)
	}
}
