package analysis

import (
	"fmt"
	"math"
	"strconv"

	"github.com/loadlab/loadlab/stats"
	"github.com/loadlab/loadlab/workload"
)

// mobilityFigures builds the figures of code migration (Fuggetta, Picco &
// Vigna, "Understanding code mobility", IEEE TSE 1998) of one workload
// whose cells carry work units; none when no cell does:
//
//   - mobility_bytes: bytes sent per job by segment (code, state,
//     resources), one panel each, one line per policy with 95% CI bars;
//   - mobility_time: mean migration time and mean downtime, two panels;
//   - mobility_hit_rate: the code-on-demand hit rate (the fraction of
//     migrations whose destination already held the code);
//   - mobility_hit_time: that hit rate over time at the highest load, when
//     records carry its series (Result.CodeHits); CSV columns workload,
//     policy, load, time (a bin's middle), hit_rate.
//
// Times and hit rates come from the replications that migrated
// (Cell.MigrationTime); a policy that never migrates has no line there.
// The CSVs have the columns of the overhead figure (metric, workload,
// policy, load, value, ci_low, ci_high), bytes in bytes; the hit rate's
// has no metric column.
func mobilityFigures(w string, cells []stats.Cell, byPolicy []policyCells, xMin, xMax float64) []figure {
	units := false
	for _, c := range cells {
		units = units || c.Point.Units != ""
	}
	if !units {
		return nil
	}
	header := []string{"metric", "workload", "policy", "load", "value", "ci_low", "ci_high"}
	corners := []corner{topLeft, bottomRight, topRight, bottomLeft}
	// add adds one series per policy to pn, and its CSV rows (in the
	// value's own units) to rows; the plotted values are divided by scale.
	add := func(pn *panel, rows *[][]string, metric string, scale float64, get func(stats.Cell) (v, half float64)) {
		for _, pc := range byPolicy {
			s := series{name: pc.policy, look: pc.look}
			for _, c := range pc.cells {
				v, h := get(c)
				if math.IsNaN(v) || math.IsInf(v, 0) {
					continue
				}
				row := csvRow(w, pc.policy, xyPoint{c.Load, v, v - h, v + h})
				if metric != "" {
					row = append([]string{metric}, row...)
				}
				*rows = append(*rows, row)
				s.pts = append(s.pts, xyPoint{c.Load, v / scale, (v - h) / scale, (v + h) / scale})
			}
			pn.series = append(pn.series, s)
		}
	}
	var figs []figure

	// Bytes per job by segment, each panel in its own unit.
	bytesCSV := [][]string{header}
	segment := func(name, metric string, get func(stats.Cell) (float64, float64)) panel {
		hi := 0.0
		for _, c := range cells {
			v, h := get(c)
			hi = maxFinite(hi, v+h)
		}
		scale, unit := byteUnit(hi)
		pn := panel{title: name, xLabel: loadLabel, yLabel: unit + " per job", xMin: xMin, xMax: xMax, xTicks: 2}
		add(&pn, &bytesCSV, metric, scale, get)
		pn.fitY(1.1, false)
		return pn
	}
	code := segment("code", "code_bytes_per_job", func(c stats.Cell) (float64, float64) { return c.CodeBytesPerJob, c.CodeBytesPerJobHalf })
	state := segment("state", "state_bytes_per_job", func(c stats.Cell) (float64, float64) { return c.StateBytesPerJob, c.StateBytesPerJobHalf })
	res := segment("resources", "resource_bytes_per_job", func(c stats.Cell) (float64, float64) {
		return c.ResourceBytesPerJob, c.ResourceBytesPerJobHalf
	})
	figs = append(figs, figure{base: "mobility_bytes", title: w + ": bytes sent per job by segment vs load", panels: []panel{code, state, res}, corners: corners, headroom: true, csv: bytesCSV})

	// Migration time and downtime.
	timeCSV := [][]string{header}
	timePanel := func(metric, label string, get func(stats.Cell) (float64, float64)) panel {
		pn := panel{xLabel: loadLabel, yLabel: label + responseUnits, xMin: xMin, xMax: xMax, xTicks: 3}
		add(&pn, &timeCSV, metric, 1, get)
		pn.fitY(1.1, true)
		return pn
	}
	total := timePanel("mean_migration_time", "mean migration time", func(c stats.Cell) (float64, float64) { return c.MigrationTime, c.MigrationTimeHalf })
	down := timePanel("mean_downtime", "mean downtime", func(c stats.Cell) (float64, float64) { return c.Downtime, c.DowntimeHalf })
	figs = append(figs, figure{base: "mobility_time", title: w + ": time per migration vs load", panels: []panel{total, down}, corners: corners, headroom: true, csv: timeCSV})

	// Code-on-demand hit rate.
	hitCSV := [][]string{header[1:]}
	hit := panel{title: w + ": code hit rate vs load", xLabel: loadLabel, yLabel: "fraction of migrations with code there", xMin: xMin, xMax: xMax, fixedY: true, yMin: 0, yMax: 1}
	add(&hit, &hitCSV, "", 1, func(c stats.Cell) (float64, float64) { return c.CodeHitRate, c.CodeHitRateHalf })
	figs = append(figs, figure{base: "mobility_hit_rate", panels: []panel{hit}, corners: []corner{bottomRight, topLeft, bottomLeft, topRight}, csv: hitCSV})
	if f, ok := hitTimeFigure(w, byPolicy, xMax); ok {
		figs = append(figs, f)
	}
	return figs
}

