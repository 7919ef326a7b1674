package analysis

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/loadlab/loadlab/stats"
)

// drawnItem is a path a canvas was asked to stroke or fill: its segments
// (an arc as its bounding box's sides), their bounding box, the box of
// the ink (with half the line's width around a stroke) and the colour.
type drawnItem struct {
	segs     [][2]vg.Point
	box, ink vg.Rectangle
	col      color.RGBA
}

// drawRecorder is a vg.Canvas that keeps every path stroked or filled;
// text and images are left out.
type drawRecorder struct {
	col   color.Color
	width vg.Length
	stack []color.Color
	items []drawnItem
}

func (r *drawRecorder) SetLineWidth(w vg.Length)               { r.width = w }
func (r *drawRecorder) SetLineDash([]vg.Length, vg.Length)     {}
func (r *drawRecorder) SetColor(c color.Color)                 { r.col = c }
func (r *drawRecorder) Rotate(float64)                         {}
func (r *drawRecorder) Translate(vg.Point)                     {}
func (r *drawRecorder) Scale(float64, float64)                 {}
func (r *drawRecorder) Push()                                  { r.stack = append(r.stack, r.col) }
func (r *drawRecorder) FillString(font.Face, vg.Point, string) {}
func (r *drawRecorder) DrawImage(vg.Rectangle, image.Image)    {}
func (r *drawRecorder) Pop() {
	r.col, r.stack = r.stack[len(r.stack)-1], r.stack[:len(r.stack)-1]
}
func (r *drawRecorder) Stroke(p vg.Path) { r.add(p, r.width/2) }
func (r *drawRecorder) Fill(p vg.Path)   { r.add(p, 0) }

func (r *drawRecorder) add(p vg.Path, halfWidth vg.Length) {
	var it drawnItem
	if r.col != nil {
		it.col = color.RGBAModel.Convert(r.col).(color.RGBA)
	}
	var cur, start vg.Point
	seg := func(a, b vg.Point) { it.segs = append(it.segs, [2]vg.Point{a, b}) }
	for _, c := range p {
		switch c.Type {
		case vg.MoveComp:
			cur, start = c.Pos, c.Pos
		case vg.LineComp:
			seg(cur, c.Pos)
			cur = c.Pos
		case vg.ArcComp:
			lo := vg.Point{X: c.Pos.X - c.Radius, Y: c.Pos.Y - c.Radius}
			hi := vg.Point{X: c.Pos.X + c.Radius, Y: c.Pos.Y + c.Radius}
			seg(lo, vg.Point{X: hi.X, Y: lo.Y})
			seg(vg.Point{X: hi.X, Y: lo.Y}, hi)
			seg(hi, vg.Point{X: lo.X, Y: hi.Y})
			seg(vg.Point{X: lo.X, Y: hi.Y}, lo)
		case vg.CloseComp:
			seg(cur, start)
			cur = start
		}
	}
	if len(it.segs) == 0 {
		return
	}
	it.box = vg.Rectangle{Min: it.segs[0][0], Max: it.segs[0][0]}
	for _, s := range it.segs {
		for _, q := range s {
			it.box.Min.X, it.box.Min.Y = min(it.box.Min.X, q.X), min(it.box.Min.Y, q.Y)
			it.box.Max.X, it.box.Max.Y = max(it.box.Max.X, q.X), max(it.box.Max.Y, q.Y)
		}
	}
	it.ink = it.box
	it.ink.Min.X, it.ink.Min.Y = it.box.Min.X-halfWidth, it.box.Min.Y-halfWidth
	it.ink.Max.X, it.ink.Max.Y = it.box.Max.X+halfWidth, it.box.Max.Y+halfWidth
	r.items = append(r.items, it)
}

// figureDrawing is what a figure draws in each panel's data area, with
// the legend's place, as drawLayout lays it out on a canvas of opt's
// size.
type figureDrawing struct {
	canvas vg.Rectangle
	data   []vg.Rectangle
	items  [][]drawnItem // by panel: what it draws after its grid
	legend placedLegend
}

