package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/serf/serf"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the content of a Prometheus endpoint (docs/metrics.md): the
// agents and the coordinator it is given, read at each scrape from the
// very counters their records are built from (the executor's, the
// point's, the coordinator's book), never from a second count. Each
// Metrics has its own registry, so several agents in one process each
// have theirs. It is safe for concurrent use.
//
// The per-point figures are those of the point being run, or else of
// the last one, until the next begins: a counter then starts again from
// zero, which Prometheus's rate() takes as a reset.
type Metrics struct {
	reg *prometheus.Registry

	mu     sync.Mutex
	agents []*Agent
	co     *coordinator
}

// NewMetrics returns an endpoint's content with the Go runtime's and the
// process's collectors, and no agent or coordinator yet.
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), (*collector)(m))
	return m
}

// Registry is m's registry, to gather from directly or to register more.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves m in the Prometheus text or OpenMetrics format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError, EnableOpenMetrics: true})
}

// Serve listens on addr (host:port; port 0 takes a free one) and serves
// m at /metrics until ctx ends. It returns the address it listens on.
func (m *Metrics) Serve(ctx context.Context, addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("metrics: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = ln.Close()
		}
	}()
	return ln.Addr().String(), nil
}

// AddAgent adds a's metrics, labelled node=its member name.
func (m *Metrics) AddAgent(a *Agent) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.agents = append(m.agents, a)
}

// setAgents replaces the agents read: RunLocal's cluster of a point.
func (m *Metrics) setAgents(as []*Agent) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.agents = append([]*Agent(nil), as...)
}

// setCoordinator makes co the coordinator read, until the next point's.
func (m *Metrics) setCoordinator(co *coordinator) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.co = co
}

// Metric names, with their help. The list in docs/metrics.md and the
// Grafana dashboard in deploy/ use these (TestMetricNamesDocumented).
var (
	descQueue      = prometheus.NewDesc("loadlab_queue_jobs", "Jobs at the node, waiting or in service (the gossiped load index).", []string{"node"}, nil)
	descRunning    = prometheus.NewDesc("loadlab_running_jobs", "Jobs in service at the node.", []string{"node"}, nil)
	descUtil       = prometheus.NewDesc("loadlab_utilization_ratio", "Fraction of the node's server time busy from its point's configuration to now, or to its end (0 to 1).", []string{"node"}, nil)
	descTLP        = prometheus.NewDesc("loadlab_tlp_ratio", "Thread-level parallelism of the node since its point began: busy servers on average while any is busy.", []string{"node"}, nil)
	descNodeJobs   = prometheus.NewDesc("loadlab_node_jobs_total", "Jobs the node's executor ended in the point: completed, or shed (queue full).", []string{"node", "outcome"}, nil)
	descProbes     = prometheus.NewDesc("loadlab_probes_total", "Load probes sent by the node's policy (node=coordinator: the dispatchers').", []string{"node"}, nil)
	descMigrations = prometheus.NewDesc("loadlab_migrations_total", "Jobs transferred away from the node (pushed, or handed to a stealer).", []string{"node"}, nil)
	descBetween    = prometheus.NewDesc("loadlab_migrations_between_total", "Jobs transferred from node from to node to (the migrations of loadlab_migrations_total by destination).", []string{"from", "to"}, nil)
	descPreempt    = prometheus.NewDesc("loadlab_preemptions_total", "Running jobs migrated away from the node (strong mobility).", []string{"node"}, nil)
	descSteals     = prometheus.NewDesc("loadlab_steals_total", "Requests for work the node sent (receiver-initiated policies).", []string{"node"}, nil)
	descXferFails  = prometheus.NewDesc("loadlab_transfer_failures_total", "Transfers the node attempted that failed (the job stayed).", []string{"node"}, nil)
	descMessages   = prometheus.NewDesc("loadlab_messages_total", "Policy messages the node sent (node=coordinator: the dispatchers').", []string{"node"}, nil)
	descBytes      = prometheus.NewDesc("loadlab_transferred_bytes_total", "Bytes of jobs (state, code, checkpoints) the node sent in transfers.", []string{"node"}, nil)
	descGossipAge  = prometheus.NewDesc("loadlab_gossip_age_seconds", "Mean age of the gossiped loads the node's decisions read in the point (node=coordinator: the dispatchers').", []string{"node"}, nil)
	descStaleness  = prometheus.NewDesc("loadlab_gossip_staleness_seconds", "Mean age now of the loads the node holds of the other alive members (how old its view is at this instant).", []string{"node"}, nil)
	descMembers    = prometheus.NewDesc("loadlab_serf_members", "Serf members the node sees, by status.", []string{"node", "status"}, nil)
	descHealth     = prometheus.NewDesc("loadlab_serf_health_score", "Memberlist's health score of the node (0 is healthy; higher means it is slow to answer probes).", []string{"node"}, nil)

	descJobs       = prometheus.NewDesc("loadlab_jobs_total", "Jobs of the point that ended, by outcome (completed, failed) and the failure's reason class; the record's jobs_completed and jobs_failed at the point's end.", []string{"outcome", "reason"}, nil)
	descDispatched = prometheus.NewDesc("loadlab_dispatched_jobs_total", "Jobs the coordinator's dispatchers placed.", nil, nil)
	descDelay      = prometheus.NewDesc("loadlab_dispatch_delay_seconds", "Mean delay from a job's due time to its arrival at its agent, less its decision's probes (the record's dispatch_delay).", nil, nil)
	descLag        = prometheus.NewDesc("loadlab_generator_lag_seconds", "Quantiles of how far behind its schedule the generator and dispatchers placed a job (the record's schedule_lag_p99).", []string{"quantile"}, nil)
)

