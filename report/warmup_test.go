package report

import (
	"strings"
	"testing"

	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/stats"
)

// TestShortWarmupWarning: a replication whose responses settle after its
// warm-up with a transient that shifts its mean beyond its interval, or
// not in the first half of its run, is named; one that settles within its
// warm-up, one whose later cut shifts the mean less than its interval
// (noise), a record made before steady_from existed, and a cell with
// faults (no steady state) are not.
func TestShortWarmupWarning(t *testing.T) {
	cases := []struct {
		name   string
		from   int64
		found  bool
		bias   float64
		faults string
		want   string // "" for no warning
	}{
		{"settles in the warm-up", 4_000, true, 0, "", ""},
		{"settles later, within the noise", 40_000, true, -0.009, "", ""},
		{"settles later, beyond the interval", 40_000, true, -0.05, "", "short warm-up: p at ρ=0.9 (workload w): replication 0 settles at job 40000, after its warm-up of 10000: the transient shifts its mean response by -0.05, beyond its interval (±0.01) (raise warmup, and jobs with it)"},
		{"never settles", 50_176, false, 0, "", "replication 0 has not settled by half its run (job 50176)"},
		{"not measured", 0, false, 0, "", ""},
		{"faults", 40_000, true, -0.05, "kill(node=1, at=10)", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := results.Point{Policy: "p", Workload: "w", Load: 0.9, Nodes: 8, Servers: 1, Jobs: 100_000, Warmup: 10_000, Dispatch: "random", Migrate: "none", Faults: c.faults}
			r := results.Result{MeanResponse: 2, CI95HalfWidth: 0.01, JobsIssued: 100_000, JobsCompleted: 100_000, Utilization: 0.9, Batches: 30,
				SteadyFrom: c.from, SteadyFound: c.found, TransientBias: c.bias}
			recs := []results.Record{{Point: p, Result: r}}
			text := strings.Join(Warnings(recs, stats.Summarize(recs)), "\n")
			if c.want == "" && strings.Contains(text, "warm-up") {
				t.Errorf("warnings:\n%s\nwant no short warm-up", text)
			}
			if c.want != "" && !strings.Contains(text, c.want) {
				t.Errorf("warnings:\n%s\nwant: %s", text, c.want)
			}
		})
	}
}
