package report

import (
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/stats"
)

// TestRounded checks the one rounding rule of every value shown with its
// half-width: both to the decimal place of the half-width's first
// significant digit, or its second when the first is a 1.
func TestRounded(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		v, half     float64
		value, want string // want: the half-width's text
	}{
		{1.43, 0.012, "1.430", "0.012"},
		{5.017, 0.2, "5.0", "0.2"},
		{1.4358709, 0.0132825, "1.436", "0.013"},
		{1.097, 0.0039, "1.097", "0.004"},
		{20.05, 0.83, "20.1", "0.8"},
		{92.3, 3.4, "92", "3"},
		{300.4, 23, "300", "20"},
		{1234.5, 250, "1200", "300"},
		{2.345, 0.096, "2.35", "0.10"}, // 0.096 rounds up to a leading 1: two digits
		{2.345, 0.15, "2.35", "0.15"},
		{0.1234, 0.0012, "0.1234", "0.0012"},
		{-0.01, 0.2, "0.0", "0.2"}, // no negative zero
		{-1.26, 0.2, "-1.3", "0.2"},
		{0, 0, "0", "0"},
		{1.23456, 0, "1.235", "0"},
		{5, nan, "5", "n/a"},
		{nan, 0.1, "n/a", "0.1"},
		{3, math.Inf(1), "3", "∞"},
	} {
		v, h := rounded(tc.v, tc.half)
		if v != tc.value || h != tc.want {
			t.Errorf("rounded(%g, %g) = %q ± %q, want %q ± %q", tc.v, tc.half, v, h, tc.value, tc.want)
		}
	}
	for _, tc := range []struct {
		e    Entry
		want string
	}{
		{Entry{Value: 1.43, Half: 0.012}, "1.430 ± 0.012"},
		{Entry{Value: 0.3, Half: nan}, "0.3"},
		{Entry{Missing: true, Half: nan}, "–"},
	} {
		if got := tc.e.Text(); got != tc.want {
			t.Errorf("%+v.Text() = %q, want %q", tc.e, got, tc.want)
		}
	}
}

