package report

import (
	"strings"
	"testing"

	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/stats"
)

// TestShortWarmupWarning: a replication whose responses settle well after
// its warm-up, or not in the first half of its run, is named; one that
// settles within ShortWarmup of its jobs after the warm-up, a record made
// before steady_from existed, and a cell with faults (no steady state)
// are not.
func TestShortWarmupWarning(t *testing.T) {
	cases := []struct {
		name   string
		from   int64
		found  bool
		faults string
		want   string // "" for no warning
	}{
		{"settles in the warm-up", 4_000, true, "", ""},
		{"settles just after", 10_000 + 5_000, true, "", ""},
		{"settles late", 40_000, true, "", "short warm-up: p at ρ=0.9 (workload w): replication 0 settles at job 40000, after its warm-up of 10000 (raise warmup, and jobs with it)"},
		{"never settles", 50_176, false, "", "replication 0 has not settled by half its run (job 50176)"},
		{"not measured", 0, false, "", ""},
		{"faults", 40_000, true, "kill(node=1, at=10)", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := results.Point{Policy: "p", Workload: "w", Load: 0.9, Nodes: 8, Servers: 1, Jobs: 100_000, Warmup: 10_000, Dispatch: "random", Migrate: "none", Faults: c.faults}
			r := results.Result{MeanResponse: 2, CI95HalfWidth: 0.01, JobsIssued: 100_000, JobsCompleted: 100_000, Utilization: 0.9, Batches: 30, SteadyFrom: c.from, SteadyFound: c.found}
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
