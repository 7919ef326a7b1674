package analysis

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/stats"
	"github.com/loadlab/loadlab/workload"
)

// mobilityRecords is a fixed small sweep with work units: a policy that
// never migrates, weak mobility and pre-copy, five loads, three
// replications.
func mobilityRecords() []results.Record {
	const units = `{"code":{"kernel":"solver","bytes":1000000}}`
	var recs []results.Record
	for _, pol := range []struct {
		name                      string
		migs, code, state, res    float64 // per job at load 0.5
		moveTime, downtime, hitAt float64
	}{
		{"no migration", 0, 0, 0, 0, 0, 0, 0},
		{"weak", 0.1, 1e5, 1e6, 1e5, 0.12, 0.12, 0.2},
		{"pre-copy", 0.08, 8e4, 2.4e6, 8e4, 0.35, 0.012, 0.3},
	} {
		for _, load := range []float64{0.5, 0.6, 0.7, 0.8, 0.9} {
			for rep := 0; rep < 3; rep++ {
				grow := 1 + 2*(load-0.5)
				wiggle := 1 + 0.03*float64(rep-1)
				r := results.Record{Point: results.Point{Policy: pol.name, Dispatch: "random", Migrate: "age",
					Workload: "bpareto", Arrival: "poisson", Size: "bpareto(alpha=1.1, min=0.1, max=1000)", SizeMean: 1, Speeds: "1",
					Load: load, Nodes: 16, Servers: 1, Discipline: "fcfs", Replication: rep, Backend: "sim", Units: units}}
				r.Result = results.Result{MeanResponse: 2 / (1 - load), P99Response: 9 / (1 - load), CI95HalfWidth: 0.05,
					JobsIssued: 1000, JobsCompleted: 1000, Utilization: load,
					Migrations:        int64(1000 * pol.migs * grow),
					MigrationsPerJob:  pol.migs * grow,
					CodeBytes:         1000 * pol.code * grow * wiggle,
					StateBytes:        1000 * pol.state * grow * wiggle,
					ResourceBytes:     1000 * pol.res * grow * wiggle,
					MeanMigrationTime: pol.moveTime * wiggle,
					MeanDowntime:      pol.downtime * wiggle,
					CodeHitRate:       math.Min(1, pol.hitAt*grow*wiggle),
				}
				if pol.migs > 0 { // a cold start: the caches warm up over the run
					r.Result.CodeHitBin = 50
					for i := range 20 {
						h := math.Min(1, pol.hitAt*grow+(1-pol.hitAt*grow)*(1-math.Exp(-float64(i)/4)))
						if i == 7 && rep == 0 {
							h = -1 // no lookup in that bin: left out of the mean
						}
						r.Result.CodeHits = append(r.Result.CodeHits, h*wiggle)
					}
				}
				recs = append(recs, r)
			}
		}
	}
	return recs
}

func pngOptions() FigureOptions {
	opt := DefaultFigureOptions()
	opt.Formats, opt.DPI = []string{"png"}, 100
	return opt
}

// TestGoldenMobilityFigures renders the code-migration figures of a fixed
// sweep with units and compares them with testdata/golden; after an
// intended change, look at the new images and run
// go test ./analysis -run TestGoldenMobility -update.
func TestGoldenMobilityFigures(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteFigures(dir, stats.Summarize(mobilityRecords()), nil, pngOptions()); err != nil {
		t.Fatal(err)
	}
	names := []string{"mobility_bytes.png", "mobility_time.png", "mobility_hit_rate.png", "mobility_hit_time.png"}
	checkGolden(t, dir, names)
	figs, err := sweepFigures(stats.Summarize(mobilityRecords()), nil, pngOptions())
	if err != nil {
		t.Fatal(err)
	}
	checkLayouts(t, figs, names)
}

