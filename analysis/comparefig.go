package analysis

import (
	"fmt"
	"math"
	"sort"

	"github.com/loadlab/loadlab/stats"
)

// ComparedCell is one cell of a comparison of two sides, A and B (two
// sweeps, or the two backends of one): a policy's mean response time at
// one load (and axis value) on each side, with the half-widths of their
// 95% intervals (NaN or 0: none).
type ComparedCell struct {
	Workload, Policy string
	Load             float64
	// Axis is the sweeps' axis other than load and X the cell's value on
	// it; "" and 0 without one.
	Axis               string
	X                  float64
	A, AHalf, B, BHalf float64
}

// Compared is what WriteCompareFigures draws: the sides' names, the
// policies in their order (which breaks ties of colour, as in
// WriteFigures), and the cells.
type Compared struct {
	A, B     string
	Policies []string
	Cells    []ComparedCell
}

// WriteCompareFigures writes into dir, creating it if needed, one figure
// per workload in every format of opt: compare_response (prefixed "W_"
// as WriteFigures prefixes, when there are several workloads), the mean
// response time of both sides against load, or against the axis when the
// cells have one (then a figure per load when there are several, suffixed
// "_rhoL"), a policy in its colour and
// marker as in WriteFigures, A solid with filled markers, B dashed with
// hollow ones drawn over A, with 95% CI bars. A cell without a finite
// positive mean on a side (every job failed: no response time) is left
// out of that side's line, and the side's legend entry says how many
// were; the CSV keeps them. Its CSV has the columns workload, policy,
// side (A's or B's name), load (or the axis), value, ci_low, ci_high. It
// returns the paths written, sorted.
func WriteCompareFigures(dir string, cmp Compared, opt FigureOptions) ([]string, error) {
	return writeFigureSet(dir, compareFigures(cmp), opt)
}

// compareFigures builds the figures WriteCompareFigures writes.
func compareFigures(cmp Compared) []figure {
	var drawn []policyLabel
	byWorkload := map[string][]ComparedCell{}
	var workloads []string
	for _, c := range cmp.Cells {
		drawn = append(drawn, policyLabel{c.Policy, ""})
		if _, ok := byWorkload[c.Workload]; !ok {
			workloads = append(workloads, c.Workload)
		}
		byWorkload[c.Workload] = append(byWorkload[c.Workload], c)
	}
	looks := policyLooks(cmp.Policies, drawn)
	prefixes := filePrefixes(workloads)
	var figs []figure
	m, _ := stats.MetricByName("mean_response")
	for _, w := range workloads {
		for _, g := range compareGroups(byWorkload[w]) {
			figs = append(figs, compareFigure(w, prefixes[w], g, cmp, looks, m))
		}
	}
	return figs
}

// compareGroup is the cells of one compare figure: all of a workload's
// along load, or those of one load along the axis.
type compareGroup struct {
	cells  []ComparedCell
	axis   string // "" along load
	suffix string // of the file name and title, with several loads along an axis
	title  string
}

// compareGroups splits a workload's cells into the groups of its figures.
func compareGroups(cells []ComparedCell) []compareGroup {
	axis := cells[0].Axis
	if axis == "" {
		return []compareGroup{{cells: cells}}
	}
	groups := byLoad(cells, func(c ComparedCell) float64 { return c.Load })
	var out []compareGroup
	for _, cs := range groups {
		g := compareGroup{cells: cs, axis: axis}
		if l := cs[0].Load; len(groups) > 1 {
			g.suffix, g.title = "_rho"+formatFloat(l), fmt.Sprintf(" at ρ = %s", formatFloat(l))
		}
		out = append(out, g)
	}
	return out
}

// compareFigure draws one group of cells of workload w: metric m of both
// sides against load or the axis.
func compareFigure(w, prefix string, g compareGroup, cmp Compared, looks map[string]look, m stats.Metric) figure {
	cells := g.cells
	xOf := func(c ComparedCell) float64 { return c.Load }
	if g.axis != "" {
		xOf = func(c ComparedCell) float64 { return c.X }
	}
	sort.SliceStable(cells, func(i, j int) bool { return xOf(cells[i]) < xOf(cells[j]) })
	var xs []float64
	for _, c := range cells {
		xs = append(xs, xOf(c))
	}
	xMin, xMax := loadSpan(xs)
	title := w + ": " + m.Label + ", " + cmp.A + " vs " + cmp.B
	pn := panel{title: title, xLabel: loadLabel, yLabel: m.AxisLabel(), xMin: xMin, xMax: xMax}
	xColumn := "load"
	if g.axis != "" {
		xMin, xMax = span(xs)
		if xMin == xMax {
			xMin, xMax = xMin-0.5, xMax+0.5
		}
		pn.title = fmt.Sprintf("%s: %s vs %s%s, %s vs %s", w, m.Label, g.axis, g.title, cmp.A, cmp.B)
		pn.xLabel, pn.xMin, pn.xMax = AxisLabel(g.axis), xMin, xMax
		pn.logX = xMin > 0 && xMax/xMin > logSpan
		xColumn = g.axis
	}
	rows := [][]string{{"workload", "policy", "side", xColumn, "value", "ci_low", "ci_high"}}
	var pols []string
	seen := map[string]bool{}
	for _, c := range cells {
		if !seen[c.Policy] {
			seen[c.Policy] = true
			pols = append(pols, c.Policy)
		}
	}
	sort.SliceStable(pols, func(i, j int) bool { return looks[pols[i]].rank < looks[pols[j]].rank })
	var left [2]int // cells left out, by side
	for _, pol := range pols {
		for side, name := range []string{cmp.A, cmp.B} {
			l := looks[pol]
			l.variant = side
			s := series{name: pol, look: l}
			for _, c := range cells {
				v, h := c.A, c.AHalf
				if side == 1 {
					v, h = c.B, c.BHalf
				}
				if c.Policy != pol || math.IsNaN(v) || math.IsInf(v, 0) {
					continue
				}
				if math.IsNaN(h) || math.IsInf(h, 0) {
					h = 0
				}
				pt := xyPoint{xOf(c), v, v - h, v + h}
				row := csvRow(w, pol, pt)
				rows = append(rows, append(append(row[:2:2], name), row[2:]...))
				if v <= 0 {
					left[side]++
					continue
				}
				s.pts = append(s.pts, pt)
			}
			pn.series = append(pn.series, s)
		}
	}
	pn.fitY(1.1, true)
	// Two black entries explain the sides' lines and markers.
	for side, name := range []string{cmp.A, cmp.B} {
		key := look{colour: len(okabeIto) - 1, variant: side, rank: len(looks) + side}
		name = []string{"A: ", "B: "}[side] + name
		if left[side] > 0 {
			name += fmt.Sprintf(" (%d without a mean: left out)", left[side])
		}
		pn.series = append(pn.series, series{name: name, look: key, key: true})
	}
	return figure{base: prefix + "compare_response" + g.suffix, panels: []panel{pn},
		corners: []corner{topLeft, bottomRight, topRight, bottomLeft}, headroom: true, csv: rows}
}
