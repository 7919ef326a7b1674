package analysis

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/results"
)

// TestElasticFigures draws the figures of a fixed elastic sweep, two rows
// of two replications (fixed 4 nodes, an autoscaler), checks their
// layouts and that response_cost's CSV holds each row's means and
// intervals; records of a fixed cluster draw none.
func TestElasticFigures(t *testing.T) {
	var recs []results.Record
	for pi, pol := range []string{"fixed 4", "target"} {
		for rep := range 2 {
			nodes, resp := make([]float64, 20), make([]float64, 20)
			for b := range nodes {
				nodes[b], resp[b] = 4, 1.5
				if pi == 1 && b >= 8 && b < 14 {
					nodes[b], resp[b] = 7, 1.2
				}
			}
			recs = append(recs, results.Record{Point: results.Point{Policy: pol, Workload: "step", Load: 0.3, Replication: rep, Elastic: "initial=4, startup=20, schedule=[]"},
				Result: results.Result{ResponseBin: 100, NodesOverTime: nodes, ResponseOverTime: resp, NodeSeconds: 8000 + 1000*float64(pi) + 100*float64(rep), MeanResponse: 2 - float64(pi) + 0.1*float64(rep)}})
		}
	}
	recs = append(recs, results.Record{Point: results.Point{Policy: "fixed", Workload: "plain", Load: 0.3}})
	policies := []string{"fixed 4", "target"}
	figs := elasticFigureSet(recs, policies)
	if len(figs) != 2 {
		t.Fatalf("%d figures, want nodes_over_time and response_cost of the elastic workload only", len(figs))
	}
	checkLayouts(t, figs, []string{"nodes_over_time.png", "response_cost.png"})
	dir := t.TempDir()
	opt := DefaultFigureOptions()
	opt.Formats = []string{"png"}
	if _, err := writeFigureSet(dir, figs, opt); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "response_cost.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// Two replications 0.1 apart: t(0.975, 1) = 12.706, sd/√2 = 0.05, a
	// half-width of 0.6353 (node-seconds, 100 apart: 635.3).
	for _, want := range []string{"step,fixed 4,0.3,8050,7414.68976", "step,target,0.3,9050,8414.68976", ",2.05,1.41468976", ",1.05,0.41468976"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("response_cost.csv lacks %q:\n%s", want, b)
		}
	}
}
