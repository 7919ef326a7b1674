package stats

import (
	"fmt"
	"math"
	"strings"

	"github.com/loadlab/loadlab/client"
	"github.com/loadlab/loadlab/results"
)

// Metric is one measured quantity of a point: how a replication's result
// gives it, how it is labelled and which way is better. A Cell estimates
// it across its replications with a 95% t interval (Cell.Estimate).
type Metric struct {
	Name  string // as results.Result names it in JSON, e.g. "mean_response"
	Label string // an axis label, e.g. "mean response time"
	Unit  string // "" for a plain number, else e.g. "× mean service" or "bytes"
	// Lower is true when lower values are better (response time), false
	// when higher are (throughput).
	Lower bool
	// Value reads the metric from one replication's result; ok is false
	// when that replication has none (a mean migration time without
	// migrations), and it is left out of the estimate.
	Value func(r results.Result) (v float64, ok bool)
	// Within, when set, is the half-width of a single replication's own
	// interval (batch means), used when a cell has one replication.
	Within func(r results.Result) float64

	// Where reports and exports show the metric, "" where they do not:
	// Table is the title of its table in a sweep's report, Compare its
	// title in a comparison of two sweeps, Bench its unit in the Go
	// benchmark format. Rank orders the metrics within each of them, and
	// MeanOnly tables show the mean without its interval.
	Table, Compare, Bench string
	Rank                  int
	MeanOnly              bool
}

// AxisLabel is the metric's label with its unit, for a figure's axis.
func (m Metric) AxisLabel() string {
	if m.Unit == "" {
		return m.Label
	}
	return m.Label + " (" + m.Unit + ")"
}

const ServiceUnit = "× mean service"

// always wraps a field that every result has.
func always(f func(r results.Result) float64) func(results.Result) (float64, bool) {
	return func(r results.Result) (float64, bool) { return f(r), true }
}

// perIssued divides a count by the jobs issued.
func perIssued(f func(r results.Result) float64) func(results.Result) (float64, bool) {
	return func(r results.Result) (float64, bool) {
		if r.JobsIssued == 0 {
			return 0, false
		}
		return f(r) / float64(r.JobsIssued), true
	}
}

// migrated wraps a field that only replications with migrations have.
func migrated(f func(r results.Result) float64) func(results.Result) (float64, bool) {
	return func(r results.Result) (float64, bool) { return f(r), r.Migrations > 0 }
}

