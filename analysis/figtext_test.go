package analysis

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"image"
	"image/png"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgtex"

	"github.com/loadlab/loadlab/stats"
)

// textFigures returns the figures of a small sweep whose labels hold every
// non-ASCII symbol the figures use: ρ and × in axis labels, → and ∞ in the
// supermarket curve of pod(d=2), and a CDF.
func textFigures(t testing.TB) []figure {
	t.Helper()
	recs := syntheticRecords(testPolicies, testLoads, 2, 500, 3)
	for i := range recs {
		p := &recs[i].Point
		p.Dispatch, p.Migrate = "random", "none"
		switch p.Policy {
		case "pod(d=2)":
			p.Dispatch = "pod(d=2)"
		case "sender.threshold":
			p.Migrate = "sender.threshold"
		}
	}
	cells := stats.Summarize(recs)
	figs, err := sweepFigures(cells, testPolicies, FigureOptions{})
	if err != nil || len(figs) == 0 {
		t.Fatal("no figures")
	}
	return figs
}

// textRecorder passes drawing on to a canvas and keeps every string drawn.
type textRecorder struct {
	vg.CanvasWriterTo
	texts []string
}

func (r *textRecorder) FillString(f font.Face, pt vg.Point, s string) {
	r.texts = append(r.texts, s)
	r.CanvasWriterTo.FillString(f, pt, s)
}

// drawnText renders fig in format through a textRecorder and returns the
// file and the strings drawn.
func drawnText(t *testing.T, fig figure, format string, opt FigureOptions) ([]byte, []string) {
	t.Helper()
	c, err := figureCanvas(format, opt)
	if err != nil {
		t.Fatal(err)
	}
	rec := &textRecorder{CanvasWriterTo: c}
	b, err := fig.renderTo(rec)
	if err != nil {
		t.Fatalf("%s.%s: %v", fig.base, format, err)
	}
	return b, rec.texts
}

// needTool returns the path of an executable; see missing.
func needTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, fmt.Sprintf("%s not found in PATH; install it with apt-get install %s", name, pkg))
	}
	return p
}

// missing skips the test for want of a tool, except when the environment
// variable CI is set: there it fails, so that CI cannot pass by skipping
// the check.
func missing(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " (CI is set, so this is a failure, not a skip)")
	}
	t.Skip(msg)
}

// extractText returns the text pdftotext extracts from a PDF file.
func extractText(t *testing.T, pdftotext, path string) string {
	t.Helper()
	out, err := exec.Command(pdftotext, "-enc", "UTF-8", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext %s: %v\n%s", path, err, out)
	}
	return string(out)
}

// noSpace drops white space, which text extraction adds or drops
// between words placed separately.
func noSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// checkSymbols fails when no string of drawn holds one of the symbols the
// text tests are about.
func checkSymbols(t *testing.T, drawn []string) {
	t.Helper()
	all := strings.Join(drawn, " ")
	for _, sym := range []string{"ρ", "×", "→", "∞"} {
		if !strings.Contains(all, sym) {
			t.Errorf("no figure draws a text with %s; the test needs one", sym)
		}
	}
}

// TestFigureTextPDF draws each figure as PNG and as PDF, recording the
// strings drawn, and checks that the PDF draws the same strings and that
// pdftotext finds every one of them in the file: ρ, ×, → and ∞ included.
func TestFigureTextPDF(t *testing.T) {
	pdftotext := needTool(t, "pdftotext", "poppler-utils")
	opt := DefaultFigureOptions()
	opt.DPI = 72
	var drawn []string
	for _, fig := range textFigures(t) {
		_, pngText := drawnText(t, fig, "png", opt)
		b, pdfDrawn := drawnText(t, fig, "pdf", opt)
		if strings.Join(pdfDrawn, "\n") != strings.Join(pngText, "\n") {
			t.Errorf("%s: PDF draws %q, PNG %q", fig.base, pdfDrawn, pngText)
		}
		path := filepath.Join(t.TempDir(), fig.base+".pdf")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		drawn = append(drawn, pngText...)
		checkFigureText(t, fig.base+".pdf", pngText, extractText(t, pdftotext, path))
	}
	checkSymbols(t, drawn)
}

// checkFigureText reports each string of want missing from got.
func checkFigureText(t *testing.T, name string, want []string, got string) {
	t.Helper()
	g := noSpace(got)
	for _, s := range want {
		if !strings.Contains(g, noSpace(s)) {
			t.Errorf("%s: %q drawn in the PNG, not in the text extracted:\n%s", name, s, got)
		}
	}
}

// BenchmarkRenderPDF renders the response figure as PDF.
func BenchmarkRenderPDF(b *testing.B) {
	var fig figure
	for _, f := range textFigures(b) {
		if f.base == "response" {
			fig = f
		}
	}
	opt := DefaultFigureOptions()
	var size int
	for b.Loop() {
		out, err := fig.render("pdf", opt)
		if err != nil {
			b.Fatal(err)
		}
		size = len(out)
	}
	b.ReportMetric(float64(size), "bytes")
}

