package analysis

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"

	"github.com/loadlab/loadlab/stats"
)

// axisLabels are the x-axis labels of the axes users sweep most; any other
// axis is labelled by its name.
var axisLabels = map[string]string{
	"load":           loadLabel,
	"nodes":          "nodes N",
	"servers":        "servers per node",
	"gossip":         "gossip period" + responseUnits,
	"costs.latency":  "network latency" + responseUnits,
	"costs.dispatch": "dispatch delay" + responseUnits,
	"time_unit":      "time unit (ms)",
	"probes":         "probe limit",
	"T":              "threshold T",
	"d":              "choices d",
	"dispatch.d":     "choices d",
}

// AxisLabel is the x-axis label of a sweep axis ("" or "load": load).
func AxisLabel(axis string) string {
	if axis == "" {
		axis = "load"
	}
	if l, ok := axisLabels[axis]; ok {
		return l
	}
	return axis
}

// DefaultAxisMetrics are the y metrics of the figures along an axis when
// none are chosen: mean and p99 response time, and each overhead that some
// cell has.
func DefaultAxisMetrics(cells []stats.Cell) []string {
	out := []string{"mean_response", "p99_response"}
	for _, name := range []string{"migrations_per_job", "probes_per_job", "bytes_per_job", "gossip_age"} {
		m, _ := stats.MetricByName(name)
		for _, c := range cells {
			if v, _ := c.Estimate(m); v > 0 {
				out = append(out, name)
				break
			}
		}
	}
	return out
}

// metricFigures draws each metric of names against x (the cells' axis, or
// load when they have none) for one workload: a figure per metric, and per
// load when an axis is crossed with several loads (named
// METRIC_vs_AXIS[_rhoLOAD]). Lines are policies with 95% t intervals; mean
// response time gets the theory curves at each x where they exist (the
// supermarket limit of pod(d) against d or N, M/M/1 against load…).
func metricFigures(w string, cells []stats.Cell, looks map[string]look, names []string) []figure {
	axis := cells[0].Axis
	xOf := func(c stats.Cell) float64 { return c.X }
	var groups [][]stats.Cell // cells of one load, or all of them along load
	if axis == "" {
		xOf = func(c stats.Cell) float64 { return c.Load }
		groups = [][]stats.Cell{cells}
	} else {
		groups = byLoad(cells, func(c stats.Cell) float64 { return c.Load })
	}
	axisName := axis
	if axisName == "" {
		axisName = "load"
	}
	var figs []figure
	for _, group := range groups {
		var xs []float64
		for _, c := range group {
			xs = append(xs, xOf(c))
		}
		xMin, xMax := span(xs)
		logX := xMin > 0 && xMax/xMin > logSpan
		if xMin == xMax {
			xMin, xMax = xMin-0.5, xMax+0.5
		}
		byPolicy := groupByPolicy(group, looks)
		for _, pc := range byPolicy {
			sort.SliceStable(pc.cells, func(i, j int) bool { return xOf(pc.cells[i]) < xOf(pc.cells[j]) })
		}
		for _, name := range names {
			m, ok := stats.MetricByName(name)
			if !ok {
				continue
			}
			title := fmt.Sprintf("%s: %s vs %s", w, m.Label, axisName)
			base := name + "_vs_" + fileWord(axisName)
			if len(groups) > 1 {
				title += fmt.Sprintf(" at ρ = %s", formatFloat(group[0].Load))
				base += "_rho" + formatFloat(group[0].Load)
			}
			pn := panel{title: title, xLabel: AxisLabel(axis), yLabel: m.AxisLabel(), xMin: xMin, xMax: xMax, logX: logX}
			rows := [][]string{{"workload", "policy", "load", axisName, "value", "ci_low", "ci_high"}}
			for _, pc := range byPolicy {
				s := series{name: pc.policy, look: pc.look}
				for _, c := range pc.cells {
					v, h := c.Estimate(m)
					if math.IsNaN(v) || math.IsInf(v, 0) {
						continue
					}
					pt := xyPoint{xOf(c), v, v - h, v + h}
					s.pts = append(s.pts, pt)
					rows = append(rows, metricRow(w, pc.policy, c.Load, pt))
				}
				pn.series = append(pn.series, s)
			}
			pn.fitY(1.1, m.Unit == stats.ServiceUnit)
			if name == "mean_response" {
				for _, s := range axisTheory(group, xOf, pn.limit()) {
					pn.series = append(pn.series, s)
					for _, pt := range s.pts {
						rows = append(rows, metricRow(w, s.name, group[0].Load, pt))
					}
				}
			}
			figs = append(figs, figure{base: base, panels: []panel{pn}, corners: []corner{topLeft, bottomRight, topRight, bottomLeft}, headroom: true, csv: rows})
		}
	}
	return figs
}

