package analysis

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Styles. A policy's colour and marker depend only on its index in the
// policy list, so they agree across figures and across sweeps.
var (
	// okabeIto is the Okabe–Ito palette, distinguishable with the common
	// forms of colour blindness; its yellow, faint on white, comes last.
	okabeIto = []color.Color{
		rgb(0xE69F00), rgb(0x56B4E9), rgb(0x009E73), rgb(0x0072B2),
		rgb(0xD55E00), rgb(0xCC79A7), rgb(0x000000), rgb(0xF0E442),
	}
	// markers has 7 shapes against 8 colours, so the first 56 policies get
	// distinct (colour, marker) pairs.
	markers = []draw.GlyphDrawer{
		draw.CircleGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}, draw.RingGlyph{},
		draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.CrossGlyph{},
	}
	// theoryStyles draw theory curves: no sharing, perfect sharing, others.
	theoryStyles = []draw.LineStyle{
		{Color: color.Black, Width: vg.Points(0.8), Dashes: []vg.Length{vg.Points(4), vg.Points(2)}},
		{Color: rgb(0x777777), Width: vg.Points(0.8), Dashes: []vg.Length{vg.Points(1.5), vg.Points(1.5)}},
		{Color: rgb(0x777777), Width: vg.Points(0.8), Dashes: []vg.Length{vg.Points(5), vg.Points(1.5), vg.Points(1), vg.Points(1.5)}},
	}
	gridColor = rgb(0xE4E4E4)
)

func rgb(v uint32) color.Color {
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}
}

const (
	titleSize      = 8.5
	labelSize      = 8
	tickSize       = 7
	legendFontSize = 7
	markerSize     = 2 // radius in points
)

func policyColor(i int) color.Color       { return okabeIto[i%len(okabeIto)] }
func policyMarker(i int) draw.GlyphDrawer { return markers[i%len(markers)] }
func policyLine(i int) draw.LineStyle {
	return draw.LineStyle{Color: policyColor(i), Width: vg.Points(1)}
}
func policyGlyph(i int) draw.GlyphStyle {
	return draw.GlyphStyle{Color: policyColor(i), Shape: policyMarker(i), Radius: vg.Points(markerSize)}
}
func theoryStyle(i int) draw.LineStyle { return theoryStyles[min(i, len(theoryStyles)-1)] }
func errorStyle(i int) draw.LineStyle {
	return draw.LineStyle{Color: policyColor(i), Width: vg.Points(0.6)}
}
func identity(s string) string { return s }

// niceTop rounds v up to a multiple of the label step linearTicks uses
// for [0, v], so the axis ends on a labelled tick; 1 for v ≤ 0 or not
// finite.
func niceTop(v float64) float64 {
	if !(v > 0) || math.IsInf(v, 0) {
		return 1
	}
	// Rounding up can change the step (35 has step 5, 40 step 10): repeat
	// until the top is a multiple of its own step.
	for range 4 {
		step := tickStep(v, 5)
		top := math.Ceil(v/step-1e-9) * step
		if math.Abs(top-v) <= 1e-9*top {
			break
		}
		v = top
	}
	return v
}

// headroom is how much a panel's y range may grow to make room for the
// legend in a corner before it goes below the panels instead.
const headroom = 1.35

// render draws the figure in one format and returns the file's bytes.
func (f figure) render(format string, opt FigureOptions) ([]byte, error) {
	c, err := figureCanvas(format, opt)
	if err != nil {
		return nil, err
	}
	return f.renderTo(c)
}

