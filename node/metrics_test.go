package node

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape fetches addr's /metrics and parses it with Prometheus's text
// parser.
func scrape(ctx context.Context, addr string) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(resp.Body)
}

// sum adds the values of family name's series whose labels include
// match, and counts the series.
func sum(fams map[string]*dto.MetricFamily, name string, match map[string]string) (total float64, series int) {
	f, ok := fams[name]
	if !ok {
		return 0, 0
	}
next:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range match {
			if labels[k] != v {
				continue next
			}
		}
		series++
		switch {
		case m.Counter != nil:
			total += m.Counter.GetValue()
		case m.Gauge != nil:
			total += m.Gauge.GetValue()
		}
	}
	return total, series
}

// serveMetrics serves a new Metrics on a free port of 127.0.0.1 until
// ctx ends, and returns it and its address.
func serveMetrics(ctx context.Context, t *testing.T) (*Metrics, string) {
	t.Helper()
	m := NewMetrics()
	addr, err := m.Serve(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return m, addr
}

// count is a figure as the metrics give it and as the record has it.
type count struct {
	name      string
	got, want float64
}

// sameCounts fails t for each count whose two values differ.
func sameCounts(t *testing.T, source string, cs []count) {
	t.Helper()
	for _, c := range cs {
		if c.got != c.want {
			t.Errorf("%s: %s says %v, the record %v", c.name, source, c.got, c.want)
		}
	}
}

// TestMetricsScrape runs small points on 3 local agents with metrics on,
// scrapes /metrics while each runs and at its end, and holds the counters
// to the record: the jobs by outcome summed over reasons equal its
// jobs_completed and jobs_failed, and probes, migrations and messages
// summed over the nodes (the coordinator's included) its counts, exactly.
// The second point's agents hold 2 jobs at most, so that some are shed
// and the failed counter is tested with jobs in it.
func TestMetricsScrape(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster")
	}
	for _, tc := range []struct {
		name     string
		maxQueue int
		failed   bool // some jobs must fail
	}{
		{"no failures", 0, false},
		{"shed", 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) { metricsScrape(t, tc.maxQueue, tc.failed) })
	}
}

