package pdfcanvas

import (
	"bytes"
	"image"
	"image/color"
	"math"
	"strconv"
	"testing"

	"gonum.org/v1/plot/font/liberation"
	"gonum.org/v1/plot/vg"
)

// matrix is a PDF transformation [a b c d e f]: (x, y) ↦ (ax + cy + e,
// bx + dy + f).
type matrix [6]float64

var identityMatrix = matrix{1, 0, 0, 1, 0, 0}

func (m matrix) apply(x, y float64) (float64, float64) {
	return m[0]*x + m[2]*y + m[4], m[1]*x + m[3]*y + m[5]
}

// then returns the transformation that applies m, then n.
func (m matrix) then(n matrix) matrix {
	return matrix{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

// shown is a string a page shows: where its baseline starts and which way
// its x and y axes point, in page coordinates (points from the bottom
// left, as vg's).
type shown struct {
	text         string
	x, y         float64
	xAxis, yAxis [2]float64
	ctm          matrix // for images: the unit square's transformation
}

// interpret runs the operators of a content stream that matter for where
// things land (q, Q, cm, Td, Tj, Do, m, l, c) and returns what it shows:
// strings and images, and the page coordinates of path points.
func interpret(t *testing.T, content []byte) (texts, images []shown, pts [][2]float64) {
	t.Helper()
	ctm := identityMatrix
	var stack []matrix
	var nums []float64
	var tx, ty float64
	num := func(i int) float64 { return nums[len(nums)-i] }
	for _, tok := range tokens(content) {
		if f, err := strconv.ParseFloat(tok, 64); err == nil {
			nums = append(nums, f)
			continue
		}
		switch tok {
		case "q":
			stack = append(stack, ctm)
		case "Q":
			ctm, stack = stack[len(stack)-1], stack[:len(stack)-1]
		case "cm":
			ctm = matrix{num(6), num(5), num(4), num(3), num(2), num(1)}.then(ctm)
		case "Td":
			tx, ty = num(2), num(1)
		case "m", "l":
			x, y := ctm.apply(num(2), num(1))
			pts = append(pts, [2]float64{x, y})
		case "c":
			x, y := ctm.apply(num(2), num(1))
			pts = append(pts, [2]float64{x, y})
		case "Do":
			images = append(images, shown{ctm: ctm})
		default:
			if len(tok) > 0 && tok[0] == '(' {
				s := shown{text: decodeUTF16(unescape([]byte(tok[1 : len(tok)-1])))}
				s.x, s.y = ctm.apply(tx, ty)
				ox, oy := ctm.apply(0, 0)
				ax, ay := ctm.apply(1, 0)
				bx, by := ctm.apply(0, 1)
				s.xAxis = [2]float64{ax - ox, ay - oy}
				s.yAxis = [2]float64{bx - ox, by - oy}
				texts = append(texts, s)
				continue
			}
		}
		nums = nums[:0]
	}
	return texts, images, pts
}

// tokens splits a content stream into numbers, operators and literal
// strings (kept with their parentheses).
func tokens(b []byte) []string {
	var out []string
	for i := 0; i < len(b); {
		switch c := b[i]; {
		case c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '[' || c == ']':
			i++
		case c == '(':
			j := i + 1
			for depth := 1; j < len(b) && depth > 0; j++ {
				switch b[j] {
				case '\\':
					j++
				case '(':
					depth++
				case ')':
					depth--
				}
			}
			out = append(out, string(b[i:j]))
			i = j
		default:
			j := i
			for j < len(b) && !bytes.ContainsAny(b[j:j+1], " \n\r\t[]()") {
				j++
			}
			out = append(out, string(b[i:j]))
			i = j
		}
	}
	return out
}

func decodeUTF16(raw []byte) string {
	var r []rune
	for i := 0; i+1 < len(raw); i += 2 {
		r = append(r, rune(raw[i])<<8|rune(raw[i+1]))
	}
	return string(r)
}

// pageContent returns the content stream of the one page a canvas wrote.
func pageContent(t *testing.T, c *Canvas) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	for _, o := range parsePDF(t, buf.Bytes()) {
		if o.stream != nil && bytes.Contains(o.stream, []byte(" cm")) {
			return o.stream
		}
	}
	t.Fatal("no page content")
	return nil
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.011 } // fpdf writes 2 decimals

// TestTextPlacement checks that a string starts on its baseline at the
// point given, upright or turned as the canvas is, and that kerned runs
// land where gonum/plot measured them.
func TestTextPlacement(t *testing.T) {
	f := liberation.Collection()[0]
	f.Font.Size = 10
	c := New(200, 200)
	c.FillString(f, vg.Point{X: 30, Y: 40}, "upright")
	c.Push()
	c.Translate(vg.Point{X: 50, Y: 60})
	c.Rotate(math.Pi / 2) // as text.Plain turns a y axis label
	c.FillString(f, vg.Point{X: 5, Y: 0}, "turned")
	c.Pop()
	c.FillString(f, vg.Point{X: 10, Y: 10}, "AV")
	texts, _, _ := interpret(t, pageContent(t, c))

	kerned := float64(f.Width("AV") - f.Width("V"))
	want := []struct {
		text         string
		x, y         float64
		xAxis, yAxis [2]float64
	}{
		{"upright", 30, 40, [2]float64{1, 0}, [2]float64{0, 1}},
		{"turned", 50, 65, [2]float64{0, 1}, [2]float64{-1, 0}},
		{"A", 10, 10, [2]float64{1, 0}, [2]float64{0, 1}},
		{"V", 10 + kerned, 10, [2]float64{1, 0}, [2]float64{0, 1}},
	}
	if len(texts) != len(want) {
		t.Fatalf("%d strings shown, want %d: %+v", len(texts), len(want), texts)
	}
	for i, w := range want {
		g := texts[i]
		if g.text != w.text || !near(g.x, w.x) || !near(g.y, w.y) ||
			!near(g.xAxis[0], w.xAxis[0]) || !near(g.xAxis[1], w.xAxis[1]) ||
			!near(g.yAxis[0], w.yAxis[0]) || !near(g.yAxis[1], w.yAxis[1]) {
			t.Errorf("shown %q at (%.2f, %.2f) axes %v %v, want %q at (%.2f, %.2f) axes %v %v",
				g.text, g.x, g.y, g.xAxis, g.yAxis, w.text, w.x, w.y, w.xAxis, w.yAxis)
		}
	}
}

// TestImagePlacement checks that an image fills its rectangle upright:
// the image's top row (v = 1 in PDF image space) at the top.
func TestImagePlacement(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.RGBA{R: 255, A: 255})
	c := New(200, 200)
	c.DrawImage(vg.Rectangle{Min: vg.Point{X: 10, Y: 20}, Max: vg.Point{X: 40, Y: 60}}, img)
	_, images, _ := interpret(t, pageContent(t, c))
	if len(images) != 1 {
		t.Fatalf("%d images, want 1", len(images))
	}
	m := images[0].ctm
	for _, p := range []struct{ u, v, x, y float64 }{{0, 0, 10, 20}, {1, 1, 40, 60}, {0, 1, 10, 60}, {1, 0, 40, 20}} {
		if x, y := m.apply(p.u, p.v); !near(x, p.x) || !near(y, p.y) {
			t.Errorf("image point (%g, %g) at (%.2f, %.2f), want (%g, %g)", p.u, p.v, x, y, p.x, p.y)
		}
	}
}

