package report

import (
	"context"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadlab/loadlab/experiment"
	"github.com/loadlab/loadlab/latency"
	"github.com/loadlab/loadlab/results"
)

// tinySpec is 2 policies × 3 loads × 2 replications; its policy names
// hold characters LaTeX and Markdown must escape.
const tinySpec = `name: tiny_report
seed: 7
replications: 2
jobs: 3000
warmup: 300
nodes: 8
loads: [0.5, 0.7, 0.9]
policies:
  - name: random_all
    dispatch: random
  - name: "pod #2 & 50%"
    dispatch: pod(d=2)
`

// sweep runs spec into a fresh directory under t's temporary directory.
func sweep(t *testing.T, name, spec string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	file := filepath.Join(t.TempDir(), name+".yaml")
	if err := os.WriteFile(file, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := experiment.LoadSpec(file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := experiment.Sweep(context.Background(), s, experiment.Options{Out: dir, Workers: 2}); err != nil {
		t.Fatal(err)
	}
	return dir
}

var (
	tinyOnce sync.Once
	tinyDir  string
	tinyErr  error
)

// tiny runs tinySpec once for the whole package.
func tiny(t *testing.T) string {
	t.Helper()
	tinyOnce.Do(func() {
		var root string
		root, tinyErr = os.MkdirTemp("", "report-test")
		if tinyErr != nil {
			return
		}
		file := filepath.Join(root, "tiny.yaml")
		if tinyErr = os.WriteFile(file, []byte(tinySpec), 0o644); tinyErr != nil {
			return
		}
		var s *experiment.Spec
		if s, tinyErr = experiment.LoadSpec(file); tinyErr != nil {
			return
		}
		tinyDir = filepath.Join(root, "sweep")
		_, tinyErr = experiment.Sweep(context.Background(), s, experiment.Options{Out: tinyDir, Workers: 2})
	})
	if tinyErr != nil {
		t.Fatal(tinyErr)
	}
	return tinyDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if tinyDir != "" {
		os.RemoveAll(filepath.Dir(tinyDir))
	}
	os.Exit(code)
}

// htmlTable is a table of the page: caption, header and cell texts, with
// the columns of the cells marked best.
type htmlTable struct {
	caption string
	head    []string
	rows    [][]string
	best    [][]bool
}

// parsePage parses page as XML (it must be well-formed) and returns its
// tables and the src of every img.
func parsePage(t *testing.T, page []byte) (tables []htmlTable, imgs []string, svgs int) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(string(page)))
	var cur *htmlTable
	var text strings.Builder
	inCell, best := false, false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("report.html is not well-formed: %v", err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			switch x.Name.Local {
			case "table":
				tables = append(tables, htmlTable{})
				cur = &tables[len(tables)-1]
			case "tr":
				if cur != nil {
					cur.rows = append(cur.rows, nil)
					cur.best = append(cur.best, nil)
				}
			case "th", "td", "caption":
				inCell, best = true, false
				text.Reset()
				for _, a := range x.Attr {
					if a.Name.Local == "class" && a.Value == "best" {
						best = true
					}
				}
			case "img":
				for _, a := range x.Attr {
					if a.Name.Local == "src" {
						imgs = append(imgs, a.Value)
					}
				}
			case "svg":
				svgs++
			case "script", "link", "iframe", "object", "embed":
				t.Errorf("report.html has a <%s> element: it must fetch nothing", x.Name.Local)
			}
		case xml.CharData:
			if inCell {
				text.Write(x)
			}
		case xml.EndElement:
			switch x.Name.Local {
			case "table":
				cur = nil
			case "caption":
				inCell = false
				cur.caption = text.String()
			case "th", "td":
				inCell = false
				i := len(cur.rows) - 1
				cur.rows[i] = append(cur.rows[i], text.String())
				cur.best[i] = append(cur.best[i], best)
			}
		}
	}
	for i := range tables {
		tb := &tables[i]
		if len(tb.rows) > 0 {
			tb.head, tb.rows, tb.best = tb.rows[0], tb.rows[1:], tb.best[1:]
		}
	}
	return tables, imgs, svgs
}

