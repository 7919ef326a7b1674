package analysis

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"

	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/workload"
)

// policiesAt groups a workload's records by policy row at its highest
// load (and, along an axis, the highest value there), the rows in their
// looks' order; where names the point ("load 0.9", "load 0.9, nodes 64").
func policiesAt(recs []results.Record, looks map[string]look) (pols []faultPolicy, load float64, where string) {
	load, x := math.Inf(-1), math.Inf(-1)
	for _, r := range recs {
		load = max(load, r.Point.Load)
	}
	for _, r := range recs {
		if r.Point.Load == load {
			x = max(x, r.Point.X)
		}
	}
	at := map[string]int{}
	for _, r := range recs {
		if r.Point.Load != load || r.Point.X != x {
			continue
		}
		i, ok := at[r.Point.Policy]
		if !ok {
			i = len(pols)
			at[r.Point.Policy] = i
			pols = append(pols, faultPolicy{name: r.Point.Policy, look: looks[r.Point.Policy]})
		}
		pols[i].recs = append(pols[i].recs, r)
	}
	sort.SliceStable(pols, func(i, j int) bool { return pols[i].look.rank < pols[j].look.rank })
	where = "load " + strconv.FormatFloat(load, 'g', -1, 64)
	if axis := recs[0].Point.Axis; axis != "" {
		where += ", " + axis + " " + strconv.FormatFloat(x, 'g', -1, 64)
	}
	return pols, load, where
}

// overTime adds to pn a line per policy of the series get reads (means
// over replications, per bin), and to csv a row per point, made by row
// from the policy, the bin's middle and the value. Bins without data are
// left out.
func overTime(pn *panel, csv *[][]string, pols []faultPolicy, get func(results.Result) []float64, row func(policy string, t, v float64) []string) {
	for _, pc := range pols {
		mean, bin := meanSeries(pc.recs, get)
		s := series{name: pc.name, look: pc.look}
		for i, v := range mean {
			if math.IsNaN(v) {
				continue
			}
			t := (float64(i) + 0.5) * bin
			s.pts = append(s.pts, xyPoint{t, v, v, v})
			pn.xMax = max(pn.xMax, float64(i+1)*bin)
			*csv = append(*csv, row(pc.name, t, v))
		}
		pn.series = append(pn.series, s)
	}
	if math.IsInf(pn.xMax, -1) {
		pn.xMax = 1
	}
}

// VaryingLoad is the point's arrival process when its rate changes with
// time (workload.Varying), else nil. Such a point is not a steady state:
// its statistics are means over the run.
func VaryingLoad(p results.Point) workload.Varying {
	a, err := workload.ParseArrival(p.Arrival)
	if err != nil {
		return nil
	}
	v, _ := a.(workload.Varying)
	return v
}

// loadFigureSet builds load_over_time for each workload whose load
// changes with time: two panels, the offered load ρ·f(t) the arrival
// process gives and the mean response time by arrival (means over
// replications), one line per policy row, at the workload's highest load;
// and failed_over_time, the jobs failed by time of arrival, when some did.
// Its CSV has panel (load or response), workload, policy (empty for the
// offered load), load, time and value.
func loadFigureSet(recs []results.Record, policies []string) []figure {
	return perWorkload(recs, policies, func(r results.Record) bool { return VaryingLoad(r.Point) != nil && r.Result.ResponseOverTime != nil },
		func(w string, recs []results.Record, looks map[string]look) []figure {
			figs := []figure{loadFigure(w, recs, looks)}
			if f, ok := failuresFigure(w, recs, looks); ok {
				figs = append(figs, f)
			}
			if f, ok := inSystemFigure(w, recs, looks); ok {
				figs = append(figs, f)
			}
			return figs
		})
}

