package analysis

import (
	"bytes"
	"compress/zlib"
	"encoding/csv"
	"encoding/xml"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/latency"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/stats"
	"gonum.org/v1/plot/vg"
)

var (
	testPolicies = []string{"none", "sender.threshold", "pod(d=2)"}
	testLoads    = []float64{0.5, 0.6, 0.7, 0.8, 0.9, 0.95}
)

// syntheticRecords fakes a sweep of 16 single-server FCFS nodes with
// Poisson arrivals and exponential sizes: the first policy behaves as
// M/M/1, the last as the supermarket model with d = 2, the others in
// between; each replication's mean is off by a few percent, more at high
// load. Each record carries a histogram of exponential response times with
// the record's mean, as an M/M/1 queue would give.
func syntheticRecords(policies []string, loads []float64, reps, jobs int, seed uint64) []results.Record {
	rng := rand.New(rand.NewPCG(seed, 1))
	var recs []results.Record
	for pi, pol := range policies {
		for _, rho := range loads {
			for r := range reps {
				s := float64(pi) / float64(max(1, len(policies)-1))
				mean := (1-s)*stats.MM1(rho) + s*stats.Supermarket(rho, 2)
				mean *= 1 + 0.1*rho*rho*rng.NormFloat64()
				h := latency.New()
				var sum float64
				for range jobs {
					v := rng.ExpFloat64() * mean
					sum += v
					h.Record(v)
				}
				enc, err := h.Encode()
				if err != nil {
					panic(err)
				}
				m := sum / float64(jobs)
				recs = append(recs, results.Record{
					Point: results.Point{
						Policy: pol, Workload: "exp", Arrival: "poisson", Size: "exp", SizeMean: 1, SizeSCV: 1, Speeds: "1",
						Load: rho, Nodes: 16, Servers: 1, Discipline: "fcfs", Replication: r,
						Jobs: jobs,
					},
					Result: results.Result{
						MeanResponse:     m,
						P99Response:      h.Quantile(0.99),
						JobsIssued:       int64(jobs),
						JobsCompleted:    int64(jobs),
						MigrationsPerJob: float64(pi) * rho * rho * (0.3 + 0.02*rng.Float64()),
						ProbesPerJob:     float64(pi) * (1 + rho) * (1 + 0.05*rng.Float64()),
						Utilization:      rho,
						Histogram:        enc,
					},
				})
			}
		}
	}
	return recs
}

