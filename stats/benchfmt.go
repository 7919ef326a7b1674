package stats

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/loadlab/loadlab/results"
)

// WriteBenchfmt writes records in the Go benchmark format, so that
// benchstat compares policies with its own statistics: one configuration
// block per policy ("policy: NAME"), one benchmark line per point and
// replication, named Benchmark<Sweep>/workload=W/load=L (then /AXIS=X
// when the sweep has an axis other than load), with the metrics of the
// registry that have a Bench unit, in the order of their Rank: the mean,
// p99 and p50 response times (model units) and the migrations and probes
// per job. A replication without a metric (Metric.Value not ok) leaves it
// off its line. Compare policies with
//
//	benchstat -col policy FILE
//
// and two sweeps (for example before and after a change) with
// benchstat OLD NEW.
//
// The policies come in the spec's order (order; policies not in it
// follow, by name): benchstat orders a column's values by their first
// appearance and compares every column with the first, so the spec's
// first policy is the base.
func WriteBenchfmt(w io.Writer, sweep string, recs []results.Record, order []string) error {
	bw := bufio.NewWriter(w)
	name := benchName(sweep)
	units := benchMetrics()
	by := map[string][]results.Record{}
	var policies []string
	for _, r := range recs {
		p := r.Point.Policy
		if _, ok := by[p]; !ok {
			policies = append(policies, p)
		}
		by[p] = append(by[p], r)
	}
	rank := map[string]int{}
	for i, p := range order {
		if _, dup := rank[p]; !dup {
			rank[p] = i
		}
	}
	sort.Slice(policies, func(i, j int) bool {
		ri, iok := rank[policies[i]]
		rj, jok := rank[policies[j]]
		if iok != jok {
			return iok
		}
		if iok && ri != rj {
			return ri < rj
		}
		return policies[i] < policies[j]
	})
	fmt.Fprintf(bw, "pkg: loadlab/%s\n", name)
	for _, p := range policies {
		rs := by[p]
		sort.SliceStable(rs, func(i, j int) bool {
			a, b := rs[i].Point, rs[j].Point
			if a.Workload != b.Workload {
				return a.Workload < b.Workload
			}
			if a.Load != b.Load {
				return a.Load < b.Load
			}
			if a.X != b.X {
				return a.X < b.X
			}
			return a.Replication < b.Replication
		})
		fmt.Fprintf(bw, "\npolicy: %s\n", configValue(p))
		for _, r := range rs {
			fmt.Fprintf(bw, "Benchmark%s/workload=%s/load=%s", name, benchName(r.Point.Workload), strconv.FormatFloat(r.Point.Load, 'g', -1, 64))
			if r.Point.Axis != "" {
				fmt.Fprintf(bw, "/%s=%s", benchName(r.Point.Axis), strconv.FormatFloat(r.Point.X, 'g', -1, 64))
			}
			fmt.Fprint(bw, " 1")
			for _, m := range units {
				if v, ok := m.Value(r.Result); ok {
					fmt.Fprintf(bw, " %s %s", num(v), m.Bench)
				}
			}
			fmt.Fprintln(bw)
		}
	}
	return bw.Flush()
}

// benchMetrics are the metrics of the registry with a unit in the Go
// benchmark format, ordered by Rank.
func benchMetrics() []Metric {
	var out []Metric
	for _, m := range metrics {
		if m.Bench != "" {
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Rank < out[j].Rank })
	return out
}

// benchName makes s usable inside a benchmark name: no spaces, no '/'
// (which separates sub-benchmarks) and no '=' (which separates a key from
// its value); an empty name becomes "_".
func benchName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '/', '=', '\n':
			return '_'
		}
		return r
	}, s)
	if s == "" {
		return "_"
	}
	return s
}

// configValue keeps a configuration value on one line.
func configValue(s string) string { return strings.ReplaceAll(s, "\n", " ") }

func num(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