// loadFigure draws one workload's offered load and response over time.
func loadFigure(w string, recs []results.Record, looks map[string]look) figure {
	pols, load, where := policiesAt(recs, looks)
	loadText := strconv.FormatFloat(load, 'g', -1, 64)
	csv := [][]string{{"panel", "workload", "policy", "load", "time", "value"}}
	resp := panel{title: "response time", xLabel: "time of arrival (model units)", yLabel: "mean response time" + responseUnits, xMin: 0, xMax: math.Inf(-1), xTicks: 2}
	overTime(&resp, &csv, pols, func(r results.Result) []float64 { return r.ResponseOverTime },
		func(p string, t, v float64) []string {
			return []string{"response", w, p, loadText, formatFloat(t), formatFloat(v)}
		})
	resp.fitY(1.2, true)

	offered := panel{title: "offered load", xLabel: "time (model units)", yLabel: "load ρ·f(t) per server", xMin: 0, xMax: resp.xMax, xTicks: 2}
	f := VaryingLoad(pols[0].recs[0].Point)
	s := series{name: "offered load", theory: true}
	for i := range 401 {
		t := resp.xMax * float64(i) / 400
		v := load * f.Factor(t)
		s.pts = append(s.pts, xyPoint{t, v, math.NaN(), math.NaN()})
		if i%4 == 0 {
			csv = append(csv, []string{"load", w, "", loadText, formatFloat(t), formatFloat(v)})
		}
	}
	offered.series = []series{s}
	offered.fitY(1.1, false)
	return figure{base: "load_over_time", title: fmt.Sprintf("%s: load and response over time, %s", w, where), panels: []panel{offered, resp},
		corners: []corner{topLeft, topRight, bottomRight, bottomLeft}, headroom: true, csv: csv}
}

// failuresFigure draws one workload's jobs failed over time, by arrival,
// when some failed (a retry storm, shedding, deadlines): ok false when
// none did.
func failuresFigure(w string, recs []results.Record, looks map[string]look) (fig figure, ok bool) {
	if !slices.ContainsFunc(recs, func(r results.Record) bool {
		return slices.ContainsFunc(r.Result.FailedOverTime, func(n int64) bool { return n > 0 })
	}) {
		return figure{}, false
	}
	pols, load, where := policiesAt(recs, looks)
	loadText := strconv.FormatFloat(load, 'g', -1, 64)
	csv := [][]string{{"workload", "policy", "load", "time", "value"}}
	bin := strconv.FormatFloat(pols[0].recs[0].Result.ResponseBin, 'g', 3, 64)
	pn := panel{title: fmt.Sprintf("%s: jobs failed over time, %s", w, where), xLabel: "time of arrival (model units)",
		yLabel: "jobs failed per " + bin + " units", xMin: 0, xMax: math.Inf(-1), xTicks: 2}
	overTime(&pn, &csv, pols, failedOverTime, func(p string, t, v float64) []string {
		return []string{w, p, loadText, formatFloat(t), formatFloat(v)}
	})
	pn.fitY(1.2, false)
	return figure{base: "failed_over_time", panels: []panel{pn}, corners: []corner{topLeft, topRight, bottomRight, bottomLeft}, headroom: true, csv: csv}, true
}

// inSystemFigure draws one workload's jobs in the system over time (the
// queue the changing load builds and drains), over all nodes: ok false when
// the records carry no such series.
func inSystemFigure(w string, recs []results.Record, looks map[string]look) (fig figure, ok bool) {
	if !slices.ContainsFunc(recs, func(r results.Record) bool { return len(r.Result.InSystemOverTime) > 0 }) {
		return figure{}, false
	}
	pols, load, where := policiesAt(recs, looks)
	loadText := strconv.FormatFloat(load, 'g', -1, 64)
	csv := [][]string{{"workload", "policy", "load", "time", "value"}}
	pn := panel{title: fmt.Sprintf("%s: jobs in system over time, %s", w, where), xLabel: "time (model units)",
		yLabel: "mean jobs in system (all nodes)", xMin: 0, xMax: math.Inf(-1), xTicks: 2}
	overTime(&pn, &csv, pols, func(r results.Result) []float64 { return r.InSystemOverTime }, func(p string, t, v float64) []string {
		return []string{w, p, loadText, formatFloat(t), formatFloat(v)}
	})
	pn.fitY(1.2, false)
	return figure{base: "queue_over_time", panels: []panel{pn}, corners: []corner{topLeft, topRight, bottomRight, bottomLeft}, headroom: true, csv: csv}, true
}

// failedOverTime is a result's jobs failed per bin, by arrival.
func failedOverTime(r results.Result) []float64 {
	out := make([]float64, len(r.FailedOverTime))
	for i, n := range r.FailedOverTime {
		out[i] = float64(n)
	}
	return out
}
