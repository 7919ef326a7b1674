package stats

import (
	"math"
	"testing"
)

func TestImprecise(t *testing.T) {
	cases := []struct {
		name       string
		mean, half float64
		rel        float64
		want       bool
	}{
		{"within", 10, 0.4, 0.05, false},
		{"at the target", 10, 0.5, 0.05, false},
		{"wider", 10, 0.6, 0.05, true},
		{"negative mean", -10, 0.6, 0.05, true},
		{"exact", 10, 0, 0.01, false},
		{"mean NaN", math.NaN(), 0.1, 0.05, true},
		{"half NaN", 10, math.NaN(), 0.05, true},
		{"unstable", math.Inf(1), math.Inf(1), 0.05, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cell := Cell{N: 5, Mean: c.mean, MeanHalf: c.half}
			if got := Imprecise(cell, c.rel); got != c.want {
				t.Errorf("Imprecise(%v ± %v, %v) = %v, want %v", c.mean, c.half, c.rel, got, c.want)
			}
		})
	}
}

func TestMoreReplications(t *testing.T) {
	cases := []struct {
		name         string
		n            int
		half, target float64
		want         int
	}{
		// s = 2·√5/t(4) = 1.611; t(11)·s/√12 = 1.024, t(12)·s/√13 = 0.973.
		{"twice the target from 5", 5, 2, 1, 8},
		{"met", 5, 1, 1, 0},
		{"just over", 20, 1.01, 1, 1},
		// s = 2/1.96; t(5)·s/√6 = 1.071, t(6)·s/√7 = 0.944.
		{"one run's batch means", 1, 2, 1, 6},
		{"one run, met", 1, 0.5, 1, 0},
		{"no replications", 0, 1, 0.5, -1},
		{"target 0", 5, 1, 0, -1},
		{"target NaN", 5, 1, math.NaN(), -1},
		{"half NaN", 5, math.NaN(), 1, -1},
		{"half infinite", 5, math.Inf(1), 1, maxReplications},
		{"target tiny", 5, 1, 1e-9, maxReplications - 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := MoreReplications(c.n, c.half, c.target); got != c.want {
				t.Errorf("MoreReplications(%d, %v, %v) = %d, want %d", c.n, c.half, c.target, got, c.want)
			}
		})
	}
}

// TestMoreReplicationsSearch checks MoreReplications against a plain search
// from n upwards, and that it never asks for more than the fixed-t formula
// ⌈n·(half/target)²⌉.
func TestMoreReplicationsSearch(t *testing.T) {
	for _, n := range []int{2, 3, 5, 10, 30} {
		for _, ratio := range []float64{1.05, 1.5, 2, 4, 10} {
			half, target := ratio, 1.0
			s := half * math.Sqrt(float64(n)) / tQuantile(n-1)
			m := n
			for tQuantile(m-1)*s/math.Sqrt(float64(m)) > target {
				m++
			}
			got := MoreReplications(n, half, target)
			if got != m-n {
				t.Errorf("MoreReplications(%d, %v, %v) = %d, want %d", n, half, target, got, m-n)
			}
			if fixed := int(math.Ceil(float64(n)*ratio*ratio)) - n; got > fixed {
				t.Errorf("MoreReplications(%d, %v, %v) = %d, more than the fixed-t %d", n, half, target, got, fixed)
			}
		}
	}
}