// drawFigure lays fig out as drawLayout does and draws each panel on a
// recorder of its own, keeping what it draws after its grid (its data:
// lines, error bars, markers, theory curves), grid lines left out.
func drawFigure(t *testing.T, fig figure, opt FigureOptions) figureDrawing {
	t.Helper()
	opt = opt.withDefaults()
	rec := &drawRecorder{}
	c := draw.Canvas{Canvas: rec, Rectangle: vg.Rectangle{Max: vg.Point{X: opt.Width, Y: opt.Height}}}
	c = fig.drawTitle(c, identity)
	pl := fig.place(c, identity)
	d := figureDrawing{canvas: c.Rectangle, legend: pl.legend}
	grid := color.RGBAModel.Convert(gridColor).(color.RGBA)
	for i, tc := range fig.layout(pl.plots, pl.area) {
		r := &drawRecorder{}
		tc.Canvas = r
		pl.plots[i].Draw(tc)
		d.data = append(d.data, pl.plots[i].DataCanvas(tc).Rectangle)
		var items []drawnItem
		inData := false
		for _, it := range r.items {
			if it.col == grid {
				inData = true
				continue
			}
			if inData {
				items = append(items, it)
			}
		}
		if !inData {
			t.Fatalf("%s: panel %d drew no grid", fig.base, i)
		}
		d.items = append(d.items, items)
	}
	return d
}

// segmentMeets reports whether the segment a–b comes within pad of r.
func segmentMeets(a, b vg.Point, r vg.Rectangle, pad vg.Length) bool {
	r.Min.X, r.Min.Y, r.Max.X, r.Max.Y = r.Min.X-pad, r.Min.Y-pad, r.Max.X+pad, r.Max.Y+pad
	// Sample the segment finely: data segments are short and the boxes
	// large, so a tenth of a point is exact enough.
	n := int(math.Hypot(float64(b.X-a.X), float64(b.Y-a.Y))*10) + 1
	for i := 0; i <= n; i++ {
		t := vg.Length(float64(i) / float64(n))
		p := vg.Point{X: a.X + t*(b.X-a.X), Y: a.Y + t*(b.Y-a.Y)}
		if p.X >= r.Min.X && p.X <= r.Max.X && p.Y >= r.Min.Y && p.Y <= r.Max.Y {
			return true
		}
	}
	return false
}

// checkFigureLayout checks what fig draws: nothing of its data (points,
// error bars and caps, lines, theory curves) meets the legend's box, and
// every path (a marker, a cap; lines are clipped) lies inside its
// panel's data area across and its ink inside the canvas up and down.
func checkFigureLayout(t *testing.T, fig figure, opt FigureOptions) {
	t.Helper()
	d := drawFigure(t, fig, opt)
	const slop = 0.05 // points: rounding
	for i, items := range d.items {
		da := d.data[i]
		for _, it := range items {
			if it.box.Min.X < da.Min.X-slop || it.box.Max.X > da.Max.X+slop {
				t.Errorf("%s panel %d: a path drawn across x %.2f–%.2f pt, outside the data area's %.2f–%.2f", fig.base, i, it.box.Min.X, it.box.Max.X, da.Min.X, da.Max.X)
			}
			if it.ink.Min.Y < d.canvas.Min.Y-slop || it.ink.Max.Y > d.canvas.Max.Y+slop {
				t.Errorf("%s panel %d: a path drawn across y %.2f–%.2f pt, outside the canvas", fig.base, i, it.ink.Min.Y, it.ink.Max.Y)
			}
			if len(d.legend.legs) == 0 {
				continue
			}
			for _, s := range it.segs {
				if segmentMeets(s[0], s[1], d.legend.box, 0) {
					t.Errorf("%s panel %d: the legend at %v covers data drawn from %v to %v", fig.base, i, d.legend.box, s[0], s[1])
					break
				}
			}
		}
	}
}

// inside reports whether r lies within outer.
func inside(r, outer vg.Rectangle) bool {
	return r.Min.X >= outer.Min.X && r.Min.Y >= outer.Min.Y && r.Max.X <= outer.Max.X && r.Max.Y <= outer.Max.Y
}

// checkLayouts checks the layout of the figures of figs whose file names
// (base.png) are in names; every name must have its figure.
func checkLayouts(t *testing.T, figs []figure, names []string) {
	t.Helper()
	for _, n := range names {
		found := false
		for _, f := range figs {
			if f.base+".png" == n {
				found = true
				checkFigureLayout(t, f, DefaultFigureOptions())
			}
		}
		if !found {
			t.Errorf("no figure %s", n)
		}
	}
}

