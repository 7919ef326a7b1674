package results

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// column is one column of the CSV export: its header and how a record
// fills it. Header and rows come from the same table so they cannot drift.
type column struct {
	name  string
	value func(*Record) string
}

// textColumns are always quoted: their values read wrong as numbers.
var textColumns = map[string]bool{"seed": true}

// columns lists the CSV columns in order: the Point fields, the scalar
// Result fields, two summaries of the per-node utilizations, then the
// start and duration of the run. Names are the JSON names of the fields.
var columns = []column{
	{"key", func(r *Record) string { return r.Point.Key }},
	{"spec", func(r *Record) string { return r.Point.Spec }},
	{"policy", func(r *Record) string { return r.Point.Policy }},
	{"dispatch", func(r *Record) string { return r.Point.Dispatch }},
	{"migrate", func(r *Record) string { return r.Point.Migrate }},
	{"workload", func(r *Record) string { return r.Point.Workload }},
	{"arrival", func(r *Record) string { return r.Point.Arrival }},
	{"size", func(r *Record) string { return r.Point.Size }},
	{"size_mean", func(r *Record) string { return fmtFloat(r.Point.SizeMean) }},
	{"size_scv", func(r *Record) string { return fmtFloat(r.Point.SizeSCV) }},
	{"speeds", func(r *Record) string { return r.Point.Speeds }},
	{"distances", func(r *Record) string { return r.Point.Distances }},
	{"load", func(r *Record) string { return fmtFloat(r.Point.Load) }},
	{"nodes", func(r *Record) string { return fmtInt(r.Point.Nodes) }},
	{"servers", func(r *Record) string { return fmtInt(r.Point.Servers) }},
	{"discipline", func(r *Record) string { return r.Point.Discipline }},
	{"jobs", func(r *Record) string { return fmtInt(r.Point.Jobs) }},
	{"warmup", func(r *Record) string { return fmtInt(r.Point.Warmup) }},
	{"replication", func(r *Record) string { return fmtInt(r.Point.Replication) }},
	{"seed", func(r *Record) string { return strconv.FormatUint(r.Point.Seed, 10) }},
	{"backend", func(r *Record) string { return r.Point.Backend }},
	{"costs", func(r *Record) string { return r.Point.Costs }},
	{"gossip", func(r *Record) string { return fmtFloat(r.Point.Gossip) }},
	{"gossip_mode", func(r *Record) string { return r.Point.GossipMode }},
	{"time_unit", func(r *Record) string { return r.Point.TimeUnit }},
	{"kernel", func(r *Record) string { return r.Point.Kernel }},
	{"dispatchers", func(r *Record) string { return strconv.Itoa(r.Point.Dispatchers) }},
	{"units", func(r *Record) string { return r.Point.Units }},
	{"platforms", func(r *Record) string { return r.Point.Platforms }},
	{"faults", func(r *Record) string { return r.Point.Faults }},

	{"mean_response", func(r *Record) string { return fmtFloat(r.Result.MeanResponse) }},
	{"p50_response", func(r *Record) string { return fmtFloat(r.Result.P50Response) }},
	{"p95_response", func(r *Record) string { return fmtFloat(r.Result.P95Response) }},
	{"p99_response", func(r *Record) string { return fmtFloat(r.Result.P99Response) }},
	{"p999_response", func(r *Record) string { return fmtFloat(r.Result.P999Response) }},
	{"ci95_halfwidth", func(r *Record) string { return fmtFloat(r.Result.CI95HalfWidth) }},
	{"batches", func(r *Record) string { return fmtInt(r.Result.Batches) }},
	{"mean_wait", func(r *Record) string { return fmtFloat(r.Result.MeanWait) }},
	{"mean_slowdown", func(r *Record) string { return fmtFloat(r.Result.MeanSlowdown) }},
	{"mean_size", func(r *Record) string { return fmtFloat(r.Result.MeanSize) }},
	{"jobs_issued", func(r *Record) string { return fmtInt(r.Result.JobsIssued) }},
	{"jobs_completed", func(r *Record) string { return fmtInt(r.Result.JobsCompleted) }},
	{"jobs_failed", func(r *Record) string { return fmtInt(r.Result.JobsFailed) }},
	{"jobs_measured", func(r *Record) string { return fmtInt(r.Result.JobsMeasured) }},
	{"throughput", func(r *Record) string { return fmtFloat(r.Result.Throughput) }},
	{"mean_in_system", func(r *Record) string { return fmtFloat(r.Result.MeanInSystem) }},
	{"arrival_rate", func(r *Record) string { return fmtFloat(r.Result.ArrivalRate) }},
	{"migrations", func(r *Record) string { return fmtInt(r.Result.Migrations) }},
	{"preemptions", func(r *Record) string { return fmtInt(r.Result.Preemptions) }},
	{"probes", func(r *Record) string { return fmtInt(r.Result.Probes) }},
	{"messages", func(r *Record) string { return fmtInt(r.Result.Messages) }},
	{"bytes_moved", func(r *Record) string { return fmtFloat(r.Result.BytesMoved) }},
	{"migrations_per_job", func(r *Record) string { return fmtFloat(r.Result.MigrationsPerJob) }},
	{"probes_per_job", func(r *Record) string { return fmtFloat(r.Result.ProbesPerJob) }},
	{"bytes_per_job", func(r *Record) string { return fmtFloat(r.Result.BytesPerJob) }},
	{"code_bytes", func(r *Record) string { return fmtFloat(r.Result.CodeBytes) }},
	{"state_bytes", func(r *Record) string { return fmtFloat(r.Result.StateBytes) }},
	{"resource_bytes", func(r *Record) string { return fmtFloat(r.Result.ResourceBytes) }},
	{"mean_migration_time", func(r *Record) string { return fmtFloat(r.Result.MeanMigrationTime) }},
	{"mean_downtime", func(r *Record) string { return fmtFloat(r.Result.MeanDowntime) }},
	{"code_hit_rate", func(r *Record) string { return fmtFloat(r.Result.CodeHitRate) }},
	{"refused_moves", func(r *Record) string { return fmtInt(r.Result.RefusedMoves) }},
	{"redirected_jobs", func(r *Record) string { return fmtInt(r.Result.RedirectedJobs) }},
	{"code_hit_bin", func(r *Record) string { return fmtFloat(r.Result.CodeHitBin) }},
	{"remote_uses", func(r *Record) string { return fmtInt(r.Result.RemoteUses) }},
	{"utilization", func(r *Record) string { return fmtFloat(r.Result.Utilization) }},
	{"node_util_min", func(r *Record) string { return fmtExtreme(r.Result.NodeUtilization, slices.Min) }},
	{"node_util_max", func(r *Record) string { return fmtExtreme(r.Result.NodeUtilization, slices.Max) }},
	{"tlp", func(r *Record) string { return fmtFloat(r.Result.TLP) }},
	{"wait_while_idle", func(r *Record) string { return fmtFloat(r.Result.WaitWhileIdle) }},
	{"gossip_age", func(r *Record) string { return fmtFloat(r.Result.GossipAge) }},
	{"gossip_age_p50", func(r *Record) string { return fmtFloat(r.Result.GossipAgeP50) }},
	{"gossip_age_p99", func(r *Record) string { return fmtFloat(r.Result.GossipAgeP99) }},
	{"probe_rtt", func(r *Record) string { return fmtFloat(r.Result.ProbeRTT) }},
	{"probe_rtt_p50", func(r *Record) string { return fmtFloat(r.Result.ProbeRTTP50) }},
	{"probe_rtt_p99", func(r *Record) string { return fmtFloat(r.Result.ProbeRTTP99) }},
	{"transfer_rtt_p50", func(r *Record) string { return fmtFloat(r.Result.TransferRTTP50) }},
	{"transfer_rtt_p99", func(r *Record) string { return fmtFloat(r.Result.TransferRTTP99) }},
	{"schedule_lag_p99", func(r *Record) string { return fmtFloat(r.Result.ScheduleLagP99) }},
	{"dispatch_delay", func(r *Record) string { return fmtFloat(r.Result.DispatchDelay) }},
	{"failures", func(r *Record) string { return formatFailures(r.Result.Failures) }},
	{"process_cpu", func(r *Record) string { return fmtFloat(r.Result.ProcessCPU) }},
	{"service_error", func(r *Record) string { return fmtFloat(r.Result.ServiceError) }},
	{"emulation_lag_p99", func(r *Record) string { return fmtFloat(r.Result.EmulationLag) }},
	{"serf_health", func(r *Record) string { return strconv.Itoa(r.Result.SerfHealth) }},
	{"detection_time", func(r *Record) string { return fmtFloat(r.Result.DetectionTime) }},
	{"transfer_fails", func(r *Record) string { return fmtInt(r.Result.TransferFails) }},
	{"response_bin", func(r *Record) string { return fmtFloat(r.Result.ResponseBin) }},
	{"sim_time", func(r *Record) string { return fmtFloat(r.Result.SimTime) }},
	{"events", func(r *Record) string { return fmtInt(r.Result.Events) }},

	{"start", func(r *Record) string { return fmtTime(r.Env.Start) }},
	{"seconds", func(r *Record) string { return fmtFloat(r.Env.Seconds) }},
}

