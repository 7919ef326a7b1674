package dashboard

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/loadlab/loadlab/internal/browsertest"
	"github.com/loadlab/loadlab/load"
	"github.com/loadlab/loadlab/node/gossip"
)

var clusterShot = flag.String("screenshot-cluster", "", "write a PNG screenshot of the live view of agents to this file (the docs keep docs/figures/dashboard-agents.png)")

// startCluster starts two agents' gossip members (role agent) and a
// watcher joined to them, on loopback, in a cluster of its own label.
func startCluster(ctx context.Context, t *testing.T) (agents []*gossip.Gossip, watcher *gossip.Gossip) {
	t.Helper()
	label := fmt.Sprintf("dash-%s-%d", t.Name(), os.Getpid())
	for i, name := range []string{"a0", "a1"} {
		cfg := gossip.Config{Name: name, Label: label, Tags: map[string]string{"role": "agent"}}
		if i > 0 {
			cfg.Join = []string{agents[0].Addr()}
		}
		g, err := gossip.Start(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { g.Close() })
		agents = append(agents, g)
	}
	w, err := gossip.Start(ctx, gossip.Config{Name: "watcher", Label: label, Join: []string{agents[0].Addr()}, Tags: map[string]string{"role": "dashboard"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	if err := w.WaitMembers(ctx, 3); err != nil {
		t.Fatal(err)
	}
	return agents, w
}

// TestClusterInBrowser watches two agents' gossiped loads: the page,
// never reloaded, shows each agent's queue, and the new queue once an
// agent publishes another; /api/nodes holds the samples, agents only.
func TestClusterInBrowser(t *testing.T) {
	exe := browsertest.Find(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	agents, w := startCluster(ctx, t)
	agents[0].Publish(load.State{Queue: 3, Running: 1, Servers: 2, Speed: 1})
	agents[1].Publish(load.State{Queue: 1, Running: 1, Servers: 2, Speed: 1})

	srv, err := New(Config{Dirs: []string{t.TempDir()}, Poll: 100 * time.Millisecond, Cluster: w})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	tab, problems := openPage(ctx, t, exe, srv, 900, 420)
	const rowsJS = `(() => { if (window.testMark === undefined) window.testMark = Math.random();
	  return window.testMark + ' ' + Array.from(document.querySelectorAll('#nodes tr[data-node]')).map(r => r.dataset.node + ':' + r.querySelector('.queue').textContent + ':' + r.cells[4].textContent).join(' '); })()`
	first := waitUntil(ctx, t, tab, "a0 with queue 3", rowsJS, func(s string) bool { return strings.Contains(s, "a0:3:50%") && strings.Contains(s, "a1:1:50%") })
	agents[0].Publish(load.State{Queue: 7, Running: 2, Servers: 2, Speed: 1})
	second := waitUntil(ctx, t, tab, "a0 with queue 7", rowsJS, func(s string) bool { return strings.Contains(s, "a0:7:100%") })
	if strings.Fields(first)[0] != strings.Fields(second)[0] {
		t.Errorf("the page reloaded: %q then %q", first, second)
	}
	if strings.Contains(second, "watcher") {
		t.Errorf("the page lists the watcher as an agent: %s", second)
	}
	points := waitUntil(ctx, t, tab, "the chart", `String(document.querySelectorAll('#queue-chart polyline').length)`, func(s string) bool { return s == "3" })
	if points != "3" { // a line per agent and one of failures
		t.Errorf("chart has %s lines, want 3", points)
	}

	if *clusterShot != "" {
		png, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(*clusterShot, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	got := httptest.NewRecorder()
	srv.ServeHTTP(got, httptest.NewRequest("GET", "/api/nodes", nil))
	var samples []ClusterSample
	err = json.NewDecoder(got.Body).Decode(&samples)
	if err != nil || len(samples) < 2 {
		t.Fatalf("/api/nodes: %d samples, %v; want several", len(samples), err)
	}
	last := samples[len(samples)-1]
	if len(last.Nodes) != 2 || last.Nodes[0].Name != "a0" || last.Nodes[0].Queue != 7 || last.Nodes[0].Utilization != 1 || last.Nodes[0].Age < 0 {
		t.Errorf("/api/nodes: last sample %+v, want a0 (queue 7, utilisation 1, an age) and a1", last)
	}
	for _, p := range problems.List() {
		t.Errorf("page problem: %s", p)
	}
}

// TestNotWatched: without a watched cluster /api/nodes says how to get
// one, and without scraped endpoints /api/run does.
func TestNotWatched(t *testing.T) {
	srv, err := New(Config{Dirs: []string{t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, tc := range []struct{ path, flag string }{{"/api/nodes", "--join"}, {"/api/run", "--scrape"}} {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest("GET", tc.path, nil))
		if w.Code != 404 || !strings.Contains(w.Body.String(), tc.flag) {
			t.Errorf("%s unwatched: %d %q, want 404 naming %s", tc.path, w.Code, w.Body.String(), tc.flag)
		}
	}
}
