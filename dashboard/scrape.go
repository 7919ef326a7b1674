package dashboard

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// RunNode is one node of a run as its Prometheus metrics showed it
// (docs/metrics.md). A figure the endpoint did not give is −1.
type RunNode struct {
	Name        string  `json:"name"`
	Queue       float64 `json:"queue"`       // loadlab_queue_jobs
	Running     float64 `json:"running"`     // loadlab_running_jobs
	Utilization float64 `json:"utilization"` // loadlab_utilization_ratio: since its point began
	TLP         float64 `json:"tlp"`         // loadlab_tlp_ratio
	GossipAge   float64 `json:"age"`         // loadlab_gossip_staleness_seconds: mean age now of the loads it holds of the others
	ReadAge     float64 `json:"readAge"`     // loadlab_gossip_age_seconds: mean age of the gossiped loads its decisions read
	Migrations  float64 `json:"migrations"`  // loadlab_migrations_total: in its point so far
}

// Move is the jobs migrated from one node to another between two samples.
type Move struct {
	From string  `json:"from"`
	To   string  `json:"to"`
	Jobs float64 `json:"jobs"`
}

// RunSample is a run at one time, read from its Prometheus endpoints:
// the nodes' figures now, and the counters' increase since the previous
// sample (a counter that went down started again with a new point: its
// whole value is the increase), and the jobs ended since the first.
type RunSample struct {
	Time         float64   `json:"time"` // seconds since the server started
	Nodes        []RunNode `json:"nodes"`
	Moves        []Move    `json:"moves"`        // from loadlab_migrations_between_total
	Completed    float64   `json:"completed"`    // jobs completed since the first sample (loadlab_jobs_total's increase)
	Failed       float64   `json:"failed"`       // jobs failed since the first sample
	FailedAgents int       `json:"failedAgents"` // the most members any node's serf marks failed
	Errors       []string  `json:"errors"`       // endpoints that did not answer, and why

	counters map[string]float64 // the counters read, by series, for the next sample's increase
}

// scrapeURL is u as a URL of a /metrics endpoint: http:// is added when u
// has no scheme, /metrics when it has no path.
func scrapeURL(u string) (string, error) {
	if !strings.Contains(u, "://") {
		u = "http://" + u
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return "", fmt.Errorf("--scrape %q: want the URL of a Prometheus endpoint, e.g. http://127.0.0.1:9464/metrics (as --prometheus serves it)", u)
	}
	if p.Path == "" || p.Path == "/" {
		p.Path = "/metrics"
	}
	return p.String(), nil
}

// scrapeClient reads the endpoints; an endpoint that does not answer
// within its timeout is reported in the sample's errors.
var scrapeClient = &http.Client{Timeout: 2 * time.Second}

// fetchMetrics reads the metric families an endpoint serves.
func fetchMetrics(ctx context.Context, u string) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := scrapeClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return nil, fmt.Errorf("%s: %s %s", u, resp.Status, strings.TrimSpace(string(b)))
	}
	return parseMetrics(resp.Body)
}

// parseMetrics parses the Prometheus text format.
func parseMetrics(r io.Reader) (map[string]*dto.MetricFamily, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("not Prometheus text metrics: %w", err)
	}
	return fams, nil
}

// scrapeRun reads every endpoint and makes the sample at time t after
// prev (nil: the first).
func scrapeRun(ctx context.Context, urls []string, t float64, prev *RunSample) RunSample {
	var all []map[string]*dto.MetricFamily
	errs := []string{}
	for _, u := range urls {
		fams, err := fetchMetrics(ctx, u)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", u, err))
			continue
		}
		all = append(all, fams)
	}
	s := runSample(all, prev)
	s.Time, s.Errors = t, errs
	return s
}