// hitTimeFigure draws the code caches' hit rate over time at the highest
// load, one line per policy that has a series: a cold start warming up,
// or a cache too small for the working set staying low.
func hitTimeFigure(w string, byPolicy []policyCells, load float64) (figure, bool) {
	pn := panel{title: fmt.Sprintf("%s: code hit rate over time, load %g", w, load), xLabel: "time (model units)",
		yLabel: "fraction of migrations with code there", fixedY: true, yMin: 0, yMax: 1, xMin: math.Inf(1), xMax: math.Inf(-1)}
	rows := [][]string{{"workload", "policy", "load", "time", "hit_rate"}}
	for _, pc := range byPolicy {
		var c *stats.Cell
		for i := range pc.cells {
			if pc.cells[i].Load == load && len(pc.cells[i].CodeHits) > 0 {
				c = &pc.cells[i]
			}
		}
		if c == nil {
			continue
		}
		s := series{name: pc.policy, look: pc.look}
		for i, v := range c.CodeHits {
			if math.IsNaN(v) {
				continue
			}
			t := (float64(i) + 0.5) * c.CodeHitBin // the bin's middle
			s.pts = append(s.pts, xyPoint{t, v, v, v})
			pn.xMin, pn.xMax = 0, max(pn.xMax, float64(i+1)*c.CodeHitBin)
			rows = append(rows, []string{w, pc.policy, formatFloat(load), formatFloat(t), formatFloat(v)})
		}
		pn.series = append(pn.series, s)
	}
	if len(rows) == 1 {
		return figure{}, false
	}
	return figure{base: "mobility_hit_time", panels: []panel{pn}, corners: []corner{bottomRight, topLeft, bottomLeft, topRight}, csv: rows}, true
}

// byteUnit returns the decimal unit in which the largest value v reads
// best, and its size in bytes.
func byteUnit(v float64) (scale float64, unit string) {
	switch {
	case v >= 1e9:
		return 1e9, "GB"
	case v >= 1e6:
		return 1e6, "MB"
	case v >= 1e3:
		return 1e3, "kB"
	}
	return 1, "bytes"
}

