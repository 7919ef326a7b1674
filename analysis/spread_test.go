package analysis

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/stats"
)

// spreadRecords is goldenRecords with what the utilisation, gossip and
// bytes figures draw, plus a third policy that reads gossip and moves
// jobs: node utilisations around the load (random spreads them, the
// others less), gossip ages for the third policy (with the percentile a
// real backend reports when p99 is true) and bytes per job for it.
func spreadRecords(p99 bool) []results.Record {
	recs := goldenRecords()
	for _, load := range []float64{0.5, 0.6, 0.7, 0.8, 0.9} {
		for rep := 0; rep < 3; rep++ {
			mm1 := 1 / (1 - load)
			wiggle := 1 + 0.02*float64(rep-1)
			r := results.Record{Point: results.Point{Policy: "jsq+sender", Dispatch: "jsq", Migrate: "sender.threshold",
				Workload: "exp", Arrival: "poisson", Size: "exp(mean=1)", SizeMean: 1, SizeSCV: 1, Speeds: "1",
				Load: load, Nodes: 16, Servers: 1, Discipline: "fcfs", Replication: rep, Backend: "sim", Gossip: 0.5}}
			r.Result = results.Result{MeanResponse: (1 + (mm1-1)*0.4) * wiggle, P99Response: 4.6 * mm1 * 0.4 * wiggle,
				CI95HalfWidth: 0.02, MigrationsPerJob: 0.2 * load * wiggle, BytesPerJob: 2e5 * load * wiggle,
				GossipAge: (0.25 + 0.1*load) * wiggle, Utilization: load, JobsIssued: 1000, JobsCompleted: 1000}
			if p99 {
				r.Result.GossipAgeP99 = (0.5 + 0.4*load*load) * wiggle
				r.Result.GossipAgeP50 = 0.25 * wiggle
			}
			recs = append(recs, r)
		}
	}
	for i := range recs {
		r := &recs[i]
		spread := map[string]float64{"random": 0.12, "pod(d=2)": 0.04, "jsq+sender": 0.02}[r.Point.Policy] * (1 - r.Point.Load)
		wiggle := 1 + 0.1*float64(r.Point.Replication-1)
		r.Result.NodeUtilization = []float64{r.Point.Load - spread*wiggle, r.Point.Load, r.Point.Load + 0.8*spread*wiggle}
	}
	return recs
}

// TestGoldenSpreadFigures renders the utilisation, gossip and overhead
// (with bytes) figures of a fixed sweep and compares them with
// testdata/golden; after an intended change, look at the new images and
// run go test ./analysis -run TestGoldenSpread -update.
func TestGoldenSpreadFigures(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteFigures(dir, stats.Summarize(spreadRecords(true)), []string{"random", "pod(d=2)", "jsq+sender"}, pngOptions()); err != nil {
		t.Fatal(err)
	}
	// The three-panel overhead figure has its own golden image.
	if err := os.Rename(filepath.Join(dir, "overhead.png"), filepath.Join(dir, "overhead_bytes.png")); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, dir, []string{"utilization.png", "gossip.png", "overhead_bytes.png"})
	figs, err := sweepFigures(stats.Summarize(spreadRecords(true)), []string{"random", "pod(d=2)", "jsq+sender"}, pngOptions())
	if err != nil {
		t.Fatal(err)
	}
	checkLayouts(t, figs, []string{"utilization.png", "gossip.png", "overhead.png"})
}

