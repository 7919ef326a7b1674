// Package report turns sweep directories into documents: one sweep into a
// self-contained HTML page, Markdown, and its tables as LaTeX (booktabs)
// and tidy CSV; two sweeps (or the two backends of one) into a comparison
// with the differences tested.
//
// A report only reads what a sweep stored (results.jsonl and spec.yaml);
// it never reruns an experiment.
package report

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/loadlab/loadlab/analysis"
	"github.com/loadlab/loadlab/experiment"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/stats"
)

// Sweep is what a sweep directory holds, read once.
type Sweep struct {
	Dir     string
	Spec    *experiment.Spec
	Records []results.Record
	Cells   []stats.Cell
	// Order is the policy labels in the spec's order (colours in figures).
	Order []string
}

// Load reads the spec and results kept in dir. A directory that is missing,
// is not a sweep directory or holds no results is bad input
// (experiment.IsInput reports true).
func Load(dir string) (*Sweep, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, &experiment.InputError{Err: fmt.Errorf("sweep directory %s: %w", dir, err)}
	}
	if !st.IsDir() {
		return nil, &experiment.InputError{Err: fmt.Errorf("%s is not a directory", dir)}
	}
	spec, err := experiment.Reopen(dir)
	if err != nil {
		return nil, err
	}
	recs, err := results.Read(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &experiment.InputError{Err: fmt.Errorf("%s holds no results: %w", dir, err)}
		}
		return nil, err
	}
	if len(recs) == 0 {
		return nil, &experiment.InputError{Err: fmt.Errorf("%s holds no results (%s is empty)", dir, filepath.Join(dir, results.FileName))}
	}
	// Points the spec no longer has (it was edited since) stay in the store
	// but not in the report, as in the sweep's own tables and figures.
	if recs = spec.Select(recs); len(recs) == 0 {
		return nil, &experiment.InputError{Err: fmt.Errorf("%s holds no results of its spec %s", dir, filepath.Join(dir, experiment.SpecFile))}
	}
	return &Sweep{Dir: dir, Spec: spec, Records: recs, Cells: stats.Summarize(recs), Order: spec.Labels()}, nil
}

// Env summarises where and when a sweep's points ran: each distinct value
// of the records' environment, and the span of their start times.
type Env struct {
	Hosts, CPUs, GoVersions, Commits, Versions []string
	First, Last                                time.Time // earliest start, latest end
	Seconds                                    float64   // summed wall time of the points
}

// EnvOf collects the environment of recs.
func EnvOf(recs []results.Record) Env {
	var e Env
	add := func(list *[]string, v string) {
		if v == "" {
			return
		}
		for _, s := range *list {
			if s == v {
				return
			}
		}
		*list = append(*list, v)
	}
	for _, r := range recs {
		add(&e.Hosts, r.Env.Host)
		add(&e.CPUs, r.Env.CPU)
		add(&e.GoVersions, r.Env.GoVersion)
		add(&e.Commits, r.Env.Commit)
		add(&e.Versions, r.Env.Version)
		e.Seconds += r.Env.Seconds
		if s := r.Env.Start; !s.IsZero() {
			if e.First.IsZero() || s.Before(e.First) {
				e.First = s
			}
			if end := s.Add(time.Duration(r.Env.Seconds * float64(time.Second))); end.After(e.Last) {
				e.Last = end
			}
		}
	}
	return e
}

// lines renders the environment as label: value items.
func (e Env) lines() []string {
	join := func(v []string) string {
		if len(v) == 0 {
			return "unknown"
		}
		return strings.Join(v, ", ")
	}
	out := []string{
		"host: " + join(e.Hosts),
		"CPU: " + join(e.CPUs),
		"Go: " + join(e.GoVersions),
		"commit: " + join(e.Commits),
		"version: " + join(e.Versions),
	}
	if !e.First.IsZero() {
		out = append(out, fmt.Sprintf("ran: from %s to %s (%.1f s of point time)",
			e.First.UTC().Format(time.RFC3339), e.Last.UTC().Format(time.RFC3339), e.Seconds))
	}
	return out
}

// Thresholds of the warnings.
const (
	// WideCI is the relative half-width above which a cell's 95% interval
	// of the mean response is flagged (stats.Imprecise).
	WideCI = 0.10
	// SaturatedUtilization flags a replication whose servers were busy
	// at least this fraction of the time: the queue is at or past
	// saturation and its mean response depends on the run length.
	SaturatedUtilization = 0.99
	// DriftingBatches flags a replication whose batch-means half-width
	// exceeds this fraction of its mean response: batch means that keep
	// rising (a queue growing without bound) give a huge within-run
	// interval even when replications happen to agree.
	DriftingBatches = 0.5
)