// CostCurve is one migration method's line in the cost-model figures: at
// each X, the downtime and total migration time of one migration, in
// model units.
type CostCurve struct {
	Method string // workload.Method, with the dirty rate for pre-copy at a fixed one
	// Dirty is the pre-copy dirty rate (bytes per model unit) of the
	// curves against state size; 0 for the other methods and for the
	// curves against dirty rate.
	Dirty           float64
	X               []float64 // state bytes, or dirty rate in bytes per model unit
	Downtime, Total []float64
}

// The cost-model curves: state sizes from 10 kB to 10 GB, ten per decade;
// pre-copy at dirty rates of 10% and 50% of the bandwidth; against the
// dirty rate (0 to 1.5 times the bandwidth, every 2.5%), a state of 1 GB;
// post-copy sends a context of 16 pages of 4 KiB before resuming.
const (
	curveMinState  = 1e4
	curveDecades   = 6
	curvePerDecade = 10
	curveState     = 1e9
	curveMaxDirty  = 1.5
	curveDirtyStep = 0.025
	curveContext   = 16 * 4096
)

var curveDirtyFractions = []float64{0.1, 0.5}

// MobilityCurves computes the cost model of strong mobility
// (workload.StopAndCopyCost, PreCopyCost and PostCopyCost, with the
// pre-copy threshold and round cap of workload.DefaultMobility) over link
// for a unit that moves only its execution state (no code, no resources):
// bySize against the state size, one curve for stop-and-copy, one for
// pre-copy at each of two dirty rates (10% and 50% of the bandwidth) and
// one for post-copy (a 64 KiB context); byDirty against the dirty rate at
// a state of 1 GB, from 0 to 1.5 times the bandwidth (stop-and-copy and
// post-copy do not depend on it). Pre-copy follows Clark et al. 2005,
// post-copy Hines & Gopalan 2009. The link needs a finite bandwidth:
// with an infinite one every curve is the latency.
func MobilityCurves(link workload.Link) (bySize, byDirty []CostCurve, err error) {
	if err := link.Validate(); err != nil {
		return nil, nil, fmt.Errorf("cost curves: %w", err)
	}
	if !(link.Bandwidth > 0) {
		return nil, nil, fmt.Errorf("cost curves: bandwidth must be finite and positive, got %v", link.Bandwidth)
	}
	m := workload.DefaultMobility()
	costs := func(p workload.Payload, dirty bool) []workload.Cost {
		out := []workload.Cost{workload.StopAndCopyCost(link, p)}
		if dirty {
			out = append(out, workload.PreCopyCost(link, p, m.Threshold, m.MaxRounds))
		} else {
			for _, f := range curveDirtyFractions {
				q := p
				q.Dirty = f * link.Bandwidth
				out = append(out, workload.PreCopyCost(link, q, m.Threshold, m.MaxRounds))
			}
		}
		return append(out, workload.PostCopyCost(link, p, m.Slowdown))
	}

	for i := 0; i <= curveDecades*curvePerDecade; i++ {
		s := curveMinState * math.Pow(10, float64(i)/curvePerDecade)
		for j, c := range costs(workload.Payload{State: s, Context: curveContext}, false) {
			if i == 0 {
				cv := CostCurve{Method: string(c.Method)}
				if c.Method == workload.PreCopy {
					f := curveDirtyFractions[j-1]
					cv.Dirty = f * link.Bandwidth
					cv.Method += " (dirty " + strconv.FormatFloat(100*f, 'g', -1, 64) + "% of B)"
				}
				bySize = append(bySize, cv)
			}
			cv := &bySize[j]
			cv.X = append(cv.X, s)
			cv.Downtime = append(cv.Downtime, c.Downtime)
			cv.Total = append(cv.Total, c.Total)
		}
	}
	steps := int(math.Round(curveMaxDirty / curveDirtyStep))
	for i := 0; i <= steps; i++ {
		r := float64(i) * curveDirtyStep * link.Bandwidth
		for j, c := range costs(workload.Payload{State: curveState, Context: curveContext, Dirty: r}, true) {
			if i == 0 {
				byDirty = append(byDirty, CostCurve{Method: string(c.Method)})
			}
			cv := &byDirty[j]
			cv.X = append(cv.X, r)
			cv.Downtime = append(cv.Downtime, c.Downtime)
			cv.Total = append(cv.Total, c.Total)
		}
	}
	return bySize, byDirty, nil
}