// metrics is the registry: every metric figures along an axis, tables and
// exports can show, once.
var metrics = []Metric{
	{Name: "mean_response", Label: "mean response time", Unit: ServiceUnit, Lower: true,
		Table: "Mean response time (× mean service), 95% CI", Compare: "Mean response time", Bench: "mean-response", Rank: 1,
		Value: always(func(r results.Result) float64 { return r.MeanResponse }), Within: func(r results.Result) float64 { return r.CI95HalfWidth }},
	{Name: "p50_response", Label: "median response time", Unit: ServiceUnit, Lower: true, Bench: "p50-response", Rank: 3, Value: always(func(r results.Result) float64 { return r.P50Response })},
	{Name: "p95_response", Label: "p95 response time", Unit: ServiceUnit, Lower: true, Value: always(func(r results.Result) float64 { return r.P95Response })},
	{Name: "p99_response", Label: "p99 response time", Unit: ServiceUnit, Lower: true,
		Table: "99th percentile of response time, 95% CI", Compare: "99th percentile of response time", Bench: "p99-response", Rank: 2, Value: always(func(r results.Result) float64 { return r.P99Response })},
	{Name: "p999_response", Label: "p99.9 response time", Unit: ServiceUnit, Lower: true, Value: always(func(r results.Result) float64 { return r.P999Response })},
	{Name: "mean_wait", Label: "mean waiting time", Unit: ServiceUnit, Lower: true, Value: always(func(r results.Result) float64 { return r.MeanWait })},
	{Name: "mean_slowdown", Label: "mean slowdown", Lower: true, Value: always(func(r results.Result) float64 { return r.MeanSlowdown })},
	{Name: "throughput", Label: "throughput", Unit: "jobs per unit", Value: always(func(r results.Result) float64 { return r.Throughput })},
	{Name: "mean_in_system", Label: "mean jobs in system", Lower: true,
		Value: func(r results.Result) (float64, bool) { return r.MeanInSystem, r.MeanInSystem > 0 }},
	// At a given offered load, lower utilisation is less server time spent
	// on overheads (probes, transfers).
	{Name: "utilization", Label: "mean utilisation", Lower: true,
		Table: "Utilisation (mean busy fraction of servers)", MeanOnly: true, Rank: 6, Value: always(func(r results.Result) float64 { return r.Utilization })},
	{Name: "tlp", Label: "thread-level parallelism", Value: always(func(r results.Result) float64 { return r.TLP })},
	// Server architectures: threads holding a request, and the parts of
	// the response time a request spends computing and blocked.
	{Name: "threads", Label: "threads in use per node", Value: func(r results.Result) (float64, bool) { return r.Threads, r.Threads > 0 }},
	{Name: "mean_cpu", Label: "mean CPU time", Unit: ServiceUnit, Lower: true, Value: always(func(r results.Result) float64 { return r.MeanCPU })},
	{Name: "mean_io", Label: "mean blocked time", Unit: ServiceUnit, Lower: true, Value: func(r results.Result) (float64, bool) { return r.MeanIO, r.MeanIO > 0 }},
	// A front end (package front): how busy it is, and the time a request
	// spends there.
	{Name: "front_utilization", Label: "front-end utilisation", Lower: true, Value: func(r results.Result) (float64, bool) { return r.FrontUtilization, r.FrontUtilization > 0 }},
	{Name: "front_time", Label: "mean time at the front end", Unit: ServiceUnit, Lower: true, Value: func(r results.Result) (float64, bool) { return r.FrontTime, r.FrontTime > 0 }},
	// Energy (package energy).
	{Name: "energy_per_job", Label: "energy per job", Unit: "joules", Lower: true, Value: func(r results.Result) (float64, bool) { return r.EnergyPerJob, r.Energy > 0 }},
	{Name: "power", Label: "mean power of the cluster", Unit: "watts", Lower: true, Value: func(r results.Result) (float64, bool) { return r.Power, r.Energy > 0 }},
	// Elastic clusters (package scale): the nodes the run held, starting
	// ones included, integrated over it.
	{Name: "node_seconds", Label: "node-seconds used", Unit: "node × model units", Lower: true, Value: func(r results.Result) (float64, bool) { return r.NodeSeconds, r.NodeSeconds > 0 }},
	{Name: "client_energy_per_job", Label: "energy of node 0 and the network per job", Unit: "joules", Lower: true, Value: func(r results.Result) (float64, bool) {
		return r.ClientEnergy / float64(r.JobsMeasured), r.Energy > 0 && r.JobsMeasured > 0
	}},
	// On agents: their processes' CPU time over the point, the measured
	// proxy of their energy (and RAPL's joules where readable).
	{Name: "cpu_seconds", Label: "agents' CPU time", Unit: "seconds", Lower: true, Value: func(r results.Result) (float64, bool) { return r.CPUSeconds, r.CPUSeconds > 0 }},
	{Name: "rapl_joules", Label: "energy by RAPL", Unit: "joules", Lower: true, Value: func(r results.Result) (float64, bool) { return r.RAPLJoules, r.RAPLJoules > 0 }},
	// Sleep states (energy.Power.Sleep): the fraction of time the nodes
	// sleep, and how often they wake for a job.
	{Name: "asleep", Label: "time asleep", Unit: "fraction of node time", Value: func(r results.Result) (float64, bool) { return r.Asleep, r.Asleep > 0 || r.Wakeups > 0 }},
	{Name: "wakeups_per_job", Label: "wake-ups per job", Lower: true, Value: func(r results.Result) (float64, bool) {
		return float64(r.Wakeups) / float64(r.JobsMeasured), r.Wakeups > 0 && r.JobsMeasured > 0
	}},
	{Name: "join_time", Label: "time for an added agent to join", Unit: "model units", Lower: true, Value: func(r results.Result) (float64, bool) { return r.JoinTime, r.JoinTime > 0 }},
	// Per-client state (package session).
	{Name: "state_affinity", Label: "requests served where their state was", Unit: "fraction of returning requests", Value: func(r results.Result) (float64, bool) { return r.StateAffinity, r.StateReturning > 0 }},
	{Name: "state_lost", Label: "requests whose state was lost", Unit: "fraction of returning requests", Lower: true, Value: func(r results.Result) (float64, bool) { return r.StateLost, r.StateReturning > 0 }},
	{Name: "cache_hit_rate", Label: "cache hit rate", Unit: "fraction of requests", Value: func(r results.Result) (float64, bool) { return r.CacheHitRate, r.CacheHitRate > 0 }},
	// Client policies and fork-join requests.
	{Name: "copies_per_job", Label: "extra copies per request", Lower: true, Value: always(func(r results.Result) float64 { return r.CopiesPerJob })},
	{Name: "retries_per_job", Label: "retries per request", Lower: true, Value: always(func(r results.Result) float64 { return r.RetriesPerJob })},
	{Name: "wasted_work", Label: "work wasted by copies", Unit: ServiceUnit, Lower: true, Value: always(func(r results.Result) float64 { return r.WastedWork })},
	{Name: "goodput", Label: "goodput", Unit: "fraction of work done", Value: func(r results.Result) (float64, bool) { return r.Goodput, r.Goodput > 0 }},
	{Name: "task_mean_response", Label: "mean response time of tasks", Unit: ServiceUnit, Lower: true,
		Value: func(r results.Result) (float64, bool) { return r.TaskMeanResponse, r.TaskMeanResponse > 0 }},
	{Name: "task_p99_response", Label: "p99 response time of tasks", Unit: ServiceUnit, Lower: true,
		Value: func(r results.Result) (float64, bool) { return r.TaskP99Response, r.TaskP99Response > 0 }},
	// Livny & Melman (1982): the fraction of time a job waits at one node
	// while a server of another idles, what load sharing could still gain. -1 in a
	// record: not known (an agent sent no occupancy log).
	{Name: "wait_while_idle", Label: "wait while idle", Unit: "fraction of time", Lower: true,
		Value: func(r results.Result) (float64, bool) { return r.WaitWhileIdle, r.WaitWhileIdle >= 0 }},
	{Name: "failed_fraction", Label: "jobs failed", Unit: "fraction of issued", Lower: true, Value: perIssued(func(r results.Result) float64 { return float64(r.JobsFailed) })},
	// Why jobs failed (Result.Failures, as the ledger counts them): shed
	// by a finite queue or an admission policy (every "shed: …" reason),
	// and abandoned at their client's deadline (client.TimeoutReason).
	{Name: "drop_rate", Label: "jobs shed", Unit: "fraction of issued", Lower: true, Value: perIssued(func(r results.Result) float64 { return failedFor(r, isShed) })},
	{Name: "deadline_misses", Label: "deadlines missed", Unit: "fraction of issued", Lower: true,
		Value: perIssued(func(r results.Result) float64 {
			return failedFor(r, func(reason string) bool { return reason == client.TimeoutReason })
		})},
	{Name: "migrations_per_job", Label: "migrations per job", Lower: true,
		Table: "Migrations per job, 95% CI", Bench: "migrations/job", Rank: 4, Value: always(func(r results.Result) float64 { return r.MigrationsPerJob })},
	{Name: "probes_per_job", Label: "probes per job", Lower: true,
		Table: "Probes per job, 95% CI", Bench: "probes/job", Rank: 5, Value: always(func(r results.Result) float64 { return r.ProbesPerJob })},
	{Name: "bytes_per_job", Label: "bytes sent per job", Unit: "bytes", Lower: true, Value: always(func(r results.Result) float64 { return r.BytesPerJob })},
	{Name: "gossip_age", Label: "age of gossiped load read", Unit: ServiceUnit, Lower: true, Value: always(func(r results.Result) float64 { return r.GossipAge })},
	{Name: "mean_migration_time", Label: "mean migration time", Unit: ServiceUnit, Lower: true, Value: migrated(func(r results.Result) float64 { return r.MeanMigrationTime })},
	{Name: "mean_downtime", Label: "mean downtime per migration", Unit: ServiceUnit, Lower: true, Value: migrated(func(r results.Result) float64 { return r.MeanDowntime })},
	{Name: "code_hit_rate", Label: "code cache hit rate", Value: migrated(func(r results.Result) float64 { return r.CodeHitRate })},
	// Real agents: how late jobs reached their agents, beyond what their
	// decision's probes took; the simulator has none (0: not known).
	{Name: "dispatch_delay", Label: "dispatch delay", Unit: ServiceUnit, Lower: true,
		Value: func(r results.Result) (float64, bool) { return r.DispatchDelay, r.DispatchDelay > 0 }},
}