// draw lays out and draws the figure on c, passing every text through txt.
func (f figure) draw(c draw.Canvas, txt func(string) string) (err error) {
	defer func() {
		// gonum/plot panics on some degenerate input; report it as an
		// error instead of crashing a report.
		if r := recover(); r != nil {
			err = fmt.Errorf("draw %s: %v", f.base, r)
		}
	}()
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())

	plots := make([]*plot.Plot, len(f.panels))
	for i, pn := range f.panels {
		plots[i] = pn.plot(txt)
	}
	if f.title != "" {
		sty := textStyle(titleSize)
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
		c.FillText(sty, vg.Point{X: c.Center().X, Y: c.Max.Y}, txt(f.title))
		c.Max.Y -= sty.Rectangle(txt(f.title)).Size().Y + vg.Points(2)
	}
	entries := legendEntriesOf(f.panels, txt)
	if len(entries) == 0 {
		f.drawPanels(plots, c)
		return nil
	}
	leg := newLegend(entries...)

	// A corner of a panel's data area that no data crosses, if need be
	// after raising the top of the y axes a little; else a strip below the
	// panels.
	boxW, boxH := legendSize(leg)
	grows := []float64{1}
	if f.headroom {
		grows = append(grows, headroom)
	}
	for _, grow := range grows {
		for i, p := range plots {
			if !f.panels[i].fixedY {
				p.Y.Max = f.panels[i].top(grow)
			}
		}
		tiles := f.layout(plots, c)
		for i, p := range plots {
			dc := p.DataCanvas(tiles[i])
			occ := f.panels[i].occupied(p, dc)
			for _, k := range f.corners {
				r, ok := cornerRect(dc, k, boxW, boxH)
				if ok && !overlaps(r, occ, vg.Points(markerSize+1)) {
					f.drawPanels(plots, c)
					drawLegendBox(c, leg, r)
					return nil
				}
			}
		}
	}
	for i, p := range plots {
		p.Y.Max = f.panels[i].top(1)
	}
	f.drawLegendBelow(plots, c, entries)
	return nil
}

// layout returns the canvas of each panel within c, data areas aligned.
func (f figure) layout(plots []*plot.Plot, c draw.Canvas) []draw.Canvas {
	if len(plots) == 1 {
		return []draw.Canvas{c}
	}
	t := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Points(8)}
	return plot.Align([][]*plot.Plot{plots}, t, c)[0]
}

func (f figure) drawPanels(plots []*plot.Plot, c draw.Canvas) {
	for i, tc := range f.layout(plots, c) {
		plots[i].Draw(tc)
	}
}

// drawLegendBelow draws the legend under the panels, filling rows left
// to right in as many columns as fit the width.
func (f figure) drawLegendBelow(plots []*plot.Plot, c draw.Canvas, entries []legendEntry) {
	const gap = vg.Length(8)
	widths := make([]vg.Length, len(entries))
	for i, e := range entries {
		widths[i], _ = legendSize(newLegend(e))
	}
	var colW []vg.Length
	for cols := len(entries); cols >= 1; cols-- {
		colW = make([]vg.Length, cols)
		total := gap * vg.Length(cols-1)
		for i, w := range widths {
			colW[i%cols] = max(colW[i%cols], w)
		}
		for _, w := range colW {
			total += w
		}
		if total <= c.Max.X-c.Min.X {
			break
		}
	}
	cols := len(colW)
	var legs []*plot.Legend
	var height vg.Length
	for col := range cols {
		var es []legendEntry
		for i := col; i < len(entries); i += cols {
			es = append(es, entries[i])
		}
		l := newLegend(es...)
		_, h := legendSize(l)
		height = max(height, h)
		legs = append(legs, l)
	}
	area := c
	area.Min.Y += height + vg.Points(2)
	f.drawPanels(plots, area)
	total := gap * vg.Length(cols-1)
	for _, w := range colW {
		total += w
	}
	x := c.Center().X - total/2
	for i, l := range legs {
		_, h := legendSize(l)
		r := vg.Rectangle{Min: vg.Point{X: x + legendMargin, Y: c.Min.Y + height - h + legendMargin}}
		r.Max = vg.Point{X: x + colW[i] - legendMargin, Y: c.Min.Y + height - legendMargin}
		l.Draw(draw.Canvas{Canvas: c.Canvas, Rectangle: r})
		x += colW[i] + gap
	}
}

type legendEntry struct {
	name   string
	thumbs []plot.Thumbnailer
}

