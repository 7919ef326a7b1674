package analysis

import (
	"bytes"
	"strings"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
	"gonum.org/v1/plot/vg/vgtex"

	"github.com/loadlab/loadlab/analysis/pdfcanvas"
)

// figureCanvas returns the canvas that writes a figure in format. Every
// format shows the same text: PDF through pdfcanvas (gonum/plot's vgpdf
// garbles non-Latin-1 glyphs), TeX as LaTeX that typesets to it.
func figureCanvas(format string, opt FigureOptions) (vg.CanvasWriterTo, error) {
	switch format {
	case "png":
		return vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(opt.Width, opt.Height), vgimg.UseDPI(opt.DPI))}, nil
	case "svg":
		return vgsvg.New(opt.Width, opt.Height), nil
	case "pdf":
		return pdfcanvas.New(opt.Width, opt.Height), nil
	case "tex":
		return texCanvas{vgtex.New(opt.Width, opt.Height)}, nil
	}
	return draw.NewFormattedCanvas(opt.Width, opt.Height, format)
}

// renderTo draws the figure on c and returns what c writes.
func (f figure) renderTo(c vg.CanvasWriterTo) ([]byte, error) {
	if err := f.draw(draw.New(c), identity); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// texCanvas writes a PGF picture whose text is LaTeX. The layout measured
// the text itself, so each string stays centred where the layout put it:
// vgtex centres text on the width of what it is given.
type texCanvas struct{ *vgtex.Canvas }

// FillString implements vg.Canvas.
func (c texCanvas) FillString(f font.Face, pt vg.Point, s string) {
	tex := TeXText(s)
	pt.X += (f.Width(s) - f.Width(tex)) / 2
	c.Canvas.FillString(f, pt, tex)
}

// texReplacer escapes LaTeX's special characters and writes the symbols
// figures and tables use as the LaTeX that typesets them.
var texReplacer = strings.NewReplacer(
	`\`, `\textbackslash{}`, `{`, `\{`, `}`, `\}`, `$`, `\$`, `&`, `\&`, `#`, `\#`,
	`%`, `\%`, `_`, `\_`, `^`, `\textasciicircum{}`, `~`, `\textasciitilde{}`,
	`<`, `\textless{}`, `>`, `\textgreater{}`, `|`, `\textbar{}`,
	`-`, `-{}`, // no -- or --- ligature
	`ρ`, `$\rho$`, `×`, `$\times$`, `±`, `$\pm$`, `−`, `$-$`, `–`, `--`, `—`, `---`,
	`≥`, `$\geq$`, `≤`, `$\leq$`, `∞`, `$\infty$`, `λ`, `$\lambda$`, `μ`, `$\mu$`, `α`, `$\alpha$`,
	`→`, `$\to$`, `≈`, `$\approx$`, `·`, `$\cdot$`, `…`, `\ldots{}`,
)

// TeXText returns s as LaTeX text that typesets to s: figures' PGF
// pictures and the report's tables both use it.
func TeXText(s string) string { return texReplacer.Replace(s) }