// TestSpreadFigures checks when the utilisation, gossip and bytes figures
// are drawn and that their CSVs hold exactly the plotted data.
func TestSpreadFigures(t *testing.T) {
	noSpread := spreadRecords(false)
	for i := range noSpread {
		noSpread[i].Result.NodeUtilization = nil
		noSpread[i].Result.GossipAge = 0
		noSpread[i].Result.BytesPerJob = 0
	}
	for _, tc := range []struct {
		name        string
		recs        []results.Record
		utilization bool
		gossip      []string // metrics in gossip.csv; nil: no figure
		bytesRows   int      // bytes_per_job rows in overhead.csv
	}{
		{"golden sweep", goldenRecords(), false, nil, 0},
		{"nothing to spread", noSpread, false, nil, 0},
		{"simulator", spreadRecords(false), true, []string{"gossip_age"}, 15},
		{"real backend", spreadRecords(true), true, []string{"gossip_age", "gossip_age_p99"}, 15},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			paths, err := WriteFigures(dir, stats.Summarize(tc.recs), nil, pngOptions())
			if err != nil {
				t.Fatal(err)
			}
			has := map[string]bool{}
			for _, p := range paths {
				has[filepath.Base(p)] = true
			}
			if got := has["utilization.png"] && has["utilization.csv"]; got != tc.utilization {
				t.Errorf("utilization figure and CSV written: %v, want %v", got, tc.utilization)
			}
			if got := has["gossip.png"] && has["gossip.csv"]; got != (tc.gossip != nil) {
				t.Errorf("gossip figure and CSV written: %v, want %v", got, tc.gossip != nil)
			}
			ov := checkCSV(t, filepath.Join(dir, "overhead.csv"), []string{"metric", "workload", "policy", "load", "value", "ci_low", "ci_high"}, -1)
			bytesRows := 0
			for _, r := range ov[1:] {
				if r[0] != "bytes_per_job" {
					continue
				}
				bytesRows++
				// In bytes, though the panel is drawn in kB.
				if r[2] == "jsq+sender" && r[3] == "0.5" && math.Abs(parseFloat(t, r[4])-1e5) > 1e-6 {
					t.Errorf("overhead.csv: bytes per job of jsq+sender at 0.5 = %s, want 100000", r[4])
				}
			}
			if bytesRows != tc.bytesRows {
				t.Errorf("overhead.csv: %d bytes_per_job rows, want %d", bytesRows, tc.bytesRows)
			}
			if tc.gossip != nil {
				rows := checkCSV(t, filepath.Join(dir, "gossip.csv"), []string{"metric", "workload", "policy", "load", "value", "ci_low", "ci_high"}, 5*len(tc.gossip))
				for i, r := range rows[1:] {
					if want := tc.gossip[i/5]; r[0] != want || r[2] != "jsq+sender" {
						t.Errorf("gossip.csv row %d: %v, want metric %s of jsq+sender only", i+1, r, want)
					}
				}
			}
		})
	}
}

// TestUtilizationCSV checks the utilisation CSV against the records: the
// mean utilisation and the means over replications of the least and most
// utilised node.
func TestUtilizationCSV(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteFigures(dir, stats.Summarize(spreadRecords(false)), nil, pngOptions()); err != nil {
		t.Fatal(err)
	}
	rows := checkCSV(t, filepath.Join(dir, "utilization.csv"), []string{"workload", "policy", "load", "value", "node_min", "node_max", "spread"}, 15)
	for _, tc := range []struct {
		policy, load string
		mean, lo, hi float64
	}{
		{"random", "0.5", 0.5, 0.5 - 0.06, 0.5 + 0.048},
		{"pod(d=2)", "0.9", 0.9, 0.9 - 0.004, 0.9 + 0.0032},
		{"jsq+sender", "0.7", 0.7, 0.7 - 0.006, 0.7 + 0.0048},
	} {
		found := false
		for _, r := range rows[1:] {
			if r[1] != tc.policy || r[2] != tc.load {
				continue
			}
			found = true
			for j, want := range []float64{tc.mean, tc.lo, tc.hi} {
				if got := parseFloat(t, r[3+j]); math.Abs(got-want) > 1e-12 {
					t.Errorf("%s at %s: %s = %g, want %g", tc.policy, tc.load, rows[0][3+j], got, want)
				}
			}
		}
		if !found {
			t.Errorf("utilization.csv: no row for %s at %s", tc.policy, tc.load)
		}
	}
}

func parseFloat(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
