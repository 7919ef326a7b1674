package workload

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/loadlab/loadlab/param"
)

// ArrivalSpec is an arrival process, normalised: the spec gives its shape,
// the rate comes from the load.
type ArrivalSpec interface {
	// New returns a process with fresh state whose long-run mean rate is
	// rate. It panics unless rate is finite and > 0.
	New(rate float64) Arrivals
	// String is the canonical spec, e.g. "poisson" or "mmpp(rates=[0.5, 2], switch=[0.1, 0.1])".
	String() string
	// SCV is the squared coefficient of variation of the inter-arrival gaps.
	SCV() float64
}

// Arrivals is the state of an arrival process.
type Arrivals interface {
	// Gap draws the time from the last arrival to the next one.
	Gap(r *rand.Rand) float64
}

// arrivalDefs is the registry of arrival processes, sorted by name.
var arrivalDefs = param.Registry[ArrivalSpec]{
	{Name: "det", Doc: "evenly spaced arrivals (gap SCV 0)", Schema: nil,
		Build: func(param.Values) (ArrivalSpec, error) { return detArrivalSpec{}, nil }},
	{Name: "mmpp", Doc: "2-state Markov-modulated Poisson: relative intensities rates, switch[i] = rate of leaving state i (in the same time units as rates)", Schema: param.Schema{
		{Name: "rates", Kind: param.Floats, Doc: "relative arrival intensities of the two states, >= 0, not both 0"},
		{Name: "switch", Kind: param.Floats, Doc: "rates of leaving each state, > 0"},
	}, Build: newMMPPSpec},
	{Name: "piecewise", Doc: "Poisson whose rate is the load's times a factor given at points (at, to; or file=… a CSV of time,factor), held (step) or joined (linear), repeated every period", Schema: piecewiseSchema, Build: newPiecewise},
	{Name: "poisson", Doc: "Poisson: exponential gaps (SCV 1)", Schema: nil,
		Build: func(param.Values) (ArrivalSpec, error) { return poissonSpec{}, nil }},
	{Name: "ramp", Doc: "Poisson whose rate goes linearly from `from` to `to` times the load's, over `over` from `start`", Schema: rampSchema, Build: newRamp},
	{Name: "sine", Doc: "Poisson whose rate swings daily: the load's times 1 + amplitude·sin(2π(t − phase)/period)", Schema: sineSchema, Build: newSine},
	{Name: "spike", Doc: "Poisson at the load's rate, times `factor` from `at` for `duration` (a burst)", Schema: spikeSchema, Build: newSpike},
	{Name: "step", Doc: "Poisson whose rate is the load's times `from`, then times to[i] from at[i] on", Schema: stepSchema, Build: newStep},
}

// ParseArrival parses an arrival process spec: "poisson", "det",
// "mmpp(rates=[0.5, 2], switch=[0.1, 0.1])", or one whose rate changes
// with time (see Varying): "ramp(to=2, over=1000)", "step(at=[500],
// to=[1.5])", "sine(amplitude=0.5, period=1000)", "spike(at=500,
// duration=50, factor=3)", "piecewise(at=[0, 100], to=[0.5, 1.5],
// interp=linear, period=200)"; piecewise(file=…) is read by New.
func ParseArrival(s string) (ArrivalSpec, error) { return arrivalDefs.Parse("arrival process", s) }

// ArrivalEntries lists the arrival processes, sorted by name.
func ArrivalEntries() []Entry { return arrivalDefs.Entries() }

// checkRate panics unless rate is a usable arrival rate.
func checkRate(rate float64) {
	if !(rate > 0) || math.IsInf(rate, 0) {
		panic(fmt.Sprintf("workload: arrival rate must be finite and > 0, got %v", rate))
	}
}

// poissonSpec is the Poisson process.
type poissonSpec struct{}

func (poissonSpec) New(rate float64) Arrivals { checkRate(rate); return &poisson{1 / rate} }
func (poissonSpec) String() string            { return "poisson" }
func (poissonSpec) SCV() float64              { return 1 }

// poisson draws exponential gaps of the given mean.
type poisson struct{ meanGap float64 }

func (p *poisson) Gap(r *rand.Rand) float64 { return r.ExpFloat64() * p.meanGap }

// detArrivalSpec is the evenly spaced process.
type detArrivalSpec struct{}

func (detArrivalSpec) New(rate float64) Arrivals { checkRate(rate); return &detArrivals{1 / rate} }
func (detArrivalSpec) String() string            { return "det" }
func (detArrivalSpec) SCV() float64              { return 0 }

// detArrivals returns a constant gap.
type detArrivals struct{ gap float64 }

func (d *detArrivals) Gap(*rand.Rand) float64 { return d.gap }

// mmppSpec is a 2-state Markov-modulated Poisson process. New(rate) speeds
// the whole process up or slows it down by one factor (arrival and switching
// rates alike) so that its long-run rate is rate; the shape, such as the mean
// number of arrivals per visit to a state (rates[i]/switch[i]) and the gap
// SCV, does not depend on the load.
type mmppSpec struct {
	rates, switches [2]float64
	pi0             float64 // stationary probability of state 0
	mean            float64 // long-run rate of the spec as written
}