// TestBest checks which value of a column is marked best: the lowest, and
// only when the paired test (same seeds) or Welch's test (different seeds)
// finds it significantly lower than every other policy's at that load.
func TestBest(t *testing.T) {
	type series struct {
		policy string
		seeds  []uint64 // nil: 1, 2, 3…
		values []float64
		failed bool
	}
	for _, tc := range []struct {
		name   string
		metric string // table name; values go into that metric
		series []series
		want   string // the policy marked best, "" for none
	}{
		{"intervals overlap, paired differences noisy", "mean_response", []series{
			{policy: "a", values: []float64{1.0, 1.2, 0.9}},
			{policy: "b", values: []float64{1.05, 1.1, 1.0}},
		}, ""},
		{"clearly lower", "mean_response", []series{
			{policy: "a", values: []float64{2.0, 2.1, 2.3}},
			{policy: "b", values: []float64{1.0, 1.1, 1.2}},
		}, "b"},
		{"intervals overlap, paired differences constant", "mean_response", []series{
			{policy: "a", values: []float64{1.0, 2.0, 3.0}},
			{policy: "b", values: []float64{1.1, 2.1, 3.1}},
		}, "a"},
		{"different seeds: Welch, significant", "p99_response", []series{
			{policy: "a", seeds: []uint64{1, 2, 3}, values: []float64{1.5, 1.6, 1.7}},
			{policy: "b", seeds: []uint64{4, 5, 6}, values: []float64{1.0, 1.1, 1.2}},
		}, "b"},
		{"different seeds: Welch, inside the noise", "p99_response", []series{
			{policy: "a", seeds: []uint64{1, 2, 3}, values: []float64{1.0, 1.6, 1.3}},
			{policy: "b", seeds: []uint64{4, 5, 6}, values: []float64{1.1, 1.5, 1.2}},
		}, ""},
		{"better than one, not the other", "mean_response", []series{
			{policy: "a", values: []float64{1.0, 1.1, 1.2}},
			{policy: "b", values: []float64{1.05, 1.05, 1.3}},
			{policy: "c", values: []float64{5, 5.1, 5.2}},
		}, ""},
		{"better than all", "mean_response", []series{
			{policy: "a", values: []float64{1.0, 1.1, 1.2}},
			{policy: "b", values: []float64{2.05, 2.05, 2.3}},
			{policy: "c", values: []float64{5, 5.1, 5.2}},
		}, "a"},
		{"all zero: a tie is not a best", "migrations_per_job", []series{
			{policy: "a", values: []float64{0, 0, 0}},
			{policy: "b", values: []float64{0, 0, 0}},
			{policy: "c", values: []float64{0.3, 0.31, 0.32}},
		}, ""},
		{"one zero, others migrate", "migrations_per_job", []series{
			{policy: "a", values: []float64{0, 0, 0}},
			{policy: "c", values: []float64{0.3, 0.31, 0.32}},
		}, "a"},
		{"alone at its load", "mean_response", []series{
			{policy: "a", values: []float64{1, 1.1, 1.2}},
		}, ""},
		{"lowest lost jobs", "mean_response", []series{
			{policy: "a", values: []float64{0.1, 0.1, 0.1}, failed: true},
			{policy: "b", values: []float64{1.0, 1.1, 1.2}},
			{policy: "c", values: []float64{5, 5.1, 5.2}},
		}, "b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var recs []results.Record
			for _, s := range tc.series {
				for i, v := range s.values {
					seed := uint64(i + 1)
					if s.seeds != nil {
						seed = s.seeds[i]
					}
					r := results.Record{Point: results.Point{Workload: "w", Policy: s.policy, Load: 0.7, Replication: i, Seed: seed}}
					r.Result.JobsIssued, r.Result.JobsCompleted = 1000, 1000
					if s.failed {
						r.Result.JobsFailed = 10
					}
					switch tc.metric {
					case "mean_response":
						r.Result.MeanResponse = v
					case "p99_response":
						r.Result.P99Response = v
					case "migrations_per_job":
						r.Result.MigrationsPerJob = v
					default:
						t.Fatalf("metric %s", tc.metric)
					}
					recs = append(recs, r)
				}
			}
			var table *Table
			for _, tb := range Tables(stats.Summarize(recs), recs, nil) {
				if tb.Name == tc.metric {
					table = tb
				}
			}
			if table == nil {
				t.Fatalf("no table %s", tc.metric)
			}
			var marked []string
			for _, r := range table.Rows {
				if r.Cells[0].Best {
					marked = append(marked, r.Policy)
				}
			}
			if got := strings.Join(marked, ","); got != tc.want {
				t.Errorf("marked best: %q, want %q", got, tc.want)
			}
		})
	}
}

// TestPlural checks the counts in sentences of the report.
func TestPlural(t *testing.T) {
	for _, tc := range []struct {
		n    int
		one  string
		want string
	}{
		{0, "workload", "0 workloads"},
		{1, "workload", "1 workload"},
		{2, "workload", "2 workloads"},
		{1, "policy", "1 policy"},
		{7, "policy", "7 policies"},
		{1, "replication", "1 replication"},
		{3, "job", "3 jobs"},
	} {
		if got := plural(tc.n, tc.one); got != tc.want {
			t.Errorf("plural(%d, %q) = %q, want %q", tc.n, tc.one, got, tc.want)
		}
	}
	// The report of a sweep with one workload says so.
	s, err := Load(tiny(t))
	if err != nil {
		t.Fatal(err)
	}
	d := sweepDocument(s, Tables(s.Cells, s.Records, s.Order), nil)
	text := d.sections[0].text
	if !strings.Contains(text, "2 policies, 1 workload and 3 loads") {
		t.Errorf("sweep summary %q, want %q", text, "… 2 policies, 1 workload and 3 loads …")
	}
	if m := regexp.MustCompile(`\b1 [a-z]+s\b`).FindString(text); m != "" {
		t.Errorf("sweep summary %q has %q", text, m)
	}
}
