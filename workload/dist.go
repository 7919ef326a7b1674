package workload

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/loadlab/loadlab/param"
	"gonum.org/v1/gonum/stat/distuv"
)

// Dist is a non-negative random variable (job sizes).
type Dist interface {
	// Rand draws one value from r.
	Rand(r *rand.Rand) float64
	// Mean is the expected value.
	Mean() float64
	// SCV is the squared coefficient of variation Var/Mean², math.Inf(1) when infinite.
	SCV() float64
	// String is the canonical spec with every parameter, e.g. "hyperexp(mean=1, scv=4)".
	String() string
}

// distDefs is the registry of distributions, sorted by name.
var distDefs = param.Registry[Dist]{
	{Name: "bpareto", Doc: "bounded Pareto on [min, max], sampled by inverse CDF", Schema: param.Schema{
		{Name: "alpha", Kind: param.Float, Doc: "tail index, > 0"},
		{Name: "min", Kind: param.Float, Doc: "lower bound, > 0"},
		{Name: "max", Kind: param.Float, Doc: "upper bound, > min"},
	}, Build: newBPareto},
	{Name: "det", Doc: "deterministic: always value", Schema: param.Schema{
		{Name: "value", Kind: param.Float, Default: "1", Doc: "the value, > 0"},
	}, Build: newDet},
	{Name: "erlang", Doc: "Erlang: sum of k exponential phases (SCV 1/k)", Schema: param.Schema{
		{Name: "k", Kind: param.Int, Doc: "number of phases, >= 1"},
		{Name: "mean", Kind: param.Float, Default: "1", Doc: "mean, > 0"},
	}, Build: newErlang},
	{Name: "exp", Doc: "exponential (SCV 1)", Schema: param.Schema{
		{Name: "mean", Kind: param.Float, Default: "1", Doc: "mean, > 0"},
	}, Build: newExp},
	{Name: "hyperexp", Doc: "balanced-means two-phase hyperexponential H2", Schema: param.Schema{
		{Name: "mean", Kind: param.Float, Default: "1", Doc: "mean, > 0"},
		{Name: "scv", Kind: param.Float, Doc: "squared coefficient of variation, >= 1"},
	}, Build: newHyperExp},
	{Name: "lognormal", Doc: "lognormal with the given mean and SCV", Schema: param.Schema{
		{Name: "mean", Kind: param.Float, Default: "1", Doc: "mean, > 0"},
		{Name: "scv", Kind: param.Float, Doc: "squared coefficient of variation, > 0"},
	}, Build: newLogNormal},
	{Name: "pareto", Doc: "Pareto (type I) with the given mean; SCV infinite for alpha <= 2", Schema: param.Schema{
		{Name: "alpha", Kind: param.Float, Doc: "tail index, > 1"},
		{Name: "mean", Kind: param.Float, Default: "1", Doc: "mean, > 0"},
	}, Build: newPareto},
	{Name: "uniform", Doc: "uniform on [min, max]", Schema: param.Schema{
		{Name: "min", Kind: param.Float, Default: "0", Doc: "lower bound, >= 0"},
		{Name: "max", Kind: param.Float, Doc: "upper bound, > min"},
	}, Build: newUniform},
	{Name: "weibull", Doc: "Weibull with shape k and the given mean (k < 1: heavier than exponential)", Schema: param.Schema{
		{Name: "k", Kind: param.Float, Doc: "shape, > 0"},
		{Name: "mean", Kind: param.Float, Default: "1", Doc: "mean, > 0"},
	}, Build: newWeibull},
}

// ParseDist parses a distribution spec such as "exp(mean=1)" or
// "bpareto(alpha=1.1, min=0.1, max=1000)" and validates its parameters.
func ParseDist(s string) (Dist, error) { return distDefs.Parse("distribution", s) }

// DistEntries lists the distributions, sorted by name.
func DistEntries() []Entry { return distDefs.Entries() }

// positive returns the parameter name of v, which must be finite and > 0.
func positive(v param.Values, name string) (float64, error) {
	x := v.Float(name)
	if !(x > 0) || math.IsInf(x, 0) {
		return 0, v.Errorf(name, "must be a finite number > 0, got %v", x)
	}
	return x, nil
}

// expDist is the exponential distribution.
type expDist struct{ mean float64 }

func newExp(v param.Values) (Dist, error) {
	m, err := positive(v, "mean")
	if err != nil {
		return nil, err
	}
	return &expDist{m}, nil
}

func (d *expDist) Rand(r *rand.Rand) float64 { return r.ExpFloat64() * d.mean }
func (d *expDist) Mean() float64             { return d.mean }
func (d *expDist) SCV() float64              { return 1 }
func (d *expDist) String() string            { return fmt.Sprintf("exp(mean=%v)", d.mean) }

// detDist is a constant.
type detDist struct{ value float64 }

