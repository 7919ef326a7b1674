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
func (f figure) draw(c draw.Canvas, txt func(string) string) error {
	_, err := f.drawLayout(c, txt)
	return err
}

// figureLayout is where drawLayout put things on the canvas: each
// panel's data area and y range (in the plot's coordinates: log10 of the
// values on a log axis), and the legend's box (empty without a legend).
type figureLayout struct {
	data   []vg.Rectangle
	yRange [][2]float64
	legend vg.Rectangle
	below  bool // the legend is below the panels, not in a corner
}

// drawLayout draws the figure as draw does and says where it put things.
func (f figure) drawLayout(c draw.Canvas, txt func(string) string) (lay figureLayout, err error) {
	defer func() {
		// gonum/plot panics on some degenerate input; report it as an
		// error instead of crashing a report.
		if r := recover(); r != nil {
			err = fmt.Errorf("draw %s: %v", f.base, r)
		}
	}()
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	c = f.drawTitle(c, txt)
	pl := f.place(c, txt)
	lay = f.drawPanels(pl.plots, pl.area)
	pl.legend.draw(c)
	lay.legend, lay.below = pl.legend.box, pl.legend.below
	return lay, nil
}

// drawTitle draws the figure's title, if any, at the top of c and
// returns the rest of c.
func (f figure) drawTitle(c draw.Canvas, txt func(string) string) draw.Canvas {
	if f.title != "" {
		sty := textStyle(titleSize)
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
		c.FillText(sty, vg.Point{X: c.Center().X, Y: c.Max.Y}, txt(f.title))
		c.Max.Y -= sty.Rectangle(txt(f.title)).Size().Y + vg.Points(2)
	}
	return c
}

// placed is a figure laid out within a canvas: its panels' plots, ready
// to draw in area, and its legend.
type placed struct {
	plots  []*plot.Plot
	area   draw.Canvas
	legend placedLegend
}

// place builds the panels' plots and finds the legend a place: the
// emptiest corner of a panel's data area that no data comes near, if
// need be after raising the top of that panel's y axis by a label step or
// two (up to headroom); else a strip below the panels.
func (f figure) place(c draw.Canvas, txt func(string) string) placed {
	pl := placed{area: c}
	for _, pn := range f.panels {
		pl.plots = append(pl.plots, pn.plot(txt))
	}
	f.padX(pl.plots, c)
	entries := legendEntriesOf(f.panels, txt)
	if len(entries) == 0 {
		return pl
	}
	leg := newLegend(entries...)
	boxW, boxH := legendSize(leg)
	tops := make([][]float64, len(pl.plots))
	levels := 1
	for i, pn := range f.panels {
		tops[i] = []float64{pl.plots[i].Y.Max}
		if f.headroom && !pn.fixedY {
			tops[i] = pn.tops()
		}
		levels = max(levels, len(tops[i]))
	}
	// raise sets the tops of the y axes: panel i's at level, the others
	// as fitted.
	raise := func(i, level int) {
		for j, p := range pl.plots {
			p.Y.Max = tops[j][0]
		}
		if i >= 0 {
			pl.plots[i].Y.Max = tops[i][level]
		}
	}
	for level := range levels {
		host, room := -1, vg.Length(-1)
		for i := range pl.plots {
			if level >= len(tops[i]) {
				continue
			}
			raise(i, level)
			p := pl.plots[i]
			dc := p.DataCanvas(f.layout(pl.plots, c)[i])
			occ := f.panels[i].occupied(p, dc)
			for _, k := range f.corners {
				r, ok := cornerRect(dc, k, boxW, boxH)
				if !ok {
					continue
				}
				// Clearance beyond a few points does not matter: then
				// the corners' order decides.
				if d := min(clearance(r, occ), vg.Points(6)); d > legendGap && d > room {
					pl.legend, host, room = placedLegend{legs: []*plot.Legend{leg}, box: r}, i, d
				}
			}
		}
		if host >= 0 {
			raise(host, level)
			return pl
		}
	}
	raise(-1, 0)
	pl.legend = legendBelow(c, entries)
	pl.area.Min.Y += pl.legend.box.Size().Y + vg.Points(2)
	return pl
}

// legendGap is the least room between a legend box and the data.
const legendGap = vg.Length(1.5)

// xPad is the room at each end of an x axis, beyond the first and last
// value: a marker, an error bar's cap, stays inside the data area.
const xPad = vg.Length(5)

// padX widens the x range of each plot by xPad at both ends, in the
// plot's coordinates for its data area within c; the ticks stay those of
// the range before.
func (f figure) padX(plots []*plot.Plot, c draw.Canvas) {
	for i, tc := range f.layout(plots, c) {
		p := plots[i]
		dc := p.DataCanvas(tc)
		w := dc.Max.X - dc.Min.X
		if w <= 4*xPad || !(p.X.Max > p.X.Min) {
			continue
		}
		d := (p.X.Max - p.X.Min) * float64(xPad/(w-2*xPad))
		p.X.Tick.Marker = rangeTicks{p.X.Tick.Marker, p.X.Min, p.X.Max}
		p.X.Min, p.X.Max = p.X.Min-d, p.X.Max+d
	}
}

