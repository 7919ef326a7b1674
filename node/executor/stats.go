package executor

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// Stats is what an executor measured since New.
type Stats struct {
	Completed int64         // units finished (Done called)
	Refused   int64         // Submits refused with ErrQueueFull
	BusyTime  time.Duration // wall time slots spent serving, preempted periods included
	// Lateness is the service-time error (actual − intended) of emulated
	// (sleep kernel) units that ran to completion.
	Lateness LatencySummary
	// Levels[i] is the wall time exactly i slots were serving, since New:
	// the time-in-state behind thread-level parallelism.
	Levels []time.Duration
	// Server is what a server architecture's threads cost here (nil
	// without one).
	Server *Costs
}

// TLP is the thread-level parallelism Σ i·cᵢ / (1 − c₀), where cᵢ is the
// fraction of time exactly i slots were serving; 0 if never busy.
func (s Stats) TLP() float64 {
	var total, busy, weighted time.Duration
	for i, d := range s.Levels {
		total += d
		if i > 0 {
			busy += d
			weighted += time.Duration(i) * d
		}
	}
	if busy == 0 {
		return 0
	}
	return float64(weighted) / float64(busy)
}

// LatencySummary summarizes a distribution of durations. Percentiles come
// from a uniform sample of at most reservoirSize observations; Max is exact.
type LatencySummary struct {
	P50, P99, Max time.Duration
}

// reservoirSize bounds the lateness sample (512 KiB).
const reservoirSize = 1 << 16

// reservoir is a uniform random sample of a stream (Algorithm R), with a
// fixed seed so that it is reproducible for a given stream.
type reservoir struct {
	n    int64
	max  time.Duration
	keep []time.Duration
	rng  *rand.Rand
}

func (r *reservoir) add(d time.Duration) {
	r.n++
	r.max = max(r.max, d)
	if len(r.keep) < reservoirSize {
		r.keep = append(r.keep, d)
		return
	}
	if r.rng == nil {
		r.rng = rand.New(rand.NewPCG(1, 2))
	}
	if i := r.rng.Int64N(r.n); i < reservoirSize {
		r.keep[i] = d
	}
}

func (r *reservoir) summary() LatencySummary {
	if len(r.keep) == 0 {
		return LatencySummary{}
	}
	s := slices.Clone(r.keep)
	slices.Sort(s)
	return LatencySummary{P50: rank(s, 0.50), P99: rank(s, 0.99), Max: r.max}
}

// rank is the nearest-rank q-quantile of sorted s.
func rank(s []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}
