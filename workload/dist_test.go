package workload

import (
	"math"
	"strings"
	"testing"
)

// sampleStats returns the sample mean and SCV of xs with their standard
// errors: the mean's from the sample variance, the SCV's by the delta method
// from the sample central moments up to the fourth (iid samples).
func sampleStats(xs []float64) (mean, scv, seMean, seSCV float64) {
	n := float64(len(xs))
	for _, x := range xs {
		mean += x
	}
	mean /= n
	var m2, m3, m4 float64
	for _, x := range xs {
		d := x - mean
		d2 := d * d
		m2 += d2
		m3 += d2 * d
		m4 += d2 * d2
	}
	m2, m3, m4 = m2/n, m3/n, m4/n
	scv = m2 / (mean * mean)
	seMean = math.Sqrt(m2 / n)
	// SCV = v/m²: relative variance ≈ Var(v)/v² + 4Var(m)/m² - 4Cov(v,m)/(v m).
	rel := (m4-m2*m2)/(m2*m2) + 4*m2/(mean*mean) - 4*m3/(m2*mean)
	if m2 > 0 {
		seSCV = scv * math.Sqrt(math.Max(rel, 0)/n)
	}
	return mean, scv, seMean, seSCV
}

// bParetoMoment integrates x^j against the bounded Pareto density by
// Simpson's rule in u = ln x: an oracle independent of the closed form.
func bParetoMoment(alpha, lo, hi, j float64) float64 {
	const steps = 20000
	c := 1 - math.Pow(lo/hi, alpha)
	a, b := math.Log(lo), math.Log(hi)
	h := (b - a) / steps
	f := func(u float64) float64 { return alpha * math.Pow(lo, alpha) / c * math.Exp((j-alpha)*u) }
	s := f(a) + f(b)
	for i := 1; i < steps; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		s += w * f(a+float64(i)*h)
	}
	return s * h / 3
}

// bParetoTruth returns mean and SCV of a bounded Pareto by integration.
func bParetoTruth(alpha, lo, hi float64) (float64, float64) {
	m1, m2 := bParetoMoment(alpha, lo, hi, 1), bParetoMoment(alpha, lo, hi, 2)
	return m1, m2/(m1*m1) - 1
}

var distCases = func() []struct {
	spec      string
	mean, scv float64 // expected, computed independently of the code under test
	tail      float64 // tail index when the 4th moment is infinite (heavy), else 0
} {
	bp := func(a, lo, hi float64) (float64, float64) { return bParetoTruth(a, lo, hi) }
	m1, s1 := bp(1.1, 0.1, 1000)
	m2, s2 := bp(1, 1, 100)
	m3, s3 := bp(2, 1, 100)
	m4, s4 := bp(2.5, 1, 50)
	return []struct {
		spec      string
		mean, scv float64
		tail      float64
	}{
		{"exp(mean=1)", 1, 1, 0},
		{"exp(mean=3)", 3, 1, 0},
		{"det(value=2)", 2, 0, 0},
		{"uniform(min=0, max=2)", 1, 1.0 / 3, 0},
		{"uniform(min=1, max=5)", 3, 16.0 / 12 / 9, 0},
		{"erlang(k=2, mean=1)", 1, 0.5, 0},
		{"erlang(k=5, mean=2)", 2, 0.2, 0},
		{"hyperexp(mean=1, scv=4)", 1, 4, 0},
		{"hyperexp(mean=2, scv=1)", 2, 1, 0},
		{"hyperexp(mean=1, scv=20)", 1, 20, 0},
		{"bpareto(alpha=1.1, min=0.1, max=1000)", m1, s1, 0},
		{"bpareto(alpha=1, min=1, max=100)", m2, s2, 0},
		{"bpareto(alpha=2, min=1, max=100)", m3, s3, 0},
		{"bpareto(alpha=2.5, min=1, max=50)", m4, s4, 0},
		{"lognormal(mean=1, scv=1)", 1, 1, 0},
		{"lognormal(mean=2, scv=0.25)", 2, 0.25, 0},
		{"weibull(k=0.5, mean=1)", 1, 5, 0},                    // Γ(5)/Γ(3)² - 1
		{"weibull(k=2, mean=1)", 1, 4/math.Pi - 1, 0},          // Γ(2)/Γ(1.5)² - 1
		{"pareto(alpha=2.5, mean=1)", 1, 1 / (2.5 * 0.5), 2.5}, // 4th moment infinite
		{"pareto(alpha=5, mean=1)", 1, 1.0 / 15, 0},            // all needed moments finite
		{"pareto(alpha=1.5, mean=1)", 1, math.Inf(1), 1.5},     // infinite variance
	}
}()

