package stats

import (
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/loadlab/loadlab/latency"
	"github.com/loadlab/loadlab/results"
)

// TInterval returns the mean of xs and the half-width of its 95% Student-t
// confidence interval, t(0.975, n−1)·s/√n with s the sample standard
// deviation. The half-width is 0 for fewer than two values; the mean is
// NaN for none. Use it across independent replications: within one run,
// successive response times are correlated and the interval would be far
// too narrow.
func TInterval(xs []float64) (mean, half float64) {
	n := len(xs)
	switch n {
	case 0:
		return math.NaN(), 0
	case 1:
		return xs[0], 0
	}
	mean, sd := stat.MeanStdDev(xs, nil)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(0.975)
	return mean, t * sd / math.Sqrt(float64(n))
}

// Cell aggregates the replications of one (workload, policy, load, axis
// value).
type Cell struct {
	Workload, Policy string
	Load             float64
	// Axis is the sweep's axis other than load (results.Point.Axis) and X
	// the cell's value on it; "" and 0 without one.
	Axis string
	X    float64
	N    int // replications

	// Mean response time across replications and the half-width of its 95%
	// t interval. With a single replication the half-width is that run's own
	// batch-means half-width (Result.CI95HalfWidth).
	Mean, MeanHalf float64
	// 99th percentile of response time: mean of the replications' p99 and
	// its 95% t half-width (0 with one replication).
	P99, P99Half float64

	// Overheads: means across replications and their 95% t half-widths.
	MigrationsPerJob, MigrationsPerJobHalf float64
	ProbesPerJob, ProbesPerJobHalf         float64
	BytesPerJob, BytesPerJobHalf           float64
	Utilization                            float64 // mean

	// Spread of utilisation across nodes: the utilisation of the least
	// and of the most loaded node (Result.NodeUtilization), each a mean
	// across the replications that report node utilisations; NaN when
	// none does.
	NodeUtilMin, NodeUtilMax float64

	// Staleness of gossip: the mean age of the gossiped load a decision
	// read (Result.GossipAge) and its 99th percentile (Result.GossipAgeP99,
	// real backends only), means across replications with their 95% t
	// half-widths; 0 for policies that read no gossip.
	GossipAge, GossipAgeHalf       float64
	GossipAgeP99, GossipAgeP99Half float64

	// The code caches' hit rate over time (Result.CodeHits): per bin of
	// CodeHitBin model units, the mean across the replications that had
	// lookups in that bin; NaN for a bin without any. Nil without series.
	CodeHits   []float64
	CodeHitBin float64

	JobsIssued, JobsCompleted, JobsFailed int64 // sums over replications

	// Code migration (records with Point.Units; zero otherwise): bytes
	// sent per issued job by segment (Result.CodeBytes, StateBytes and
	// ResourceBytes over JobsIssued), means across replications and their
	// 95% t half-widths.
	CodeBytesPerJob, CodeBytesPerJobHalf         float64
	StateBytesPerJob, StateBytesPerJobHalf       float64
	ResourceBytesPerJob, ResourceBytesPerJobHalf float64
	// Mean migration time, mean downtime and code-on-demand hit rate, means
	// across the replications that migrated at least once (a run without
	// migrations has none of them) and their 95% t half-widths; NaN when
	// no replication migrated.
	MigrationTime, MigrationTimeHalf float64
	Downtime, DowntimeHalf           float64
	CodeHitRate, CodeHitRateHalf     float64

	// Hist merges the replications' response-time histograms; nil when
	// none could be decoded.
	Hist *latency.Histogram
	// Point is the point of the replication with the lowest index, for
	// theory curves and labels.
	Point results.Point

	results []results.Result // the replications', for Estimate
}

type cellKey struct {
	workload, policy string
	load, x          float64
}

// Summarize groups records by (workload, policy, load, axis value) and
// aggregates each group's replications into a Cell. Cells come sorted by
// workload name, then by policy in order of first appearance in recs, then
// by load, then by axis value.
func Summarize(recs []results.Record) []Cell {
	policyRank := map[string]int{}
	groups := map[cellKey][]results.Record{}
	var keys []cellKey
	for _, r := range recs {
		p := r.Point
		if _, ok := policyRank[p.Policy]; !ok {
			policyRank[p.Policy] = len(policyRank)
		}
		k := cellKey{p.Workload, p.Policy, p.Load, p.X}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
	}
	sort.SliceStable(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.workload != b.workload {
			return a.workload < b.workload
		}
		if a.policy != b.policy {
			return policyRank[a.policy] < policyRank[b.policy]
		}
		if a.load != b.load {
			return a.load < b.load
		}
		return a.x < b.x
	})
	cells := make([]Cell, len(keys))
	for i, k := range keys {
		cells[i] = summarizeCell(k, groups[k])
	}
	return cells
}