// leading parses the number a table cell starts with ("1.234 ± 0.1").
func leading(t *testing.T, s string) float64 {
	t.Helper()
	f := strings.Fields(s)
	if len(f) == 0 {
		t.Fatalf("empty cell")
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		t.Fatalf("cell %q: %v", s, err)
	}
	return v
}

func TestReport(t *testing.T) {
	dir := tiny(t)
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "report")
	paths, err := Write(s, out)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{HTMLFile, MarkdownFile, LaTeXFile, CSVFile}
	if len(paths) != len(want) {
		t.Fatalf("wrote %v, want %v", paths, want)
	}
	policies := []string{"random_all", "pod #2 & 50%"}
	loads := []string{"ρ=0.5", "ρ=0.7", "ρ=0.9"}

	t.Run("html", func(t *testing.T) {
		page, err := os.ReadFile(filepath.Join(out, HTMLFile))
		if err != nil {
			t.Fatal(err)
		}
		if m := regexp.MustCompile(`(?i)(src|href)="(https?:|//)`).Find(page); m != nil {
			t.Errorf("report.html makes an external request: %s", m)
		}
		tables, imgs, svgs := parsePage(t, page)
		if len(imgs)+svgs < 4 {
			t.Errorf("%d images and %d inline SVGs, want every figure (at least 4)", len(imgs), svgs)
		}
		for _, src := range imgs {
			if !strings.HasPrefix(src, "data:image/png;base64,") && !strings.HasPrefix(src, "data:image/svg+xml") {
				t.Errorf("img src %.40q is not a data URI", src)
			}
		}
		if len(tables) != len(metrics) {
			t.Fatalf("%d tables, want one per metric (%d)", len(tables), len(metrics))
		}
		for _, tb := range tables {
			if got := strings.Join(tb.head[1:], ","); got != strings.Join(loads, ",") {
				t.Errorf("%s: columns %s, want %s", tb.caption, got, strings.Join(loads, ","))
			}
			if len(tb.rows) != len(policies) {
				t.Fatalf("%s: %d rows, want %d", tb.caption, len(tb.rows), len(policies))
			}
			for i, p := range policies {
				if tb.rows[i][0] != p {
					t.Errorf("%s: row %d is %q, want %q", tb.caption, i, tb.rows[i][0], p)
				}
			}
			// A column marks at most one value, the lowest (TestBest checks
			// which columns mark one).
			for j := 1; j < len(tb.head); j++ {
				marked := 0
				for i, r := range tb.rows {
					if !tb.best[i][j] {
						continue
					}
					marked++
					for k, o := range tb.rows {
						if leading(t, o[j]) < leading(t, r[j]) {
							t.Errorf("%s, %s: %q marked best, but %s has %q", tb.caption, tb.head[j], r[j], tb.rows[k][0], o[j])
						}
					}
				}
				if marked > 1 {
					t.Errorf("%s, %s: %d values marked best", tb.caption, tb.head[j], marked)
				}
			}
		}
		for _, w := range []string{"host:", "commit:", "Go:", "jobs: 3000", "Warnings", "significantly lower than every other policy"} {
			if !strings.Contains(string(page), w) {
				t.Errorf("report.html lacks %q", w)
			}
		}
	})

	t.Run("markdown", func(t *testing.T) {
		md, err := os.ReadFile(filepath.Join(out, MarkdownFile))
		if err != nil {
			t.Fatal(err)
		}
		links := regexp.MustCompile(`!\[[^\]]*\]\(([^)]+)\)`).FindAllStringSubmatch(string(md), -1)
		if len(links) < 4 {
			t.Errorf("%d image links, want every figure", len(links))
		}
		for _, l := range links {
			if filepath.IsAbs(l[1]) {
				t.Errorf("image link %s is not relative", l[1])
			}
			if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(l[1]))); err != nil {
				t.Errorf("image link %s: %v", l[1], err)
			}
		}
		for _, w := range []string{`random\_all`, "pod #2 & 50%", "| ρ=0.9 |", "**"} {
			if !strings.Contains(string(md), w) {
				t.Errorf("report.md lacks %q", w)
			}
		}
	})

	t.Run("latex", func(t *testing.T) {
		tex, err := os.ReadFile(filepath.Join(out, LaTeXFile))
		if err != nil {
			t.Fatal(err)
		}
		s := string(tex)
		n := len(metrics)
		for _, rule := range []string{`\toprule`, `\midrule`, `\bottomrule`, `\begin{tabular}`} {
			if got := strings.Count(s, rule); got != n {
				t.Errorf("%s appears %d times, want %d", rule, got, n)
			}
		}
		for _, w := range []string{`random\_all`, `pod \#2 \& 50\%`, `$\rho$=0.9`, `$\pm$`, `\textbf{`} {
			if !strings.Contains(s, w) {
				t.Errorf("tables.tex lacks %q", w)
			}
		}
		// Outside comments, no special character is left unescaped.
		for i, line := range strings.Split(s, "\n") {
			if strings.HasPrefix(line, "%") {
				continue
			}
			if m := regexp.MustCompile(`(^|[^\\])[_%#&]`).FindString(strings.ReplaceAll(line, " & ", " ")); m != "" {
				t.Errorf("tables.tex line %d has an unescaped %q: %s", i+1, m, line)
			}
			if strings.ContainsAny(line, "ρ×±−") {
				t.Errorf("tables.tex line %d has a raw Unicode symbol: %s", i+1, line)
			}
		}
	})

	t.Run("csv", func(t *testing.T) {
		f, err := os.Open(filepath.Join(out, CSVFile))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(rows), 1+len(metrics)*len(policies)*len(loads); got != want {
			t.Errorf("%d CSV rows, want %d", got, want)
		}
		if strings.Join(rows[0], ",") != "table,workload,policy,load,value,ci95_halfwidth,best" {
			t.Errorf("CSV header %v", rows[0])
		}
	})
}

