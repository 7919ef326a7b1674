package stats

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Imprecise reports whether the 95% interval of c's mean response time is
// wider than the target relative half-width rel (0.05 asks for ±5%):
// MeanHalf > rel·|Mean|, or either is not a finite number. With one
// replication MeanHalf is that run's batch-means half-width.
func Imprecise(c Cell, rel float64) bool {
	if math.IsInf(c.Mean, 0) || math.IsInf(c.MeanHalf, 0) {
		return true
	}
	return !(c.MeanHalf <= rel*math.Abs(c.Mean))
}

// maxReplications caps what MoreReplications asks for.
const maxReplications = 1 << 30

// MoreReplications returns how many replications to add to the n behind a
// 95% half-width half so that it shrinks to target (the same units; for a
// Cell, rel·|Mean|). It is Law & Kelton's approximate number of
// replications (Simulation Modeling and Analysis, 3rd ed., §9.4.1): the
// standard deviation s = half·√n / t(0.975, n−1) of one replication is
// taken as known, and the total is the smallest m ≥ n with
// t(0.975, m−1)·s/√m ≤ target. Holding t fixed instead gives ⌈n·(half/target)²⌉,
// which asks for too many when n is small because t falls as m grows: from 5
// replications at twice the target, 13 in all rather than 20.
//
// With n = 1, half is the run's batch-means half-width, s is taken as
// half/1.96, and at least one more replication is asked for so that a
// replication interval exists. The answer is 0 when half ≤ target, and −1
// when it cannot be computed (n < 1, target not a positive finite number,
// half negative or NaN). It is capped at 2³⁰.
func MoreReplications(n int, half, target float64) int {
	switch {
	case n < 1 || !(target > 0) || math.IsInf(target, 1) || !(half >= 0):
		return -1
	case half <= target:
		return 0
	case math.IsInf(half, 1):
		return maxReplications
	}
	z := distuv.UnitNormal.Quantile(0.975)
	s := half / z
	if n > 1 {
		s = half * math.Sqrt(float64(n)) / tQuantile(n-1)
	}
	// t(m−1) > z, so (z·s/target)² is a lower bound on m.
	lower := math.Ceil(math.Pow(z*s/target, 2))
	if lower >= maxReplications {
		return maxReplications - n
	}
	m := max(n+1, int(lower), 2)
	for m < maxReplications && tQuantile(m-1)*s/math.Sqrt(float64(m)) > target {
		m++
	}
	return m - n
}

func tQuantile(dof int) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(dof)}.Quantile(0.975)
}
