package analysis

import (
	"math"
	"sort"

	"github.com/loadlab/loadlab/stats"
)

// maxBytesPerJob returns the highest upper CI bound of the bytes sent per
// job among cells; 0 when no policy moves bytes.
func maxBytesPerJob(cells []stats.Cell) float64 {
	hi := 0.0
	for _, c := range cells {
		hi = maxFinite(hi, c.BytesPerJob+c.BytesPerJobHalf)
	}
	return hi
}

// utilizationFigure builds the figure of load imbalance, two panels: each
// policy's mean utilisation vs load with a bar from the utilisation of the
// least to that of the most utilised node (Cell.NodeUtilMin, NodeUtilMax),
// and the spread itself, most minus least utilised node. Load balancing
// narrows the spread: with random dispatch the nodes' utilisations differ
// by chance, with a good policy every node is near the mean. None when no
// cell carries node utilisations.
//
// The policies' bars at one load are shifted a little apart so that they
// do not hide each other; the CSV (workload, policy, load, value,
// node_min, node_max, spread) gives the true load.
func utilizationFigure(w string, byPolicy []policyCells, xMin, xMax float64) []figure {
	var drawn []policyCells
	for _, pc := range byPolicy {
		for _, c := range pc.cells {
			if !math.IsNaN(c.NodeUtilMin) {
				drawn = append(drawn, pc)
				break
			}
		}
	}
	if len(drawn) == 0 {
		return nil
	}
	shift := dodge(byPolicy, len(drawn), xMax-xMin)
	mean := panel{title: "mean; bars: least to most used", xLabel: loadLabel, yLabel: "utilisation",
		xMin: xMin - shift*float64(len(drawn)), xMax: xMax + shift*float64(len(drawn)), xTicks: 3, fixedY: true}
	spread := panel{title: "spread", xLabel: loadLabel, yLabel: "most − least used node", xMin: xMin, xMax: xMax, xTicks: 3}
	rows := [][]string{{"workload", "policy", "load", "value", "node_min", "node_max", "spread"}}
	for i, pc := range drawn {
		dx := shift * (float64(i) - float64(len(drawn)-1)/2)
		sm := series{name: pc.policy, look: pc.look}
		ss := series{name: pc.policy, look: pc.look}
		for _, c := range pc.cells {
			if math.IsNaN(c.NodeUtilMin) {
				continue
			}
			d := c.NodeUtilMax - c.NodeUtilMin
			sm.pts = append(sm.pts, xyPoint{c.Load + dx, c.Utilization, c.NodeUtilMin, c.NodeUtilMax})
			ss.pts = append(ss.pts, xyPoint{c.Load, d, math.NaN(), math.NaN()})
			rows = append(rows, []string{w, pc.policy, formatFloat(c.Load), formatFloat(c.Utilization),
				formatFloat(c.NodeUtilMin), formatFloat(c.NodeUtilMax), formatFloat(d)})
		}
		mean.series = append(mean.series, sm)
		spread.series = append(spread.series, ss)
	}
	// The mean's y axis spans the bars, to a tenth.
	lo, hi := 1.0, 0.0
	for _, s := range mean.series {
		for _, p := range s.pts {
			lo, hi = math.Min(lo, p.lo), maxFinite(hi, p.hi)
		}
	}
	mean.yMin = math.Max(0, math.Floor(lo*10-1e-9)/10)
	mean.yMax = math.Max(mean.yMin+0.1, math.Min(1, math.Ceil(hi*10-1e-9)/10))
	spread.fitY(1.1, false)
	return []figure{{base: "utilization", title: w + ": utilisation across nodes vs load", panels: []panel{mean, spread},
		corners: []corner{topLeft, bottomRight, topRight, bottomLeft}, headroom: true, csv: rows}}
}

// dodge returns how far apart to draw the bars of n policies at one load:
// together they take at most 40% of the smallest gap between loads (of
// width, the x range, for a single load).
func dodge(byPolicy []policyCells, n int, width float64) float64 {
	var loads []float64
	for _, pc := range byPolicy {
		for _, c := range pc.cells {
			loads = append(loads, c.Load)
		}
	}
	sort.Float64s(loads)
	gap := width
	for i := 1; i < len(loads); i++ {
		if d := loads[i] - loads[i-1]; d > 0 && d < gap {
			gap = d
		}
	}
	if n < 2 {
		return 0
	}
	return 0.4 * gap / float64(n)
}

// gossipFigure builds the figure of information staleness: the age of the
// gossiped load a decision read, vs load (the "old information" of
// Mitzenmacher, "How useful is old information?", IEEE TPDS 11(1), 2000).
// One panel holds the mean age (Cell.GossipAge, every backend); a second
// its 99th percentile when the records carry it (real backends). Only
// policies that read gossip get a line; none when no policy does (exact
// views, probes only, or a run without gossip). The CSV has the overhead
// figure's columns, metric gossip_age or gossip_age_p99.
func gossipFigure(w string, byPolicy []policyCells, xMin, xMax float64) []figure {
	var drawn []policyCells
	p99 := false
	for _, pc := range byPolicy {
		reads := false
		for _, c := range pc.cells {
			reads = reads || c.GossipAge > 0 || c.GossipAgeP99 > 0
			p99 = p99 || c.GossipAgeP99 > 0
		}
		if reads {
			drawn = append(drawn, pc)
		}
	}
	if len(drawn) == 0 {
		return nil
	}
	rows := [][]string{{"metric", "workload", "policy", "load", "value", "ci_low", "ci_high"}}
	age := func(metric, label string, get func(stats.Cell) (float64, float64)) panel {
		pn := panel{xLabel: loadLabel, yLabel: label + responseUnits, xMin: xMin, xMax: xMax}
		for _, pc := range drawn {
			s := series{name: pc.policy, look: pc.look}
			for _, c := range pc.cells {
				v, h := get(c)
				if math.IsNaN(v) || math.IsInf(v, 0) {
					continue
				}
				pt := xyPoint{c.Load, v, v - h, v + h}
				s.pts = append(s.pts, pt)
				rows = append(rows, append([]string{metric}, csvRow(w, pc.policy, pt)...))
			}
			pn.series = append(pn.series, s)
		}
		pn.fitY(1.1, true)
		return pn
	}
	mean := age("gossip_age", "mean age of gossip read", func(c stats.Cell) (float64, float64) { return c.GossipAge, c.GossipAgeHalf })
	fig := figure{base: "gossip", panels: []panel{mean}, corners: []corner{topLeft, bottomRight, topRight, bottomLeft}, headroom: true}
	if p99 {
		tail := age("gossip_age_p99", "p99 age of gossip read", func(c stats.Cell) (float64, float64) { return c.GossipAgeP99, c.GossipAgeP99Half })
		for _, pn := range []*panel{&fig.panels[0], &tail} {
			pn.xTicks = 3
		}
		fig.panels = append(fig.panels, tail)
		fig.title = w + ": staleness of gossiped load vs load"
	} else {
		fig.panels[0].title = w + ": staleness of gossiped load vs load"
	}
	fig.csv = rows
	return []figure{fig}
}
