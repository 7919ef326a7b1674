// Package pdfcanvas draws gonum/plot figures as PDF whose text is real UTF-8 text in embedded TrueType fonts.
package pdfcanvas

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"strings"
	"unicode/utf8"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
)

// Canvas is a vg.Canvas that writes one PDF page. gonum/plot's own vgpdf
// encodes text in code page 1252, which has no ρ, → or ∞; this canvas
// embeds each font face it is given (a subset, with a ToUnicode map) and
// writes text as Unicode, so every glyph the PNG shows is in the PDF,
// selectable and searchable. Geometry follows vgimg: butt caps, round
// joins, nonzero fill, text kerned as gonum/plot measures it.
//
// A Canvas is not safe for concurrent use.
type Canvas struct {
	doc   *fpdf.Fpdf
	w, h  vg.Length
	stack []state
	fonts map[*opentype.Font]string // face → font family in doc
	names map[string]bool           // families in use, in lower case
	imgs  int
	done  bool
}

// state is what Push saves besides the PDF graphics state, which q and Q
// save and restore in the file.
type state struct {
	width vg.Length
	alpha float64
}

var _ vg.CanvasWriterTo = (*Canvas)(nil)

// New returns a canvas of one w × h page.
func New(w, h vg.Length) *Canvas {
	doc := fpdf.NewCustom(&fpdf.InitType{
		UnitStr: "pt",
		Size:    fpdf.SizeType{Wd: w.Points(), Ht: h.Points()},
	})
	doc.SetMargins(0, 0, 0)
	doc.SetAutoPageBreak(false, 0)
	c := &Canvas{
		doc:   doc,
		w:     w,
		h:     h,
		stack: []state{{alpha: 1}},
		fonts: map[*opentype.Font]string{},
		names: map[string]bool{},
	}
	doc.AddPage()
	doc.SetLineCapStyle("butt")
	doc.SetLineJoinStyle("round")
	// fpdf puts its origin at the top left with y down; vg's is at the
	// bottom left with y up. One flip here makes fpdf coordinates vg
	// coordinates for everything drawn after it.
	c.Push()
	c.Translate(vg.Point{Y: h})
	c.Scale(1, -1)
	vg.Initialize(c)
	return c
}

// Size implements vg.CanvasSizer.
func (c *Canvas) Size() (w, h vg.Length) { return c.w, c.h }

func (c *Canvas) top() *state { return &c.stack[len(c.stack)-1] }

// SetLineWidth implements vg.Canvas.
func (c *Canvas) SetLineWidth(w vg.Length) {
	c.top().width = w
	c.doc.SetLineWidth(w.Points())
}

// SetLineDash implements vg.Canvas.
func (c *Canvas) SetLineDash(dashes []vg.Length, offset vg.Length) {
	ds := make([]float64, len(dashes))
	for i, d := range dashes {
		ds[i] = d.Points()
	}
	c.doc.SetDashPattern(ds, offset.Points())
}

// SetColor implements vg.Canvas: one colour strokes, fills and writes.
func (c *Canvas) SetColor(clr color.Color) {
	if clr == nil {
		clr = color.Black
	}
	r, g, b, a := clr.RGBA()
	if a > 0 {
		// PDF colours are not premultiplied.
		r, g, b = r*0xffff/a, g*0xffff/a, b*0xffff/a
	}
	c.doc.SetDrawColor(int(r>>8), int(g>>8), int(b>>8))
	c.doc.SetFillColor(int(r>>8), int(g>>8), int(b>>8))
	c.doc.SetTextColor(int(r>>8), int(g>>8), int(b>>8))
	if alpha := float64(a) / 0xffff; alpha != c.top().alpha {
		c.top().alpha = alpha
		c.doc.SetAlpha(alpha, "Normal")
	}
}

// Rotate implements vg.Canvas. Seen through the flip in New, fpdf's
// angles turn the other way, hence the minus.
func (c *Canvas) Rotate(rad float64) {
	c.doc.TransformRotate(-rad*180/math.Pi, 0, 0)
}

// Translate implements vg.Canvas.
func (c *Canvas) Translate(pt vg.Point) {
	c.doc.TransformTranslate(pt.X.Points(), pt.Y.Points())
}

// Scale implements vg.Canvas.
func (c *Canvas) Scale(x, y float64) {
	c.doc.TransformScale(x*100, y*100, 0, 0)
}

// Push implements vg.Canvas.
func (c *Canvas) Push() {
	c.stack = append(c.stack, *c.top())
	c.doc.TransformBegin()
}

