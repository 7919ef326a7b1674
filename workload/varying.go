package workload

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/loadlab/loadlab/param"
)

// Load that changes over time. A time-varying arrival process is a
// Poisson process whose rate at model time t (from the start of the
// arrivals, as Job.Arrival counts it) is the load's rate times a factor
// f(t): the load ρ of a point is its load where f = 1, so "step(at=5000,
// to=1.5)" at load 0.6 runs at 0.6 and then at 0.9. Arrivals are drawn by
// thinning (Lewis & Shedler, 1979): candidates of a Poisson process at the
// highest rate, each kept with probability f(t)/max f, so a seed gives the
// same arrivals every time.
//
// Such a run is not stationary: its mean response is an average over the
// changes, not a steady-state value (Varying tells them apart).

// Varying is an arrival process whose rate changes with time.
type Varying interface {
	// Factor is the rate at model time t as a multiple of the load's rate.
	Factor(t float64) float64
}

// IsVarying reports whether a's rate changes with time.
func IsVarying(a ArrivalSpec) bool {
	_, ok := a.(Varying)
	return ok
}

// varyingSpec is a Poisson process of rate rate·f(t).
type varyingSpec struct {
	f    func(t float64) float64
	fmax float64 // the supremum of f, > 0
	spec string  // canonical form
}

func (s *varyingSpec) New(rate float64) Arrivals {
	checkRate(rate)
	return &varying{s: s, lmax: rate * s.fmax}
}
func (s *varyingSpec) String() string           { return s.spec }
func (s *varyingSpec) Factor(t float64) float64 { return s.f(t) }

// SCV is 1: locally the process is Poisson. Over the run its gaps vary
// more, as the rate changes.
func (s *varyingSpec) SCV() float64 { return 1 }

// varying is the state of a running time-varying process: its clock.
type varying struct {
	s    *varyingSpec
	lmax float64
	t    float64
}

// Gap thins a Poisson process of rate lmax: a candidate at time t is kept
// with probability f(t)/max f.
func (v *varying) Gap(r *rand.Rand) float64 {
	t0 := v.t
	for {
		v.t += r.ExpFloat64() / v.lmax
		if r.Float64()*v.s.fmax < v.s.f(v.t) {
			return v.t - t0
		}
	}
}

// factorParam is a rate factor: finite and ≥ 0.
func factorParam(v param.Values, names ...string) error {
	for _, n := range names {
		if x := v.Float(n); !(x >= 0) || math.IsInf(x, 0) {
			return v.Errorf(n, "must be a finite factor >= 0, got %v", x)
		}
	}
	return nil
}

// timeParam is a time or duration: finite and ≥ 0 (> 0 when positive).
func timeParam(v param.Values, name string, positive bool) error {
	x := v.Float(name)
	if !(x >= 0) || math.IsInf(x, 0) || (positive && x == 0) {
		want := ">= 0"
		if positive {
			want = "> 0"
		}
		return v.Errorf(name, "must be a finite time %s (model units), got %v", want, x)
	}
	return nil
}

// newVarying finishes a varying process: f, with maximum fmax, from v of
// schema s. A process whose rate is never above 0 is refused.
func newVarying(v param.Values, s param.Schema, f func(float64) float64, fmax float64) (ArrivalSpec, error) {
	if !(fmax > 0) {
		return nil, v.Errorf(s[0].Name, "the rate is 0 throughout: no job would arrive")
	}
	return &varyingSpec{f: f, fmax: fmax, spec: v.Canonical(s)}, nil
}