// failedFor counts the jobs of r that failed for a reason that matches.
func failedFor(r results.Result, match func(reason string) bool) float64 {
	n := int64(0)
	for reason, k := range r.Failures {
		if match(reason) {
			n += k
		}
	}
	return float64(n)
}

// isShed tells the reasons of jobs shed at a node: scenario.ShedReason and
// policy.AdmitSpec.Reason, both "shed: …".
func isShed(reason string) bool { return strings.HasPrefix(reason, "shed: ") }

// Metrics returns the registry of metrics, in the order of the docs.
func Metrics() []Metric { return append([]Metric(nil), metrics...) }

// tierFamilies are the metrics of each shared tier (results.TierStat),
// named FAMILY.TIER, e.g. tier_utilization.db, as the CSV columns are.
var tierFamilies = []struct {
	Metric
	stat func(results.TierStat) float64
}{
	{Metric{Name: "tier_utilization", Label: "utilisation of tier", Lower: true}, func(t results.TierStat) float64 { return t.Utilization }},
	{Metric{Name: "tier_time", Label: "mean time at tier", Unit: ServiceUnit, Lower: true}, func(t results.TierStat) float64 { return t.Time }},
}

// TierFamilies lists the per-tier metrics for listings, each named
// FAMILY.TIER (e.g. tier_time.TIER).
func TierFamilies() []Metric {
	out := make([]Metric, len(tierFamilies))
	for i, f := range tierFamilies {
		out[i] = f.Metric
		out[i].Name += ".TIER"
		out[i].Label += " TIER"
	}
	return out
}

