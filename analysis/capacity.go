package analysis

import (
	"fmt"
	"math"
	"sort"
)

// CapacityLine is one policy's capacity search on one workload: the loads
// it tried, the objective's metric at each (mean and 95% half-width), and
// the capacity found (0: none).
type CapacityLine struct {
	Workload, Policy string
	Loads            []float64
	Means, Halves    []float64
	Capacity         float64
}

// WriteCapacityFigures writes capacity_W (one per workload): the
// objective's metric (label, in unit) against the loads each policy's
// search tried, with 95% intervals, the bound as a dashed line and each
// policy's capacity as a dotted vertical line; its CSV has workload,
// policy, load, value, ci_low, ci_high (and capacity rows with value
// empty). It returns the paths written.
func WriteCapacityFigures(dir, metric, unit string, bound float64, lines []CapacityLine, policies []string, opt FigureOptions) ([]string, error) {
	var drawn []policyLabel
	byWorkload := map[string][]CapacityLine{}
	var workloads []string
	for _, l := range lines {
		drawn = append(drawn, policyLabel{l.Policy, ""})
		if _, ok := byWorkload[l.Workload]; !ok {
			workloads = append(workloads, l.Workload)
		}
		byWorkload[l.Workload] = append(byWorkload[l.Workload], l)
	}
	looks := policyLooks(policies, drawn)
	prefixes := filePrefixes(workloads)
	var figs []figure
	for _, w := range workloads {
		yLabel := metric
		if unit != "" {
			yLabel += " (" + unit + ")"
		}
		pn := panel{title: fmt.Sprintf("%s: %s against load, bound %g", w, metric, bound), xLabel: loadLabel, yLabel: yLabel, xMin: math.Inf(1), xMax: math.Inf(-1)}
		csv := [][]string{{"workload", "policy", "load", "value", "ci_low", "ci_high", "capacity"}}
		for _, l := range byWorkload[w] {
			idx := make([]int, len(l.Loads))
			for i := range idx {
				idx[i] = i
			}
			sort.Slice(idx, func(a, b int) bool { return l.Loads[idx[a]] < l.Loads[idx[b]] })
			s := series{name: l.Policy, look: looks[l.Policy]}
			for _, i := range idx {
				x, m, h := l.Loads[i], l.Means[i], l.Halves[i]
				pn.xMin, pn.xMax = math.Min(pn.xMin, x), math.Max(pn.xMax, x)
				csv = append(csv, []string{w, l.Policy, formatFloat(x), formatFloat(m), formatFloat(m - h), formatFloat(m + h), ""})
				if math.IsInf(m, 0) || math.IsNaN(m) {
					continue
				}
				s.pts = append(s.pts, xyPoint{x, m, m - h, m + h})
			}
			pn.series = append(pn.series, s)
			csv = append(csv, []string{w, l.Policy, "", "", "", "", formatFloat(l.Capacity)})
		}
		pn.fitY(1.2, true)
		pn.yMax = math.Max(pn.yMax, 1.2*bound)
		pn.series = append(pn.series, series{name: fmt.Sprintf("bound %g", bound), style: 0, theory: true,
			pts: []xyPoint{{pn.xMin, bound, math.NaN(), math.NaN()}, {pn.xMax, bound, math.NaN(), math.NaN()}}})
		for k, l := range byWorkload[w] {
			if l.Capacity > 0 {
				pn.series = append(pn.series, series{name: fmt.Sprintf("%s: capacity %.3g", l.Policy, l.Capacity), style: k + 1, theory: true,
					pts: []xyPoint{{l.Capacity, pn.yMin, math.NaN(), math.NaN()}, {l.Capacity, pn.yMax, math.NaN(), math.NaN()}}})
			}
		}
		figs = append(figs, figure{base: prefixes[w] + "capacity", panels: []panel{pn}, corners: []corner{topLeft, bottomRight, topRight, bottomLeft}, headroom: true, csv: csv})
	}
	return writeFigureSet(dir, figs, opt)
}
