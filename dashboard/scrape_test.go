package dashboard

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

func readProm(t *testing.T, name string) map[string]*dto.MetricFamily {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fams, err := parseMetrics(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return fams
}

// TestRunSample reads three scrapes of a run's endpoint in turn (the
// second later in the point, the third the first again: a new point, its
// counters started again) and checks each sample: the nodes' figures,
// −1 where a figure is missing, the coordinator not a node, the
// migrations since the previous scrape and the jobs ended since the first.
func TestRunSample(t *testing.T) {
	n := func(name string, q, r, u, tlp, age, read, mig float64) RunNode {
		return RunNode{Name: name, Queue: q, Running: r, Utilization: u, TLP: tlp, GossipAge: age, ReadAge: read, Migrations: mig}
	}
	first := []RunNode{n("local-0", 3, 1, 0.75, 1, 0.5, 0.25, 5), n("local-1", 0, 0, -1, 0, -1, -1, 0)}
	for i, tc := range []struct {
		file              string
		nodes             []RunNode
		moves             []Move
		completed, failed float64
		failedAgents      int
	}{
		{"run-1.prom", first, []Move{}, 0, 0, 0}, // the first sample: no increase yet
		{"run-2.prom", []RunNode{n("local-0", 1, 1, 0.7, 1, 0.5, 0.25, 8), n("local-1", 4, 2, 0.5, 1.5, 0.75, 0.5, 2)},
			[]Move{{"local-0", "local-1", 3}, {"local-1", "local-0", 2}}, 50, 5, 1},
		{"run-1.prom", first, []Move{{"local-0", "local-1", 5}}, 150, 7, 0}, // counters went down: a new point
	} {
		var prev *RunSample
		var s RunSample
		for _, f := range []string{"run-1.prom", "run-2.prom", "run-1.prom"}[:i+1] {
			s = runSample([]map[string]*dto.MetricFamily{readProm(t, f)}, prev)
			prev = &s
		}
		if !reflect.DeepEqual(s.Nodes, tc.nodes) {
			t.Errorf("sample %d (%s): nodes\n%+v\nwant\n%+v", i+1, tc.file, s.Nodes, tc.nodes)
		}
		if !reflect.DeepEqual(s.Moves, tc.moves) {
			t.Errorf("sample %d (%s): moves %+v, want %+v", i+1, tc.file, s.Moves, tc.moves)
		}
		if s.Completed != tc.completed || s.Failed != tc.failed || s.FailedAgents != tc.failedAgents {
			t.Errorf("sample %d (%s): completed %v failed %v failed agents %d, want %v %v %d",
				i+1, tc.file, s.Completed, s.Failed, s.FailedAgents, tc.completed, tc.failed, tc.failedAgents)
		}
	}
}

// TestRunSampleMissedRead: a read that missed the endpoint (it did not
// answer) counts nothing, and the read after it counts only the increase
// since the last one that answered, not the counters' whole values again.
func TestRunSampleMissedRead(t *testing.T) {
	first := runSample([]map[string]*dto.MetricFamily{readProm(t, "run-1.prom")}, nil)
	missed := runSample(nil, &first)
	if len(missed.Moves) != 0 {
		t.Fatalf("a read of no endpoint: moves %+v, want none", missed.Moves)
	}
	s := runSample([]map[string]*dto.MetricFamily{readProm(t, "run-2.prom")}, &missed)
	if want := []Move{{"local-0", "local-1", 3}, {"local-1", "local-0", 2}}; !reflect.DeepEqual(s.Moves, want) {
		t.Errorf("after a missed read: moves %+v, want the increase since the first read %+v", s.Moves, want)
	}
	if s.Completed != 50 || s.Failed != 5 {
		t.Errorf("after a missed read: completed %v failed %v, want 50 and 5", s.Completed, s.Failed)
	}
}

// TestParseMetricsBad: text that is not Prometheus's is an error naming it.
func TestParseMetricsBad(t *testing.T) {
	for _, text := range []string{"<html>not metrics</html>\n", "loadlab_queue_jobs{node=\"a\" 3\n", "# TYPE x gauge\nx one\n"} {
		if _, err := parseMetrics(strings.NewReader(text)); err == nil || !strings.Contains(err.Error(), "not Prometheus text metrics") {
			t.Errorf("parse %q: %v, want an error", text, err)
		}
	}
}

func TestScrapeURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"127.0.0.1:9464", "http://127.0.0.1:9464/metrics"},
		{"http://127.0.0.1:9464/", "http://127.0.0.1:9464/metrics"},
		{"http://127.0.0.1:9464/other", "http://127.0.0.1:9464/other"},
		{"https://[::1]:9464/metrics", "https://[::1]:9464/metrics"},
		{"ftp://127.0.0.1/x", ""},
		{"http://", ""},
		{"http://127.0.0.1:9464/%zz", ""},
	} {
		got, err := scrapeURL(tc.in)
		if tc.want == "" {
			if err == nil || !strings.Contains(err.Error(), "--scrape") {
				t.Errorf("scrapeURL(%q) = %q, %v; want an error naming --scrape", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("scrapeURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := New(Config{Dirs: []string{t.TempDir()}, Scrape: []string{"ftp://x"}}); err == nil {
		t.Error("New with a bad Scrape URL: no error")
	}
}

// TestRunEndpoint serves run-2.prom on loopback and scrapes it with a
// second endpoint that is down: /api/run has the sample, and names the
// endpoint that did not answer; the event stream's "run" event has it too.
func TestRunEndpoint(t *testing.T) {
	text, err := os.ReadFile("testdata/run-2.prom")
	if err != nil {
		t.Fatal(err)
	}
	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		w.Write(text)
	}))
	defer prom.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close() // its port now refuses

	srv, err := New(Config{Dirs: []string{t.TempDir()}, Poll: 50 * time.Millisecond, Scrape: []string{strings.TrimPrefix(prom.URL, "http://"), down.URL}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	hs := httptest.NewServer(srv)
	defer hs.Close()
	resp, err := http.Get(hs.URL + "/api/run")
	if err != nil {
		t.Fatal(err)
	}
	var samples []RunSample
	err = json.NewDecoder(resp.Body).Decode(&samples)
	resp.Body.Close()
	if err != nil || len(samples) != 1 {
		t.Fatalf("/api/run: %d samples, %v; want 1", len(samples), err)
	}
	s := samples[0]
	if len(s.Nodes) != 2 || s.Nodes[1].Name != "local-1" || s.Nodes[1].TLP != 1.5 {
		t.Errorf("/api/run: nodes %+v, want local-0 and local-1 (TLP 1.5)", s.Nodes)
	}
	if len(s.Errors) != 1 || !strings.HasPrefix(s.Errors[0], down.URL+"/metrics: ") {
		t.Errorf("/api/run: errors %q, want one naming %s/metrics", s.Errors, down.URL)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", hs.URL+"/api/events", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 0, 4096)
	for !strings.Contains(string(buf), "event: run\ndata: ") {
		chunk := make([]byte, 1024)
		k, err := resp.Body.Read(chunk)
		if err != nil {
			t.Fatalf("events: %v; read %q", err, buf)
		}
		buf = append(buf, chunk[:k]...)
	}
}