func TestDistMoments(t *testing.T) {
	const n = 400_000
	const z = 5 // standard errors allowed
	xs := make([]float64, n)
	for _, c := range distCases {
		t.Run(c.spec, func(t *testing.T) {
			d, err := ParseDist(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			if rel(d.Mean(), c.mean) > 1e-9 {
				t.Errorf("Mean() = %v, want %v", d.Mean(), c.mean)
			}
			if !(math.IsInf(c.scv, 1) && math.IsInf(d.SCV(), 1)) && rel(d.SCV(), c.scv) > 1e-6 {
				t.Errorf("SCV() = %v, want %v", d.SCV(), c.scv)
			}
			r := Stream(7, "sizes")
			for i := range xs {
				xs[i] = d.Rand(r)
				if !(xs[i] >= 0) {
					t.Fatalf("draw %d = %v, want >= 0", i, xs[i])
				}
			}
			mean, scv, seMean, seSCV := sampleStats(xs)
			if c.tail > 0 && c.tail <= 2 {
				// Infinite variance: the sample mean's error shrinks like
				// n^(1/alpha - 1) (stable law), not n^-1/2; SCV is not checked.
				tol := z * c.mean * math.Pow(n, 1/c.tail-1)
				if math.Abs(mean-c.mean) > tol {
					t.Errorf("sample mean %v, want %v ± %v (heavy tail)", mean, c.mean, tol)
				}
				return
			}
			// Use the true variance for the mean's standard error.
			seTrue := c.mean * math.Sqrt(c.scv/n)
			if math.Abs(mean-c.mean) > z*seTrue+1e-12 {
				t.Errorf("sample mean %v, want %v ± %v", mean, c.mean, z*seTrue)
			}
			if c.tail > 0 {
				// Infinite fourth moment: the sample SCV converges slowly
				// and from below; only check it is in the right region.
				if scv > 1.5*c.scv || scv < 0.5*c.scv {
					t.Errorf("sample SCV %v, want about %v (heavy tail)", scv, c.scv)
				}
				return
			}
			if math.Abs(scv-c.scv) > z*seSCV+1e-12 {
				t.Errorf("sample SCV %v, want %v ± %v (mean %v ± %v)", scv, c.scv, z*seSCV, mean, seMean)
			}
		})
	}
}

// rel is the relative difference of x from want.
func rel(x, want float64) float64 {
	if x == want {
		return 0
	}
	return math.Abs(x-want) / math.Abs(want)
}

func TestDistSeeds(t *testing.T) {
	for _, c := range distCases {
		d, err := ParseDist(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		a, b, o := Stream(1, "sizes"), Stream(1, "sizes"), Stream(2, "sizes")
		same, differ := true, false
		for range 20 {
			x, y, w := d.Rand(a), d.Rand(b), d.Rand(o)
			same = same && x == y
			differ = differ || x != w
		}
		if !same {
			t.Errorf("%s: same seed gave different samples", c.spec)
		}
		if !differ && c.scv > 0 {
			t.Errorf("%s: seeds 1 and 2 gave the same samples", c.spec)
		}
	}
}

func TestDistCanonical(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"exp", "exp(mean=1)"},
		{"exp()", "exp(mean=1)"},
		{" exp( mean = 2.50 ) ", "exp(mean=2.5)"},
		{"det", "det(value=1)"},
		{"uniform(max=2)", "uniform(min=0, max=2)"},
		{"erlang(k=2)", "erlang(k=2, mean=1)"},
		{"hyperexp(scv=4)", "hyperexp(mean=1, scv=4)"},
		{"bpareto(max=1e3, min=0.1, alpha=1.1)", "bpareto(alpha=1.1, min=0.1, max=1000)"},
		{"lognormal(scv=1)", "lognormal(mean=1, scv=1)"},
		{"weibull(k=0.5)", "weibull(k=0.5, mean=1)"},
		{"pareto(alpha=2.5)", "pareto(alpha=2.5, mean=1)"},
	} {
		d, err := ParseDist(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if d.String() != c.want {
			t.Errorf("%q: String() = %q, want %q", c.in, d.String(), c.want)
		}
		again, err := ParseDist(d.String())
		if err != nil || again.String() != d.String() {
			t.Errorf("%q: canonical form does not parse back: %v", d.String(), err)
		}
	}
}

func TestBadSpecs(t *testing.T) {
	dist := func(s string) error { _, err := ParseDist(s); return err }
	arr := func(s string) error { _, err := ParseArrival(s); return err }
	keys := func(s string) error { _, err := New(Config{Keys: s}); return err }
	for _, c := range []struct {
		parse func(string) error
		spec  string
		want  string // substring of the error
	}{
		{dist, "exp(mean=-1)", "exp: parameter mean: must be a finite number > 0, got -1"},
		{dist, "exp(mean=0)", "parameter mean"},
		{dist, "exp(mean=inf)", "parameter mean"},
		{dist, "exp(mean=x)", "parameter mean: want a number"},
		{dist, "exp(mean=1", "missing closing parenthesis"},
		{dist, "exp(rate=1)", "unknown parameter rate"},
		{dist, "", "empty"},
		{dist, "foo(x=1)", `unknown distribution "foo": known are bpareto, det, erlang, exp, hyperexp, lognormal, pareto, uniform, weibull`},
		{dist, "det(value=0)", "parameter value"},
		{dist, "uniform(min=2, max=1)", "parameter max: must be a finite number > min"},
		{dist, "uniform(min=-1, max=1)", "parameter min"},
		{dist, "uniform", "parameter max (upper bound, > min) is required"},
		{dist, "erlang(k=0)", "parameter k"},
		{dist, "erlang(k=1.5)", "parameter k: want a whole number"},
		{dist, "hyperexp(mean=1, scv=0.5)", "parameter scv: must be a finite number >= 1"},
		{dist, "hyperexp(mean=1)", "parameter scv"},
		{dist, "bpareto(alpha=1.1, min=2, max=1)", "parameter max: must be a finite number > min"},
		{dist, "bpareto(alpha=0, min=1, max=2)", "parameter alpha"},
		{dist, "bpareto(alpha=1, min=0, max=2)", "parameter min"},
		{dist, "lognormal(mean=1, scv=0)", "parameter scv"},
		{dist, "weibull(k=-1)", "parameter k"},
		{dist, "weibull(k=0.001)", "parameter k: 0.001 is too small"},
		{dist, "pareto(alpha=1)", "parameter alpha: must be a finite number > 1"},
		{arr, "mmpp(rates=[1], switch=[1,1])", "mmpp: parameter rates: want 2 values"},
		{arr, "mmpp(rates=[1,1], switch=[1])", "parameter switch: want 2 values"},
		{arr, "mmpp(rates=[1,1], switch=[1,0])", "parameter switch: values must be finite and > 0"},
		{arr, "mmpp(rates=[1,-1], switch=[1,1])", "parameter rates: values must be finite and >= 0"},
		{arr, "mmpp(rates=[0,0], switch=[1,1])", "at least one state"},
		{arr, "mmpp(rates=1, switch=[1,1])", "parameter rates: want a list"},
		{arr, "mmpp(rates=[1,1])", "parameter switch"},
		{arr, "poisson(rate=2)", "poisson takes no parameters"},
		{arr, "bursty", `unknown arrival process "bursty": known are det, mmpp, piecewise, poisson`},
		{arr, "poisson(", "missing closing parenthesis"},
		{keys, "zipf(n=10, s=1)", "parameter s: must be a finite number > 1"},
		{keys, "zipf(n=0)", "parameter n"},
		{keys, "zipf(s=2)", "parameter n"},
		{keys, "uniform(n=5)", `unknown key distribution "uniform"`},
	} {
		err := c.parse(c.spec)
		if err == nil {
			t.Errorf("%q: no error, want one containing %q", c.spec, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %q does not contain %q", c.spec, err, c.want)
		}
	}
}

func TestEntries(t *testing.T) {
	for _, list := range [][]Entry{DistEntries(), ArrivalEntries()} {
		for i, e := range list {
			if e.Doc == "" {
				t.Errorf("%s: no doc", e.Name)
			}
			if i > 0 && list[i-1].Name >= e.Name {
				t.Errorf("entries not sorted: %s before %s", list[i-1].Name, e.Name)
			}
		}
	}
	if got := DistEntries()[3]; got.Name != "exp" || got.Params != "mean=1" {
		t.Errorf("DistEntries()[3] = %+v", got)
	}
	if got := ArrivalEntries()[1]; got.Name != "mmpp" || got.Params != "rates=<list of numbers>, switch=<list of numbers>" {
		t.Errorf("ArrivalEntries()[1] = %+v", got)
	}
}