// MetricByName returns the metric of the registry called name, or the
// metric of one tier: tier_utilization.db is tier db's utilisation.
func MetricByName(name string) (Metric, bool) {
	for _, m := range metrics {
		if m.Name == name {
			return m, true
		}
	}
	family, tier, ok := strings.Cut(name, ".")
	for _, f := range tierFamilies {
		if ok && tier != "" && f.Name == family {
			m, stat := f.Metric, f.stat
			m.Name, m.Label = name, m.Label+" "+tier
			m.Value = func(r results.Result) (float64, bool) {
				for _, t := range r.TierStats {
					if t.Name == tier {
						return stat(t), true
					}
				}
				return 0, false
			}
			return m, true
		}
	}
	return Metric{}, false
}

// CheckMetrics reports a name that is not a metric of the registry,
// listing those there are.
func CheckMetrics(names []string) error {
	for _, n := range names {
		if _, ok := MetricByName(n); !ok {
			var all []string
			for _, m := range append(Metrics(), TierFamilies()...) {
				all = append(all, m.Name)
			}
			return fmt.Errorf("%q is not a metric: choose among %s", n, strings.Join(all, ", "))
		}
	}
	return nil
}

// Estimate returns the mean of metric m over the cell's replications that
// have it and the half-width of its 95% t interval; with one replication
// the half-width is that run's own (Metric.Within), or 0. The mean is NaN
// when no replication has the metric.
func (c Cell) Estimate(m Metric) (mean, half float64) {
	var vs []float64
	for _, r := range c.results {
		if v, ok := m.Value(r); ok && !math.IsNaN(v) {
			vs = append(vs, v)
		}
	}
	mean, half = TInterval(vs)
	if len(vs) == 1 && len(c.results) == 1 && m.Within != nil {
		half = m.Within(c.results[0])
	}
	return mean, half
}