// rangeTicks marks an axis as its Ticker marks the range [lo, hi],
// whatever range the axis has.
type rangeTicks struct {
	plot.Ticker
	lo, hi float64
}

// Ticks implements plot.Ticker.
func (t rangeTicks) Ticks(float64, float64) []plot.Tick { return t.Ticker.Ticks(t.lo, t.hi) }

// layout returns the canvas of each panel within c, data areas aligned.
func (f figure) layout(plots []*plot.Plot, c draw.Canvas) []draw.Canvas {
	if len(plots) == 1 {
		return []draw.Canvas{c}
	}
	t := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Points(8)}
	return plot.Align([][]*plot.Plot{plots}, t, c)[0]
}

// drawPanels draws the panels in c and returns their data areas and y
// ranges.
func (f figure) drawPanels(plots []*plot.Plot, c draw.Canvas) figureLayout {
	var lay figureLayout
	for i, tc := range f.layout(plots, c) {
		plots[i].Draw(tc)
		lay.data = append(lay.data, plots[i].DataCanvas(tc).Rectangle)
		lay.yRange = append(lay.yRange, [2]float64{plots[i].Y.Min, plots[i].Y.Max})
	}
	return lay
}

// placedLegend is a legend and its box: one legend on a framed white box
// in a corner, or columns of legends below the panels.
type placedLegend struct {
	legs  []*plot.Legend
	colW  []vg.Length // below: the columns' widths
	box   vg.Rectangle
	below bool
}

// legendGapX is the gap between the columns of a legend below the panels.
const legendGapX = vg.Length(8)

