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
	return nodeValues("speeds", spec, n, seed, false)
}

// Distances builds the one-way network delay from the dispatcher to each
// of n nodes, in model units, from a spec like Speeds': "0" (all 0),
// "0.01,0.1" (cycled), or a distribution drawn from Stream(seed,
// "distances"). Distances may be 0.
func Distances(spec string, n int, seed uint64) ([]float64, error) {
	return nodeValues("distances", spec, n, seed, true)
}

// Constant reports whether spec, a spec of Speeds or Distances, gives every
// node the same value, and the value: a number, or a list of one number
// repeated. Such a spec needs no list of a value per node.
func Constant(spec string) (float64, bool) {
	list, ok := parseNumbers(strings.TrimSpace(spec))
	if !ok {
		return 0, false
	}
	for _, x := range list {
		if x != list[0] {
			return 0, false
		}
	}
	return list[0], true
}

// nodeValues builds one value per node from a number, a list (cycled) or a
// distribution; every value must be finite and > 0, or ≥ 0 with zero.
func nodeValues(what, spec string, n int, seed uint64, zero bool) ([]float64, error) {
	if n < 1 {
		return nil, fmt.Errorf("%s: need at least 1 node, got %d", what, n)
	}
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, fmt.Errorf("%s: empty spec: want a number such as 1, a list such as 1,2 or a distribution such as uniform(min=0.5, max=1.5)", what)
	}
	bound := "> 0"
	ok := func(x float64) bool { return x > 0 && !math.IsInf(x, 0) }
	if zero {
		bound = "≥ 0"
		ok = func(x float64) bool { return x >= 0 && !math.IsInf(x, 0) }
	}
	out := make([]float64, n)
	if !strings.Contains(spec, "(") {
		if list, isList := parseNumbers(spec); isList {
			for i, x := range list {
				if !ok(x) {
					return nil, fmt.Errorf("%s %q: value %d (%v) must be a finite number %s", what, spec, i+1, x, bound)
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
		return nil, fmt.Errorf("%s: not a number, a list of numbers or a distribution: %w", what, err)
	}
	r := Stream(seed, what)
	for i := range out {
		out[i] = d.Rand(r)
		if !ok(out[i]) {
			return nil, fmt.Errorf("%s %q: node %d drew %v: values must be finite and %s (choose a distribution bounded away from 0)", what, spec, i, out[i], bound)
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
