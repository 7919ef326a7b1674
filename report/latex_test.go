package report

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/stats"
)

// quickSpec is examples/quick.yaml (7 policies × 8 loads) with fewer jobs
// and replications, so that it runs in a second or two.
const quickSpec = `name: quick
backend: sim
seed: 1
replications: 3
jobs: 4000
warmup: 400
nodes: 20
servers: 1
loads: [0.3, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95]
costs:
  transfer_cpu: 0.1
  probe_cpu: 0.002
workloads:
  - name: exp
    arrival: poisson
    size: exp(mean=1)
policies:
  - name: random
    dispatch: random
  - name: pod(d=2)
    dispatch: pod(d=2)
  - name: sender.random
    migrate: sender.random(T=2)
  - name: sender.threshold
    migrate: sender.threshold(T=1, probes=3)
  - name: sender.shortest
    migrate: sender.shortest(T=1, probes=3)
  - name: receiver.threshold
    migrate: receiver.threshold(T=1, probes=3)
  - name: symmetric
    migrate: symmetric(T=1, probes=3)
`

// findPDFLaTeX returns the path of pdflatex. Without it the test is
// skipped, except when the environment variable CI is set: there it fails,
// so that CI cannot pass by skipping the check.
func findPDFLaTeX(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("pdflatex"); err == nil {
		return p
	}
	msg := "pdflatex not found in PATH; install it with apt-get install texlive-latex-base texlive-latex-recommended"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " (CI is set, so this is a failure, not a skip)")
	}
	t.Skip(msg)
	return ""
}

// hardTables are tables built to be hard to fit: long policy names with
// LaTeX's special characters, ten loads, values of very different sizes
// and precisions, a missing cell, a metric without intervals and a single
// replication.
func hardTables() []*Table {
	policies := []string{"receiver.threshold(T=1, probes=3, limit=5)", "no_sharing #1 & 50%", "pod(d=2)", "x"}
	var recs []results.Record
	for pi, p := range policies {
		for li, load := range []float64{0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95} {
			if pi == 2 && li == 4 {
				continue // a missing cell
			}
			reps := 3
			if pi == 3 {
				reps = 1
			}
			for rep := 0; rep < reps; rep++ {
				r := results.Record{Point: results.Point{Workload: "heavy_tail & co", Policy: p, Load: load, Replication: rep, Seed: uint64(li*10 + rep)}}
				noise := 1 + 0.001*float64(rep*(pi+1))
				r.Result.MeanResponse = 1234.5678 * math.Pow(10, -float64(li)/2) * noise * float64(pi+1)
				r.Result.CI95HalfWidth = 0.01
				r.Result.Batches = 30
				r.Result.P99Response = -12.345 * noise * float64(li+1)
				r.Result.MigrationsPerJob = 0.000123 * noise * float64(pi)
				r.Result.ProbesPerJob = 123456.789 * noise
				r.Result.Utilization = load
				r.Result.JobsIssued, r.Result.JobsCompleted = 1000, 1000
				recs = append(recs, r)
			}
		}
	}
	return Tables(stats.Summarize(recs), recs, policies)
}

// TestLaTeXTablesCompile compiles tables.tex in a 10 pt two-column
// article, as a paper would include it (and in a 12 pt one), and fails on
// any overfull box, a float too large for the page, or an error.
func TestLaTeXTablesCompile(t *testing.T) {
	pdflatex := findPDFLaTeX(t)
	quickDir := sweep(t, "quick", quickSpec)
	quick := func(t *testing.T) []byte { return reportTeX(t, quickDir) }
	hard := func(t *testing.T) []byte {
		var b strings.Builder
		if err := WriteLaTeX(&b, hardTables()); err != nil {
			t.Fatal(err)
		}
		return []byte(b.String())
	}
	comparison := func(t *testing.T) []byte {
		a, b, err := Sides(quickDir, sweep(t, "other", strings.Replace(quickSpec, "seed: 1", "seed: 2", 1)))
		if err != nil {
			t.Fatal(err)
		}
		c, err := Compare(a, b)
		if err != nil {
			t.Fatal(err)
		}
		var buf strings.Builder
		if err := c.WriteLaTeX(&buf); err != nil {
			t.Fatal(err)
		}
		return []byte(buf.String())
	}
	// A sweep along an axis crossed with two loads: a column per (load,
	// value), ten of them.
	axis := func(t *testing.T) []byte {
		dir := sweep(t, "axis", "name: axis\nseed: 1\nreplications: 2\njobs: 2000\nnodes: 8\nloads: [0.7, 0.9]\n"+
			"axis: {name: probes, values: [1, 2, 3, 5, 8]}\npolicies:\n  - migrate: sender.threshold(T=1)\n  - migrate: receiver.threshold(T=1)\n")
		tex := reportTeX(t, dir)
		if !strings.Contains(string(tex), "probes") {
			t.Errorf("tables along probes do not name the axis")
		}
		return tex
	}
	for _, tc := range []struct {
		name   string
		tables func(t *testing.T) []byte
	}{{"quick sweep", quick}, {"hard tables", hard}, {"comparison", comparison}, {"axis", axis}} {
		t.Run(tc.name, func(t *testing.T) {
			tex := tc.tables(t)
			// The narrowest column is A4's; 12 pt checks that the tables keep
			// their own type size.
			for _, options := range []string{"10pt,letterpaper", "10pt,a4paper", "12pt,a4paper"} {
				log := compileLaTeX(t, pdflatex, options, tex)
				for _, bad := range []*regexp.Regexp{
					regexp.MustCompile(`Overfull \\hbox \(([0-9.]+)pt too wide\)[^\n]*`),
					regexp.MustCompile(`Float too large[^\n]*`),
				} {
					for _, m := range bad.FindAllString(log, -1) {
						t.Errorf("%s: %s", options, m)
					}
				}
			}
		})
	}
}

// reportTeX writes the report of the sweep in dir and returns its LaTeX
// tables.
func reportTeX(t *testing.T, dir string) []byte {
	t.Helper()
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "report")
	if _, err := Write(s, out); err != nil {
		t.Fatal(err)
	}
	tex, err := os.ReadFile(filepath.Join(out, LaTeXFile))
	if err != nil {
		t.Fatal(err)
	}
	return tex
}

// compileLaTeX wraps tables in a two-column article with options (size
// and paper), compiles it with pdflatex in a temporary directory and
// returns the log. A failed run fails the test.
func compileLaTeX(t *testing.T, pdflatex, options string, tables []byte) string {
	t.Helper()
	dir := t.TempDir()
	doc := fmt.Sprintf("\\documentclass[twocolumn,%s]{article}\n\\usepackage{booktabs}\n"+
		"\\begin{document}\n\\input{tables}\n\\end{document}\n", options)
	if err := os.WriteFile(filepath.Join(dir, "doc.tex"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tables.tex"), tables, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(pdflatex, "-interaction=nonstopmode", "-halt-on-error", "doc.tex")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	log, _ := os.ReadFile(filepath.Join(dir, "doc.log"))
	if err != nil {
		t.Fatalf("pdflatex (%s): %v\n%s", options, err, tail(string(out), 3000))
	}
	return string(log)
}

// tail is the last n bytes of s.
func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