func newMMPPSpec(v param.Values) (ArrivalSpec, error) {
	rates, sw := v.Floats("rates"), v.Floats("switch")
	if len(rates) != 2 {
		return nil, v.Errorf("rates", "want 2 values (one per state), got %d", len(rates))
	}
	if len(sw) != 2 {
		return nil, v.Errorf("switch", "want 2 values (one per state), got %d", len(sw))
	}
	s := &mmppSpec{}
	for i := range 2 {
		if !(rates[i] >= 0) || math.IsInf(rates[i], 0) {
			return nil, v.Errorf("rates", "values must be finite and >= 0, got %v", rates[i])
		}
		if !(sw[i] > 0) || math.IsInf(sw[i], 0) {
			return nil, v.Errorf("switch", "values must be finite and > 0, got %v", sw[i])
		}
		s.rates[i], s.switches[i] = rates[i], sw[i]
	}
	if rates[0]+rates[1] == 0 {
		return nil, v.Errorf("rates", "at least one state must have a rate > 0")
	}
	s.pi0 = sw[1] / (sw[0] + sw[1])
	s.mean = s.pi0*rates[0] + (1-s.pi0)*rates[1]
	return s, nil
}

// New returns the process scaled to the long-run rate; the start state is
// drawn from the stationary distribution at the first Gap.
func (s *mmppSpec) New(rate float64) Arrivals {
	checkRate(rate)
	c := rate / s.mean
	m := &mmpp{state: -1, pi0: s.pi0}
	for i := range 2 {
		tot := c * (s.rates[i] + s.switches[i])
		m.meanStay[i] = 1 / tot
		m.pArrive[i] = s.rates[i] / (s.rates[i] + s.switches[i])
	}
	return m
}

func (s *mmppSpec) String() string {
	return fmt.Sprintf("mmpp(rates=[%v, %v], switch=[%v, %v])", s.rates[0], s.rates[1], s.switches[0], s.switches[1])
}

// SCV is exact: the gap is phase-type with sub-generator D0 = Q - Λ and
// initial vector φ = πΛ/(πλ) (the state just after an arrival), so
// E[X^k] = k! φ (-D0)^-k 1.
func (s *mmppSpec) SCV() float64 {
	l0, l1, s0, s1 := s.rates[0], s.rates[1], s.switches[0], s.switches[1]
	det := l0*l1 + l0*s1 + s0*l1
	// M = (-D0)^-1 = [[l1+s1, s0], [s1, l0+s0]] / det.
	m := func(x, y float64) (float64, float64) {
		return ((l1+s1)*x + s0*y) / det, (s1*x + (l0+s0)*y) / det
	}
	phi0 := s.pi0 * l0 / s.mean
	phi1 := 1 - phi0
	a0, a1 := m(1, 1) // M 1
	b0, b1 := m(a0, a1)
	e1 := phi0*a0 + phi1*a1
	e2 := 2 * (phi0*b0 + phi1*b1)
	return e2/(e1*e1) - 1
}

// mmpp is the state of a running MMPP.
type mmpp struct {
	state    int // -1 until the first gap
	pi0      float64
	meanStay [2]float64 // mean time to the next event (arrival or switch) in each state
	pArrive  [2]float64 // probability that that event is an arrival
}

// Gap races the arrival and switching exponentials of the current state:
// equivalently, it waits an exponential of their total rate and picks the
// winner in proportion to the rates, switching state until an arrival wins.
func (m *mmpp) Gap(r *rand.Rand) float64 {
	if m.state < 0 {
		m.state = 1
		if r.Float64() < m.pi0 {
			m.state = 0
		}
	}
	t := 0.0
	for {
		t += r.ExpFloat64() * m.meanStay[m.state]
		if r.Float64() < m.pArrive[m.state] {
			return t
		}
		m.state ^= 1
	}
}

// parseKeys parses a key spec "zipf(n=1000, s=1.1)".
func parseKeys(spec string) (n int, s float64, err error) {
	c, err := param.Parse(spec)
	if err != nil {
		return 0, 0, fmt.Errorf("keys: %w", err)
	}
	if c.Name != "zipf" {
		return 0, 0, fmt.Errorf("unknown key distribution %q: known is zipf(%s)", c.Name, keySchema.Usage())
	}
	v, err := param.Bind(c, keySchema)
	if err != nil {
		return 0, 0, err
	}
	nf := v.Float("n")
	if !(nf >= 1) || nf > math.MaxInt32 {
		return 0, 0, v.Errorf("n", "must be a whole number from 1 to %d, got %v", math.MaxInt32, nf)
	}
	s = v.Float("s")
	if !(s > 1) || math.IsInf(s, 0) {
		return 0, 0, v.Errorf("s", "must be a finite number > 1 (math/rand/v2 Zipf needs s > 1), got %v", s)
	}
	return int(nf), s, nil
}

// keySchema is the parameters of the zipf key distribution.
var keySchema = param.Schema{
	{Name: "n", Kind: param.Int, Doc: "number of keys, >= 1"},
	{Name: "s", Kind: param.Float, Default: "1.1", Doc: "exponent, > 1"},
}