// Pop implements vg.Canvas.
func (c *Canvas) Pop() {
	if len(c.stack) == 1 {
		c.doc.SetError(errors.New("pdfcanvas: Pop without Push"))
		return
	}
	c.doc.TransformEnd()
	c.stack = c.stack[:len(c.stack)-1]
}

// Stroke implements vg.Canvas.
func (c *Canvas) Stroke(p vg.Path) {
	if c.top().width > 0 {
		c.path(p, "S")
	}
}

// Fill implements vg.Canvas.
func (c *Canvas) Fill(p vg.Path) { c.path(p, "f") }

// path adds p to the page and paints it with op (S: stroke, f: fill).
func (c *Canvas) path(p vg.Path, op string) {
	if len(p) == 0 {
		return
	}
	var (
		cur, start vg.Point // current point, start of the subpath
		open       bool     // a current point exists
	)
	pt := func(p vg.Point) (float64, float64) { return p.X.Points(), p.Y.Points() }
	for _, comp := range p {
		switch comp.Type {
		case vg.MoveComp:
			c.doc.MoveTo(pt(comp.Pos))
			cur, start, open = comp.Pos, comp.Pos, true
		case vg.LineComp:
			c.doc.LineTo(pt(comp.Pos))
			cur = comp.Pos
		case vg.ArcComp:
			cur = c.arc(comp, open)
			if !open {
				start = arcPoint(comp, comp.Start)
			}
			open = true
		case vg.CurveComp:
			var c1, c2 vg.Point
			switch len(comp.Control) {
			case 1: // a quadratic curve as the cubic it is
				q := comp.Control[0]
				c1 = vg.Point{X: cur.X + (q.X-cur.X)*2/3, Y: cur.Y + (q.Y-cur.Y)*2/3}
				c2 = vg.Point{X: comp.Pos.X + (q.X-comp.Pos.X)*2/3, Y: comp.Pos.Y + (q.Y-comp.Pos.Y)*2/3}
			case 2:
				c1, c2 = comp.Control[0], comp.Control[1]
			default:
				c.doc.SetError(fmt.Errorf("pdfcanvas: curve with %d control points", len(comp.Control)))
				return
			}
			x1, y1 := pt(c1)
			x2, y2 := pt(c2)
			x, y := pt(comp.Pos)
			c.doc.CurveBezierCubicTo(x1, y1, x2, y2, x, y)
			cur = comp.Pos
		case vg.CloseComp:
			c.doc.ClosePath()
			cur = start
		default:
			c.doc.SetError(fmt.Errorf("pdfcanvas: unknown path component %d", comp.Type))
			return
		}
	}
	c.doc.DrawPath(op)
}

// arc adds an arc as cubic Bézier curves of at most a quarter turn each,
// after a line to its start (or a move there when nothing precedes it,
// as vgimg does); it returns the end point.
func (c *Canvas) arc(comp vg.PathComp, open bool) vg.Point {
	p0 := arcPoint(comp, comp.Start)
	if open {
		c.doc.LineTo(p0.X.Points(), p0.Y.Points())
	} else {
		c.doc.MoveTo(p0.X.Points(), p0.Y.Points())
	}
	n := max(1, int(math.Ceil(math.Abs(comp.Angle)/(math.Pi/2)-1e-9)))
	step := comp.Angle / float64(n)
	k := 4.0 / 3 * math.Tan(step/4) * comp.Radius.Points()
	for i := range n {
		a0 := comp.Start + float64(i)*step
		a1 := a0 + step
		p3 := arcPoint(comp, a1)
		s0, c0 := math.Sincos(a0)
		s1, c1 := math.Sincos(a1)
		c.doc.CurveBezierCubicTo(
			p0.X.Points()-k*s0, p0.Y.Points()+k*c0,
			p3.X.Points()+k*s1, p3.Y.Points()-k*c1,
			p3.X.Points(), p3.Y.Points())
		p0 = p3
	}
	return p0
}

// arcPoint is the point of the arc's circle at angle a.
func arcPoint(comp vg.PathComp, a float64) vg.Point {
	s, co := math.Sincos(a)
	return vg.Point{X: comp.Pos.X + comp.Radius*vg.Length(co), Y: comp.Pos.Y + comp.Radius*vg.Length(s)}
}

// FillString implements vg.Canvas: text from pt on its baseline. The text
// is split where the font kerns, each run placed where gonum/plot's
// layout (and vgimg) put it; PDF text has no kerning of its own.
func (c *Canvas) FillString(f font.Face, pt vg.Point, text string) {
	if f.Font.Size == 0 || text == "" {
		return
	}
	family, err := c.font(f.Face)
	if err != nil {
		c.doc.SetError(err)
		return
	}
	c.doc.SetFont(family, "", f.Font.Size.Points())
	c.Push()
	defer c.Pop()
	c.Translate(pt)
	c.Scale(1, -1) // back to fpdf's y down, so glyphs stand upright
	for _, r := range kernRuns(f, text) {
		c.doc.Text(r.x.Points(), 0, r.text)
	}
}