// TestGoldenMobilityCurves does the same for the cost-model figures.
func TestGoldenMobilityCurves(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteMobilityCurves(dir, workload.Link{Bandwidth: 1e8, Latency: 0.01}, pngOptions()); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, dir, []string{"mobility_cost_size.png", "mobility_cost_dirty.png"})
	figs, err := mobilityCurveFigures(workload.Link{Bandwidth: 1e8, Latency: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	checkLayouts(t, figs, []string{"mobility_cost_size.png", "mobility_cost_dirty.png"})
}

// TestMobilityFiguresOnlyWithUnits checks that the code-migration figures
// are written exactly when the records carry units.
func TestMobilityFiguresOnlyWithUnits(t *testing.T) {
	noUnits := mobilityRecords()
	for i := range noUnits {
		noUnits[i].Point.Units = ""
	}
	for _, tc := range []struct {
		name string
		recs []results.Record
		want bool
	}{
		{"units", mobilityRecords(), true},
		{"no units", noUnits, false},
		{"no units, golden sweep", goldenRecords(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			paths, err := WriteFigures(dir, stats.Summarize(tc.recs), nil, pngOptions())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range paths {
				if strings.HasPrefix(filepath.Base(p), "mobility") {
					got = append(got, filepath.Base(p))
				}
			}
			if tc.want && len(got) != 8 {
				t.Errorf("got mobility files %v, want 4 figures and their CSVs", got)
			}
			if !tc.want && len(got) != 0 {
				t.Errorf("got mobility files %v, want none", got)
			}
		})
	}
}

// TestMobilityCSV checks the CSV of the bytes figure against the records
// and that a policy without migrations has no time or hit rate.
func TestMobilityCSV(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteFigures(dir, stats.Summarize(mobilityRecords()), nil, pngOptions()); err != nil {
		t.Fatal(err)
	}
	read := func(name string) [][]string {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	bytesRows := read("mobility_bytes.csv")
	if got, want := strings.Join(bytesRows[0], ","), "metric,workload,policy,load,value,ci_low,ci_high"; got != want {
		t.Errorf("header %q, want %q", got, want)
	}
	// 3 metrics × 3 policies × 5 loads.
	if got, want := len(bytesRows)-1, 45; got != want {
		t.Errorf("got %d rows, want %d", got, want)
	}
	for _, tc := range []struct {
		metric, policy, load, value string
	}{
		{"state_bytes_per_job", "weak", "0.5", "1e+06"},
		{"code_bytes_per_job", "pre-copy", "0.5", "80000"},
		{"resource_bytes_per_job", "no migration", "0.9", "0"},
	} {
		found := false
		for _, r := range bytesRows[1:] {
			if r[0] == tc.metric && r[2] == tc.policy && r[3] == tc.load {
				found = true
				if r[4] != tc.value {
					t.Errorf("%s %s at %s: got %s, want %s", tc.metric, tc.policy, tc.load, r[4], tc.value)
				}
			}
		}
		if !found {
			t.Errorf("%s %s at %s: no row", tc.metric, tc.policy, tc.load)
		}
	}
	for _, name := range []string{"mobility_time.csv", "mobility_hit_rate.csv"} {
		rows := read(name)
		for _, r := range rows[1:] {
			if strings.Contains(strings.Join(r, ","), "no migration") {
				t.Errorf("%s: row %v for a policy that never migrates", name, r)
			}
		}
		if len(rows) < 2 {
			t.Errorf("%s: no data rows", name)
		}
	}
}

// TestSummarizeMobility checks the per-segment means and the NaN of a
// cell whose replications never migrated.
func TestSummarizeMobility(t *testing.T) {
	cells := stats.Summarize(mobilityRecords())
	for _, tc := range []struct {
		policy                   string
		load                     float64
		state, downtime, hitRate float64 // NaN: want NaN
	}{
		{"weak", 0.5, 1e6, 0.12, 0.2},
		{"pre-copy", 0.5, 2.4e6, 0.012, 0.3},
		{"no migration", 0.7, 0, math.NaN(), math.NaN()},
	} {
		var c *stats.Cell
		for i := range cells {
			if cells[i].Policy == tc.policy && cells[i].Load == tc.load {
				c = &cells[i]
			}
		}
		if c == nil {
			t.Fatalf("no cell %s at %g", tc.policy, tc.load)
		}
		for _, f := range []struct {
			name      string
			got, want float64
		}{
			{"StateBytesPerJob", c.StateBytesPerJob, tc.state},
			{"Downtime", c.Downtime, tc.downtime},
			{"CodeHitRate", c.CodeHitRate, tc.hitRate},
		} {
			if math.IsNaN(f.want) != math.IsNaN(f.got) || (!math.IsNaN(f.want) && math.Abs(f.got-f.want) > 1e-9*math.Max(1, f.want)) {
				t.Errorf("%s at %g: %s = %g, want %g", tc.policy, tc.load, f.name, f.got, f.want)
			}
		}
	}
}

// TestMobilityCurves checks the cost model's curves at points worked out
// by hand (B = 1e8 bytes per unit, latency 0.01) and its refusal of an
// infinite bandwidth.
func TestMobilityCurves(t *testing.T) {
	link := workload.Link{Bandwidth: 1e8, Latency: 0.01}
	bySize, byDirty, err := MobilityCurves(link)
	if err != nil {
		t.Fatal(err)
	}
	if len(bySize) != 4 || len(byDirty) != 3 {
		t.Fatalf("got %d curves by size and %d by dirty rate, want 4 and 3", len(bySize), len(byDirty))
	}
	find := func(curves []CostCurve, method string, x float64) (down, total float64) {
		for _, cv := range curves {
			if cv.Method != method {
				continue
			}
			for i, v := range cv.X {
				if math.Abs(v-x) <= 1e-9*x {
					return cv.Downtime[i], cv.Total[i]
				}
			}
		}
		t.Fatalf("no point %s at %g", method, x)
		return 0, 0
	}
	for _, tc := range []struct {
		name              string
		curves            []CostCurve
		method            string
		x                 float64
		wantDown, wantTot float64
	}{
		// 1 GB stop-and-copy: 0.01 + 10.
		{"size", bySize, "stop-and-copy", 1e9, 10.01, 10.01},
		// Post-copy: the 64 KiB context stops the unit, the rest streams.
		{"size", bySize, "post-copy", 1e9, 0.01 + 65536/1e8, 10.01},
		// Pre-copy at 10%: 1e6 bytes, round 0 takes 0.01 and leaves 1e5
		// dirty (below the 204800 threshold): stop with 1e5 left.
		{"size", bySize, "pre-copy (dirty 10% of B)", 1e6, 0.01 + 1e-3, 0.01 + 0.01 + 1e-3},
		// No writes: pre-copy sends everything live, stops for the latency.
		{"dirty", byDirty, "pre-copy", 0, 0.01, 10.01},
	} {
		down, tot := find(tc.curves, tc.method, tc.x)
		if math.Abs(down-tc.wantDown) > 1e-9 || math.Abs(tot-tc.wantTot) > 1e-9 {
			t.Errorf("%s %s at %g: downtime %g, total %g; want %g, %g", tc.name, tc.method, tc.x, down, tot, tc.wantDown, tc.wantTot)
		}
	}
	if _, _, err := MobilityCurves(workload.Link{Latency: 0.01}); err == nil {
		t.Error("infinite bandwidth: got no error")
	}
}

// TestMobilityFormats writes the code-migration figures in every default
// format (the PDF with ASCII text only).
func TestMobilityFormats(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(dir string) ([]string, error)
		want  int // files: 3 formats and a CSV per figure
	}{
		{"sweep", func(dir string) ([]string, error) {
			return WriteFigures(dir, stats.Summarize(mobilityRecords()), nil, DefaultFigureOptions())
		}, 4 * 4},
		{"curves", func(dir string) ([]string, error) {
			return WriteMobilityCurves(dir, workload.Link{Bandwidth: 1e8, Latency: 0.01}, DefaultFigureOptions())
		}, 2 * 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			paths, err := tc.write(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, p := range paths {
				if strings.HasPrefix(filepath.Base(p), "mobility") {
					n++
				}
			}
			if n != tc.want {
				t.Errorf("got %d mobility files %v, want %d", n, paths, tc.want)
			}
		})
	}
}
