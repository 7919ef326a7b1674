package dashboard

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/loadlab/loadlab/experiment"
	"github.com/loadlab/loadlab/internal/browsertest"
	"github.com/loadlab/loadlab/node"
	"github.com/loadlab/loadlab/results"
)

var runShot = flag.String("screenshot-run", "", "write a PNG screenshot of the live view of a scraped run, mid-run, to this file (the docs keep docs/figures/dashboard-live.png)")

// liveSpec is one point on four agents RunLocal starts on loopback, at
// ρ = 0.8 with a policy that migrates: about 5 s of jobs. A node holds 4
// jobs at most, so that some fail (shed).
const liveSpec = `name: live
backend: local
time_unit: 10ms
seed: 5
replications: 1
jobs: 1500
warmup: 150
nodes: 4
queue: 4
loads: [0.8]
policies:
  - name: sender.threshold
    migrate: sender.threshold(T=2, probes=2)
`

// runPage is what the test reads of the run's live view.
type runPage struct {
	Mark   float64    `json:"mark"`
	Rows   [][]string `json:"rows"`   // the table's cells, a row per node
	Arrows []string   `json:"arrows"` // the map's arrows, "from>to"
	Note   string     `json:"note"`
	Lines  int        `json:"lines"`  // polylines of the two charts
	Failed int        `json:"failed"` // heights the failed jobs' line takes
}

const runJS = `(() => {
  if (window.testMark === undefined) window.testMark = Math.random();
  return {
    mark: window.testMark,
    rows: Array.from(document.querySelectorAll('#run-nodes tr[data-node]')).map(r => Array.from(r.cells).map(c => c.textContent)),
    arrows: Array.from(document.querySelectorAll('#node-map line.move')).map(l => l.dataset.from + '>' + l.dataset.to),
    note: document.getElementById('run-note').textContent,
    lines: document.querySelectorAll('#run-queue-chart polyline, #jobs-chart polyline').length,
    failed: new Set((document.querySelector('#jobs-chart polyline[stroke-dasharray]')?.getAttribute('points') || '').split(' ').map(p => p.split(',')[1])).size,
  };
})()`

// TestRunInBrowser runs a point on real agents (loadlab sweep with
// backend local and --prometheus, in process) while the dashboard
// scrapes its endpoint on loopback and headless Chromium shows the page:
// the page, never reloaded, lists the four nodes with queue, running,
// utilisation, TLP and gossip age, sees their values change, draws at
// least one migration arrow between two of the nodes, and once the point
// is done counts as many jobs completed and failed (shed) as the record
// and draws the failures over time; no
// console error, uncaught exception or failed request.
func TestRunInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster")
	}
	exe := browsertest.Find(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	root := t.TempDir()
	specPath := filepath.Join(t.TempDir(), "live.yaml")
	if err := os.WriteFile(specPath, []byte(liveSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	spec, err := experiment.LoadSpec(specPath)
	if err != nil {
		t.Fatal(err)
	}
	metrics := node.NewMetrics()
	addr, err := metrics.Serve(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}

	srv, err := New(Config{Dirs: []string{root}, Poll: 200 * time.Millisecond, Scrape: []string{"http://" + addr + "/metrics"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	tab, problems := openPage(ctx, t, exe, srv, 1040, 560)
	start := waitUntil(ctx, t, tab, "the run's view", runJS, func(p runPage) bool { return strings.HasPrefix(p.Note, "0 nodes") })

	type swept struct {
		rec results.Record
		err error
	}
	done := make(chan swept, 1)
	go func() {
		var rec results.Record
		_, err := experiment.Sweep(ctx, spec, experiment.Options{Out: filepath.Join(root, "live"), Workers: 1, Metrics: metrics,
			OnPoint: func(_, _ int, r results.Record) { rec = r }})
		done <- swept{rec, err}
	}()

	// While the point runs: four nodes, every figure shown, values that
	// change, and an arrow.
	tables := map[string]bool{}
	arrows := map[string]bool{}
	shot := false
	mid := waitUntil(ctx, t, tab, "four nodes whose values change, and an arrow", runJS, func(p runPage) bool {
		if len(p.Rows) != 4 {
			return false
		}
		for _, r := range p.Rows {
			// node, queue, running, utilisation, TLP, gossip age, age read, migrations
			if len(r) != 8 || r[3] == "–" || r[4] == "–" || r[5] == "–" {
				return false
			}
		}
		b, _ := json.Marshal(p.Rows)
		tables[string(b)] = true
		for _, a := range p.Arrows {
			arrows[a] = true
		}
		if len(p.Arrows) > 0 && !shot && len(tables) >= 12 && *runShot != "" {
			shot = true
			png, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(*runShot, png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return len(tables) >= 5 && len(arrows) > 0 && (shot || *runShot == "")
	})
	t.Logf("mid-run: %d distinct tables, arrows %v; rows %v", len(tables), arrows, mid.Rows)
	names := map[string]bool{}
	for _, r := range mid.Rows {
		names[r[0]] = true
	}
	for a := range arrows {
		from, to, _ := strings.Cut(a, ">")
		if !names[from] || !names[to] || from == to {
			t.Errorf("arrow %s: want one between two of the nodes %v", a, names)
		}
	}

	var res swept
	select {
	case res = <-done:
	case <-ctx.Done():
		t.Fatal("the sweep did not end")
	}
	if res.err != nil {
		t.Fatal(res.err)
	}
	r := res.rec.Result
	if r.Migrations == 0 || r.JobsFailed == 0 {
		t.Errorf("the point made %d migrations and failed %d jobs: want some of both, so that the arrows and the failures are tested against real ones", r.Migrations, r.JobsFailed)
	}
	want := fmt.Sprintf("%d jobs completed, %d failed", r.JobsCompleted, r.JobsFailed)
	end := waitUntil(ctx, t, tab, want, runJS, func(p runPage) bool { return strings.Contains(p.Note, want) })
	t.Logf("at the end: %s; record: %d issued, %d migrations", end.Note, r.JobsIssued, r.Migrations)
	if r.JobsCompleted+r.JobsFailed != r.JobsIssued {
		t.Errorf("record: %d completed + %d failed, want the %d issued", r.JobsCompleted, r.JobsFailed, r.JobsIssued)
	}
	if end.Lines != 6 { // a queue line per node; completed and failed
		t.Errorf("charts have %d lines, want 6", end.Lines)
	}
	if end.Failed < 2 {
		t.Errorf("the failed jobs' line is flat (%d heights), want it to show the failures", end.Failed)
	}
	if end.Mark != start.Mark || mid.Mark != start.Mark {
		t.Errorf("the page reloaded (marks %v, %v, %v): it must update in place", start.Mark, mid.Mark, end.Mark)
	}
	for _, p := range problems.List() {
		t.Errorf("page problem: %s", p)
	}
}
