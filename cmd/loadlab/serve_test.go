package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/loadlab/loadlab/dashboard"
)

// TestServe starts `loadlab serve` on a free loopback port, asks it for
// its sweeps, and stops it as SIGINT would; bad addresses and a secret
// missing off loopback are bad input.
func TestServe(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"serve", "--addr", "0.0.0.0:0"}, []string{"--addr 0.0.0.0:0", "off loopback", "secret"}},
		{[]string{"serve", "--addr", "nowhere"}, []string{"--addr", "HOST:PORT"}},
		{[]string{"serve", "--poll", "0s"}, []string{"--poll"}},
		{[]string{"serve", "--scrape", "ftp://127.0.0.1:9464/metrics"}, []string{"--scrape", "Prometheus endpoint"}},
	} {
		t.Setenv("LOADLAB_SECRET", "")
		_, stderr, code := status(t, context.Background(), tc.args...)
		if code != exitBadInput {
			t.Errorf("%v: status %d, want %d (%s)", tc.args, code, exitBadInput, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%v: %q, want it to say %q", tc.args, stderr, w)
			}
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, done := startServe(ctx, t, t.TempDir())
	resp, err := http.Get(addr + "api/sweeps")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "[]" {
		t.Errorf("GET /api/sweeps of an empty directory: %d %q, want 200 []", resp.StatusCode, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve after its context ended: %v, want nil", err)
	}
}

// startServe runs `loadlab serve ARGS… --addr 127.0.0.1:0` until ctx ends
// and returns the address it printed (http://HOST:PORT/) and where its
// error arrives.
func startServe(ctx context.Context, t *testing.T, args ...string) (string, chan error) {
	t.Helper()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append(append([]string{"loadlab", "serve"}, args...), "--addr", "127.0.0.1:0"), pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed %q: %v", line, err)
	}
	go io.Copy(io.Discard, pr)
	_, rest, ok := strings.Cut(line, "http://")
	if !ok {
		t.Fatalf("serve printed %q, want its http:// address", line)
	}
	return "http://" + strings.Fields(rest)[0], done
}

// TestServeWatchesAgents watches two agent processes while a point runs
// on them: /api/nodes shows both, their queues change during the run, and
// the run completes every job.
func TestServeWatchesAgents(t *testing.T) {
	if testing.Short() {
		t.Skip("starts agent processes")
	}
	label := "servetest-" + time.Now().Format("150405.000")
	a := startAgent(t, "--name w-0 --label "+label)
	b := startAgent(t, "--name w-1 --label "+label+" --join "+a.gossip)
	defer func() {
		for _, p := range []*agentProc{a, b} {
			_ = p.cmd.Process.Kill()
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, done := startServe(ctx, t, t.TempDir(), "--join", a.gossip, "--label", label, "--poll", "50ms")

	ran := make(chan error, 1)
	var out string
	go func() {
		var err error
		out, _, err = loadlab(t, "run", "--backend", "testbed", "--join", b.gossip, "--label", label, "--nodes", "2",
			"--dispatch", "random", "--load", "0.7", "--jobs", "600", "--warmup", "60", "--time-unit", "10ms", "--json")
		ran <- err
	}()
	queues := map[string]map[int]bool{} // agent → queue lengths seen
	runErr := readWhile(t, ran, addr+"api/nodes", func(samples []dashboard.ClusterSample) {
		for _, s := range samples {
			for _, n := range s.Nodes {
				if queues[n.Name] == nil {
					queues[n.Name] = map[int]bool{}
				}
				queues[n.Name][n.Queue] = true
			}
		}
	})
	if runErr != nil {
		t.Fatal(runErr)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r["jobs_completed"].(float64) != 600 || r["jobs_failed"].(float64) != 0 {
		t.Errorf("run: completed %v failed %v, want 600 and 0", r["jobs_completed"], r["jobs_failed"])
	}
	if len(queues) != 2 || len(queues["w-0"]) < 2 || len(queues["w-1"]) < 2 {
		t.Errorf("queue lengths seen per agent %v: want w-0 and w-1 only, each with changing queues", queues)
	}
	t.Logf("queue lengths seen: %v", queues)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
}

// TestServeScrapesLocalRun watches `loadlab run --backend local
// --prometheus` with `loadlab serve --scrape`, as a user watches agents
// whose serf addresses they do not know: /api/run, read every 100 ms
// during the run, shows the run's nodes and only them, changing queues,
// migrations between two of them, and no more jobs ended than the run's.
func TestServeScrapesLocalRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a local cluster")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0") // a free port for the run's endpoint
	if err != nil {
		t.Fatal(err)
	}
	prom := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, done := startServe(ctx, t, t.TempDir(), "--scrape", prom, "--poll", "50ms")

	ran := make(chan error, 1)
	var out string
	go func() {
		var err error
		out, _, err = loadlab(t, "run", "--backend", "local", "--nodes", "3", "--migrate", "sender.threshold(T=2, probes=2)",
			"--load", "0.8", "--jobs", "800", "--warmup", "80", "--time-unit", "10ms", "--json", "--prometheus", prom)
		ran <- err
	}()
	queues := map[string]map[float64]bool{} // node → queue lengths seen
	moves := map[string]float64{}
	var ended float64
	runErr := readWhile(t, ran, addr+"api/run", func(samples []dashboard.RunSample) {
		for _, s := range samples {
			for _, n := range s.Nodes {
				if queues[n.Name] == nil {
					queues[n.Name] = map[float64]bool{}
				}
				queues[n.Name][n.Queue] = true
			}
			ended = max(ended, s.Completed+s.Failed)
		}
		clear(moves) // every read has the whole history: count the last's
		for _, s := range samples {
			for _, m := range s.Moves {
				moves[m.From+">"+m.To] += m.Jobs
			}
		}
	})
	if runErr != nil {
		t.Fatal(runErr)
	}
	var r struct {
		Issued     int64 `json:"jobs_issued"`
		Completed  int64 `json:"jobs_completed"`
		Failed     int64 `json:"jobs_failed"`
		Migrations int64 `json:"migrations"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("run --json: %v: %s", err, out)
	}
	t.Logf("queues seen %v; moves %v; jobs ended %v of the record's %d completed, %d failed, %d migrations", queues, moves, ended, r.Completed, r.Failed, r.Migrations)
	if len(queues) != 3 {
		t.Errorf("/api/run showed nodes %v, want the run's 3", queues)
	}
	for name, q := range queues {
		if len(q) < 2 {
			t.Errorf("node %s: queue lengths %v, want them to change", name, q)
		}
	}
	var moved float64
	for k, n := range moves {
		from, to, _ := strings.Cut(k, ">")
		if queues[from] == nil || queues[to] == nil || from == to {
			t.Errorf("move %s: want one between two of the run's nodes", k)
		}
		moved += n
	}
	if moved == 0 || moved > float64(r.Migrations) {
		t.Errorf("moves seen %v, want some and no more than the run's %d migrations", moved, r.Migrations)
	}
	if ended == 0 || ended > float64(r.Completed+r.Failed) || r.Completed+r.Failed != r.Issued {
		t.Errorf("jobs ended seen %v; record %d completed + %d failed of %d issued: want some seen, no more than ended, every issued job ended", ended, r.Completed, r.Failed, r.Issued)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
}

// readWhile reads url's JSON into a fresh T every 100 ms, and once more
// after ran gives the command's error, and returns that error.
func readWhile[T any](t *testing.T, ran <-chan error, url string, each func(T)) error {
	t.Helper()
	for {
		var runErr error
		running := true
		select {
		case runErr = <-ran:
			running = false
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		var v T
		err = json.NewDecoder(resp.Body).Decode(&v)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		each(v)
		if !running {
			return runErr
		}
	}
}
