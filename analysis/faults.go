package analysis

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/loadlab/loadlab/fault"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/stats"
)

// WriteFaultFigures writes the figures of a fault-injection sweep into dir
// from its records (those whose Point.Faults is set; none written when
// there are none), at each workload's highest load with faults, in every
// format of opt, file names prefixed with "W_" when there are several
// workloads:
//
//   - faults_response: mean response time over time (by the jobs' arrival,
//     Result.ResponseOverTime, averaged over replications), one line per
//     policy, with a dashed vertical line at each fault: how each policy
//     coped, and how long it took to recover;
//   - faults_failed: three panels, the jobs failed over time (by arrival,
//     mean over replications), the jobs failed by fault (the fault's
//     number in the spec, results.FaultEvent.Failed) and the time gossip
//     took to mark each killed node failed (FaultEvent.Detected), with
//     95% t intervals over replications; a policy that sends work to a
//     node that fails fast piles failures up there ("sinkholing").
//
// Each CSV holds the data plotted: faults_response has workload, policy,
// load, time (a bin's middle), value (-1 rows are left out); faults_failed
// has metric (failed_over_time, failed_by_fault, detection_time),
// workload, policy, load, x (time or fault number), value, ci_low,
// ci_high, fault (the fault's canonical form, for the last two).
// Policies look as in WriteFigures. It returns the paths written, sorted.
func WriteFaultFigures(dir string, recs []results.Record, policies []string, opt FigureOptions) ([]string, error) {
	return writeFigureSet(dir, faultFigureSet(recs, policies), opt)
}

// faultFigureSet builds the figures WriteFaultFigures writes, each base
// name prefixed as its workload's files are.
func faultFigureSet(recs []results.Record, policies []string) []figure {
	return perWorkload(recs, policies, func(r results.Record) bool { return r.Point.Faults != "" }, faultFigures)
}

// perWorkload builds the figures of each workload that has records keep
// takes, from those records, each base name prefixed as its workload's
// files are; policies look as in WriteFigures.
func perWorkload(recs []results.Record, policies []string, keep func(results.Record) bool,
	build func(w string, recs []results.Record, looks map[string]look) []figure) []figure {
	byWorkload := map[string][]results.Record{}
	var workloads []string
	for _, r := range recs {
		if !keep(r) {
			continue
		}
		if _, ok := byWorkload[r.Point.Workload]; !ok {
			workloads = append(workloads, r.Point.Workload)
		}
		byWorkload[r.Point.Workload] = append(byWorkload[r.Point.Workload], r)
	}
	sort.Strings(workloads)
	var drawn []policyLabel
	for _, r := range recs {
		drawn = append(drawn, policyLabel{r.Point.Policy, r.Point.Backend})
	}
	looks := policyLooks(policies, drawn)
	prefixes := filePrefixes(workloads)
	var figs []figure
	for _, w := range workloads {
		for _, f := range build(w, byWorkload[w], looks) {
			f.base = prefixes[w] + f.base
			figs = append(figs, f)
		}
	}
	return figs
}

// faultPolicy is one policy's records at the figures' load.
type faultPolicy struct {
	name string
	look look
	recs []results.Record
}

