package analysis

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/loadlab/loadlab/results"
)

// WriteOverTimeFigures writes the figures over time of a sweep into dir:
// those of its faults (WriteFaultFigures) and, for points on a server
// architecture, threads_over_time: two panels, the threads in use per
// node and the threads executing per node over time (Result.ThreadsOverTime
// and ExecutingOverTime, means over replications), one line per policy
// row, at each workload's highest load (and, along an axis, its highest
// value). Its CSV has panel (threads or executing), workload, policy,
// load, time (a bin's middle) and value. It returns the paths written,
// sorted.
func WriteOverTimeFigures(dir string, recs []results.Record, policies []string, opt FigureOptions) ([]string, error) {
	figs := append(faultFigureSet(recs, policies), threadFigureSet(recs, policies)...)
	return writeFigureSet(dir, figs, opt)
}

// threadFigureSet builds threads_over_time for each workload with series
// of threads.
func threadFigureSet(recs []results.Record, policies []string) []figure {
	return perWorkload(recs, policies, func(r results.Record) bool { return r.Result.ThreadsOverTime != nil },
		func(w string, recs []results.Record, looks map[string]look) []figure {
			return []figure{threadFigure(w, recs, looks)}
		})
}

// threadFigure draws one workload's threads over time.
func threadFigure(w string, recs []results.Record, looks map[string]look) figure {
	load, x := math.Inf(-1), math.Inf(-1)
	for _, r := range recs {
		load = max(load, r.Point.Load)
	}
	for _, r := range recs {
		if r.Point.Load == load {
			x = max(x, r.Point.X)
		}
	}
	var pols []faultPolicy
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
	where := "load " + strconv.FormatFloat(load, 'g', -1, 64)
	if axis := recs[0].Point.Axis; axis != "" {
		where += ", " + axis + " " + strconv.FormatFloat(x, 'g', -1, 64)
	}
	loadText := strconv.FormatFloat(load, 'g', -1, 64)
	csv := [][]string{{"panel", "workload", "policy", "load", "time", "value"}}
	var panels []panel
	for _, p := range []struct {
		name, title, y string
		get            func(results.Result) []float64
	}{
		{"threads", "threads in use", "threads per node", func(r results.Result) []float64 { return r.ThreadsOverTime }},
		{"executing", "threads executing", "threads per node", func(r results.Result) []float64 { return r.ExecutingOverTime }},
	} {
		pn := panel{title: p.title, xLabel: "time (model units)", yLabel: p.y, xMin: 0, xMax: math.Inf(-1), xTicks: 2}
		for _, pc := range pols {
			mean, bin := meanSeries(pc.recs, p.get)
			s := series{name: pc.name, look: pc.look}
			for i, v := range mean {
				if math.IsNaN(v) {
					continue
				}
				t := (float64(i) + 0.5) * bin
				s.pts = append(s.pts, xyPoint{t, v, v, v})
				pn.xMax = max(pn.xMax, float64(i+1)*bin)
				csv = append(csv, []string{p.name, w, pc.name, loadText, formatFloat(t), formatFloat(v)})
			}
			pn.series = append(pn.series, s)
		}
		if math.IsInf(pn.xMax, -1) {
			pn.xMax = 1
		}
		pn.fitY(1.2, false)
		panels = append(panels, pn)
	}
	return figure{base: "threads_over_time", title: fmt.Sprintf("%s: threads over time, %s", w, where), panels: panels,
		corners: []corner{topLeft, topRight, bottomRight, bottomLeft}, headroom: true, csv: csv}
}