// pgfTextRE matches the text of a \pgftext line as vgtex writes it.
var pgfTextRE = regexp.MustCompile(`(?m)\\pgftext\[[^\n]*\\selectfont (.*)\}\}$`)

// compileLaTeX runs pdflatex on doc in dir and returns the PDF's text; a
// missing glyph ("Missing character" in the log) fails the test.
func compileLaTeX(t *testing.T, pdflatex, pdftotext, dir, doc string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "doc.tex"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(pdflatex, "-interaction=nonstopmode", "-halt-on-error", "doc.tex")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pdflatex: %v\n%s", err, out)
	}
	log, err := os.ReadFile(filepath.Join(dir, "doc.log"))
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.Index(log, []byte("Missing character")); i >= 0 {
		t.Errorf("pdflatex: %s", log[i:i+bytes.IndexByte(log[i:], '\n')])
	}
	return extractText(t, pdftotext, filepath.Join(dir, "doc.pdf"))
}

// TestFigureTextTeX draws each figure as PNG and as TeX, and checks that
// the LaTeX of each string in the .tex file typesets (pdflatex, then
// pdftotext) to the string the PNG shows. The PGF picture itself is
// compiled too where pgf is installed (Debian: texlive-pictures).
func TestFigureTextTeX(t *testing.T) {
	pdflatex := needTool(t, "pdflatex", "texlive-latex-base")
	pdftotext := needTool(t, "pdftotext", "poppler-utils")
	opt := DefaultFigureOptions()
	opt.DPI = 72
	var drawn []string
	dir := t.TempDir()
	var inputs strings.Builder
	for _, fig := range textFigures(t) {
		_, pngText := drawnText(t, fig, "png", opt)
		b, texDrawn := drawnText(t, fig, "tex", opt)
		if strings.Join(texDrawn, "\n") != strings.Join(pngText, "\n") {
			t.Errorf("%s: TeX draws %q, PNG %q", fig.base, texDrawn, pngText)
		}
		var doc strings.Builder
		doc.WriteString("\\documentclass{article}\n\\begin{document}\n")
		for _, m := range pgfTextRE.FindAllSubmatch(b, -1) {
			fmt.Fprintf(&doc, "\\noindent{\\fontsize{7pt}{8pt}\\selectfont %s}\\par\n", m[1])
		}
		doc.WriteString("\\end{document}\n")
		if n := len(pgfTextRE.FindAll(b, -1)); n != len(pngText) {
			t.Errorf("%s.tex: %d strings, PNG %d", fig.base, n, len(pngText))
		}
		checkFigureText(t, fig.base+".tex", pngText, compileLaTeX(t, pdflatex, pdftotext, t.TempDir(), doc.String()))
		drawn = append(drawn, pngText...)
		if err := os.WriteFile(filepath.Join(dir, fig.base+".tex"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&inputs, "\\input{%s.tex}\n\\clearpage\n", fig.base)
	}
	checkSymbols(t, drawn)

	t.Run("pgf", func(t *testing.T) {
		kpsewhich := needTool(t, "kpsewhich", "texlive-base")
		if out, _ := exec.Command(kpsewhich, "pgf.sty").Output(); len(bytes.TrimSpace(out)) == 0 {
			missing(t, "LaTeX package pgf not installed; install it with apt-get install texlive-pictures")
		}
		doc := "\\documentclass{article}\n\\usepackage{pgf}\n\\begin{document}\n" + inputs.String() + "\\end{document}\n"
		checkFigureText(t, "figures", drawn, compileLaTeX(t, pdflatex, pdftotext, dir, doc))
	})
}

// TestTeXTextCentred checks that a string keeps the centre the layout
// gave it: vgtex centres text on the width of what it is given, which
// for LaTeX source ($\rho$) is not the width of the text (ρ).
func TestTeXTextCentred(t *testing.T) {
	c := texCanvas{vgtex.New(100, 100)}
	f := font.DefaultCache.Lookup(plot.DefaultFont, 8)
	const s = "load ρ × 2"
	c.FillString(f, vg.Point{X: 10, Y: 20}, s)
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`\\pgfpoint\{([-0-9.e]+)pt\}\{([-0-9.e]+)pt\}\}\]\{\{\\fontsize`).FindSubmatch(buf.Bytes())
	if m == nil {
		t.Fatalf("no text in\n%s", buf.Bytes())
	}
	x, _ := strconv.ParseFloat(string(m[1]), 64)
	if want := 10 + float64(f.Width(s))/2; math.Abs(x-want) > 1e-3 {
		t.Errorf("text centred at x = %g, want %g", x, want)
	}
	if want := `load $\rho$ $\times$ 2`; !bytes.Contains(buf.Bytes(), []byte(want)) {
		t.Errorf("no %q in\n%s", want, buf.Bytes())
	}
}

