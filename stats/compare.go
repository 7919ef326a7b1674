package stats

import (
	"fmt"
	"math"

	"github.com/loadlab/loadlab/results"
)

// Difference is a paired comparison of two policies run on the same seeds:
// the mean of the per-replication differences a − b and the half-width of
// its 95% Student-t interval.
type Difference struct {
	N          int // pairs
	Mean, Half float64
}

// Significant reports whether the 95% interval of the difference excludes
// 0: at least two pairs and |Mean| > Half.
func (d Difference) Significant() bool {
	return d.N >= 2 && math.Abs(d.Mean) > d.Half
}

// Paired compares a and b, where a[i] and b[i] were measured on the same
// replication (the same seed, hence the same arrivals and sizes: common
// random numbers). It is the paired-t interval (Law & Kelton, Simulation
// Modeling and Analysis, 3rd ed., §10.2.1): TInterval of the differences
// a[i] − b[i]. Common random numbers make the two runs of a pair positively
// correlated, so the differences vary much less than either series and
// the interval is far narrower than one that treats a and b as
// independent samples. The pairs must be independent of one another
// (different seeds).
func Paired(a, b []float64) (Difference, error) {
	if len(a) != len(b) {
		return Difference{}, fmt.Errorf("paired comparison: %d values against %d", len(a), len(b))
	}
	diffs := make([]float64, len(a))
	for i := range a {
		diffs[i] = a[i] - b[i]
	}
	mean, half := TInterval(diffs)
	return Difference{N: len(a), Mean: mean, Half: half}, nil
}

// PairedRecords compares metric between the replications of two policies
// at one point (the same workload, load and axis value), pairing records by seed:
// a record of a and one of b with the same seed saw the same jobs. Every
// seed must appear once on each side; a mismatch is an error that names
// it.
func PairedRecords(a, b []results.Record, metric func(results.Result) float64) (Difference, error) {
	if len(a) != len(b) {
		return Difference{}, fmt.Errorf("paired comparison: %d replications against %d", len(a), len(b))
	}
	if _, err := bySeed(a); err != nil {
		return Difference{}, err
	}
	other, err := bySeed(b)
	if err != nil {
		return Difference{}, err
	}
	xa := make([]float64, len(a))
	xb := make([]float64, len(a))
	for i, r := range a {
		p := r.Point
		o, ok := other[p.Seed]
		if !ok {
			return Difference{}, fmt.Errorf("paired comparison: seed %d of %s has no replication in the other set", p.Seed, p.Policy)
		}
		if o.Point.Workload != p.Workload || o.Point.Load != p.Load {
			return Difference{}, fmt.Errorf("paired comparison: seed %d is %s at load %g on one side, %s at load %g on the other",
				p.Seed, p.Workload, p.Load, o.Point.Workload, o.Point.Load)
		}
		if o.Point.Axis != p.Axis || o.Point.X != p.X {
			return Difference{}, fmt.Errorf("paired comparison: seed %d is at %s=%g on one side, %s=%g on the other",
				p.Seed, p.Axis, p.X, o.Point.Axis, o.Point.X)
		}
		xa[i], xb[i] = metric(r.Result), metric(o.Result)
	}
	return Paired(xa, xb)
}

func bySeed(recs []results.Record) (map[uint64]results.Record, error) {
	m := make(map[uint64]results.Record, len(recs))
	for _, r := range recs {
		if _, dup := m[r.Point.Seed]; dup {
			return nil, fmt.Errorf("paired comparison: seed %d appears twice for %s", r.Point.Seed, r.Point.Policy)
		}
		m[r.Point.Seed] = r
	}
	return m, nil
}