// extremeFigures are figures with markers and error-bar caps at the
// lowest and highest load, and a legend of several entries.
func extremeFigures(t *testing.T) []figure {
	t.Helper()
	recs := syntheticRecords([]string{"none", "sender.threshold", "pod(d=2)", "random", "receiver"}, testLoads, 3, 500, 11)
	figs, err := sweepFigures(stats.Summarize(recs), nil, FigureOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return figs
}

// TestMarkersInsideDataArea checks that markers and caps at the lowest
// and highest x value lie inside the data area, in one-column and
// two-column figures.
func TestMarkersInsideDataArea(t *testing.T) {
	for _, opt := range []FigureOptions{DefaultFigureOptions(), TwoColumnFigureOptions()} {
		for _, f := range extremeFigures(t) {
			t.Run(fmt.Sprintf("%s %.1fin", f.base, opt.Width/vg.Inch), func(t *testing.T) {
				checkFigureLayout(t, f, opt)
			})
		}
	}
}

// quickOverheadCells reads testdata/overhead_quick.csv, the overhead
// figure's data of the demo sweep (examples/quick.yaml: seven policies,
// migrations per job peaking at 1.0 and probes at 4.1), as cells.
func quickOverheadCells(t *testing.T) []stats.Cell {
	t.Helper()
	rows := checkCSV(t, filepath.Join("testdata", "overhead_quick.csv"), []string{"metric", "workload", "policy", "load", "value", "ci_low", "ci_high"}, -1)
	num := func(s string) float64 {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	var cells []stats.Cell
	at := map[string]int{}
	for _, r := range rows[1:] {
		k := r[2] + " " + r[3]
		i, ok := at[k]
		if !ok {
			i = len(cells)
			at[k] = i
			cells = append(cells, stats.Cell{Workload: r[1], Policy: r[2], Load: num(r[3]), N: 5, Mean: 1, P99: 5, NodeUtilMin: math.NaN(), NodeUtilMax: math.NaN()})
		}
		v, half := num(r[4]), (num(r[6])-num(r[5]))/2
		switch r[0] {
		case "migrations_per_job":
			cells[i].MigrationsPerJob, cells[i].MigrationsPerJobHalf = v, half
		case "probes_per_job":
			cells[i].ProbesPerJob, cells[i].ProbesPerJobHalf = v, half
		}
	}
	return cells
}

// TestOverheadAxisFits checks the tops of the overhead figure's y axes
// for the demo sweep's data, peaking at 1.0 migrations and 4.1 probes
// per job (axes to 2.0 and 7 before): the labelled tick above the data,
// 1.2 and 5, one of them raised by a step or two only for a legend that
// then sits in a corner of that panel.
func TestOverheadAxisFits(t *testing.T) {
	figs, err := sweepFigures(quickOverheadCells(t), nil, FigureOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var fig figure
	for _, f := range figs {
		if f.base == "overhead" {
			fig = f
		}
	}
	for _, opt := range []FigureOptions{DefaultFigureOptions(), TwoColumnFigureOptions()} {
		c := draw.Canvas{Canvas: &drawRecorder{}, Rectangle: vg.Rectangle{Max: vg.Point{X: opt.Width, Y: opt.Height}}}
		lay, err := fig.drawLayout(c, identity)
		if err != nil {
			t.Fatal(err)
		}
		fitted := []float64{1.2, 5}
		allowed := [][]float64{{1.2, 1.4, 1.6}, {5, 6}}
		for i, r := range lay.yRange {
			raised := math.Abs(r[1]-fitted[i]) > 1e-9
			if !slices.ContainsFunc(allowed[i], func(v float64) bool { return math.Abs(v-r[1]) < 1e-9 }) {
				t.Errorf("%.1f in: panel %d: y axis to %g, want %g (or %v to fit the legend)", opt.Width/vg.Inch, i, r[1], fitted[i], allowed[i][1:])
			}
			if raised && (lay.below || !inside(lay.legend, lay.data[i])) {
				t.Errorf("%.1f in: panel %d raised to %g, but the legend is not in it (%v, below %v)", opt.Width/vg.Inch, i, r[1], lay.legend, lay.below)
			}
		}
		checkFigureLayout(t, fig, opt)
	}
}

// TestLegendNeverCoversData checks the legend of the sample figures of
// several sweeps, with the legend in a corner or below.
func TestLegendNeverCoversData(t *testing.T) {
	var below, corner int
	for _, pols := range [][]string{testPolicies, {"random"}, append(testPolicies, "random", "receiver", "a", "b", "c")} {
		figs, err := sweepFigures(stats.Summarize(syntheticRecords(pols, testLoads, 3, 300, 12)), pols, FigureOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range figs {
			checkFigureLayout(t, f, DefaultFigureOptions())
			d := drawFigure(t, f, DefaultFigureOptions())
			if d.legend.below {
				below++
			} else if len(d.legend.legs) > 0 {
				corner++
			}
		}
	}
	if below == 0 || corner == 0 {
		t.Errorf("%d legends below, %d in a corner: the test should see both", below, corner)
	}
}
