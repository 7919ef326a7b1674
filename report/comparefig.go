package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/loadlab/loadlab/results"
)

// palette is the Okabe–Ito palette that analysis uses, so that a policy's
// colour is the same as in the sweep's own figures when the order agrees.
var palette = []color.Color{
	rgb(0xE69F00), rgb(0x56B4E9), rgb(0x009E73), rgb(0x0072B2),
	rgb(0xD55E00), rgb(0xCC79A7), rgb(0x000000), rgb(0xF0E442),
}

func rgb(v uint32) color.Color {
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}
}

var dashed = []vg.Length{vg.Points(4), vg.Points(2)}

const (
	compareWidth  = 6 * vg.Inch
	compareHeight = 3.6 * vg.Inch
	compareDPI    = 200
)

// writeFigures draws, per workload, the mean response time of both sides
// against load: one colour per policy, A solid with filled markers, B
// dashed with open ones, 95% CI bars. It writes PNG and SVG and returns
// the PNGs.
func (c *Comparison) writeFigures(out string) ([]figureRef, error) {
	var groups [][]Diff
	for _, g := range c.groups() {
		if g[0].Metric == "mean_response" {
			groups = append(groups, g)
		}
	}
	var refs []figureRef
	for _, g := range groups {
		w := g[0].Workload
		base := "compare_response"
		if len(groups) > 1 {
			base = texLabel(w) + "_" + base
		}
		p, err := c.plot(g)
		if err != nil {
			return nil, err
		}
		pngPath := filepath.Join(out, base+".png")
		if err := savePlot(p, pngPath, "png"); err != nil {
			return nil, err
		}
		if err := savePlot(p, filepath.Join(out, base+".svg"), "svg"); err != nil {
			return nil, err
		}
		refs = append(refs, figureRef{path: pngPath, caption: fmt.Sprintf("Mean response time vs load, workload %s: %s solid, %s dashed, 95%% CI bars",
			w, c.A.Name, c.B.Name)})
	}
	return refs, nil
}

// plot builds the figure of one workload's mean-response diffs.
func (c *Comparison) plot(g []Diff) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Mean response time: " + c.A.Name + " vs " + c.B.Name
	p.X.Label.Text = "load ρ (per server)"
	p.Y.Label.Text = "mean response (× mean service)"
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = rgb(0xE4E4E4), rgb(0xE4E4E4)
	p.Add(grid)
	p.Legend.Top, p.Legend.Left = true, true
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, d := range g {
		for _, v := range []float64{d.A, d.B} {
			if v > 0 && !math.IsInf(v, 0) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if hi/lo > 30 {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	for i, pol := range c.Policies {
		var a, b errPoints
		for _, d := range g {
			if d.Policy != pol {
				continue
			}
			a = append(a, errPoint{d.Load, d.A, d.AHalf})
			b = append(b, errPoint{d.Load, d.B, d.BHalf})
		}
		if len(a) == 0 {
			continue
		}
		col := palette[i%len(palette)]
		for k, pts := range []errPoints{a, b} {
			line, points, err := plotter.NewLinePoints(pts.xys())
			if err != nil {
				return nil, err
			}
			line.Color, line.Width = col, vg.Points(1)
			points.Color, points.Radius = col, vg.Points(2)
			points.Shape = draw.CircleGlyph{}
			if k == 1 {
				line.Dashes = dashed
				points.Shape = draw.RingGlyph{}
			}
			p.Add(line, points)
			if bars := pts.bars(col); bars != nil {
				p.Add(bars)
			}
			if k == 0 {
				p.Legend.Add(pol, line, points)
			}
		}
	}
	// Two black entries explain the line styles.
	sa := &plotter.Line{LineStyle: draw.LineStyle{Color: color.Black, Width: vg.Points(1)}}
	sb := &plotter.Line{LineStyle: draw.LineStyle{Color: color.Black, Width: vg.Points(1), Dashes: dashed}}
	p.Legend.Add("A: "+c.A.Name, sa)
	p.Legend.Add("B: "+c.B.Name, sb)
	return p, nil
}

type errPoint struct{ x, y, half float64 }

type errPoints []errPoint

func (e errPoints) xys() plotter.XYs {
	out := make(plotter.XYs, len(e))
	for i, p := range e {
		out[i] = plotter.XY{X: p.x, Y: p.y}
	}
	return out
}

// bars returns the CI bars of the points that have a finite half-width.
func (e errPoints) bars(col color.Color) *plotter.YErrorBars {
	var v errBars
	for _, p := range e {
		if p.half > 0 && !math.IsInf(p.half, 0) && p.y-p.half > 0 {
			v = append(v, p)
		}
	}
	if len(v) == 0 {
		return nil
	}
	bars, err := plotter.NewYErrorBars(v)
	if err != nil {
		return nil
	}
	bars.LineStyle = draw.LineStyle{Color: col, Width: vg.Points(0.6)}
	return bars
}

// errBars adapts errPoints to plotter.YErrorBars.
type errBars []errPoint

func (e errBars) Len() int                         { return len(e) }
func (e errBars) XY(i int) (float64, float64)      { return e[i].x, e[i].y }
func (e errBars) YError(i int) (float64, float64)  { return e[i].half, e[i].half }
func (e errBars) XError(i int) (low, high float64) { return 0, 0 }

// savePlot renders p to path in format png or svg.
func savePlot(p *plot.Plot, path, format string) error {
	var buf bytes.Buffer
	switch format {
	case "png":
		c := vgimg.NewWith(vgimg.UseWH(compareWidth, compareHeight), vgimg.UseDPI(compareDPI))
		p.Draw(draw.New(c))
		if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
			return err
		}
	case "svg":
		c := vgsvg.New(compareWidth, compareHeight)
		p.Draw(draw.New(c))
		if _, err := c.WriteTo(&buf); err != nil {
			return err
		}
	default:
		return fmt.Errorf("figure format %q", format)
	}
	return results.WriteFileAtomic(path, buf.Bytes())
}