// TestReportReusesFigures checks that fresh figures of the sweep are used
// as they are, and linked from the Markdown relative to the report.
func TestReportReusesFigures(t *testing.T) {
	dir := tiny(t)
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The first report draws into its own directory.
	own := filepath.Join(t.TempDir(), "r")
	if _, err := Write(s, own); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(own, "figures", "response.png")); err != nil {
		t.Fatalf("no figures drawn: %v", err)
	}
	figs := filepath.Join(t.TempDir(), "copy")
	// A sweep with fresh figures: copy the directory, figures included.
	for _, f := range []string{experiment.SpecFile, results.FileName} {
		copyFile(t, filepath.Join(dir, f), filepath.Join(figs, f))
	}
	time.Sleep(10 * time.Millisecond)
	copyFile(t, filepath.Join(own, "figures", "response.png"), filepath.Join(figs, "figures", "response.png"))
	s2, err := Load(figs)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(figs, "report")
	if _, err := Write(s2, out); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(out, MarkdownFile))
	if !strings.Contains(string(md), "](../figures/response.png)") {
		t.Errorf("report.md does not link the sweep's own figure:\n%s", md)
	}
	if _, err := os.Stat(filepath.Join(out, "figures")); err == nil {
		t.Error("figures drawn again although the sweep's were fresh")
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadErrors(t *testing.T) {
	empty := t.TempDir()
	noResults := t.TempDir()
	copyFile(t, filepath.Join(tiny(t), experiment.SpecFile), filepath.Join(noResults, experiment.SpecFile))
	blank := t.TempDir()
	copyFile(t, filepath.Join(tiny(t), experiment.SpecFile), filepath.Join(blank, experiment.SpecFile))
	if err := os.WriteFile(filepath.Join(blank, results.FileName), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, dir, want string
	}{
		{"missing", filepath.Join(empty, "nosuch"), "no such file"},
		{"not a sweep", empty, "not a sweep directory"},
		{"no results", noResults, "holds no results"},
		{"empty results", blank, "holds no results"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.dir)
			if err == nil || !experiment.IsInput(err) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load(%s) = %v, want an input error with %q", tc.dir, err, tc.want)
			}
		})
	}
}