func metricsScrape(t *testing.T, maxQueue int, wantFailed bool) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, addr := serveMetrics(ctx, t)
	const jobs = 400
	cfg := localPoint(t, 3, "pod(d=2)", "sender.threshold(T=1, probes=2)", 0.7, jobs, raceScale*10*time.Millisecond)
	cfg.Metrics = m
	if maxQueue > 0 {
		cfg.agentHook = func(ac *AgentConfig) { ac.MaxQueue = maxQueue }
	}

	// Scrape every 50 ms while the point runs; a scrape counts as mid-run
	// if jobs were placed and not all had ended.
	var (
		mu       sync.Mutex
		midRun   int
		nodesMid int
		scrapeEr error
	)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			fams, err := scrape(ctx, addr)
			mu.Lock()
			if err != nil {
				scrapeEr = err
				mu.Unlock()
				return
			}
			placed, _ := sum(fams, "loadlab_dispatched_jobs_total", nil)
			ended, _ := sum(fams, "loadlab_jobs_total", nil)
			if placed > 0 && ended < jobs {
				midRun++
				_, nodesMid = sum(fams, "loadlab_queue_jobs", nil)
			}
			mu.Unlock()
		}
	})
	r, err := RunLocal(ctx, cfg)
	close(done)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if scrapeEr != nil {
		t.Fatalf("scrape during the run: %v", scrapeEr)
	}
	if midRun == 0 {
		t.Error("no scrape saw the point mid-run (jobs placed, not all ended)")
	}
	if nodesMid != 3 {
		t.Errorf("mid-run scrape had loadlab_queue_jobs for %d nodes, want 3", nodesMid)
	}

	fams, err := scrape(ctx, addr)
	if err != nil {
		t.Fatalf("scrape at the end: %v", err)
	}
	completed, _ := sum(fams, "loadlab_jobs_total", map[string]string{"outcome": "completed"})
	failed, _ := sum(fams, "loadlab_jobs_total", map[string]string{"outcome": "failed"})
	probes, _ := sum(fams, "loadlab_probes_total", nil)
	migrations, nodes := sum(fams, "loadlab_migrations_total", nil)
	between, _ := sum(fams, "loadlab_migrations_between_total", nil)
	messages, _ := sum(fams, "loadlab_messages_total", nil)
	t.Logf("%d mid-run scrapes; at the end: completed %v failed %v probes %v migrations %v messages %v; record: %d %d %d %d %d",
		midRun, completed, failed, probes, migrations, messages, r.JobsCompleted, r.JobsFailed, r.Probes, r.Migrations, r.Messages)
	if nodes != 3 {
		t.Errorf("loadlab_migrations_total has %d nodes, want 3", nodes)
	}
	sameCounts(t, "/metrics", []count{
		{"jobs completed", completed, float64(r.JobsCompleted)},
		{"jobs failed", failed, float64(r.JobsFailed)},
		{"probes", probes, float64(r.Probes)},
		{"migrations", migrations, float64(r.Migrations)},
		{"migrations between nodes", between, float64(r.Migrations)},
		{"messages", messages, float64(r.Messages)},
	})
	if completed+failed != jobs {
		t.Errorf("jobs ended %v, want %d issued", completed+failed, jobs)
	}
	if shed, _ := sum(fams, "loadlab_jobs_total", map[string]string{"outcome": "failed", "reason": "shed"}); wantFailed && (failed == 0 || shed != failed) {
		t.Errorf("failed %v, shed %v: want every failure shed, and some", failed, shed)
	}
	if r.Probes == 0 || r.Migrations == 0 {
		t.Errorf("probes %d, migrations %d: want both > 0 so that their counters are tested", r.Probes, r.Migrations)
	}
}