// WriteCSV writes a tidy CSV table for pandas and R: a header, then one
// row per record (that is, per point and replication).
//
// The columns are every Point field, every scalar Result field (the
// histogram and the per-node slices are left out; node_util_min and
// node_util_max summarise NodeUtilization), then the Env's start (RFC 3339)
// and seconds. Names are the JSON names of the fields. Numbers are written
// in strconv's 'g' form with full precision; fields are quoted only when
// needed, except the seed: a 64-bit integer, which a reader that takes
// every number for a double (R, JavaScript, spreadsheets) would round above
// 2^53, is always quoted, so that readers that keep quoted fields as text
// keep it exact. pandas reads it exactly either way (as int64 or uint64);
// in R, read it with colClasses = c(seed = "character"). Empty cells mean
// "not available": node_util_min and node_util_max with no per-node data,
// and start when it is the zero time.
func WriteCSV(w io.Writer, recs []Record) error {
	bw := bufio.NewWriter(w)
	row := make([]string, len(columns))
	for i, c := range columns {
		row[i] = c.name
	}
	writeRow(bw, row, nil)
	for i := range recs {
		for j, c := range columns {
			row[j] = c.value(&recs[i])
		}
		writeRow(bw, row, columns)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("results: csv: %w", err)
	}
	return nil
}