// legendEntriesOf returns the legend entries of panels: each policy once,
// in index order, then the theory curves.
func legendEntriesOf(panels []panel, txt func(string) string) []legendEntry {
	var pol, th []series
	seen := map[string]bool{}
	for _, pn := range panels {
		for _, s := range pn.series {
			if seen[s.name] || len(s.pts) == 0 {
				continue
			}
			seen[s.name] = true
			if s.theory {
				th = append(th, s)
			} else {
				pol = append(pol, s)
			}
		}
	}
	sort.SliceStable(pol, func(i, j int) bool { return pol[i].style < pol[j].style })
	var out []legendEntry
	for _, s := range append(pol, th...) {
		var thumbs []plot.Thumbnailer
		if s.theory {
			thumbs = []plot.Thumbnailer{&plotter.Line{LineStyle: theoryStyle(s.style)}}
		} else {
			thumbs = []plot.Thumbnailer{&plotter.Line{LineStyle: policyLine(s.style)}, &plotter.Scatter{GlyphStyle: policyGlyph(s.style)}}
		}
		out = append(out, legendEntry{txt(s.name), thumbs})
	}
	return out
}

// newLegend returns a legend of the entries, laid out from its top left.
func newLegend(entries ...legendEntry) *plot.Legend {
	l := plot.NewLegend()
	l.TextStyle = textStyle(legendFontSize)
	l.Top, l.Left = true, true
	l.ThumbnailWidth = vg.Points(16)
	l.Padding = vg.Points(1)
	for _, e := range entries {
		l.Add(e.name, e.thumbs...)
	}
	return &l
}

// legendSize is the size of a legend's box: its entries plus a margin.
func legendSize(l *plot.Legend) (w, h vg.Length) {
	r := l.Rectangle(draw.Canvas{})
	d := l.TextStyle.FontExtents().Descent
	return r.Size().X + 2*legendMargin, r.Size().Y + d + 2*legendMargin
}

const legendMargin = vg.Length(2.5)

// cornerRect is the legend box in corner k of the data area dc, inset a
// little; false when it does not fit.
func cornerRect(dc draw.Canvas, k corner, w, h vg.Length) (vg.Rectangle, bool) {
	const inset = vg.Length(3)
	if w+2*inset > dc.Max.X-dc.Min.X || h+2*inset > dc.Max.Y-dc.Min.Y {
		return vg.Rectangle{}, false
	}
	var r vg.Rectangle
	if k.left {
		r.Min.X = dc.Min.X + inset
	} else {
		r.Min.X = dc.Max.X - inset - w
	}
	if k.top {
		r.Min.Y = dc.Max.Y - inset - h
	} else {
		r.Min.Y = dc.Min.Y + inset
	}
	r.Max = vg.Point{X: r.Min.X + w, Y: r.Min.Y + h}
	return r, true
}

func overlaps(r vg.Rectangle, pts []vg.Point, pad vg.Length) bool {
	for _, p := range pts {
		if p.X >= r.Min.X-pad && p.X <= r.Max.X+pad && p.Y >= r.Min.Y-pad && p.Y <= r.Max.Y+pad {
			return true
		}
	}
	return false
}

// drawLegendBox draws the legend on a white box with a thin frame.
func drawLegendBox(c draw.Canvas, l *plot.Legend, r vg.Rectangle) {
	c.SetColor(color.White)
	c.Fill(r.Path())
	c.SetLineStyle(draw.LineStyle{Color: rgb(0xBBBBBB), Width: vg.Points(0.4)})
	c.Stroke(r.Path())
	inner := vg.Rectangle{
		Min: vg.Point{X: r.Min.X + legendMargin, Y: r.Min.Y + legendMargin},
		Max: vg.Point{X: r.Max.X - legendMargin, Y: r.Max.Y - legendMargin},
	}
	l.Draw(draw.Canvas{Canvas: c.Canvas, Rectangle: inner})
}

func textStyle(size vg.Length) text.Style {
	return text.Style{Color: color.Black, Font: fontOf(size), Handler: plot.DefaultTextHandler}
}