// Warnings lists what a reader should distrust in a sweep: first each
// workload whose load varies over time and each policy row on an elastic
// cluster (not a steady state), then one sentence per cell and kind, in
// cell order:
//
//   - failed jobs: a cell whose replications lost jobs;
//   - wide CI: stats.Imprecise(c, WideCI);
//   - unstable: a replication with utilisation ≥ SaturatedUtilization, or
//     with a batch-means half-width above DriftingBatches × its mean
//     response (a mean growing without bound within the run);
//   - short warm-up: a replication whose responses settle after its
//     warm-up by more than its interval shows (LateSteady), in a cell
//     whose load, cluster and faults do not change over time (those have
//     no steady state to settle in).
func Warnings(recs []results.Record, cells []stats.Cell) []string {
	byCell := recordsByCell(recs)
	var out []string
	varies := map[string]bool{}
	for _, c := range cells {
		if !varies[c.Workload] && analysis.VaryingLoad(c.Point) != nil {
			varies[c.Workload] = true
			out = append(out, fmt.Sprintf("not a steady state: the load of workload %s varies over time (%s), so its statistics are means over each run; see load_over_time", c.Workload, c.Point.Arrival))
		}
	}
	elastic := map[string]bool{}
	for _, c := range cells {
		if !elastic[c.Policy] && (c.Point.Elastic != "" || c.Point.Scale != "") {
			elastic[c.Policy] = true
			out = append(out, fmt.Sprintf("not a fixed cluster: %s runs on nodes that join and leave (%s), so its statistics are means over each run; see nodes_over_time",
				c.Policy, strings.Trim(c.Point.Elastic+"; "+c.Point.Scale, "; ")))
		}
	}
	for _, c := range cells {
		name := cellName(c)
		rs := byCell[keyOf(c)]
		sort.Slice(rs, func(i, j int) bool { return rs[i].Point.Replication < rs[j].Point.Replication })
		if c.JobsFailed > 0 {
			var reps []string
			for _, r := range rs {
				if r.Result.JobsFailed > 0 {
					reps = append(reps, fmt.Sprint(r.Point.Replication))
				}
			}
			out = append(out, fmt.Sprintf("failed jobs: %s lost %d of %s (%s %s)",
				name, c.JobsFailed, plural(int(c.JobsIssued), "job"), noun(len(reps), "replication"), strings.Join(reps, ", ")))
		}
		if stats.Imprecise(c, WideCI) {
			out = append(out, fmt.Sprintf("wide CI: %s has mean response %s, wider than ±%g%% (run more replications or jobs)",
				name, plusMinus(c.Mean, c.MeanHalf), 100*WideCI))
		}
		var why []string
		for _, r := range rs {
			res := r.Result
			switch {
			case res.Utilization >= SaturatedUtilization:
				why = append(why, fmt.Sprintf("replication %d at utilisation %.3f", r.Point.Replication, res.Utilization))
			case res.CI95HalfWidth > DriftingBatches*math.Abs(res.MeanResponse) || math.IsNaN(res.MeanResponse) || math.IsInf(res.MeanResponse, 0):
				why = append(why, fmt.Sprintf("replication %d with batch means drifting (%s)", r.Point.Replication,
					plusMinus(res.MeanResponse, res.CI95HalfWidth)))
			}
		}
		if len(why) > 0 {
			out = append(out, fmt.Sprintf("unstable: %s: %s", name, strings.Join(why, "; ")))
		}
		if varies[c.Workload] || elastic[c.Policy] || c.Point.Faults != "" {
			continue
		}
		var late []string
		for _, r := range rs {
			if w := LateSteady(r); w != "" {
				late = append(late, w)
			}
		}
		if len(late) > 0 {
			out = append(out, fmt.Sprintf("short warm-up: %s: %s (raise warmup, and jobs with it)", name, strings.Join(late, "; ")))
		}
	}
	return out
}

// LateSteady says where r's responses settle when they have not settled
// in the first half of the run, or settle after its warm-up with a
// transient that shifts the measured mean response by more than the
// interval's half-width ("" otherwise, and for a record made before
// steady_from was measured). A later cut that shifts the mean less is
// within the noise the interval already shows.
func LateSteady(r results.Record) string {
	res, p := r.Result, r.Point
	switch {
	case !res.SteadyFound && res.SteadyFrom == 0:
		return "" // not measured
	case !res.SteadyFound:
		return fmt.Sprintf("replication %d has not settled by half its run (job %d)", p.Replication, res.SteadyFrom)
	case res.SteadyFrom > int64(p.Warmup) && math.Abs(res.TransientBias) > res.CI95HalfWidth:
		return fmt.Sprintf("replication %d settles at job %d, after its warm-up of %d: the transient shifts its mean response by %+.3g, beyond its interval (±%.3g)",
			p.Replication, res.SteadyFrom, p.Warmup, res.TransientBias, res.CI95HalfWidth)
	}
	return ""
}

// cellName names a cell in sentences: "pod at ρ=0.9 (workload exp)",
// "pod at ρ=0.9, probes=3 (workload exp)" along an axis.
func cellName(c stats.Cell) string {
	at := fmt.Sprintf("ρ=%g", c.Load)
	if c.Axis != "" {
		at += fmt.Sprintf(", %s=%g", c.Axis, c.X)
	}
	return fmt.Sprintf("%s at %s (workload %s)", c.Policy, at, c.Workload)
}

// plural counts n of a noun given in the singular: "1 workload",
// "2 workloads", "7 policies".
func plural(n int, one string) string { return fmt.Sprintf("%d %s", n, noun(n, one)) }

// noun is the singular one for n = 1, else its English plural.
func noun(n int, one string) string {
	switch {
	case n == 1:
		return one
	case strings.HasSuffix(one, "y") && !strings.ContainsAny(one[len(one)-2:len(one)-1], "aeiou"):
		return one[:len(one)-1] + "ies"
	case strings.HasSuffix(one, "s") || strings.HasSuffix(one, "x") || strings.HasSuffix(one, "ch") || strings.HasSuffix(one, "sh"):
		return one + "es"
	}
	return one + "s"
}