func TestWelch(t *testing.T) {
	for _, tc := range []struct {
		name       string
		a, b       []float64
		diff, half float64 // NaN: want NaN
	}{
		// Equal variances and sizes: df = 2(n−1) = 4, t = 2.776,
		// se = √(1/3 + 1/3).
		{"equal", []float64{2, 3, 4}, []float64{1, 2, 3}, 1, 2.7764451 * math.Sqrt(2.0/3)},
		// Unequal variances and sizes: the formula written out by hand.
		{"unequal", []float64{10, 12, 14, 16}, []float64{1, 2}, 11.5, welchByHand([]float64{10, 12, 14, 16}, []float64{1, 2})},
		{"constant", []float64{5, 5}, []float64{3, 3}, 2, 0},
		{"one value", []float64{5}, []float64{3, 4}, 1.5, math.NaN()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, h := Welch(tc.a, tc.b)
			if math.Abs(d-tc.diff) > 1e-9 {
				t.Errorf("diff %g, want %g", d, tc.diff)
			}
			if math.IsNaN(tc.half) != math.IsNaN(h) || (!math.IsNaN(h) && math.Abs(h-tc.half) > 1e-6*math.Max(1, tc.half)) {
				t.Errorf("half-width %g, want %g", h, tc.half)
			}
		})
	}
}

// welchByHand is Welch's half-width written out from the textbook formula,
// with the t quantile from the tabulated values it needs.
func welchByHand(a, b []float64) float64 {
	v := func(x []float64) (m, s2 float64) {
		for _, y := range x {
			m += y
		}
		m /= float64(len(x))
		for _, y := range x {
			s2 += (y - m) * (y - m)
		}
		return m, s2 / float64(len(x)-1)
	}
	_, sa := v(a)
	_, sb := v(b)
	qa, qb := sa/float64(len(a)), sb/float64(len(b))
	df := (qa + qb) * (qa + qb) / (qa*qa/float64(len(a)-1) + qb*qb/float64(len(b)-1))
	return tQuantile(df) * math.Sqrt(qa+qb)
}