// plot builds the panel's plot; txt converts every label.
func (pn panel) plot(txt func(string) string) *plot.Plot {
	p := plot.New()
	pn = pn.linear()
	p.Title.Text = txt(pn.title)
	p.Title.TextStyle.Font = fontOf(titleSize)
	p.Title.Padding = vg.Points(3)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = fontOf(labelSize)
		a.Tick.Label.Font = fontOf(tickSize)
		a.Tick.Length = vg.Points(3)
		a.Padding = vg.Points(2)
		a.Label.Padding = vg.Points(2)
	}
	p.X.Label.Text = txt(pn.xLabel)
	p.Y.Label.Text = txt(pn.yLabel)

	grid := plotter.NewGrid()
	grid.Vertical = draw.LineStyle{Color: gridColor, Width: vg.Points(0.4)}
	grid.Horizontal = grid.Vertical
	p.Add(grid)
	for _, s := range pn.series {
		if s.theory && len(s.pts) > 1 {
			l := &plotter.Line{XYs: xys(s.pts), LineStyle: theoryStyle(s.style)}
			p.Add(l)
		}
	}
	for _, s := range pn.series {
		if s.theory || len(s.pts) == 0 {
			continue
		}
		if eb := errorBars(s); eb != nil {
			p.Add(eb)
		}
		p.Add(&plotter.Line{XYs: xys(s.pts), LineStyle: policyLine(s.style)})
		marks := s.pts
		if s.marks != nil {
			marks = s.marks
		}
		p.Add(&plotter.Scatter{XYs: xys(marks), GlyphStyle: policyGlyph(s.style)})
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = pn.xMin, pn.xMax, pn.yMin, pn.yMax
	p.X.Tick.Marker, p.Y.Tick.Marker = linearTicks{pn.xTicks}, linearTicks{}
	if pn.logX {
		p.X.Tick.Marker = logTicks{}
	}
	if pn.logY {
		p.Y.Tick.Marker = logTicks{}
	}
	return p
}

// linear returns the panel with its log axes turned into linear axes of
// log10 of the values, labelled by logTicks. gonum's LogScale centres the
// axis label at the data midpoint, which on a log axis pushes it to one
// end and leaves a wide margin; it also panics on values ≤ 0, which are
// clamped here to far below the axis instead.
func (pn panel) linear() panel {
	if !pn.logX && !pn.logY {
		return pn
	}
	ident := func(v float64) float64 { return v }
	fx, fy := ident, ident
	if pn.logX {
		floor := math.Min(minCDFValue, pn.xMin)
		fx = func(x float64) float64 { return math.Log10(math.Max(x, floor)) }
		pn.xMin, pn.xMax = fx(pn.xMin), fx(pn.xMax)
	}
	if pn.logY {
		floor := pn.yMin / 1e3
		fy = func(y float64) float64 {
			if math.IsNaN(y) {
				return y
			}
			return math.Log10(math.Max(y, floor))
		}
		pn.yMin, pn.yMax = fy(pn.yMin), fy(pn.yMax)
	}
	ss := make([]series, len(pn.series))
	for i, s := range pn.series {
		tr := func(pts []xyPoint) []xyPoint {
			if pts == nil {
				return nil
			}
			out := make([]xyPoint, len(pts))
			for j, p := range pts {
				out[j] = xyPoint{fx(p.x), fy(p.y), fy(p.lo), fy(p.hi)}
			}
			return out
		}
		s.pts, s.marks = tr(s.pts), tr(s.marks)
		ss[i] = s
	}
	pn.series = ss
	return pn
}

// linearTicks labels about n round values (steps of 1, 2, 2.5 or 5 times
// a power of ten; n = 0 means 5) with a minor tick between labels.
// gonum's default aims at three labels, too few to read values off a
// small figure.
type linearTicks struct{ n int }

// tickStep is the label step for a range of width w with about n labels.
func tickStep(w float64, n int) float64 {
	raw := w / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*mag >= raw*0.6 {
			return m * mag
		}
	}
	return 10 * mag
}