// collector is Metrics as a prometheus.Collector.
type collector Metrics

var _ prometheus.Collector = (*collector)(nil)

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descQueue, descRunning, descUtil, descTLP, descNodeJobs, descProbes, descMigrations, descBetween, descPreempt,
		descSteals, descXferFails, descMessages, descBytes, descGossipAge, descStaleness, descMembers, descHealth, descJobs, descDispatched, descDelay, descLag} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	agents, co := append([]*Agent(nil), c.agents...), c.co
	c.mu.Unlock()
	for _, a := range agents {
		collectAgent(ch, a)
	}
	if co != nil {
		collectCoordinator(ch, co)
	}
}

// collectAgent sends a's figures: its serf membership while it runs, and
// its point's counters (the current point's, or else its last one's).
func collectAgent(ch chan<- prometheus.Metric, a *Agent) {
	name := a.Name()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{name}, labels...)...)
	}
	count := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), append([]string{name}, labels...)...)
	}
	a.pmu.Lock()
	p, leaving, last, ex := a.p, a.leaving, a.last, a.lastEx
	a.pmu.Unlock()
	if p != nil {
		ex = p.ex.Stats()
	} else {
		p = last // its figures frozen as it ended
	}
	if !leaving {
		status := map[string]int{"alive": 0, "failed": 0, "left": 0, "leaving": 0}
		now := time.Now()
		var age time.Duration
		held := 0
		for _, m := range a.g.Members() {
			switch m.Status {
			case serf.StatusAlive:
				status["alive"]++
				if m.HasLoad && m.Name != name {
					age += m.Age(now)
					held++
				}
			case serf.StatusFailed:
				status["failed"]++
			case serf.StatusLeft:
				status["left"]++
			case serf.StatusLeaving:
				status["leaving"]++
			}
		}
		for s, n := range status {
			gauge(descMembers, float64(n), s)
		}
		if held > 0 {
			gauge(descStaleness, (age / time.Duration(held)).Seconds())
		}
		if h, err := strconv.Atoi(a.g.Stats()["health_score"]); err == nil {
			gauge(descHealth, float64(h))
		}
	}
	if p == nil {
		return
	}
	ld := p.ex.Load()
	gauge(descQueue, float64(ld.Queue))
	gauge(descRunning, float64(ld.Running))
	var total, weighted time.Duration
	for i, d := range ex.Levels {
		total += d
		weighted += time.Duration(i) * d
	}
	if total > 0 && ld.Servers > 0 {
		gauge(descUtil, float64(weighted)/(float64(total)*float64(ld.Servers)))
	}
	gauge(descTLP, ex.TLP())
	count(descNodeJobs, ex.Completed, "completed")
	count(descNodeJobs, ex.Refused, "shed")
	count(descProbes, p.count.probes.Load())
	count(descMigrations, p.count.migrations.Load())
	for to, n := range p.count.migratedTo() {
		count(descBetween, n, to)
	}
	count(descPreempt, p.count.preemptions.Load())
	count(descSteals, p.count.steals.Load())
	count(descXferFails, p.count.transferFails.Load())
	count(descMessages, p.count.messages.Load()+p.count.steals.Load()) // as the record counts them (collect)
	count(descBytes, p.count.bytes.Load())
	p.mu.Lock()
	age, n := p.view.gossipAge.Mean(), p.view.gossipAge.Count()
	p.mu.Unlock()
	if n > 0 {
		gauge(descGossipAge, age*p.view.clock.unit.Seconds())
	}
}

// collectCoordinator sends co's figures: the point's jobs by outcome as
// its book holds them (what the ledger replays into the record), its
// dispatch and the dispatchers' own probes and messages.
func collectCoordinator(ch chan<- prometheus.Metric, co *coordinator) {
	t := co.book.tally()
	classes := make([]string, 0, len(t.failed))
	for class := range t.failed {
		classes = append(classes, class)
	}
	slices.Sort(classes)
	for _, class := range classes {
		ch <- prometheus.MustNewConstMetric(descJobs, prometheus.CounterValue, float64(t.failed[class]), "failed", class)
	}
	ch <- prometheus.MustNewConstMetric(descJobs, prometheus.CounterValue, float64(t.completed), "completed", "")
	ch <- prometheus.MustNewConstMetric(descDispatched, prometheus.CounterValue, float64(t.placed))
	unit := co.cfg.TimeUnit.Seconds()
	ch <- prometheus.MustNewConstMetric(descDelay, prometheus.GaugeValue, t.delay*unit)
	ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, t.lag50*unit, "0.5")
	ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, t.lag99*unit, "0.99")
	const self = "coordinator"
	ch <- prometheus.MustNewConstMetric(descProbes, prometheus.CounterValue, float64(co.count.probes.Load()), self)
	ch <- prometheus.MustNewConstMetric(descMessages, prometheus.CounterValue, float64(co.count.messages.Load()), self)
	var age float64
	var n int64
	for _, d := range co.disps {
		d.mu.Lock()
		if c := d.view.gossipAge.Count(); c > 0 {
			age += d.view.gossipAge.Mean() * float64(c)
			n += c
		}
		d.mu.Unlock()
	}
	if n > 0 {
		ch <- prometheus.MustNewConstMetric(descGossipAge, prometheus.GaugeValue, age/float64(n)*unit, self)
	}
}

// reasonClass is a failure reason's class, the label of
// loadlab_jobs_total: the reason up to its first colon ("agent gone:
// agent-0001" is "agent gone"), so that the label's values stay few.
func reasonClass(reason string) string {
	class, _, _ := strings.Cut(reason, ":")
	return class
}
