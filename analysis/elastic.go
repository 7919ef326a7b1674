package analysis

import (
	"fmt"
	"math"
	"strconv"

	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/stats"
)

// elasticFigureSet builds, for each workload run on an elastic cluster
// (records with nodes over time, package scale), at its highest load:
//
//   - nodes_over_time: two panels, the nodes present (starting, in
//     service or draining) and the mean response time by arrival over
//     time, means over replications, one line per policy row; its CSV as
//     threads_over_time's, panel nodes or response;
//   - response_cost: mean response time against node-seconds, a point per
//     policy row with 95% t intervals over replications both ways: what a
//     response time costs in machines. Its CSV has workload, policy, load,
//     node_seconds, its ci_low and ci_high, mean_response, its ci_low and
//     ci_high.
func elasticFigureSet(recs []results.Record, policies []string) []figure {
	return perWorkload(recs, policies, func(r results.Record) bool { return r.Result.NodesOverTime != nil },
		func(w string, recs []results.Record, looks map[string]look) []figure {
			return []figure{
				overTimeFigure(w, recs, looks, "nodes_over_time", "nodes and response over time", []overTimePanel{
					{"nodes", "nodes present", "nodes (starting and draining included)", func(r results.Result) []float64 { return r.NodesOverTime }},
					{"response", "response time", "mean response time" + responseUnits, func(r results.Result) []float64 { return r.ResponseOverTime }},
				}),
				nodeCostFigure(w, recs, looks),
			}
		})
}

// nodeCostFigure draws one workload's mean response against node-seconds.
func nodeCostFigure(w string, recs []results.Record, looks map[string]look) figure {
	pols, load, where := policiesAt(recs, looks)
	loadText := strconv.FormatFloat(load, 'g', -1, 64)
	csv := [][]string{{"workload", "policy", "load", "node_seconds", "node_seconds_ci_low", "node_seconds_ci_high", "mean_response", "ci_low", "ci_high"}}
	pn := panel{title: "response and its cost", xLabel: "node-seconds (node × model units)", yLabel: "mean response time" + responseUnits,
		xMin: math.Inf(1), xMax: math.Inf(-1), xTicks: 3}
	for _, pc := range pols {
		var cost, resp []float64
		for _, r := range pc.recs {
			cost = append(cost, r.Result.NodeSeconds)
			resp = append(resp, r.Result.MeanResponse)
		}
		x, xh := stats.TInterval(cost)
		y, yh := stats.TInterval(resp)
		pn.series = append(pn.series, series{name: pc.name, look: pc.look, pts: []xyPoint{{x, y, y - yh, y + yh}}})
		pn.xMin, pn.xMax = min(pn.xMin, x-xh), max(pn.xMax, x+xh)
		csv = append(csv, []string{w, pc.name, loadText, formatFloat(x), formatFloat(x - xh), formatFloat(x + xh), formatFloat(y), formatFloat(y - yh), formatFloat(y + yh)})
	}
	pad := max((pn.xMax-pn.xMin)*0.1, pn.xMax*0.02)
	pn.xMin, pn.xMax = max(0, pn.xMin-pad), pn.xMax+pad
	pn.fitY(1.2, true)
	return figure{base: "response_cost", title: fmt.Sprintf("%s: response against node-seconds, %s", w, where), panels: []panel{pn},
		corners: []corner{topRight, topLeft, bottomRight, bottomLeft}, headroom: true, csv: csv}
}