// faultFigures builds the fault figures of one workload.
func faultFigures(w string, recs []results.Record, looks map[string]look) []figure {
	pols, load, where := policiesAt(recs, looks)
	// The faults of the first record mark the time axis (rows may differ:
	// each line of the response figure is its own policy's).
	faults := pols[0].recs[0].Result.FaultLog
	corners := []corner{topLeft, topRight, bottomRight, bottomLeft}
	loadText := strconv.FormatFloat(load, 'g', -1, 64)

	// Response time over time.
	resp := panel{title: fmt.Sprintf("%s: response time around the faults, %s", w, where), xLabel: "time of arrival (model units)",
		yLabel: "mean response time" + responseUnits, xMin: 0, xMax: math.Inf(-1)}
	respCSV := [][]string{{"workload", "policy", "load", "time", "value"}}
	overTime(&resp, &respCSV, pols, func(r results.Result) []float64 { return r.ResponseOverTime },
		func(p string, t, v float64) []string { return []string{w, p, loadText, formatFloat(t), formatFloat(v)} })
	resp.fitY(1.2, true)
	resp.series = append(resp.series, faultLines(faults, resp.yMin, resp.yMax)...)
	figs := []figure{{base: "faults_response", panels: []panel{resp}, corners: corners, headroom: true, csv: respCSV}}

	// Failures over time, by fault, and detection times.
	failCSV := [][]string{{"metric", "workload", "policy", "load", "x", "value", "ci_low", "ci_high", "fault"}}
	failedOver := panel{title: "failed over time", xLabel: "time of arrival", yLabel: "jobs failed per bin", xMin: 0, xMax: resp.xMax, xTicks: 2}
	byFault := panel{title: "failed by fault", xLabel: "fault (spec order)", yLabel: "jobs failed", xMin: 0.5, xMax: float64(len(faults)) + 0.5, xTicks: 2}
	detect := panel{title: "kill detected after", xLabel: "fault (spec order)", yLabel: "model units", xMin: 0.5, xMax: float64(len(faults)) + 0.5, xTicks: 2}
	overTime(&failedOver, &failCSV, pols, failedOverTime, func(p string, t, v float64) []string {
		return []string{"failed_over_time", w, p, loadText, formatFloat(t), formatFloat(v), "", "", ""}
	})
	for _, pc := range pols {
		sf, sd := series{name: pc.name, look: pc.look}, series{name: pc.name, look: pc.look}
		for k, f := range faults {
			var failed, detected []float64
			for _, r := range pc.recs {
				if k < len(r.Result.FaultLog) {
					e := r.Result.FaultLog[k]
					failed = append(failed, float64(e.Failed))
					if e.Kind == fault.Kill && e.Detected > 0 {
						detected = append(detected, e.Detected)
					}
				}
			}
			x := float64(k + 1)
			if len(failed) > 0 {
				m, h := stats.TInterval(failed)
				sf.pts = append(sf.pts, xyPoint{x, m, m - h, m + h})
				failCSV = append(failCSV, []string{"failed_by_fault", w, pc.name, loadText, formatFloat(x), formatFloat(m), formatFloat(m - h), formatFloat(m + h), f.Fault.String()})
			}
			if len(detected) > 0 {
				m, h := stats.TInterval(detected)
				sd.pts = append(sd.pts, xyPoint{x, m, m - h, m + h})
				failCSV = append(failCSV, []string{"detection_time", w, pc.name, loadText, formatFloat(x), formatFloat(m), formatFloat(m - h), formatFloat(m + h), f.Fault.String()})
			}
		}
		byFault.series = append(byFault.series, sf)
		detect.series = append(detect.series, sd)
	}
	failedOver.fitY(1.1, false)
	failedOver.series = append(failedOver.series, faultLines(faults, failedOver.yMin, failedOver.yMax)...)
	byFault.fitY(1.1, false)
	detect.fitY(1.1, false)
	figs = append(figs, figure{base: "faults_failed", title: fmt.Sprintf("%s: jobs failed and failures detected, %s", w, where),
		panels: []panel{failedOver, byFault, detect}, corners: corners, headroom: true, csv: failCSV})
	return figs
}

// meanSeries averages a per-bin series over records, bin by bin, leaving
// out negative entries (bins without data); NaN where no record has data.
// It returns the bin width of the first record.
func meanSeries(recs []results.Record, get func(results.Result) []float64) ([]float64, float64) {
	var all [][]float64
	bin := 0.0
	for _, r := range recs {
		if bin == 0 {
			bin = r.Result.ResponseBin
		}
		all = append(all, get(r.Result))
	}
	if bin == 0 {
		bin = 1
	}
	return stats.BinMeans(all), bin
}

// faultLines are dashed vertical lines at the faults' times, from y0 to y1,
// each named after its fault ("2: kill 5 at 700").
func faultLines(faults []results.FaultEvent, y0, y1 float64) []series {
	var out []series
	for k, e := range faults {
		ids := make([]string, len(e.Nodes))
		for i, n := range e.Nodes {
			ids[i] = strconv.Itoa(n)
		}
		name := fmt.Sprintf("%d: %s %s at %s", k+1, e.Kind, strings.Join(ids, ","), formatFloat(e.At))
		out = append(out, series{name: name, style: k, theory: true, pts: []xyPoint{{e.At, y0, math.NaN(), math.NaN()}, {e.At, y1, math.NaN(), math.NaN()}}})
	}
	return out
}
