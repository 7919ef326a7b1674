package workload

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Speeds builds n node speeds from a spec: "1" (all 1), "1,2" (cycled over
// nodes), or a distribution such as "uniform(min=0.5, max=1.5)" drawn from
// Stream(seed, "speeds"). All speeds must be > 0.
func Speeds(spec string, n int, seed uint64) ([]float64, error) {
	if n < 1 {
		return nil, fmt.Errorf("speeds: need at least 1 node, got %d", n)
	}
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, fmt.Errorf("speeds: empty spec: want a number such as 1, a list such as 1,2 or a distribution such as uniform(min=0.5, max=1.5)")
	}
	out := make([]float64, n)
	if !strings.Contains(spec, "(") {
		if list, ok := parseNumbers(spec); ok {
			for i, x := range list {
				if !(x > 0) || math.IsInf(x, 0) {
					return nil, fmt.Errorf("speeds %q: value %d (%v) must be a finite number > 0", spec, i+1, x)
				}
			}
			for i := range out {
				out[i] = list[i%len(list)]
			}
			return out, nil
		}
	}
	d, err := ParseDist(spec)
	if err != nil {
		return nil, fmt.Errorf("speeds: not a number, a list of numbers or a distribution: %w", err)
	}
	r := Stream(seed, "speeds")
	for i := range out {
		out[i] = d.Rand(r)
		if !(out[i] > 0) || math.IsInf(out[i], 0) {
			return nil, fmt.Errorf("speeds %q: node %d drew speed %v: speeds must be finite and > 0 (choose a distribution bounded away from 0)", spec, i, out[i])
		}
	}
	return out, nil
}

// parseNumbers parses "1" or "1, 2, 0.5"; ok is false unless every element is a number.
func parseNumbers(s string) ([]float64, bool) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, false
		}
		out = append(out, x)
	}
	return out, true
}