// TestPathPlacement checks lines and arcs: points where vg put them, an
// arc's points on its circle, a line to an arc's start when the path has
// a current point.
func TestPathPlacement(t *testing.T) {
	c := New(200, 200)
	var p vg.Path
	p.Move(vg.Point{X: 1, Y: 2})
	p.Line(vg.Point{X: 3, Y: 4})
	p.Arc(vg.Point{X: 100, Y: 100}, 20, 0, 2*math.Pi)
	c.Stroke(p)
	var q vg.Path
	q.Arc(vg.Point{X: 50, Y: 50}, 10, math.Pi/2, -math.Pi) // clockwise half turn
	c.Fill(q)
	_, _, pts := interpret(t, pageContent(t, c))
	want := [][2]float64{{1, 2}, {3, 4}, {120, 100}}
	if len(pts) < 3 {
		t.Fatalf("points %v", pts)
	}
	for i, w := range want {
		if !near(pts[i][0], w[0]) || !near(pts[i][1], w[1]) {
			t.Errorf("point %d at %v, want %v", i, pts[i], w)
		}
	}
	onCircle := func(pts [][2]float64, cx, cy, r float64) {
		for _, p := range pts {
			if d := math.Hypot(p[0]-cx, p[1]-cy); math.Abs(d-r) > 0.01 {
				t.Errorf("arc point %v at %.3f from (%g, %g), want %g", p, d, cx, cy, r)
			}
		}
	}
	// Full circle: 4 quarter curves back to the start.
	onCircle(pts[2:7], 100, 100, 20)
	if end := pts[6]; !near(end[0], 120) || !near(end[1], 100) {
		t.Errorf("full circle ends at %v", end)
	}
	// Half turn clockwise from the top: starts at (50, 60) (a move), ends
	// at (50, 40) through (60, 50).
	half := pts[7:]
	if len(half) != 3 {
		t.Fatalf("half turn: %d points, want 3 (move, 2 curves): %v", len(half), half)
	}
	onCircle(half, 50, 50, 10)
	for i, w := range [][2]float64{{50, 60}, {60, 50}, {50, 40}} {
		if !near(half[i][0], w[0]) || !near(half[i][1], w[1]) {
			t.Errorf("half turn point %d at %v, want %v", i, half[i], w)
		}
	}
}