// runSample makes a sample of the metric families of the endpoints read,
// the counters' increases taken from prev (nil: the first sample, whose
// increases are zero).
func runSample(endpoints []map[string]*dto.MetricFamily, prev *RunSample) RunSample {
	s := RunSample{Nodes: []RunNode{}, Moves: []Move{}, counters: map[string]float64{}}
	nodes := map[string]*RunNode{}
	node := func(name string) *RunNode {
		n, ok := nodes[name]
		if !ok {
			n = &RunNode{Name: name, Utilization: -1, TLP: -1, GossipAge: -1, ReadAge: -1}
			nodes[name] = n
		}
		return n
	}
	increase := func(key string, v float64) float64 {
		s.counters[key] += v
		if prev == nil {
			return 0
		}
		if old, ok := prev.counters[key]; ok && old <= v {
			return v - old
		}
		return v // a new series, or one started again
	}
	if prev != nil {
		s.Completed, s.Failed = prev.Completed, prev.Failed
	}
	moves := map[[2]string]float64{}
	for _, fams := range endpoints {
		each(fams, "loadlab_queue_jobs", func(l map[string]string, v float64) { node(l["node"]).Queue = v })
		each(fams, "loadlab_running_jobs", func(l map[string]string, v float64) { node(l["node"]).Running = v })
		each(fams, "loadlab_utilization_ratio", func(l map[string]string, v float64) { node(l["node"]).Utilization = v })
		each(fams, "loadlab_tlp_ratio", func(l map[string]string, v float64) { node(l["node"]).TLP = v })
		each(fams, "loadlab_migrations_total", func(l map[string]string, v float64) { node(l["node"]).Migrations = v })
		each(fams, "loadlab_gossip_staleness_seconds", func(l map[string]string, v float64) { node(l["node"]).GossipAge = v })
		each(fams, "loadlab_gossip_age_seconds", func(l map[string]string, v float64) {
			if n, ok := nodes[l["node"]]; ok { // not the coordinator's dispatchers
				n.ReadAge = v
			}
		})
		each(fams, "loadlab_serf_members", func(l map[string]string, v float64) {
			if l["status"] == "failed" && int(v) > s.FailedAgents {
				s.FailedAgents = int(v)
			}
		})
		each(fams, "loadlab_migrations_between_total", func(l map[string]string, v float64) {
			moves[[2]string{l["from"], l["to"]}] += increase("between "+l["from"]+" "+l["to"], v)
		})
		each(fams, "loadlab_jobs_total", func(l map[string]string, v float64) {
			d := increase("jobs "+l["outcome"]+" "+l["reason"], v)
			switch l["outcome"] {
			case "completed":
				s.Completed += d
			case "failed":
				s.Failed += d
			}
		})
	}
	if prev != nil { // a series this read missed (its endpoint did not answer) keeps its last value, so the next read counts only its increase
		for k, v := range prev.counters {
			if _, ok := s.counters[k]; !ok {
				s.counters[k] = v
			}
		}
	}
	for _, n := range nodes {
		s.Nodes = append(s.Nodes, *n)
	}
	slices.SortFunc(s.Nodes, func(a, b RunNode) int { return strings.Compare(a.Name, b.Name) })
	for k, jobs := range moves {
		if jobs > 0 {
			s.Moves = append(s.Moves, Move{k[0], k[1], jobs})
		}
	}
	slices.SortFunc(s.Moves, func(a, b Move) int { return strings.Compare(a.From+" "+a.To, b.From+" "+b.To) })
	return s
}

// each calls f with the labels and value of every series of the family
// name (counters and gauges).
func each(fams map[string]*dto.MetricFamily, name string, f func(labels map[string]string, v float64)) {
	for _, m := range fams[name].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		switch {
		case m.Counter != nil:
			f(labels, m.Counter.GetValue())
		case m.Gauge != nil:
			f(labels, m.Gauge.GetValue())
		}
	}
}

// run serves the samples of the scraped endpoints so far (404 when the
// server scrapes none).
func (s *Server) run(w http.ResponseWriter, r *http.Request) {
	if len(s.cfg.Scrape) == 0 {
		http.Error(w, "no run watched: start loadlab serve with --scrape URL of a --prometheus endpoint", http.StatusNotFound)
		return
	}
	s.sampleRun(r.Context(), time.Now())
	writeJSON(w, s.runs.all())
}

// sampleRun reads the endpoints when the newest sample is a Poll old, and
// returns the newest.
func (s *Server) sampleRun(ctx context.Context, now time.Time) RunSample {
	return s.runs.sample(now, s.cfg.Poll, func(t float64, prev *RunSample) RunSample {
		return scrapeRun(ctx, s.cfg.Scrape, t, prev)
	})
}