var (
	rampSchema = param.Schema{
		{Name: "from", Kind: param.Float, Default: "1", Doc: "rate factor before the ramp, >= 0"},
		{Name: "to", Kind: param.Float, Doc: "rate factor after the ramp, >= 0"},
		{Name: "start", Kind: param.Float, Default: "0", Doc: "model time the ramp starts"},
		{Name: "over", Kind: param.Float, Doc: "model time the ramp takes, > 0"},
	}
	stepSchema = param.Schema{
		{Name: "at", Kind: param.Floats, Doc: "model times of the steps, increasing"},
		{Name: "to", Kind: param.Floats, Doc: "rate factor from each step on, >= 0 (one per step)"},
		{Name: "from", Kind: param.Float, Default: "1", Doc: "rate factor before the first step, >= 0"},
	}
	sineSchema = param.Schema{
		{Name: "amplitude", Kind: param.Float, Doc: "the factor swings between 1 − amplitude and 1 + amplitude, 0 to 1"},
		{Name: "period", Kind: param.Float, Doc: "model time of one cycle (a day), > 0"},
		{Name: "phase", Kind: param.Float, Default: "0", Doc: "model time of the cycle's first rise through 1"},
	}
	spikeSchema = param.Schema{
		{Name: "at", Kind: param.Float, Doc: "model time the burst starts"},
		{Name: "duration", Kind: param.Float, Doc: "model time the burst lasts, > 0"},
		{Name: "factor", Kind: param.Float, Doc: "rate factor during the burst, >= 0 (1 outside it)"},
	}
)

func newRamp(v param.Values) (ArrivalSpec, error) {
	if err := factorParam(v, "from", "to"); err != nil {
		return nil, err
	}
	if err := timeParam(v, "start", false); err != nil {
		return nil, err
	}
	if err := timeParam(v, "over", true); err != nil {
		return nil, err
	}
	from, to, start, over := v.Float("from"), v.Float("to"), v.Float("start"), v.Float("over")
	f := func(t float64) float64 {
		switch {
		case t <= start:
			return from
		case t >= start+over:
			return to
		}
		return from + (to-from)*(t-start)/over
	}
	return newVarying(v, rampSchema, f, max(from, to))
}

func newStep(v param.Values) (ArrivalSpec, error) {
	at, to := v.Floats("at"), v.Floats("to")
	if len(at) == 0 || len(at) != len(to) {
		return nil, v.Errorf("to", "want one factor per step (%d times in at), got %d", len(at), len(to))
	}
	if err := factorParam(v, "from"); err != nil {
		return nil, err
	}
	for i := range at {
		if !(at[i] >= 0) || math.IsInf(at[i], 0) || (i > 0 && at[i] <= at[i-1]) {
			return nil, v.Errorf("at", "want finite times >= 0, increasing, got %v", at)
		}
		if !(to[i] >= 0) || math.IsInf(to[i], 0) {
			return nil, v.Errorf("to", "factors must be finite and >= 0, got %v", to[i])
		}
	}
	from := v.Float("from")
	f := func(t float64) float64 {
		i, _ := slices.BinarySearch(at, t) // steps at or before t: at[:i] when t is not a step time
		if i < len(at) && at[i] == t {
			i++
		}
		if i == 0 {
			return from
		}
		return to[i-1]
	}
	return newVarying(v, stepSchema, f, max(from, slices.Max(to)))
}

func newSine(v param.Values) (ArrivalSpec, error) {
	a := v.Float("amplitude")
	if !(a >= 0 && a <= 1) {
		return nil, v.Errorf("amplitude", "must be from 0 to 1 (a rate never below 0), got %v", a)
	}
	if err := timeParam(v, "period", true); err != nil {
		return nil, err
	}
	if p := v.Float("phase"); math.IsNaN(p) || math.IsInf(p, 0) {
		return nil, v.Errorf("phase", "must be a finite time, got %v", p)
	}
	period, phase := v.Float("period"), v.Float("phase")
	f := func(t float64) float64 { return 1 + a*math.Sin(2*math.Pi*(t-phase)/period) }
	return newVarying(v, sineSchema, f, 1+a)
}

func newSpike(v param.Values) (ArrivalSpec, error) {
	if err := timeParam(v, "at", false); err != nil {
		return nil, err
	}
	if err := timeParam(v, "duration", true); err != nil {
		return nil, err
	}
	if err := factorParam(v, "factor"); err != nil {
		return nil, err
	}
	at, end, k := v.Float("at"), v.Float("at")+v.Float("duration"), v.Float("factor")
	f := func(t float64) float64 {
		if t >= at && t < end {
			return k
		}
		return 1
	}
	return newVarying(v, spikeSchema, f, max(1, k))
}