func TestWriteFigures(t *testing.T) {
	recs := syntheticRecords(testPolicies, testLoads, 3, 2000, 1)
	cells := stats.Summarize(recs)
	dir := t.TempDir()
	opt := DefaultFigureOptions()
	paths, err := WriteFigures(dir, cells, testPolicies, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !sort.StringsAreSorted(paths) {
		t.Errorf("paths not sorted: %v", paths)
	}
	var want []string
	for _, base := range []string{"response", "p99", "normalized", "overhead", "cdf"} {
		for _, ext := range []string{"png", "svg", "pdf", "csv"} {
			want = append(want, filepath.Join(dir, base+"."+ext))
		}
	}
	sort.Strings(want)
	if strings.Join(paths, "\n") != strings.Join(want, "\n") {
		t.Fatalf("paths:\n%s\nwant:\n%s", strings.Join(paths, "\n"), strings.Join(want, "\n"))
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil || fi.Size() == 0 {
			t.Errorf("%s: missing or empty (%v)", p, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(want) {
		t.Errorf("dir holds %d files, want %d (temporary files left?)", len(entries), len(want))
	}

	// PNG: decodes, at the size asked for.
	f, err := os.Open(filepath.Join(dir, "response.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatalf("response.png: %v", err)
	}
	wantW, wantH := int(math.Ceil(float64(opt.Width/vg.Inch)*float64(opt.DPI))), int(math.Ceil(float64(opt.Height/vg.Inch)*float64(opt.DPI)))
	if b := img.Bounds(); b.Dx() != wantW || b.Dy() != wantH {
		t.Errorf("response.png is %dx%d, want %dx%d", b.Dx(), b.Dy(), wantW, wantH)
	}

	// PDF and SVG keep the Greek letter. The PDF's strings are UTF-16:
	// its fonts map codes to Unicode one to one (Identity-H).
	for _, base := range []string{"response", "p99", "normalized", "overhead", "cdf"} {
		text := pdfText(t, filepath.Join(dir, base+".pdf"))
		if want := utf16BE(" ρ"); !strings.Contains(text, want) {
			t.Errorf("%s.pdf: no %q in its text %q", base, want, text)
		}
	}
	svg, _ := os.ReadFile(filepath.Join(dir, "response.svg"))
	if !bytes.Contains(svg, []byte("ρ")) {
		t.Errorf("response.svg: no ρ")
	}
	for d := xml.NewDecoder(bytes.NewReader(svg)); ; {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("response.svg is not well-formed XML: %v", err)
		}
	}

	// CSV: header and one row per plotted point.
	n := len(testPolicies) * len(testLoads)
	checkCSV(t, filepath.Join(dir, "p99.csv"), []string{"workload", "policy", "load", "value", "ci_low", "ci_high"}, n)
	checkCSV(t, filepath.Join(dir, "overhead.csv"), []string{"metric", "workload", "policy", "load", "value", "ci_low", "ci_high"}, 2*n)
	rows := checkCSV(t, filepath.Join(dir, "response.csv"), []string{"workload", "policy", "load", "value", "ci_low", "ci_high"}, -1)
	measured, theory := 0, map[string]int{}
	for _, r := range rows[1:] {
		if r[4] == "" {
			theory[r[1]]++
		} else {
			measured++
		}
	}
	if measured != n || theory["M/M/1 (no sharing)"] < 50 || theory["M/M/16 (perfect sharing)"] < 50 || len(theory) != 2 {
		t.Errorf("response.csv: %d measured rows (want %d), theory rows %v", measured, n, theory)
	}
	cdf := checkCSV(t, filepath.Join(dir, "cdf.csv"), []string{"policy", "load", "value", "fraction"}, -1)
	last := map[string]string{}
	for _, r := range cdf[1:] {
		last[r[0]] = r[3]
	}
	if len(last) != len(testPolicies) {
		t.Errorf("cdf.csv: policies %v", last)
	}
	for p, f := range last {
		if f != "1" {
			t.Errorf("cdf.csv: %s ends at fraction %s, want 1", p, f)
		}
	}

	// Legends cover no data; markers stay inside the data areas.
	figs, err := sweepFigures(cells, testPolicies, opt)
	if err != nil {
		t.Fatal(err)
	}
	checkLayouts(t, figs, []string{"response.png", "p99.png", "normalized.png", "overhead.png", "cdf.png"})
}

func TestWriteFiguresSeveralWorkloads(t *testing.T) {
	recs := syntheticRecords(testPolicies[:2], testLoads[:3], 2, 200, 2)
	for _, r := range syntheticRecords(testPolicies[:2], testLoads[:3], 2, 200, 3) {
		r.Point.Workload = "h2 (scv=4)"
		r.Point.Size, r.Point.SizeSCV = "h2(scv=4)", 4
		recs = append(recs, r)
	}
	paths, err := WriteFigures(t.TempDir(), stats.Summarize(recs), nil, FigureOptions{Formats: []string{"png"}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	got := strings.Join(names, " ")
	for _, want := range []string{"exp_response.png", "h2__scv_4_response.png", "exp_normalized.csv", "h2__scv_4_normalized.csv"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %s in %s", want, got)
		}
	}
}

// TestWriteFiguresEdgeCases renders a sweep with a policy that blows up
// (log y axis), a failed cell (NaN mean), single replications and no
// histograms (no CDF figure).
func TestWriteFiguresEdgeCases(t *testing.T) {
	recs := syntheticRecords(testPolicies, testLoads, 1, 50, 8)
	for i := range recs {
		r := &recs[i]
		r.Result.Histogram = ""
		if r.Point.Policy == "sender.threshold" && r.Point.Load == 0.95 {
			r.Result.MeanResponse = 500
		}
		if r.Point.Policy == "pod(d=2)" && r.Point.Load == 0.9 {
			r.Result.MeanResponse = math.NaN()
		}
	}
	dir := t.TempDir()
	paths, err := WriteFigures(dir, stats.Summarize(recs), testPolicies, FigureOptions{Formats: []string{"png", "pdf"}, DPI: 72})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 4*3 {
		t.Errorf("%d files, want 12 (4 figures × png, pdf, csv): %v", len(paths), paths)
	}
	for _, p := range paths {
		if strings.Contains(p, "cdf") {
			t.Errorf("CDF written without histograms: %s", p)
		}
	}
	rows := checkCSV(t, filepath.Join(dir, "response.csv"), []string{"workload", "policy", "load", "value", "ci_low", "ci_high"}, -1)
	for _, r := range rows[1:] {
		if r[1] == "pod(d=2)" && r[2] == "0.9" {
			t.Errorf("failed cell plotted: %v", r)
		}
	}
}

func TestFitY(t *testing.T) {
	pn := func(ys ...float64) panel {
		var s series
		for i, y := range ys {
			s.pts = append(s.pts, xyPoint{float64(i), y, math.NaN(), math.NaN()})
		}
		return panel{series: []series{s}}
	}
	p := pn(1, 2, 20)
	p.fitY(1.3, true)
	if p.logY || p.yMin != 0 || p.yMax != 30 {
		t.Errorf("span 20: logY %v, y %v..%v, want linear 0..30", p.logY, p.yMin, p.yMax)
	}
	p = pn(1, 2, 200)
	p.fitY(1.3, true)
	if !p.logY || p.yMin != 0.8 || p.yMax != 260 {
		t.Errorf("span 200: logY %v, y %v..%v, want log 0.8..260", p.logY, p.yMin, p.yMax)
	}
	p = pn(0, 1, 200)
	p.fitY(1.1, false)
	if p.logY {
		t.Error("log axis where not allowed")
	}
}

func TestWriteFiguresDeterministic(t *testing.T) {
	cells := stats.Summarize(syntheticRecords(testPolicies, testLoads, 3, 500, 4))
	opt := FigureOptions{Formats: []string{"png"}, DPI: 100}
	var out [2][]byte
	for i := range out {
		dir := t.TempDir()
		if _, err := WriteFigures(dir, cells, testPolicies, opt); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "response.png"))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	if !bytes.Equal(out[0], out[1]) {
		t.Error("two renderings of the same cells differ")
	}
}

func TestWriteFiguresBadFormat(t *testing.T) {
	cells := stats.Summarize(syntheticRecords(testPolicies[:1], testLoads[:2], 1, 10, 5))
	if _, err := WriteFigures(t.TempDir(), cells, nil, FigureOptions{Formats: []string{"gif"}}); err == nil {
		t.Error("format gif accepted")
	}
}

func TestNiceTop(t *testing.T) {
	for _, c := range []struct{ in, want float64 }{{0, 1}, {1, 1}, {1.1, 1.2}, {13, 14}, {26, 30}, {0.071, 0.08}, {31.9, 35}, {math.Inf(1), 1}} {
		if got := niceTop(c.in); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("niceTop(%g) = %g, want %g", c.in, got, c.want)
		}
	}
}

// TestSampleFigures writes figures for a person to look at when
// ANALYSIS_SAMPLE_DIR names a directory.
func TestSampleFigures(t *testing.T) {
	dir := os.Getenv("ANALYSIS_SAMPLE_DIR")
	if dir == "" {
		t.Skip("set ANALYSIS_SAMPLE_DIR to write sample figures")
	}
	pols := append(testPolicies, "random", "receiver")
	cells := stats.Summarize(syntheticRecords(pols, []float64{0.3, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95}, 5, 10000, 6))
	paths, err := WriteFigures(dir, cells, pols, DefaultFigureOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Log(strings.Join(paths, "\n"))
}

func checkCSV(t *testing.T, path string, header []string, rows int) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != strings.Join(header, ",") {
		t.Fatalf("%s: header %v, want %v", path, recs[:min(1, len(recs))], header)
	}
	if rows >= 0 && len(recs)-1 != rows {
		t.Errorf("%s: %d rows, want %d", path, len(recs)-1, rows)
	}
	return recs
}

var streamRE = regexp.MustCompile(`(?s)stream\r?\n(.*?)\r?\nendstream`)

// pdfText returns the strings shown by text operators (Tj) in the page
// content streams of a PDF, decompressing them.
func pdfText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, m := range streamRE.FindAllSubmatch(b, -1) {
		data := m[1]
		if zr, err := zlib.NewReader(bytes.NewReader(data)); err == nil {
			if d, err := io.ReadAll(zr); err == nil {
				data = d
			}
		}
		if !bytes.Contains(data, []byte("Tj")) {
			continue // fonts and other binary streams
		}
		for _, tj := range regexp.MustCompile(`(?s)\((.*?[^\\])\) ?Tj`).FindAllSubmatch(data, -1) {
			text.Write(tj[1])
			text.WriteByte('\n')
		}
	}
	if text.Len() == 0 {
		t.Fatalf("%s: no text found", path)
	}
	return text.String()
}

// utf16BE returns s in big-endian UTF-16, for runes of the Basic
// Multilingual Plane.
func utf16BE(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteByte(byte(r >> 8))
		b.WriteByte(byte(r))
	}
	return b.String()
}