// TestMetricNames: docs/metrics.md lists exactly the metrics the endpoint
// describes, and the Grafana dashboard in deploy/ is valid JSON whose
// queries name only those, among them the ones an operator looks at first.
func TestMetricNames(t *testing.T) {
	ch := make(chan *prometheus.Desc, 64)
	(*collector)(NewMetrics()).Describe(ch)
	close(ch)
	fq := regexp.MustCompile(`fqName: "([^"]+)"`)
	described := map[string]bool{}
	for d := range ch {
		m := fq.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("no name in %s", d)
		}
		described[m[1]] = true
	}

	doc, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(loadlab_[a-z_]+)`").FindAllSubmatch(doc, -1) {
		documented[string(m[1])] = true
	}
	for name := range described {
		if !documented[name] {
			t.Errorf("%s is served but not in the table of docs/metrics.md", name)
		}
	}
	for name := range documented {
		if !described[name] {
			t.Errorf("docs/metrics.md lists %s, which the endpoint does not serve", name)
		}
	}

	data, err := os.ReadFile("../deploy/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("deploy/grafana-dashboard.json: %v", err)
	}
	queried := map[string]bool{}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("dashboard panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			for _, name := range regexp.MustCompile(`loadlab_[a-z_]+`).FindAllString(q.Expr, -1) {
				queried[name] = true
				if !described[name] {
					t.Errorf("dashboard panel %q queries %s, which the endpoint does not serve", p.Title, name)
				}
			}
		}
	}
	for _, name := range []string{"loadlab_queue_jobs", "loadlab_utilization_ratio", "loadlab_jobs_total", "loadlab_migrations_total",
		"loadlab_gossip_age_seconds", "loadlab_serf_members"} {
		if !queried[name] {
			t.Errorf("the dashboard does not draw %s", name)
		}
	}
}

// TestMetricsTestbed runs a point on agents started as `loadlab agent
// --prometheus` starts them, each with its own endpoint (its own registry,
// though all live in this process), and a coordinator with another. At the
// end each agent's endpoint shows that agent only, and its counters summed
// over the agents (with the coordinator's probes) equal the record's:
// jobs completed at the executors, probes, migrations, messages.
func TestMetricsTestbed(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	label := "metrics-" + runLabel()
	agents := startAgents(ctx, t, 3, "host-", label)
	defer closeAgents(agents)
	addrs := make([]string, len(agents))
	for i, a := range agents {
		var m *Metrics
		m, addrs[i] = serveMetrics(ctx, t)
		m.AddAgent(a)
	}
	co, coAddr := serveMetrics(ctx, t)
	const jobs = 400
	cfg := localPoint(t, 3, "jsq", "receiver.threshold(T=1, probes=2)", 0.7, jobs, raceScale*10*time.Millisecond)
	cfg.Metrics = co
	r, err := RunTestbed(ctx, cfg, agents[0].GossipAddr(), "127.0.0.1", label)
	if err != nil {
		t.Fatal(err)
	}
	var completed, probes, migrations, messages float64
	for i, addr := range addrs {
		fams, err := scrape(ctx, addr)
		if err != nil {
			t.Fatalf("agent %s: %v", agents[i].Name(), err)
		}
		if _, n := sum(fams, "loadlab_queue_jobs", map[string]string{"node": agents[i].Name()}); n != 1 {
			t.Errorf("agent %s: %d series of loadlab_queue_jobs of its own, want 1", agents[i].Name(), n)
		}
		if _, n := sum(fams, "loadlab_queue_jobs", nil); n != 1 {
			t.Errorf("agent %s: %d series of loadlab_queue_jobs, want its own only", agents[i].Name(), n)
		}
		if alive, _ := sum(fams, "loadlab_serf_members", map[string]string{"status": "alive"}); alive < 3 {
			t.Errorf("agent %s sees %v members alive, want at least the 3 agents", agents[i].Name(), alive)
		}
		if v, n := sum(fams, "loadlab_gossip_staleness_seconds", nil); n != 1 || v <= 0 {
			t.Errorf("agent %s: gossip staleness %v in %d series, want one, above 0", agents[i].Name(), v, n)
		}
		c, _ := sum(fams, "loadlab_node_jobs_total", map[string]string{"outcome": "completed"})
		p, _ := sum(fams, "loadlab_probes_total", nil)
		mi, _ := sum(fams, "loadlab_migrations_total", nil)
		me, _ := sum(fams, "loadlab_messages_total", nil)
		completed, probes, migrations, messages = completed+c, probes+p, migrations+mi, messages+me
	}
	fams, err := scrape(ctx, coAddr)
	if err != nil {
		t.Fatalf("coordinator: %v", err)
	}
	p, _ := sum(fams, "loadlab_probes_total", map[string]string{"node": "coordinator"})
	me, _ := sum(fams, "loadlab_messages_total", map[string]string{"node": "coordinator"})
	probes, messages = probes+p, messages+me
	age, _ := sum(fams, "loadlab_gossip_age_seconds", map[string]string{"node": "coordinator"})
	t.Logf("agents' endpoints: completed %v probes %v migrations %v messages %v; coordinator's gossip age %.4f s; record: %d (failed %d) %d %d %d",
		completed, probes, migrations, messages, age, r.JobsCompleted, r.JobsFailed, r.Probes, r.Migrations, r.Messages)
	sameCounts(t, "the agents' endpoints", []count{
		{"jobs completed", completed, float64(r.JobsCompleted)},
		{"probes", probes, float64(r.Probes)},
		{"migrations", migrations, float64(r.Migrations)},
		{"messages", messages, float64(r.Messages)},
	})
	if r.JobsFailed != 0 || r.Migrations == 0 || r.Messages == 0 {
		t.Errorf("failed %d, migrations %d, messages %d: want no failure, and migrations and messages to test", r.JobsFailed, r.Migrations, r.Messages)
	}
	if age <= 0 {
		t.Errorf("jsq read gossip, yet the coordinator's loadlab_gossip_age_seconds is %v", age)
	}
}