func newDet(v param.Values) (Dist, error) {
	x, err := positive(v, "value")
	if err != nil {
		return nil, err
	}
	return &detDist{x}, nil
}

func (d *detDist) Rand(*rand.Rand) float64 { return d.value }
func (d *detDist) Mean() float64           { return d.value }
func (d *detDist) SCV() float64            { return 0 }
func (d *detDist) String() string          { return fmt.Sprintf("det(value=%v)", d.value) }

// uniformDist is uniform on [min, max).
type uniformDist struct{ min, max float64 }

func newUniform(v param.Values) (Dist, error) {
	lo, hi := v.Float("min"), v.Float("max")
	if !(lo >= 0) || math.IsInf(lo, 0) {
		return nil, v.Errorf("min", "must be a finite number >= 0, got %v", lo)
	}
	if !(hi > lo) || math.IsInf(hi, 0) {
		return nil, v.Errorf("max", "must be a finite number > min (%v), got %v", lo, hi)
	}
	return &uniformDist{lo, hi}, nil
}

func (d *uniformDist) Rand(r *rand.Rand) float64 { return d.min + (d.max-d.min)*r.Float64() }
func (d *uniformDist) Mean() float64             { return (d.min + d.max) / 2 }
func (d *uniformDist) SCV() float64 {
	w, m := d.max-d.min, d.Mean()
	return w * w / 12 / (m * m)
}
func (d *uniformDist) String() string { return fmt.Sprintf("uniform(min=%v, max=%v)", d.min, d.max) }

// erlangDist is a gamma distribution with integer shape k and rate k/mean.
type erlangDist struct {
	k    int
	mean float64
	g    distuv.Gamma
}

func newErlang(v param.Values) (Dist, error) {
	k := v.Float("k")
	if !(k >= 1) || k > 1e9 {
		return nil, v.Errorf("k", "must be a whole number from 1 to 1e9, got %v", k)
	}
	m, err := positive(v, "mean")
	if err != nil {
		return nil, err
	}
	return &erlangDist{k: int(k), mean: m, g: distuv.Gamma{Alpha: k, Beta: k / m}}, nil
}

func (d *erlangDist) Rand(r *rand.Rand) float64 {
	g := d.g
	g.Src = r
	return g.Rand()
}
func (d *erlangDist) Mean() float64  { return d.mean }
func (d *erlangDist) SCV() float64   { return 1 / float64(d.k) }
func (d *erlangDist) String() string { return fmt.Sprintf("erlang(k=%d, mean=%v)", d.k, d.mean) }

// hyperExpDist is a balanced-means H2: with probability p an exponential of
// mean m/(2p), otherwise one of mean m/(2(1-p)), where
// p = (1 + sqrt((scv-1)/(scv+1)))/2. Each phase carries half the mean.
type hyperExpDist struct {
	mean, scv float64
	p, m1, m2 float64
}

func newHyperExp(v param.Values) (Dist, error) {
	m, err := positive(v, "mean")
	if err != nil {
		return nil, err
	}
	c2 := v.Float("scv")
	if !(c2 >= 1) || math.IsInf(c2, 0) {
		return nil, v.Errorf("scv", "must be a finite number >= 1 (use erlang or det for less variable sizes), got %v", c2)
	}
	p := (1 + math.Sqrt((c2-1)/(c2+1))) / 2
	return &hyperExpDist{mean: m, scv: c2, p: p, m1: m / (2 * p), m2: m / (2 * (1 - p))}, nil
}

func (d *hyperExpDist) Rand(r *rand.Rand) float64 {
	if r.Float64() < d.p {
		return r.ExpFloat64() * d.m1
	}
	return r.ExpFloat64() * d.m2
}
func (d *hyperExpDist) Mean() float64 { return d.mean }
func (d *hyperExpDist) SCV() float64  { return d.scv }
func (d *hyperExpDist) String() string {
	return fmt.Sprintf("hyperexp(mean=%v, scv=%v)", d.mean, d.scv)
}

// bParetoDist is the bounded Pareto on [min, max] with tail index alpha:
// P(X > x) ∝ x^-alpha - max^-alpha.
type bParetoDist struct {
	alpha, min, max float64
	c               float64 // 1 - (min/max)^alpha, the mass of the untruncated tail below max
	mean, scv       float64
}

func newBPareto(v param.Values) (Dist, error) {
	a, err := positive(v, "alpha")
	if err != nil {
		return nil, err
	}
	lo, err := positive(v, "min")
	if err != nil {
		return nil, err
	}
	hi := v.Float("max")
	if !(hi > lo) || math.IsInf(hi, 0) {
		return nil, v.Errorf("max", "must be a finite number > min (%v), got %v", lo, hi)
	}
	d := &bParetoDist{alpha: a, min: lo, max: hi, c: -math.Expm1(a * math.Log(lo/hi))}
	m1, m2 := d.moment(1), d.moment(2)
	d.mean, d.scv = m1, m2/(m1*m1)-1
	if math.IsInf(m2, 0) || math.IsNaN(d.scv) || d.c == 0 {
		return nil, v.Errorf("max", "max/min (%v) is too extreme for alpha %v: moments overflow", hi/lo, a)
	}
	return d, nil
}