// Ticks implements plot.Ticker.
func (t linearTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: formatFloat(lo)}}
	}
	n := t.n
	if n <= 0 {
		n = 5
	}
	step := tickStep(hi-lo, n)
	prec := max(0, -int(math.Floor(math.Log10(step)+1e-9)))
	if math.Abs(step*math.Pow(10, float64(prec))-2.5) < 1e-9 {
		prec++ // 0.25, 2.5
	}
	var ticks []plot.Tick
	half := step / 2
	for i := math.Ceil(lo/half - 1e-9); i*half <= hi+half*1e-9; i++ {
		v := i * half
		if v == 0 {
			v = 0 // not -0
		}
		t := plot.Tick{Value: v}
		if math.Mod(i, 2) == 0 {
			t.Label = strconv.FormatFloat(v, 'f', prec, 64)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// logTicks marks an axis of log10 x (see panel.linear) at the powers of
// ten within its range, labelled with x itself, and at 2× and 5× them when
// the range spans less than 2.5 decades; minor ticks mark the other
// multiples. Unlike plot.LogTicks it puts no tick outside the range.
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: formatFloat(math.Pow(10, lo))}}
	}
	few := hi-lo < 2.5
	var ticks []plot.Tick
	for e := math.Floor(lo); e <= math.Ceil(hi); e++ {
		for m := 1; m <= 9; m++ {
			v := float64(m) * math.Pow(10, e)
			lv := math.Log10(v)
			if lv < lo-1e-9 || lv > hi+1e-9 {
				continue
			}
			t := plot.Tick{Value: lv}
			if m == 1 || (few && (m == 2 || m == 5)) {
				t.Label = strconv.FormatFloat(v, 'g', 6, 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

func xys(pts []xyPoint) plotter.XYs {
	out := make(plotter.XYs, len(pts))
	for i, p := range pts {
		out[i] = plotter.XY{X: p.x, Y: p.y}
	}
	return out
}

// errorBars returns the CI bars of s, nil when it has none.
func errorBars(s series) *plotter.YErrorBars {
	var (
		pts  plotter.XYs
		errs plotter.YErrors
	)
	for _, p := range s.pts {
		if math.IsNaN(p.lo) || math.IsNaN(p.hi) || p.hi <= p.lo {
			continue
		}
		pts = append(pts, plotter.XY{X: p.x, Y: p.y})
		errs = append(errs, struct{ Low, High float64 }{p.y - p.lo, p.hi - p.y})
	}
	if len(pts) == 0 {
		return nil
	}
	return &plotter.YErrorBars{XYs: pts, YErrors: errs, LineStyle: errorStyle(s.style), CapWidth: vg.Points(3)}
}

// occupied returns points, in canvas coordinates within the data area dc,
// along everything the panel draws: lines sampled every point or so, error
// bars, markers. A legend box must avoid them.
func (pn panel) occupied(p *plot.Plot, dc draw.Canvas) []vg.Point {
	pn = pn.linear()
	trX, trY := p.Transforms(&dc)
	var out []vg.Point
	addLine := func(line []vg.Point) {
		for _, l := range dc.ClipLinesXY(line) {
			for i := 1; i < len(l); i++ {
				a, b := l[i-1], l[i]
				d := math.Hypot(float64(b.X-a.X), float64(b.Y-a.Y))
				n := int(math.Ceil(d)) + 1
				for j := 0; j <= n; j++ {
					t := vg.Length(float64(j) / float64(n))
					out = append(out, vg.Point{X: a.X + t*(b.X-a.X), Y: a.Y + t*(b.Y-a.Y)})
				}
			}
			if len(l) == 1 {
				out = append(out, l[0])
			}
		}
	}
	for _, s := range pn.series {
		line := make([]vg.Point, 0, len(s.pts))
		for _, pt := range s.pts {
			line = append(line, vg.Point{X: trX(pt.x), Y: trY(pt.y)})
			if !math.IsNaN(pt.lo) {
				addLine([]vg.Point{{X: trX(pt.x), Y: trY(pt.lo)}, {X: trX(pt.x), Y: trY(pt.hi)}})
			}
		}
		addLine(line)
	}
	return out
}

func fontOf(size vg.Length) font.Font { return font.From(plot.DefaultFont, size) }
