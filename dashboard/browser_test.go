package dashboard

import (
	"context"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/loadlab/loadlab/experiment"
	"github.com/loadlab/loadlab/internal/browsertest"
)

var screenshot = flag.String("screenshot", "", "write a PNG screenshot of the dashboard, once the sweep is done, to this file (the docs keep docs/figures/dashboard.png)")

// smallSpec is 2 policies × 2 loads × 2 replications of a small cluster
// on the simulator: a sweep that runs in a moment.
const smallSpec = `name: small
seed: 3
replications: 2
jobs: 4000
warmup: 400
nodes: 4
loads: [0.5, 0.8]
policies:
  - name: random
    dispatch: random
  - name: pod(d=2)
    dispatch: pod(d=2)
`

// pageState is what the test reads of the page.
type pageState struct {
	Mark     float64  `json:"mark"`     // set once when the page loads: a reload changes it
	Progress string   `json:"progress"` // "5/8 points, running"
	Version  string   `json:"version"`  // of the figures shown
	Figures  []figure `json:"figures"`
}

type figure struct {
	Src      string `json:"src"`
	Complete bool   `json:"complete"`
	Width    int    `json:"width"`
}

const stateJS = `(() => {
  if (window.testMark === undefined) window.testMark = Math.random();
  const figs = document.getElementById('figures');
  return {
    mark: window.testMark,
    progress: document.getElementById('progress').textContent,
    version: figs.getAttribute('data-version') || '',
    figures: Array.from(figs.querySelectorAll('img')).map(i => ({src: i.src, complete: i.complete, width: i.naturalWidth})),
  };
})()`

// loaded reports whether the page shows figures of version v, every one
// loaded.
func (s pageState) loaded() bool {
	if len(s.Figures) == 0 || s.Version == "" {
		return false
	}
	for _, f := range s.Figures {
		if !f.Complete || f.Width == 0 || !strings.Contains(f.Src, "v="+s.Version) {
			return false
		}
	}
	return true
}

// waitUntil evaluates expr in the page until ok holds of its value, and
// returns it; it fails the test when ctx ends first, showing the last
// value read.
func waitUntil[T any](ctx context.Context, t *testing.T, tab context.Context, what, expr string, ok func(T) bool) T {
	t.Helper()
	var last T
	for {
		v, err := chromedp.Run(tab, chromedp.Evaluate[T](expr))
		if err == nil {
			last = v
			if ok(v) {
				return v
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v; the page shows %+v", what, ctx.Err(), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitFor waits until ok holds of the page's state.
func waitFor(ctx context.Context, t *testing.T, tab context.Context, what string, ok func(pageState) bool) pageState {
	t.Helper()
	return waitUntil(ctx, t, tab, what, stateJS, ok)
}

// TestDashboardInBrowser opens the dashboard in headless Chromium, then
// runs a small sweep in two steps (one shard of its points, then the
// rest): the page, never reloaded, must show the first step's progress
// and figures, then the whole sweep's with new figures, every figure an
// SVG that loaded, with no console error, uncaught exception or failed
// request.
func TestDashboardInBrowser(t *testing.T) {
	exe := browsertest.Find(t)
	root := t.TempDir()
	specPath := filepath.Join(t.TempDir(), "small.yaml")
	if err := os.WriteFile(specPath, []byte(smallSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	spec, err := experiment.LoadSpec(specPath)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(root, "small")

	srv, err := New(Config{Dirs: []string{root}, Poll: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tab, problems := openPage(ctx, t, exe, srv, 1200, 800)
	start := waitFor(ctx, t, tab, "the page", func(pageState) bool { return true })

	// Step 1: one shard of the points.
	sum, err := experiment.Sweep(ctx, spec, experiment.Options{Out: out, Workers: 1, Shard: 1, Shards: 2})
	if err != nil {
		t.Fatal(err)
	}
	total := spec.Count()
	if sum.Ran == 0 || sum.Ran == total {
		t.Fatalf("shard 1 of 2 ran %d of %d points: the test needs a part of the sweep (change smallSpec's seed)", sum.Ran, total)
	}
	part := fmt.Sprintf("%d/%d points", sum.Ran, total)
	first := waitFor(ctx, t, tab, part+" with its figures", func(s pageState) bool {
		return strings.HasPrefix(s.Progress, part) && s.loaded()
	})

	// Step 2: the rest (the sweep resumes).
	if _, err := experiment.Sweep(ctx, spec, experiment.Options{Out: out, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	all := fmt.Sprintf("%d/%d points, done", total, total)
	last := waitFor(ctx, t, tab, all+" with new figures", func(s pageState) bool {
		return s.Progress == all && s.Version != first.Version && s.loaded()
	})
	if last.Mark != start.Mark || first.Mark != start.Mark {
		t.Errorf("the page reloaded (marks %v, %v, %v): it must update in place", start.Mark, first.Mark, last.Mark)
	}
	if len(last.Figures) < 3 {
		t.Errorf("the page shows %d figures, want response, p99, normalised and more: %+v", len(last.Figures), last.Figures)
	}
	if *screenshot != "" {
		png, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(*screenshot, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// Compare: probes per job of pod(d=2) alone, drawn by the server.
	if err := chromedp.Do(tab,
		chromedp.Click(`#tabs button[data-tab=compare]`),
		chromedp.SetValue(`#metric`, "probes_per_job"),
		chromedp.Click(`#policies input[value=random]`),
		chromedp.Click(`#compare button[type=submit]`)); err != nil {
		t.Fatalf("compare form: %v", err)
	}
	drawn := waitForJS(ctx, t, tab, "the drawn figure", `(() => { const i = document.querySelector('#drawn img'); return i && i.complete && i.naturalWidth > 0 ? i.src : ''; })()`)
	if !strings.Contains(drawn, "metric=probes_per_job") || !strings.Contains(drawn, "policy=pod") || strings.Contains(drawn, "policy=random") {
		t.Errorf("drawn figure %s, want probes_per_job of pod(d=2) alone", drawn)
	}

	// Report: the Markdown of package report.
	if err := chromedp.Do(tab, chromedp.Click(`#tabs button[data-tab=report]`)); err != nil {
		t.Fatalf("report tab: %v", err)
	}
	waitForJS(ctx, t, tab, "the report", `document.getElementById('report').textContent.startsWith('# loadlab report: small') ? 'yes' : ''`)

	for _, p := range problems.List() {
		t.Errorf("page problem: %s", p)
	}
}

// openPage serves srv on loopback and opens it in a tab, width × height,
// of a headless Chromium (exe) until ctx ends or the test does; it
// returns the tab and the page's problems (console errors, uncaught
// exceptions, failed requests).
func openPage(ctx context.Context, t *testing.T, exe string, srv *Server, width, height int64) (context.Context, *browsertest.Problems) {
	t.Helper()
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	browser := browsertest.Start(ctx, t, exe)
	problems := &browsertest.Problems{}
	tab, cancelTab := chromedp.NewContext(browser, chromedp.WithListener(problems.Listen))
	t.Cleanup(cancelTab)
	if err := chromedp.Do(tab, chromedp.EmulateViewport(width, height), chromedp.Navigate(hs.URL+"/")); err != nil {
		t.Fatalf("open %s: %v", hs.URL, err)
	}
	return tab, problems
}

// waitForJS waits until expr gives a non-empty string, and returns it.
func waitForJS(ctx context.Context, t *testing.T, tab context.Context, what, expr string) string {
	t.Helper()
	return waitUntil(ctx, t, tab, what, expr, func(s string) bool { return s != "" })
}
