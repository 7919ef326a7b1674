package analysis

import (
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/stats"
)

var update = flag.Bool("update", false, "rewrite the golden figures in testdata/golden")

// goldenRecords is a fixed small sweep: two policies, five loads, three
// replications, with theory curves (Poisson, exponential sizes, one
// server, 16 nodes) and overheads.
func goldenRecords() []results.Record {
	var recs []results.Record
	for _, pol := range []struct {
		name, dispatch, migrate string
		factor, probes          float64
	}{{"random", "random", "none", 1, 0}, {"pod(d=2)", "pod(d=2)", "none", 0.55, 2}} {
		for _, load := range []float64{0.5, 0.6, 0.7, 0.8, 0.9} {
			for rep := 0; rep < 3; rep++ {
				mm1 := 1 / (1 - load)
				wiggle := 1 + 0.02*float64(rep-1)
				r := results.Record{Point: results.Point{Policy: pol.name, Dispatch: pol.dispatch, Migrate: pol.migrate,
					Workload: "exp", Arrival: "poisson", Size: "exp(mean=1)", SizeMean: 1, SizeSCV: 1, Speeds: "1",
					Load: load, Nodes: 16, Servers: 1, Discipline: "fcfs", Replication: rep, Backend: "sim"}}
				r.Result = results.Result{MeanResponse: (1 + (mm1-1)*pol.factor) * wiggle, P99Response: 4.6 * mm1 * pol.factor * wiggle,
					CI95HalfWidth: 0.02, ProbesPerJob: pol.probes, Utilization: load, JobsIssued: 1000, JobsCompleted: 1000}
				recs = append(recs, r)
			}
		}
	}
	return recs
}

// TestGoldenFigures renders the response and overhead figures of a fixed
// sweep and compares them pixel by pixel with testdata/golden, and checks
// that their legends cover no data and their markers stay inside the data
// areas. After an intended change to the figures, look at the new images
// and run go test ./analysis -run TestGoldenFigures -update.
func TestGoldenFigures(t *testing.T) {
	dir := t.TempDir()
	opt := DefaultFigureOptions()
	opt.Formats, opt.DPI = []string{"png"}, 100
	cells, order := stats.Summarize(goldenRecords()), []string{"random", "pod(d=2)"}
	if _, err := WriteFigures(dir, cells, order, opt); err != nil {
		t.Fatal(err)
	}
	names := []string{"response.png", "normalized.png", "overhead.png"}
	checkGolden(t, dir, names)
	figs, err := sweepFigures(cells, order, opt)
	if err != nil {
		t.Fatal(err)
	}
	checkLayouts(t, figs, names)
}

// checkGolden compares the PNG images names in dir with testdata/golden,
// or rewrites the golden images with -update.
func checkGolden(t *testing.T, dir string, names []string) {
	t.Helper()
	for _, name := range names {
		got := filepath.Join(dir, name)
		want := filepath.Join("testdata", "golden", name)
		if *update {
			b, err := os.ReadFile(got)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Dir(want), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(want, b, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		a, b := readPNG(t, got), readPNG(t, want)
		if a.Bounds() != b.Bounds() {
			t.Errorf("%s: size %v, golden %v", name, a.Bounds().Size(), b.Bounds().Size())
			continue
		}
		diff, total := 0, 0
		for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
			for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
				total++
				if a.At(x, y) != b.At(x, y) {
					diff++
				}
			}
		}
		if diff > total/1000 {
			t.Errorf("%s: %d of %d pixels differ from testdata/golden/%s (rerun with -update after checking the new image in %s)", name, diff, total, name, dir)
		}
	}
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}
