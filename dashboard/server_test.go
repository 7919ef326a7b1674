package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadlab/loadlab/experiment"
)

// runSmall runs smallSpec (shard 1 of 2 when part) into root/small and
// returns the spec and how many points ran.
func runSmall(t *testing.T, root string, part bool) (*experiment.Spec, int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "small.yaml")
	if err := os.WriteFile(path, []byte(smallSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	spec, err := experiment.LoadSpec(path)
	if err != nil {
		t.Fatal(err)
	}
	opt := experiment.Options{Out: filepath.Join(root, "small"), Workers: 1}
	if part {
		opt.Shard, opt.Shards = 1, 2
	}
	sum, err := experiment.Sweep(context.Background(), spec, opt)
	if err != nil {
		t.Fatal(err)
	}
	return spec, sum.Ran
}

// TestHandlers asks each endpoint about a finished small sweep, and about
// things that are not there.
func TestHandlers(t *testing.T) {
	root := t.TempDir()
	spec, _ := runSmall(t, root, false)
	srv, err := New(Config{Dirs: []string{root, filepath.Join(root, "missing")}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	hs := httptest.NewServer(srv)
	defer hs.Close()

	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get(hs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	// Figures are drawn by /api/sweep: ask it first.
	var d sweepDetail
	_, body := get("/api/sweep?id=0/small")
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatalf("/api/sweep: %v in %.200s", err, body)
	}
	if d.Done != spec.Count() || d.Total != spec.Count() || d.State != "done" {
		t.Errorf("/api/sweep: %d/%d points, %s; want %d/%d, done", d.Done, d.Total, d.State, spec.Count(), spec.Count())
	}
	if want := 2 * 2; len(d.Table) != want { // policies × loads
		t.Errorf("/api/sweep: %d table rows, want %d", len(d.Table), want)
	}
	if !strings.Contains(strings.Join(d.Figures, " "), "response.svg") {
		t.Errorf("/api/sweep: figures %v, want response.svg among them", d.Figures)
	}

	pod := url.QueryEscape("pod(d=2)")
	for _, c := range []struct {
		path string
		code int
		typ  string // Content-Type prefix
		has  string // in the body
	}{
		{"/", 200, "text/html", "loadlab dashboard"},
		{"/app.js", 200, "text/javascript", "EventSource"},
		{"/api/sweeps", 200, "application/json", `"id":"0/small"`},
		{"/api/sweep?id=nope", 404, "text/plain", `no sweep "nope"`},
		{"/api/figure?id=0/small&name=response.svg", 200, "image/svg+xml", "<svg"},
		{"/api/figure?id=0/small&name=..%2Fspec.yaml", 400, "text/plain", "want the file name"},
		{"/api/figure?id=0/small&name=none.svg", 404, "text/plain", ""},
		{"/api/draw?id=0/small&metric=probes_per_job&policy=" + pod + "&load=0.8", 200, "image/svg+xml", "<svg"},
		{"/api/draw?id=0/small&metric=nonsense", 400, "text/plain", `metric "nonsense"`},
		{"/api/draw?id=0/small&metric=mean_response&load=0.6", 404, "text/plain", "no stored points"},
		{"/api/draw?id=0/small&metric=mean_response&load=x", 400, "text/plain", `load "x"`},
		{"/api/report?id=0/small", 200, "text/markdown", "# loadlab report: small"},
	} {
		resp, body := get(c.path)
		if resp.StatusCode != c.code || !strings.HasPrefix(resp.Header.Get("Content-Type"), c.typ) || !strings.Contains(body, c.has) {
			t.Errorf("GET %s: %d %s %.120q; want %d %s with %q", c.path, resp.StatusCode, resp.Header.Get("Content-Type"), body, c.code, c.typ, c.has)
		}
	}
}

// TestProgress reads a sweep that has part of its points: running while
// its results are fresh, stopped once they are old, done when complete.
func TestProgress(t *testing.T) {
	root := t.TempDir()
	spec, ran := runSmall(t, root, true)
	dir := filepath.Join(root, "small")
	srv, err := New(Config{Dirs: []string{root}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	listed := func() Progress {
		l := srv.list()
		if len(l) != 1 || l[0].Error != "" {
			t.Fatalf("list: %+v, want the one sweep", l)
		}
		return l[0].Progress
	}
	if l := listed(); l.Done != ran || listed() != l { // the second from the cache
		t.Errorf("list of the part: %+v, want %d done", l, ran)
	}
	_, _, p, err := progressOf(dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if p.Done != ran || p.Total != spec.Count() || p.State != "running" {
		t.Errorf("fresh part: %d/%d %s, want %d/%d running", p.Done, p.Total, p.State, ran, spec.Count())
	}
	if _, _, p, _ = progressOf(dir, time.Now().Add(runningWithin+time.Second)); p.State != "stopped" || p.ETA != -1 {
		t.Errorf("old part: %s, ETA %v; want stopped, -1", p.State, p.ETA)
	}
	before := p.Version
	runSmall(t, root, false)
	if _, _, p, _ = progressOf(dir, time.Now()); p.Done != spec.Count() || p.State != "done" || p.Version == before {
		t.Errorf("whole: %d/%d %s version %s (before %s); want %d done and a new version", p.Done, p.Total, p.State, p.Version, before, spec.Count())
	}
	if l := listed(); l != p {
		t.Errorf("list of the whole: %+v, want %+v (counted again)", l, p)
	}
}

// TestEvents reads the first event of the stream, of an empty directory
// and of one with a sweep.
func TestEvents(t *testing.T) {
	if got := firstEvent(t, t.TempDir()); got != "event: sweeps\ndata: []\n" {
		t.Errorf("first event of no sweeps %q, want an empty list", got)
	}
	root := t.TempDir()
	runSmall(t, root, true)
	if got := firstEvent(t, root); !strings.HasPrefix(got, "event: sweeps\ndata: [") || !strings.Contains(got, `"id":"0/small"`) {
		t.Errorf("first event %q, want sweeps with 0/small", got)
	}
}

// firstEvent returns the first event the server sends of the sweeps
// under root.
func firstEvent(t *testing.T, root string) string {
	t.Helper()
	srv, err := New(Config{Dirs: []string{root}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	hs := httptest.NewServer(srv)
	defer hs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // no event: fail, not hang
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", hs.URL+"/api/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type %q, want text/event-stream", ct)
	}
	r := bufio.NewReader(resp.Body)
	event, _ := r.ReadString('\n')
	data, _ := r.ReadString('\n')
	return event + data
}

// TestSecret: with secrets, a request needs one of them, as a bearer token
// or basic auth's password; an address off loopback needs a secret.
func TestSecret(t *testing.T) {
	secret := "0123456789abcdef-secret"
	srv, err := New(Config{Dirs: []string{t.TempDir()}, Secrets: [][]byte{[]byte("old-0123456789abcdef"), []byte(secret)}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, c := range []struct {
		name string
		set  func(*http.Request)
		code int
	}{
		{"none", func(*http.Request) {}, 401},
		{"bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+secret) }, 200},
		{"basic", func(r *http.Request) { r.SetBasicAuth("me", secret) }, 200},
		{"wrong", func(r *http.Request) { r.SetBasicAuth("me", "guess") }, 401},
		{"empty", func(r *http.Request) { r.Header.Set("Authorization", "Bearer ") }, 401},
	} {
		req := httptest.NewRequest("GET", "/api/sweeps", nil)
		c.set(req)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != c.code {
			t.Errorf("%s: HTTP %d, want %d", c.name, w.Code, c.code)
		}
	}

	open, err := New(Config{Dirs: []string{t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	if _, err := open.Listen("0.0.0.0:0"); err == nil || !strings.Contains(err.Error(), "secret") {
		t.Errorf("Listen off loopback without a secret: %v, want an error asking for the secret", err)
	}
	if _, err := open.Listen("nonsense"); err == nil || !strings.Contains(err.Error(), "--addr") {
		t.Errorf("Listen(nonsense): %v, want an error naming --addr", err)
	}
	l, err := open.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatalf("Listen on loopback: %v", err)
	}
	l.Close()
}