func TestCompare(t *testing.T) {
	const base = `name: NAME
seed: 11
replications: 4
jobs: 4000
warmup: 400
nodes: 8
loads: [0.6, 0.85]
policies:
  - name: random
    dispatch: random
  - name: balancer
    dispatch: DISPATCH
`
	a := sweep(t, "a", strings.NewReplacer("NAME", "a", "DISPATCH", "random").Replace(base))
	b := sweep(t, "b", strings.NewReplacer("NAME", "b", "DISPATCH", "pod(d=2)").Replace(base))

	t.Run("itself", func(t *testing.T) {
		sa, sb, err := Sides(a, a)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Compare(sa, sb)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Diffs) != 2*2*2 {
			t.Errorf("%d diffs, want 2 metrics × 2 policies × 2 loads", len(c.Diffs))
		}
		for _, d := range c.Diffs {
			if d.Delta != 0 || d.Half != 0 || d.Significant() || !d.Paired {
				t.Errorf("%s %s ρ=%g: B − A = %g ± %g (paired %v, significant %v), want exactly 0, paired, not significant",
					d.Metric, d.Policy, d.Load, d.Delta, d.Half, d.Paired, d.Significant())
			}
		}
	})

	t.Run("one policy changed", func(t *testing.T) {
		sa, sb, err := Sides(a, b)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Compare(sa, sb)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range c.Diffs {
			if !d.Paired {
				t.Errorf("%s ρ=%g not paired: the seeds are the same", d.Policy, d.Load)
			}
			switch {
			case d.Policy == "random" && (d.Delta != 0 || d.Significant()):
				t.Errorf("unchanged policy: %s ρ=%g B − A = %g ± %g, want exactly 0", d.Metric, d.Load, d.Delta, d.Half)
			case d.Policy == "balancer" && d.Metric == "mean_response" && (!d.Significant() || d.Delta >= 0):
				t.Errorf("pod(d=2) against random at ρ=%g: B − A = %g ± %g, want significantly negative", d.Load, d.Delta, d.Half)
			}
		}
		out := filepath.Join(t.TempDir(), "cmp")
		paths, err := WriteCompare(c, out)
		if err != nil {
			t.Fatal(err)
		}
		page, err := os.ReadFile(paths[0])
		if err != nil {
			t.Fatal(err)
		}
		tables, imgs, _ := parsePage(t, page)
		if len(imgs) != 1 || !strings.HasPrefix(imgs[0], "data:image/png;base64,") {
			t.Errorf("compare.html images: %d, want the figure as a data URI", len(imgs))
		}
		if len(tables) != 2 {
			t.Fatalf("%d tables, want 2 (mean and p99)", len(tables))
		}
		for _, r := range tables[0].rows {
			want := map[string]string{"random": "no", "balancer": "yes"}[r[0]]
			if r[len(r)-1] != want {
				t.Errorf("row %v: significant %q, want %q", r, r[len(r)-1], want)
			}
		}
		for _, f := range []string{"compare.md", "compare.tex", "compare.csv", "compare_response.png", "compare_response.svg"} {
			if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
				t.Errorf("%s missing or empty: %v", f, err)
			}
		}
		tex, _ := os.ReadFile(filepath.Join(out, "compare.tex"))
		for _, w := range []string{`\toprule`, `\midrule`, `\bottomrule`, `B $-$ A`} {
			if !strings.Contains(string(tex), w) {
				t.Errorf("compare.tex lacks %q", w)
			}
		}
	})

	t.Run("nothing in common", func(t *testing.T) {
		other := sweep(t, "c", strings.NewReplacer("NAME", "c", "DISPATCH", "random", "[0.6, 0.85]", "[0.3]").Replace(base))
		sa, sb, err := Sides(a, other)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Compare(sa, sb); err == nil || !experiment.IsInput(err) || !strings.Contains(err.Error(), "no cell in common") {
			t.Errorf("Compare of disjoint sweeps: %v, want an input error", err)
		}
	})
}