// writeRow writes one CSV line as encoding/csv would, quoting also the
// fields of text columns (cols nil: none).
func writeRow(w *bufio.Writer, fields []string, cols []column) {
	for i, f := range fields {
		if i > 0 {
			w.WriteByte(',')
		}
		if (cols != nil && textColumns[cols[i].name]) || needsQuotes(f) {
			w.WriteString(`"` + strings.ReplaceAll(f, `"`, `""`) + `"`)
		} else {
			w.WriteString(f)
		}
	}
	w.WriteByte('\n')
}

// needsQuotes is encoding/csv's rule: a field with a comma, a quote or a
// line break, one that starts with a space, or a lone \. is quoted.
func needsQuotes(f string) bool {
	if f == "" {
		return false
	}
	if f == `\.` || strings.ContainsAny(f, ",\"\r\n") {
		return true
	}
	r, _ := utf8.DecodeRuneInString(f)
	return unicode.IsSpace(r)
}

// fmtFloat writes v with the fewest digits that read back exactly.
func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func fmtInt[T int | int64](v T) string { return strconv.FormatInt(int64(v), 10) }

// fmtExtreme writes pick(vs), or "" when vs is empty.
func fmtExtreme(vs []float64, pick func([]float64) float64) string {
	if len(vs) == 0 {
		return ""
	}
	return fmtFloat(pick(vs))
}

// fmtTime writes t in RFC 3339 (seconds precision, as the header promises),
// or "" for the zero time.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

// formatFailures renders failure reasons as "reason=n; reason=n", sorted.
func formatFailures(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strconv.FormatInt(m[k], 10)
	}
	return strings.Join(parts, "; ")
}