func TestTeXText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"load ρ (per server)", `load $\rho$ (per server)`},
		{"supermarket d=2 (N→∞)", `supermarket d=2 (N$\to$$\infty$)`},
		{"a_b 50% & #1 {x} ^~ \\", `a\_b 50\% \& \#1 \{x\} \textasciicircum{}\textasciitilde{} \textbackslash{}`},
		{"a--b – c", `a-{}-{}b -- c`},
	} {
		if got := TeXText(c.in); got != c.want {
			t.Errorf("TeXText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestEPSRefused: EPS cannot carry the figures' text, so WriteFigures
// refuses it before writing anything, naming the formats to use instead.
func TestEPSRefused(t *testing.T) {
	cells := stats.Summarize(syntheticRecords(testPolicies[:1], testLoads[:2], 1, 10, 5))
	dir := filepath.Join(t.TempDir(), "figures")
	opt := FigureOptions{Formats: []string{"png", "EPS"}}
	_, err := WriteFigures(dir, cells, nil, opt)
	if err == nil || !strings.Contains(err.Error(), "pdf") || !strings.Contains(err.Error(), "svg") {
		t.Errorf("WriteFigures with eps: %v, want an error suggesting pdf or svg", err)
	}
	if verr := opt.Validate(); verr == nil || verr.Error() != err.Error() {
		t.Errorf("Validate: %v, want %v", verr, err)
	}
	if _, serr := os.Stat(dir); !os.IsNotExist(serr) {
		t.Errorf("figure directory written: %v", serr)
	}
}

// TestFigurePDFLooksLikePNG renders each figure's PDF back to an image
// (pdftoppm at the PNG's 300 dpi) and compares it with the PNG, pixel by
// pixel. The two rasterisers antialias edges a little differently (0.3 to
// 0.7% of the pixels of these figures differ from every pixel near them);
// text shifted by half a point already makes 1.4 to 2.2%, and a mirrored,
// missing or recoloured element far more.
func TestFigurePDFLooksLikePNG(t *testing.T) {
	pdftoppm := needTool(t, "pdftoppm", "poppler-utils")
	const limit = 0.012
	opt := DefaultFigureOptions()
	for _, fig := range textFigures(t) {
		pngBytes, err := fig.render("png", opt)
		if err != nil {
			t.Fatal(err)
		}
		pdfBytes, err := fig.render("pdf", opt)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		pdf := filepath.Join(dir, fig.base+".pdf")
		if err := os.WriteFile(pdf, pdfBytes, 0o644); err != nil {
			t.Fatal(err)
		}
		// Shape mode draws lines thinner than a pixel antialiased, as
		// vgimg does, not as solid pixels.
		out, err := exec.Command(pdftoppm, "-png", "-thinlinemode", "shape", "-r", strconv.Itoa(opt.DPI),
			"-singlefile", pdf, filepath.Join(dir, "back")).CombinedOutput()
		if err != nil {
			t.Fatalf("pdftoppm: %v\n%s", err, out)
		}
		want, err := png.Decode(bytes.NewReader(pngBytes))
		if err != nil {
			t.Fatal(err)
		}
		got := readPNG(t, filepath.Join(dir, "back.png"))
		if got.Bounds().Size() != want.Bounds().Size() {
			t.Errorf("%s: the PDF renders %v, the PNG is %v", fig.base, got.Bounds().Size(), want.Bounds().Size())
			continue
		}
		off := 0
		for y := 0; y < want.Bounds().Dy(); y++ {
			for x := 0; x < want.Bounds().Dx(); x++ {
				if !matchNear(want, got, x, y) || !matchNear(got, want, x, y) {
					off++
				}
			}
		}
		frac := float64(off) / float64(want.Bounds().Dx()*want.Bounds().Dy())
		t.Logf("%s: %.2f%% of the pixels differ", fig.base, 100*frac)
		if frac > limit {
			t.Errorf("%s: %.2f%% of the pixels of the PDF rendered differ from the PNG's, want at most %.1f%%",
				fig.base, 100*frac, 100*limit)
		}
	}
}

// matchNear reports whether pixel (x, y) of a (relative to its bounds)
// has a pixel of about its colour in b at most one pixel away: the two
// renderers place an antialiased edge up to a pixel apart.
func matchNear(a, b image.Image, x, y int) bool {
	r1, g1, b1, _ := a.At(a.Bounds().Min.X+x, a.Bounds().Min.Y+y).RGBA()
	for dy := -1; dy <= 1; dy++ {
		for dx := -1; dx <= 1; dx++ {
			p := image.Pt(b.Bounds().Min.X+x+dx, b.Bounds().Min.Y+y+dy)
			if !p.In(b.Bounds()) {
				continue
			}
			r2, g2, b2, _ := b.At(p.X, p.Y).RGBA()
			if max(absDiff(r1, r2), absDiff(g1, g2), absDiff(b1, b2)) <= 0x4000 {
				return true
			}
		}
	}
	return false
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}