// TestCompareBackends compares the two backends of one sweep: a sweep with
// backends [sim, local] is made from simulator records relabelled, so both
// sides are equal.
func TestCompareBackends(t *testing.T) {
	src := tiny(t)
	recs, err := results.Read(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	spec := strings.Replace(tinySpec, "nodes: 8\n", "nodes: 8\nbackends: [sim, local]\n", 1)
	if err := os.WriteFile(filepath.Join(dir, experiment.SpecFile), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	store, err := results.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Each simulator record gets the point of its twin on each backend, as
	// the spec defines it.
	parsed, err := experiment.ParseSpec("spec.yaml", []byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	points, err := parsed.Points()
	if err != nil {
		t.Fatal(err)
	}
	for _, be := range []string{"local", "sim"} { // local first: the spec's order must win
		for _, r := range recs {
			for _, p := range points {
				if p.Backend == be && p.Policy == r.Point.Policy+" ("+be+")" && p.Load == r.Point.Load && p.Replication == r.Point.Replication && p.Workload == r.Point.Workload {
					r.Point = p.Point
				}
			}
			if r.Point.Backend != be {
				t.Fatalf("no %s point in the spec for %s", be, r.Point.Key)
			}
			if err := store.Append(r); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	a, b, err := Sides(dir)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "sim" || b.Name != "local" {
		t.Errorf("sides %s and %s, want sim and local", a.Name, b.Name)
	}
	c, err := Compare(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Diffs) != 2*2*3 || c.OnlyA != 0 || c.OnlyB != 0 {
		t.Errorf("%d diffs (%d only in A, %d only in B), want 12 and 0", len(c.Diffs), c.OnlyA, c.OnlyB)
	}
	for _, d := range c.Diffs {
		if d.Delta != 0 || d.Significant() {
			t.Errorf("%s ρ=%g: %g ± %g, want 0", d.Policy, d.Load, d.Delta, d.Half)
		}
	}
	if _, _, err := Sides(src); err == nil || !experiment.IsInput(err) {
		t.Errorf("Sides of a one-backend sweep: %v, want an input error", err)
	}
}

// BenchmarkReport writes the report of a synthetic 10 policies × 10 loads
// × 5 replications sweep, figures included (the target: well under
// a minute on 2 cores; docs/BENCHMARKS.md has the measurement).
func BenchmarkReport(b *testing.B) {
	t := b
	dir := t.TempDir()
	var spec strings.Builder
	spec.WriteString("name: speed\nreplications: 5\njobs: 100000\nloads: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]\npolicies:\n")
	for p := 0; p < 10; p++ {
		fmt.Fprintf(&spec, "  - name: p%d\n    dispatch: random\n", p)
	}
	if err := os.WriteFile(filepath.Join(dir, experiment.SpecFile), []byte(spec.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var lines strings.Builder
	loads := []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95}
	for p := 0; p < 10; p++ {
		for _, l := range loads {
			for r := 0; r < 5; r++ {
				mean := (1 + float64(p)/10) / (1 - l) * (1 + 0.01*float64(r))
				h := latency.New()
				for i := 1; i <= 2000; i++ {
					h.Record(mean * -math.Log(1-float64(i)/2001))
				}
				enc, err := h.Encode()
				if err != nil {
					t.Fatal(err)
				}
				rec := results.Record{
					Point: results.Point{Key: fmt.Sprintf("%d-%g-%d", p, l, r), Policy: fmt.Sprintf("p%d", p), Workload: "exp",
						Dispatch: "random", Migrate: "none", Arrival: "poisson", Size: "exp(mean=1)", SizeMean: 1, SizeSCV: 1,
						Load: l, Nodes: 16, Servers: 1, Replication: r, Seed: uint64(r + 1), Backend: "sim"},
					Result: results.Result{MeanResponse: mean, P99Response: 4.6 * mean, CI95HalfWidth: 0.02 * mean, Batches: 30,
						JobsIssued: 100000, JobsCompleted: 100000, Utilization: l, Histogram: enc},
					Env: results.Env{Host: "synthetic", Start: time.Now(), Seconds: 1},
				}
				b, err := jsonLine(rec)
				if err != nil {
					t.Fatal(err)
				}
				lines.Write(b)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, results.FileName), []byte(lines.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for b.Loop() {
		s, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Write(s, filepath.Join(dir, "report")); err != nil {
			t.Fatal(err)
		}
		// Draw the figures anew each time: the reused ones would be
		// newer than the results.
		if err := os.RemoveAll(filepath.Join(dir, "report")); err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkSweepReport runs the sweep of testdata/speed.yaml on the
// simulator (10 policies × 10 loads × 5 replications of 100,000 jobs, on
// every core) and writes its report, figures included: the target
// is under a minute on 2 cores (docs/BENCHMARKS.md has the measurement).
// Run it with -benchtime 1x.
func BenchmarkSweepReport(b *testing.B) {
	spec, err := experiment.LoadSpec(filepath.Join("testdata", "speed.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		dir := filepath.Join(b.TempDir(), "speed")
		if _, err := experiment.Sweep(context.Background(), spec, experiment.Options{Out: dir}); err != nil {
			b.Fatal(err)
		}
		s, err := Load(dir)
		if err != nil {
			b.Fatal(err)
		}
		if len(s.Records) != 500 {
			b.Fatalf("%d records, want 500", len(s.Records))
		}
		if _, err := Write(s, filepath.Join(dir, "report")); err != nil {
			b.Fatal(err)
		}
	}
}
