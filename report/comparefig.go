package report

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/loadlab/loadlab/analysis"
)

// writeFigures draws, per workload, the mean response time of both sides
// against load (or the axis) with analysis.WriteCompareFigures, as
// c.Figures says, and returns its PNGs with their captions.
func (c *Comparison) writeFigures(out string) ([]figureRef, error) {
	cmp := analysis.Compared{A: c.A.Name, B: c.B.Name, Policies: c.Policies}
	var workloads []string
	for _, d := range c.Diffs {
		if d.Metric != "mean_response" {
			continue
		}
		if len(workloads) == 0 || workloads[len(workloads)-1] != d.Workload {
			workloads = append(workloads, d.Workload)
		}
		cmp.Cells = append(cmp.Cells, analysis.ComparedCell{Workload: d.Workload, Policy: d.Policy, Load: d.Load, Axis: d.Axis, X: d.X,
			A: d.A, AHalf: d.AHalf, B: d.B, BHalf: d.BHalf})
	}
	paths, err := analysis.WriteCompareFigures(out, cmp, c.Figures)
	if err != nil {
		return nil, fmt.Errorf("compare figures: %w", err)
	}
	var refs []figureRef
	for _, p := range paths {
		if !strings.HasSuffix(p, ".png") {
			continue
		}
		// With several workloads the file name starts with the workload's;
		// with several loads along an axis, it ends with the load's.
		w, rho, _ := strings.Cut(strings.TrimSuffix(filepath.Base(p), ".png"), "compare_response")
		w = strings.TrimSuffix(w, "_")
		if len(workloads) == 1 {
			w = workloads[0]
		}
		along := "load"
		if a := c.axis(); a != "" {
			along = a
			if l, ok := strings.CutPrefix(rho, "_rho"); ok {
				along += " at ρ=" + l
			}
		}
		refs = append(refs, figureRef{path: p, caption: fmt.Sprintf("Mean response time vs %s, workload %s: %s solid with filled markers, %s dashed with hollow ones, 95%% CI bars",
			along, w, c.A.Name, c.B.Name)})
	}
	return refs, nil
}