// run is text drawn at x from the start of its string.
type run struct {
	x    vg.Length
	text string
}

// kernRuns splits text before each glyph that the font kerns against the
// one before it. Runes beyond the Basic Multilingual Plane, which fpdf's
// UTF-16 encoding does not carry, and invalid bytes become U+FFFD.
func kernRuns(f font.Face, text string) []run {
	var (
		buf      sfnt.Buffer
		ppem     = fixed.Int26_6(f.Face.UnitsPerEm())
		out      []run
		start    int
		x        vg.Length
		prev     sfnt.GlyphIndex
		havePrev bool
	)
	text = bmp(text)
	for i, r := range text {
		g, err := f.Face.GlyphIndex(&buf, r)
		if err != nil {
			g = 0
		}
		if havePrev {
			if k, err := f.Face.Kern(&buf, prev, g, ppem, 0); err == nil && k != 0 {
				out = append(out, run{x, text[start:i]})
				// Where gonum/plot puts r: the kerned width up to
				// and including r, less r's advance.
				x = f.Width(text[:i+utf8.RuneLen(r)]) - f.Width(string(r))
				start = i
			}
		}
		prev, havePrev = g, true
	}
	return append(out, run{x, text[start:]})
}

// bmp returns s as valid UTF-8 within the Basic Multilingual Plane,
// other runes and invalid bytes replaced by U+FFFD.
func bmp(s string) string {
	return strings.Map(func(r rune) rune {
		if r > 0xffff {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(s, string(utf8.RuneError)))
}

// font returns the family under which face is embedded in the document,
// adding it on first use. The bytes embedded are the face's own source,
// so the PDF shows exactly the font gonum/plot measured the text with.
func (c *Canvas) font(face *opentype.Font) (string, error) {
	if face == nil {
		return "", errors.New("pdfcanvas: text without a font face")
	}
	if name, ok := c.fonts[face]; ok {
		return name, nil
	}
	var src bytes.Buffer
	if _, err := face.WriteSourceTo(nil, &src); err != nil {
		return "", fmt.Errorf("pdfcanvas: font source: %w", err)
	}
	name, err := face.Name(nil, sfnt.NameIDPostScript)
	if err != nil || name == "" {
		name = "font"
	}
	// fpdf keys fonts by lower-case family.
	for base, i := name, 2; c.names[strings.ToLower(name)]; i++ {
		name = fmt.Sprintf("%s-%d", base, i)
	}
	c.doc.AddUTF8FontFromBytes(name, "", src.Bytes())
	if c.doc.Err() {
		return "", fmt.Errorf("pdfcanvas: font %s: %w", name, c.doc.Error())
	}
	c.fonts[face], c.names[strings.ToLower(name)] = name, true
	return name, nil
}

// DrawImage implements vg.Canvas: img scaled to fill rect, upright.
func (c *Canvas) DrawImage(rect vg.Rectangle, img image.Image) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		c.doc.SetError(fmt.Errorf("pdfcanvas: image: %w", err))
		return
	}
	c.imgs++
	name := fmt.Sprintf("image%d", c.imgs)
	opt := fpdf.ImageOptions{ImageType: "png"}
	c.doc.RegisterImageOptionsReader(name, opt, &buf)
	c.Push()
	defer c.Pop()
	c.Translate(vg.Point{X: rect.Min.X, Y: rect.Max.Y})
	c.Scale(1, -1) // fpdf draws images from their top left, downwards
	size := rect.Size()
	c.doc.ImageOptions(name, 0, 0, size.X.Points(), size.Y.Points(), false, opt, 0, "")
}

// WriteTo implements io.WriterTo: it ends the page and writes the PDF.
// The canvas cannot be drawn on or written again afterwards.
func (c *Canvas) WriteTo(w io.Writer) (int64, error) {
	if c.done {
		return 0, errors.New("pdfcanvas: canvas already written")
	}
	c.done = true
	for len(c.stack) > 1 {
		c.Pop()
	}
	cw := &countWriter{w: w}
	err := c.doc.Output(cw)
	return cw.n, err
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (cw *countWriter) Write(p []byte) (int, error) {
	n, err := cw.w.Write(p)
	cw.n += int64(n)
	return n, err
}
