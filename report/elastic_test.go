package report

import (
	"strings"
	"testing"

	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/stats"
)

// TestElasticWarning: a row on an elastic cluster is named once among
// the warnings, as not a fixed cluster; a fixed row is not.
func TestElasticWarning(t *testing.T) {
	var recs []results.Record
	for _, pol := range []string{"fixed", "target"} {
		for rep := range 2 {
			p := results.Point{Policy: pol, Workload: "w", Load: 0.5, Replication: rep, Nodes: 8, Servers: 1, Dispatch: "jsq", Migrate: "none"}
			if pol == "target" {
				p.Elastic, p.Scale = "initial=4, startup=20, schedule=[]", "target(util=0.7, window=3, period=50, min=1, max=0)"
			}
			recs = append(recs, results.Record{Point: p, Result: results.Result{MeanResponse: 1.2, JobsIssued: 100, JobsCompleted: 100, Utilization: 0.5, Batches: 30}})
		}
	}
	warn := Warnings(recs, stats.Summarize(recs))
	text := strings.Join(warn, "\n")
	want := "not a fixed cluster: target runs on nodes that join and leave (initial=4, startup=20, schedule=[]; target(util=0.7, window=3, period=50, min=1, max=0)), so its statistics are means over each run; see nodes_over_time"
	if strings.Count(text, "not a fixed cluster") != 1 || !strings.Contains(text, want) {
		t.Errorf("warnings:\n%s\nwant once: %s", text, want)
	}
}