// moment returns E[X^j] = alpha*min^j/c * (expm1(e*ln(max/min))/e) with
// e = j-alpha, and ln(max/min) in place of the last factor when e = 0
// (alpha = 1 for the mean, alpha = 2 for the second moment).
func (d *bParetoDist) moment(j float64) float64 {
	e, l := j-d.alpha, math.Log(d.max/d.min)
	f := l
	if e != 0 {
		f = math.Expm1(e*l) / e
	}
	return d.alpha * math.Pow(d.min, j) / d.c * f
}

func (d *bParetoDist) Rand(r *rand.Rand) float64 {
	x := d.min * math.Pow(1-r.Float64()*d.c, -1/d.alpha)
	return min(x, d.max)
}
func (d *bParetoDist) Mean() float64 { return d.mean }
func (d *bParetoDist) SCV() float64  { return d.scv }
func (d *bParetoDist) String() string {
	return fmt.Sprintf("bpareto(alpha=%v, min=%v, max=%v)", d.alpha, d.min, d.max)
}

// logNormalDist is exp(N(mu, sigma²)) with sigma² = ln(1+scv), mu = ln(mean) - sigma²/2.
type logNormalDist struct {
	mean, scv float64
	ln        distuv.LogNormal
}

func newLogNormal(v param.Values) (Dist, error) {
	m, err := positive(v, "mean")
	if err != nil {
		return nil, err
	}
	c2, err := positive(v, "scv")
	if err != nil {
		return nil, err
	}
	s2 := math.Log1p(c2)
	return &logNormalDist{mean: m, scv: c2, ln: distuv.LogNormal{Mu: math.Log(m) - s2/2, Sigma: math.Sqrt(s2)}}, nil
}

func (d *logNormalDist) Rand(r *rand.Rand) float64 {
	ln := d.ln
	ln.Src = r
	return ln.Rand()
}
func (d *logNormalDist) Mean() float64 { return d.mean }
func (d *logNormalDist) SCV() float64  { return d.scv }
func (d *logNormalDist) String() string {
	return fmt.Sprintf("lognormal(mean=%v, scv=%v)", d.mean, d.scv)
}

// weibullDist is the Weibull with shape k and scale mean/Γ(1+1/k).
type weibullDist struct {
	k, mean, scv float64
	w            distuv.Weibull
}

func newWeibull(v param.Values) (Dist, error) {
	k, err := positive(v, "k")
	if err != nil {
		return nil, err
	}
	m, err := positive(v, "mean")
	if err != nil {
		return nil, err
	}
	lg1, _ := math.Lgamma(1 + 1/k)
	lg2, _ := math.Lgamma(1 + 2/k)
	lambda := m / math.Exp(lg1)
	if !(lambda > 0) || math.IsInf(lambda, 0) {
		return nil, v.Errorf("k", "%v is too small: the scale overflows (use k >= 0.01)", k)
	}
	return &weibullDist{k: k, mean: m, scv: math.Exp(lg2-2*lg1) - 1, w: distuv.Weibull{K: k, Lambda: lambda}}, nil
}

func (d *weibullDist) Rand(r *rand.Rand) float64 {
	w := d.w
	w.Src = r
	return w.Rand()
}
func (d *weibullDist) Mean() float64  { return d.mean }
func (d *weibullDist) SCV() float64   { return d.scv }
func (d *weibullDist) String() string { return fmt.Sprintf("weibull(k=%v, mean=%v)", d.k, d.mean) }

// paretoDist is the Pareto type I with scale mean*(alpha-1)/alpha.
type paretoDist struct {
	alpha, mean float64
	p           distuv.Pareto
}

func newPareto(v param.Values) (Dist, error) {
	a := v.Float("alpha")
	if !(a > 1) || math.IsInf(a, 0) {
		return nil, v.Errorf("alpha", "must be a finite number > 1 (the mean is infinite otherwise), got %v", a)
	}
	m, err := positive(v, "mean")
	if err != nil {
		return nil, err
	}
	return &paretoDist{alpha: a, mean: m, p: distuv.Pareto{Xm: m * (a - 1) / a, Alpha: a}}, nil
}

func (d *paretoDist) Rand(r *rand.Rand) float64 {
	p := d.p
	p.Src = r
	return p.Rand()
}
func (d *paretoDist) Mean() float64 { return d.mean }
func (d *paretoDist) SCV() float64 {
	if d.alpha <= 2 {
		return math.Inf(1)
	}
	return 1 / (d.alpha * (d.alpha - 2))
}
func (d *paretoDist) String() string {
	return fmt.Sprintf("pareto(alpha=%v, mean=%v)", d.alpha, d.mean)
}