func summarizeCell(k cellKey, recs []results.Record) Cell {
	c := Cell{Workload: k.workload, Policy: k.policy, Load: k.load, Axis: recs[0].Point.Axis, X: k.x, N: len(recs)}
	n := len(recs)
	first := 0
	var util float64
	ages99 := make([]float64, n)
	var nodeMins, nodeMaxs []float64
	code := make([]float64, n)
	state := make([]float64, n)
	resource := make([]float64, n)
	for i, r := range recs {
		res := r.Result
		c.results = append(c.results, res)
		if res.JobsIssued > 0 {
			issued := float64(res.JobsIssued)
			code[i], state[i], resource[i] = res.CodeBytes/issued, res.StateBytes/issued, res.ResourceBytes/issued
		}
		ages99[i] = res.GossipAgeP99
		util += res.Utilization
		if len(res.NodeUtilization) > 0 {
			nodeMins = append(nodeMins, slices.Min(res.NodeUtilization))
			nodeMaxs = append(nodeMaxs, slices.Max(res.NodeUtilization))
		}
		c.JobsIssued += res.JobsIssued
		c.JobsCompleted += res.JobsCompleted
		c.JobsFailed += res.JobsFailed
		if r.Point.Replication < recs[first].Point.Replication {
			first = i
		}
		if res.Histogram == "" {
			continue
		}
		h, err := latency.Decode(res.Histogram)
		if err != nil {
			continue // a record from an incompatible version: its scalars still count
		}
		if c.Hist == nil {
			c.Hist = latency.New()
		}
		c.Hist.Merge(h)
	}
	c.Point = recs[first].Point
	est := func(name string) (float64, float64) {
		m, _ := MetricByName(name)
		return c.Estimate(m)
	}
	c.Mean, c.MeanHalf = est("mean_response")
	c.P99, c.P99Half = est("p99_response")
	c.MigrationsPerJob, c.MigrationsPerJobHalf = est("migrations_per_job")
	c.ProbesPerJob, c.ProbesPerJobHalf = est("probes_per_job")
	c.BytesPerJob, c.BytesPerJobHalf = est("bytes_per_job")
	c.GossipAge, c.GossipAgeHalf = est("gossip_age")
	c.GossipAgeP99, c.GossipAgeP99Half = TInterval(ages99)
	c.NodeUtilMin, c.NodeUtilMax = math.NaN(), math.NaN()
	if len(nodeMins) > 0 {
		c.NodeUtilMin, c.NodeUtilMax = stat.Mean(nodeMins, nil), stat.Mean(nodeMaxs, nil)
	}
	c.CodeBytesPerJob, c.CodeBytesPerJobHalf = TInterval(code)
	c.StateBytesPerJob, c.StateBytesPerJobHalf = TInterval(state)
	c.ResourceBytesPerJob, c.ResourceBytesPerJobHalf = TInterval(resource)
	c.MigrationTime, c.MigrationTimeHalf = est("mean_migration_time")
	c.Downtime, c.DowntimeHalf = est("mean_downtime")
	c.CodeHitRate, c.CodeHitRateHalf = est("code_hit_rate")
	c.CodeHits, c.CodeHitBin = hitSeries(recs)
	c.Utilization = util / float64(n)
	return c
}

// hitSeries averages the records' code hit rates over time, bin by bin,
// over the records that had lookups in the bin (-1 marks none).
func hitSeries(recs []results.Record) (rates []float64, bin float64) {
	var all [][]float64
	for _, r := range recs {
		if len(r.Result.CodeHits) > 0 {
			all, bin = append(all, r.Result.CodeHits), r.Result.CodeHitBin
		}
	}
	return BinMeans(all), bin
}

// BinMeans averages series bin by bin over those with a value ≥ 0 in the
// bin (-1 marks a bin without any); NaN where none has one.
func BinMeans(series [][]float64) []float64 {
	var sum []float64
	var n []int
	for _, vs := range series {
		for i, v := range vs {
			for len(sum) <= i {
				sum, n = append(sum, 0), append(n, 0)
			}
			if v >= 0 {
				sum[i] += v
				n[i]++
			}
		}
	}
	var out []float64
	for i := range sum {
		v := math.NaN()
		if n[i] > 0 {
			v = sum[i] / float64(n[i])
		}
		out = append(out, v)
	}
	return out
}

// Policies returns the policies of cells in order of first appearance.
func Policies(cells []Cell) []string {
	return distinct(cells, func(c Cell) string { return c.Policy })
}

// Workloads returns the workloads of cells in order of first appearance.
func Workloads(cells []Cell) []string {
	return distinct(cells, func(c Cell) string { return c.Workload })
}

func distinct(cells []Cell, f func(Cell) string) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range cells {
		if s := f(c); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