// byLoad splits cells into groups of one load each, by increasing load.
func byLoad[C any](cells []C, load func(C) float64) [][]C {
	at := map[float64]int{}
	var loads []float64
	var groups [][]C
	for _, c := range cells {
		l := load(c)
		i, ok := at[l]
		if !ok {
			i = len(groups)
			at[l] = i
			loads = append(loads, l)
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], c)
	}
	order := make([]int, len(groups))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool { return loads[order[i]] < loads[order[j]] })
	out := make([][]C, len(groups))
	for i, k := range order {
		out[i] = groups[k]
	}
	return out
}

// metricRow is a CSV row of a metric figure.
func metricRow(w, policy string, load float64, p xyPoint) []string {
	r := csvRow(w, policy, p)
	return append(r[:2:2], append([]string{formatFloat(load)}, r[2:]...)...)
}

// axisTheory evaluates the theory curves that apply at each cell's point
// and joins the values of one curve across x: no sharing, perfect sharing
// and each policy's own limit. A curve whose name changes along x (M/M/N
// as N grows) is named by its role. Values above limit are left out.
func axisTheory(cells []stats.Cell, xOf func(stats.Cell) float64, limit float64) []series {
	type line struct {
		name  string
		style int
		named bool // all points had the same name
		pts   map[float64]float64
	}
	lines := map[string]*line{}
	var order []string
	add := func(key, name string, style int, x, y float64) {
		l, ok := lines[key]
		if !ok {
			l = &line{name: name, style: style, named: true, pts: map[float64]float64{}}
			lines[key] = l
			order = append(order, key)
		}
		if l.name != name {
			l.named = false
		}
		if !math.IsNaN(y) && !math.IsInf(y, 0) && y <= limit {
			l.pts[x] = y
		}
	}
	seen := map[float64]bool{}
	for _, c := range cells {
		x := xOf(c)
		if !seen[x] {
			seen[x] = true
			for _, cv := range stats.TheoryCurves(c.Point) {
				style := min(int(cv.Role), len(theoryStyles)-1)
				add(fmt.Sprint("role", cv.Role), cv.Name, style, x, cv.F(c.Load))
			}
		}
		if cv, ok := stats.PolicyCurve(c.Point); ok {
			add("policy "+c.Policy, cv.Name, len(theoryStyles)-1, x, cv.F(c.Load))
		}
	}
	var out []series
	for _, key := range order {
		l := lines[key]
		if len(l.pts) == 0 {
			continue
		}
		name := l.name
		if !l.named {
			name = digits.ReplaceAllString(choices.ReplaceAllString(name, "d"), "k")
		}
		s := series{name: name, style: l.style, theory: true}
		var xs []float64
		for x := range l.pts {
			xs = append(xs, x)
		}
		sort.Float64s(xs)
		for _, x := range xs {
			s.pts = append(s.pts, xyPoint{x, l.pts[x], math.NaN(), math.NaN()})
		}
		out = append(out, s)
	}
	return out
}

// choices and digits find the numbers in a curve's name, replaced when
// they vary along the axis: "supermarket d=2 (N→∞)" becomes "supermarket
// d (N→∞)", and "M/M/16 (perfect sharing)" "M/M/k (perfect sharing)".
var (
	choices = regexp.MustCompile(`d=\d+`)
	digits  = regexp.MustCompile(`\d+`)
)

// fileWord makes a setting's name a part of a file name.
func fileWord(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
			return r
		}
		return '-'
	}, s)
}
