package analysis

import (
	"hash/fnv"
	"image/color"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Styles. A policy's colour and marker come from its name (policyLooks), so
// that it looks the same in every figure of every sweep; a backend twin
// ("random (sim)" beside "random (local)") keeps the hue and changes the
// dash and the marker's fill. Theory curves are black and grey.
var (
	// okabeIto is the Okabe–Ito palette, distinguishable with the common
	// forms of colour blindness, without its yellow, which is faint on
	// white.
	okabeIto = []color.Color{
		rgb(0xE69F00), rgb(0x56B4E9), rgb(0x009E73), rgb(0x0072B2),
		rgb(0xD55E00), rgb(0xCC79A7), rgb(0x000000),
	}
	// theoryStyles draw theory curves: no sharing, perfect sharing, others.
	theoryStyles = []draw.LineStyle{
		{Color: color.Black, Width: vg.Points(0.8), Dashes: []vg.Length{vg.Points(4), vg.Points(2)}},
		{Color: rgb(0x777777), Width: vg.Points(0.8), Dashes: []vg.Length{vg.Points(1.5), vg.Points(1.5)}},
		{Color: rgb(0x777777), Width: vg.Points(0.8), Dashes: []vg.Length{vg.Points(5), vg.Points(1.5), vg.Points(1), vg.Points(1.5)}},
	}
	// twinDashes are the line patterns of a policy's twins by variant:
	// solid for the first real backend, dashed for the simulator, then
	// dotted and dash-dotted.
	twinDashes = [][]vg.Length{
		nil,
		{vg.Points(3.5), vg.Points(1.5)},
		{vg.Points(1), vg.Points(1.2)},
		{vg.Points(4), vg.Points(1.2), vg.Points(1), vg.Points(1.2)},
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
	markerSize     = 2.5 // half the width of a marker, in points
	// twinMarkerSize is that of a twin's hollow marker: larger than the
	// filled one, so that one drawn over the other leaves both in view.
	twinMarkerSize = 3.3
)

// markerShapes is the number of marker shapes (see markerGlyph): with
// the seven colours, 42 pairs.
const markerShapes = 6

// look is how a series is drawn: a colour and a marker shape, a variant
// for backend twins (0: solid line and filled marker; 1 and up: dashed,
// dotted… line and a larger hollow marker, drawn over variant 0), and a
// rank, its place in the legend.
type look struct {
	colour, shape, variant, rank int
}

func (l look) color() color.Color { return okabeIto[l.colour%len(okabeIto)] }

func (l look) line() draw.LineStyle {
	return draw.LineStyle{Color: l.color(), Width: vg.Points(1), Dashes: twinDashes[min(l.variant, len(twinDashes)-1)]}
}

func (l look) glyph() draw.GlyphStyle {
	r := vg.Points(markerSize)
	if l.variant > 0 {
		r = vg.Points(twinMarkerSize)
	}
	return draw.GlyphStyle{Color: l.color(), Shape: markerGlyph{shape: l.shape % markerShapes, hollow: l.variant > 0}, Radius: r}
}

func (l look) errorBar() draw.LineStyle {
	return draw.LineStyle{Color: l.color(), Width: vg.Points(0.6)}
}

func theoryStyle(i int) draw.LineStyle { return theoryStyles[min(i, len(theoryStyles)-1)] }

// policyLabel is a row of results as figures draw it: its policy label
// and the backend that ran it ("" when unknown).
type policyLabel struct{ label, backend string }

// policyLooks gives each policy label its look. The colour and marker
// come from a hash of the base policy name (the label without its
// " (backend)" suffix) into the 7 × 6 pairs of colour and marker, so
// that a policy keeps them in every figure and every sweep. order (the
// spec's labels), then the labels of drawn not in it, only break ties:
// when a policy's colour is taken by one earlier in that order, it takes
// the next free colour while there is one, and likewise its marker; two
// policies never share both. The twins of a policy share its pair: the
// first real backend is variant 0, the simulator 1 (dashed, hollow, drawn
// on top), other backends 2 and up.
func policyLooks(order []string, drawn []policyLabel) map[string]look {
	backendOf := map[string]string{}
	known := map[string]bool{}
	for _, d := range drawn {
		backendOf[d.label] = d.backend
		if d.backend != "" {
			known[d.backend] = true
		}
	}
	// base splits a label into its base policy and backend; a label of
	// order without records loses a suffix naming a backend seen in drawn.
	base := func(label string) (string, string) {
		if be, ok := backendOf[label]; ok {
			if b, ok := strings.CutSuffix(label, " ("+be+")"); ok {
				return b, be
			}
			return label, be
		}
		for be := range known {
			if b, ok := strings.CutSuffix(label, " ("+be+")"); ok {
				return b, be
			}
		}
		return label, ""
	}
	var labels []string
	seen := map[string]bool{}
	for _, l := range order {
		if !seen[l] {
			seen[l] = true
			labels = append(labels, l)
		}
	}
	for _, d := range drawn {
		if !seen[d.label] {
			seen[d.label] = true
			labels = append(labels, d.label)
		}
	}

	// One colour and shape per base policy, in order.
	type pair struct{ colour, shape int }
	pairOf := map[string]pair{}
	taken := map[pair]bool{}
	colours, shapes := map[int]bool{}, map[int]bool{}
	twins := map[string][]string{} // base → its labels' backends, in order
	for _, l := range labels {
		b, be := base(l)
		twins[b] = append(twins[b], be)
		if _, ok := pairOf[b]; ok {
			continue
		}
		h := fnv.New32a()
		h.Write([]byte(b))
		v := int(h.Sum32() % uint32(len(okabeIto)*markerShapes))
		p := pair{v % len(okabeIto), v / len(okabeIto)}
		p.colour = nextFree(p.colour, len(okabeIto), colours)
		p.shape = nextFree(p.shape, markerShapes, shapes)
		for i := 0; taken[p] && i < len(okabeIto)*markerShapes; i++ {
			// Both used up: the next pair no policy has.
			p.shape = (p.shape + 1) % markerShapes
			if p.shape == 0 {
				p.colour = (p.colour + 1) % len(okabeIto)
			}
		}
		pairOf[b] = p
		taken[p], colours[p.colour], shapes[p.shape] = true, true, true
	}

	out := map[string]look{}
	for rank, l := range labels {
		b, be := base(l)
		p := pairOf[b]
		out[l] = look{colour: p.colour, shape: p.shape, variant: twinVariant(twins[b], be), rank: rank}
	}
	return out
}

// nextFree returns i, or when used holds it the next of 0…n−1 after i
// that used does not hold; i when it holds all.
func nextFree(i, n int, used map[int]bool) int {
	for k := range n {
		if j := (i + k) % n; !used[j] {
			return j
		}
	}
	return i
}

// twinVariant is the variant of the twin that ran on backend be among a
// policy's twins on backends: 0 when it has none; else the simulator 1,
// the real backends 0, 2, 3… in order.
func twinVariant(backends []string, be string) int {
	if len(backends) < 2 {
		return 0
	}
	if be == "sim" {
		return 1
	}
	v := 0
	for _, b := range backends {
		if b == be {
			return v
		}
		if b != "sim" {
			v = max(v+1, 2)
		}
	}
	return v
}

// markerGlyph draws the marker shapes, filled or as an outline: a
// circle, a square, a triangle, a diamond, a triangle pointing down, and a
// cross (× filled, + hollow). Each fits in the square of half-width
// GlyphStyle.Radius, the box gonum/plot keeps inside the canvas.
type markerGlyph struct {
	shape  int
	hollow bool
}

// DrawGlyph implements draw.GlyphDrawer.
func (g markerGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius
	polygon := func(n int, start float64, scale vg.Length) vg.Path {
		var p vg.Path
		for i := range n {
			a := start + 2*math.Pi*float64(i)/float64(n)
			q := vg.Point{X: pt.X + scale*vg.Length(math.Cos(a)), Y: pt.Y + scale*vg.Length(math.Sin(a))}
			if i == 0 {
				p.Move(q)
			} else {
				p.Line(q)
			}
		}
		p.Close()
		return p
	}
	var p vg.Path
	switch g.shape {
	case 0:
		p.Move(vg.Point{X: pt.X + 0.8*r, Y: pt.Y})
		p.Arc(pt, 0.8*r, 0, 2*math.Pi)
		p.Close()
	case 1:
		p = polygon(4, math.Pi/4, 0.95*r) // a square of half-side 0.67 r
	case 2:
		p = polygon(3, math.Pi/2, r)
	case 3:
		p = polygon(4, 0, r)
	case 4:
		p = polygon(3, -math.Pi/2, r)
	default:
		c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: vg.Points(0.8)})
		start := math.Pi / 4
		if g.hollow {
			start = 0
		}
		for i := range 2 {
			a := start + float64(i)*math.Pi/2
			dx, dy := 0.9*r*vg.Length(math.Cos(a)), 0.9*r*vg.Length(math.Sin(a))
			var l vg.Path
			l.Move(vg.Point{X: pt.X - dx, Y: pt.Y - dy})
			l.Line(vg.Point{X: pt.X + dx, Y: pt.Y + dy})
			c.Stroke(l)
		}
		return
	}
	if g.hollow {
		c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: vg.Points(0.7)})
		c.Stroke(p)
		return
	}
	c.Fill(p)
}

// markers returns the points of s that get a marker.
func (s series) markers() []xyPoint {
	if s.marks != nil {
		return s.marks
	}
	return s.pts
}

// byVariant returns the policies' series of a panel with data, those of
// variant 0 first: a simulator twin's dashed line and hollow markers
// are drawn over its real backend's, which would otherwise hide them.
func byVariant(ss []series) []series {
	var out []series
	for _, s := range ss {
		if !s.theory && len(s.pts) > 0 {
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].look.variant < out[j].look.variant })
	return out
}