// WriteMobilityCurves draws the curves of MobilityCurves(link) into dir,
// creating it if needed, in every format of opt: mobility_cost_size
// (downtime and total migration time against the state size in MB, log
// axes) and mobility_cost_dirty (the same against the dirty rate as a
// fraction of the bandwidth, at a state of 1 GB). Each has a CSV with the
// columns metric (downtime or total_time), method, state_bytes,
// dirty_rate (bytes per model unit), value (model units). No simulation
// runs. It returns the paths written, sorted.
func WriteMobilityCurves(dir string, link workload.Link, opt FigureOptions) ([]string, error) {
	figs, err := mobilityCurveFigures(link)
	if err != nil {
		return nil, err
	}
	return writeFigureSet(dir, figs, opt)
}

// mobilityCurveFigures builds the figures WriteMobilityCurves writes.
func mobilityCurveFigures(link workload.Link) ([]figure, error) {
	bySize, byDirty, err := MobilityCurves(link)
	if err != nil {
		return nil, err
	}
	// Colours by method, the same in both figures.
	sizeFig := costFigure("mobility_cost_size", "one migration vs state size", "state size (MB)", true, bySize, []int{0, 1, 2, 3},
		func(cv CostCurve, i int) (x float64, row []string) {
			return cv.X[i] / 1e6, []string{cv.Method, formatFloat(cv.X[i]), formatFloat(cv.Dirty)}
		})
	dirtyFig := costFigure("mobility_cost_dirty", "one migration vs dirty rate, state 1 GB", "dirty rate / bandwidth", false, byDirty, []int{0, 1, 3},
		func(cv CostCurve, i int) (x float64, row []string) {
			return cv.X[i] / link.Bandwidth, []string{cv.Method, formatFloat(curveState), formatFloat(cv.X[i])}
		})
	return []figure{sizeFig, dirtyFig}, nil
}

// costFigure draws curves in two panels, downtime and total time against
// x, curve k in colour and marker styles[k], with markers every tenth
// point, staggered so that coinciding curves stay apart; at gives a
// point's x and its CSV columns method, state_bytes, dirty_rate.
func costFigure(base, title, xLabel string, logX bool, curves []CostCurve, styles []int, at func(CostCurve, int) (float64, []string)) figure {
	rows := [][]string{{"metric", "method", "state_bytes", "dirty_rate", "value"}}
	mk := func(metric, label string, get func(CostCurve) []float64) panel {
		pn := panel{xLabel: xLabel, yLabel: label + responseUnits, logX: logX, xTicks: 3}
		xs := []float64{}
		for k, cv := range curves {
			s := series{name: cv.Method, look: look{colour: styles[k], shape: styles[k], rank: k}, marks: []xyPoint{}}
			for i, y := range get(cv) {
				x, cols := at(cv, i)
				xs = append(xs, x)
				pt := xyPoint{x, y, math.NaN(), math.NaN()}
				s.pts = append(s.pts, pt)
				if i%10 == 2*styles[k]%10 {
					s.marks = append(s.marks, pt)
				}
				rows = append(rows, append(append([]string{metric}, cols...), formatFloat(y)))
			}
			pn.series = append(pn.series, s)
		}
		pn.xMin, pn.xMax = span(xs)
		pn.fitY(1.1, true)
		return pn
	}
	down := mk("downtime", "downtime", func(cv CostCurve) []float64 { return cv.Downtime })
	total := mk("total_time", "total migration time", func(cv CostCurve) []float64 { return cv.Total })
	return figure{base: base, title: title, panels: []panel{down, total}, corners: []corner{topLeft, bottomRight, topRight, bottomLeft}, headroom: true, csv: rows}
}
