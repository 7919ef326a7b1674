package analysis

import (
	"fmt"
	"math"
	"strconv"

	"github.com/loadlab/loadlab/results"
)

// WriteOverTimeFigures writes the figures over time of a sweep into dir:
// those of its faults (WriteFaultFigures), for a load that changes with
// time load_over_time (loadFigureSet) and, for points on a server
// architecture, threads_over_time: two panels, the threads in use per
// node and the threads executing per node over time (Result.ThreadsOverTime
// and ExecutingOverTime, means over replications), one line per policy
// row, at each workload's highest load (and, along an axis, its highest
// value). Its CSV has panel (threads or executing), workload, policy,
// load, time (a bin's middle) and value. For elastic clusters it writes
// nodes_over_time and response_cost (elasticFigureSet). It returns the
// paths written, sorted.
func WriteOverTimeFigures(dir string, recs []results.Record, policies []string, opt FigureOptions) ([]string, error) {
	figs := append(faultFigureSet(recs, policies), threadFigureSet(recs, policies)...)
	figs = append(figs, loadFigureSet(recs, policies)...)
	figs = append(figs, elasticFigureSet(recs, policies)...)
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
	return overTimeFigure(w, recs, looks, "threads_over_time", "threads over time", []overTimePanel{
		{"threads", "threads in use", "threads per node", func(r results.Result) []float64 { return r.ThreadsOverTime }},
		{"executing", "threads executing", "threads per node", func(r results.Result) []float64 { return r.ExecutingOverTime }},
	})
}

// overTimePanel is a panel of series over time: its name in the CSV, its
// title, its y label and the series it reads.
type overTimePanel struct {
	name, title, y string
	get            func(results.Result) []float64
}

// overTimeFigure draws one workload's series over time, a panel each, one
// line per policy row at its highest load. Its CSV has panel, workload,
// policy, load, time (a bin's middle) and value.
func overTimeFigure(w string, recs []results.Record, looks map[string]look, base, what string, ps []overTimePanel) figure {
	pols, load, where := policiesAt(recs, looks)
	loadText := strconv.FormatFloat(load, 'g', -1, 64)
	csv := [][]string{{"panel", "workload", "policy", "load", "time", "value"}}
	var panels []panel
	for _, p := range ps {
		pn := panel{title: p.title, xLabel: "time (model units)", yLabel: p.y, xMin: 0, xMax: math.Inf(-1), xTicks: 2}
		overTime(&pn, &csv, pols, p.get, func(policy string, t, v float64) []string {
			return []string{p.name, w, policy, loadText, formatFloat(t), formatFloat(v)}
		})
		pn.fitY(1.2, false)
		panels = append(panels, pn)
	}
	return figure{base: base, title: fmt.Sprintf("%s: %s, %s", w, what, where), panels: panels,
		corners: []corner{topLeft, topRight, bottomRight, bottomLeft}, headroom: true, csv: csv}
}