// legendBelow lays the entries out in a strip at the bottom of c,
// filling rows left to right in as many columns as fit the width.
func legendBelow(c draw.Canvas, entries []legendEntry) placedLegend {
	widths := make([]vg.Length, len(entries))
	for i, e := range entries {
		widths[i], _ = legendSize(newLegend(e))
	}
	var colW []vg.Length
	var total vg.Length
	for cols := len(entries); cols >= 1; cols-- {
		colW = make([]vg.Length, cols)
		total = legendGapX * vg.Length(cols-1)
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
	pl := placedLegend{colW: colW, below: true}
	var height vg.Length
	for col := range colW {
		var es []legendEntry
		for i := col; i < len(entries); i += len(colW) {
			es = append(es, entries[i])
		}
		l := newLegend(es...)
		_, h := legendSize(l)
		height = max(height, h)
		pl.legs = append(pl.legs, l)
	}
	x := c.Center().X - total/2
	pl.box = vg.Rectangle{Min: vg.Point{X: x, Y: c.Min.Y}, Max: vg.Point{X: x + total, Y: c.Min.Y + height}}
	return pl
}

// draw draws the legend on c; nothing when there is none.
func (pl placedLegend) draw(c draw.Canvas) {
	if len(pl.legs) == 0 {
		return
	}
	if !pl.below {
		drawLegendBox(c, pl.legs[0], pl.box)
		return
	}
	x := pl.box.Min.X
	for i, l := range pl.legs {
		_, h := legendSize(l)
		r := vg.Rectangle{Min: vg.Point{X: x + legendMargin, Y: pl.box.Max.Y - h + legendMargin}}
		r.Max = vg.Point{X: x + pl.colW[i] - legendMargin, Y: pl.box.Max.Y - legendMargin}
		l.Draw(draw.Canvas{Canvas: c.Canvas, Rectangle: r})
		x += pl.colW[i] + legendGapX
	}
}

type legendEntry struct {
	name   string
	thumbs []plot.Thumbnailer
}

// legendEntriesOf returns the legend entries of panels: each policy once,
// in legend order, then the theory curves.
func legendEntriesOf(panels []panel, txt func(string) string) []legendEntry {
	var pol, th []series
	seen := map[string]bool{}
	for _, pn := range panels {
		for _, s := range pn.series {
			if seen[s.name] || (len(s.pts) == 0 && !s.key) {
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
	sort.SliceStable(pol, func(i, j int) bool { return pol[i].look.rank < pol[j].look.rank })
	var out []legendEntry
	for _, s := range append(pol, th...) {
		var thumbs []plot.Thumbnailer
		if s.theory {
			thumbs = []plot.Thumbnailer{&plotter.Line{LineStyle: theoryStyle(s.style)}}
		} else {
			thumbs = []plot.Thumbnailer{&plotter.Line{LineStyle: s.look.line()}, &plotter.Scatter{GlyphStyle: s.look.glyph()}}
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

// clearance is the distance from r to the nearest of boxes; 0 when one
// overlaps it.
func clearance(r vg.Rectangle, boxes []vg.Rectangle) vg.Length {
	d := vg.Length(math.Inf(1))
	for _, b := range boxes {
		dx := max(r.Min.X-b.Max.X, b.Min.X-r.Max.X, 0)
		dy := max(r.Min.Y-b.Max.Y, b.Min.Y-r.Max.Y, 0)
		d = min(d, vg.Length(math.Hypot(float64(dx), float64(dy))))
	}
	return d
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
	// Twins of a policy after its first: the simulator's dashed line and
	// hollow markers over the real backend's.
	for _, s := range byVariant(pn.series) {
		if eb := errorBars(s); eb != nil {
			p.Add(eb)
		}
		p.Add(&plotter.Line{XYs: xys(s.pts), LineStyle: s.look.line()})
		p.Add(&plotter.Scatter{XYs: xys(s.markers()), GlyphStyle: s.look.glyph()})
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = pn.xMin, pn.xMax, pn.yMin, pn.yMax
	p.X.Tick.Marker, p.Y.Tick.Marker = linearTicks{pn.xTicks}, linearTicks{}
	if pn.logX {
		p.X.Tick.Marker = logTicks{pn.xTicks}
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
// ten within its range, labelled with x itself: every power when the
// range spans at most about n decades (n = 0 means 5), else every second
// or third so that about n labels remain, and 2× and 5× them as well when
// it spans less than half n decades; minor ticks mark the other
// multiples. Unlike plot.LogTicks it puts no tick outside the range.
type logTicks struct{ n int }

// Ticks implements plot.Ticker.
func (t logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: formatFloat(math.Pow(10, lo))}}
	}
	n := t.n
	if n <= 0 {
		n = 5
	}
	few := hi-lo < float64(n)/2
	every := max(1, math.Ceil((hi-lo)/float64(n)-1e-9))
	var ticks []plot.Tick
	for e := math.Floor(lo); e <= math.Ceil(hi); e++ {
		for m := 1; m <= 9; m++ {
			v := float64(m) * math.Pow(10, e)
			lv := math.Log10(v)
			if lv < lo-1e-9 || lv > hi+1e-9 {
				continue
			}
			t := plot.Tick{Value: lv}
			if (m == 1 && math.Mod(e, every) == 0) || (few && (m == 2 || m == 5)) {
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
	return &plotter.YErrorBars{XYs: pts, YErrors: errs, LineStyle: s.look.errorBar(), CapWidth: capWidth}
}

// occupied returns boxes, in canvas coordinates within the data area dc,
// around everything the panel draws: lines sampled every point or so,
// error bars and their caps, markers. A legend box must avoid them.
func (pn panel) occupied(p *plot.Plot, dc draw.Canvas) []vg.Rectangle {
	pn = pn.linear()
	trX, trY := p.Transforms(&dc)
	var out []vg.Rectangle
	box := func(at vg.Point, w, h vg.Length) {
		if dc.Contains(at) {
			out = append(out, vg.Rectangle{Min: vg.Point{X: at.X - w, Y: at.Y - h}, Max: vg.Point{X: at.X + w, Y: at.Y + h}})
		}
	}
	addLine := func(line []vg.Point, width vg.Length) {
		for _, l := range dc.ClipLinesXY(line) {
			for i := 1; i < len(l); i++ {
				a, b := l[i-1], l[i]
				d := math.Hypot(float64(b.X-a.X), float64(b.Y-a.Y))
				n := int(math.Ceil(d)) + 1
				for j := 0; j <= n; j++ {
					t := vg.Length(float64(j) / float64(n))
					box(vg.Point{X: a.X + t*(b.X-a.X), Y: a.Y + t*(b.Y-a.Y)}, width/2, width/2)
				}
			}
			if len(l) == 1 {
				box(l[0], width/2, width/2)
			}
		}
	}
	for _, s := range pn.series {
		line := make([]vg.Point, 0, len(s.pts))
		for _, pt := range s.pts {
			line = append(line, vg.Point{X: trX(pt.x), Y: trY(pt.y)})
		}
		if s.theory {
			addLine(line, theoryStyle(s.style).Width)
			continue
		}
		addLine(line, s.look.line().Width)
		for _, pt := range s.pts {
			if math.IsNaN(pt.lo) || math.IsNaN(pt.hi) || pt.hi <= pt.lo {
				continue
			}
			x := trX(pt.x)
			addLine([]vg.Point{{X: x, Y: trY(pt.lo)}, {X: x, Y: trY(pt.hi)}}, s.look.errorBar().Width)
			for _, y := range []float64{pt.lo, pt.hi} {
				box(vg.Point{X: x, Y: trY(y)}, capWidth/2, s.look.errorBar().Width/2)
			}
		}
		r := s.look.glyph().Radius
		for _, pt := range s.markers() {
			box(vg.Point{X: trX(pt.x), Y: trY(pt.y)}, r, r)
		}
	}
	return out
}

// capWidth is the width of an error bar's caps.
const capWidth = vg.Length(3)

func fontOf(size vg.Length) font.Font { return font.From(plot.DefaultFont, size) }
