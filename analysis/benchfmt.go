package analysis

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
// replication, named Benchmark<Sweep>/workload=W/load=L, with the mean,
// p99 and p50 response times (model units) and the migrations and probes
// per job as metrics. Compare policies with
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
			return a.Replication < b.Replication
		})
		fmt.Fprintf(bw, "\npolicy: %s\n", configValue(p))
		for _, r := range rs {
			x := r.Result
			fmt.Fprintf(bw, "Benchmark%s/workload=%s/load=%s 1 %s mean-response %s p99-response %s p50-response %s migrations/job %s probes/job\n",
				name, benchName(r.Point.Workload), strconv.FormatFloat(r.Point.Load, 'g', -1, 64),
				num(x.MeanResponse), num(x.P99Response), num(x.P50Response), num(x.MigrationsPerJob), num(x.ProbesPerJob))
		}
	}
	return bw.Flush()
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
