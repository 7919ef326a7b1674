package stats

import (
	"math"
	"testing"

	"github.com/loadlab/loadlab/results"
)

func near(a, b, tol float64) bool {
	if math.IsInf(a, 1) || math.IsInf(b, 1) {
		return math.IsInf(a, 1) && math.IsInf(b, 1)
	}
	return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b))
}

func TestTheoryValues(t *testing.T) {
	inf := math.Inf(1)
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"MM1(0)", MM1(0), 1},
		{"MM1(0.5)", MM1(0.5), 2},
		{"MM1(0.9)", MM1(0.9), 10},
		{"MM1(1)", MM1(1), inf},
		{"MG1(0.5, 0)", MG1(0.5, 0), 1.5},
		{"MG1(0.5, 1)", MG1(0.5, 1), 2},
		{"MG1(0.8, 4)", MG1(0.8, 4), 1 + 0.8*5/0.4},
		{"MG1PS(0.75)", MG1PS(0.75), 4},
		{"MMk(2, 0.5)", MMk(2, 0.5), 1 / (1 - 0.25)},
		{"MMk(2, 0.8)", MMk(2, 0.8), 1 / (1 - 0.64)}, // M/M/2: 1/(1−ρ²)
		{"MMk(3, 1)", MMk(3, 1), inf},
		{"Supermarket(0, 2)", Supermarket(0, 2), 1},
		{"Supermarket(0.5, 1)", Supermarket(0.5, 1), 2},
		{"Supermarket(1, 2)", Supermarket(1, 2), inf},
	} {
		if !near(c.got, c.want, 1e-12) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	for _, nan := range []float64{MM1(-0.1), MMk(0, 0.5), MG1(0.5, -1), Supermarket(0.5, 0)} {
		if !math.IsNaN(nan) {
			t.Errorf("invalid input gave %v, want NaN", nan)
		}
	}
}

func TestMMkIsMM1ForOneServer(t *testing.T) {
	for _, rho := range []float64{0, 0.1, 0.5, 0.9, 0.999} {
		if got, want := MMk(1, rho), MM1(rho); !near(got, want, 1e-12) {
			t.Errorf("MMk(1, %g) = %v, want MM1 = %v", rho, got, want)
		}
	}
}

// erlangC is the textbook formula, fine for small k.
func erlangC(k int, rho float64) float64 {
	a := float64(k) * rho
	var sum, term float64 = 0, 1
	for i := 0; i < k; i++ {
		if i > 0 {
			term *= a / float64(i)
		}
		sum += term
	}
	last := term * a / float64(k) / (1 - rho) // a^k/k! · 1/(1−ρ)
	return last / (sum + last)
}

func TestMMkAgainstTextbookErlangC(t *testing.T) {
	for _, k := range []int{2, 3, 8, 20} {
		for _, rho := range []float64{0.3, 0.7, 0.95} {
			want := 1 + erlangC(k, rho)/(float64(k)*(1-rho))
			if got := MMk(k, rho); !near(got, want, 1e-10) {
				t.Errorf("MMk(%d, %g) = %v, want %v", k, rho, got, want)
			}
		}
	}
}

func TestMMkLargeK(t *testing.T) {
	for _, c := range []struct {
		k      int
		rho    float64
		within float64 // of 1
	}{
		{1000, 0.9, 1e-3},
		{10000, 0.95, 1e-3},
		{10000, 0.999, 0.1},
	} {
		got := MMk(c.k, c.rho)
		if math.IsNaN(got) || math.IsInf(got, 0) || got < 1 || got-1 > c.within {
			t.Errorf("MMk(%d, %g) = %v, want finite and within %g of 1", c.k, c.rho, got, c.within)
		}
	}
	// More servers at the same load wait less.
	if !(MMk(64, 0.9) < MMk(16, 0.9) && MMk(16, 0.9) < MMk(4, 0.9)) {
		t.Error("MMk does not decrease with k")
	}
}

func TestSupermarket(t *testing.T) {
	for _, rho := range []float64{0.2, 0.7, 0.95} {
		if got, want := Supermarket(rho, 1), MM1(rho); !near(got, want, 1e-12) {
			t.Errorf("Supermarket(%g, 1) = %v, want MM1 = %v", rho, got, want)
		}
	}
	// Σ_{i≥1} 0.9^(2^i − 2), summed here independently: 1 + 0.9² + 0.9⁶ + 0.9¹⁴ + …
	want := 0.0
	for i := 1; i < 40; i++ {
		want += math.Pow(0.9, math.Pow(2, float64(i))-2)
	}
	got := Supermarket(0.9, 2)
	if !near(got, want, 1e-12) || math.Abs(got-2.6) > 0.05 {
		t.Errorf("Supermarket(0.9, 2) = %v, want %v (≈ 2.6)", got, want)
	}
	// d = 3: exponents (3^i − 3)/2 = 0, 3, 12, 39, …
	want3 := 1 + math.Pow(0.9, 3) + math.Pow(0.9, 12) + math.Pow(0.9, 39) + math.Pow(0.9, 120) + math.Pow(0.9, 363)
	if got := Supermarket(0.9, 3); !near(got, want3, 1e-12) {
		t.Errorf("Supermarket(0.9, 3) = %v, want %v", got, want3)
	}
	if !(Supermarket(0.9, 3) < Supermarket(0.9, 2) && Supermarket(0.9, 2) < MM1(0.9)) {
		t.Error("more choices should not be slower")
	}
}

func TestTheoryCurves(t *testing.T) {
	base := results.Point{Arrival: "poisson", Size: "exp", SizeMean: 1, SizeSCV: 1, Speeds: "1", Nodes: 64, Servers: 1, Discipline: "fcfs"}
	type want struct {
		name string
		at05 float64 // F(0.5)
	}
	for _, c := range []struct {
		name string
		edit func(*results.Point)
		want []want
	}{
		{"exp", func(*results.Point) {}, []want{{"M/M/1 (no sharing)", 2}, {"M/M/64 (perfect sharing)", MMk(64, 0.5)}}},
		{"exp mean 2", func(p *results.Point) { p.SizeMean = 2 }, []want{{"M/M/1 (no sharing)", 4}, {"M/M/64 (perfect sharing)", 2 * MMk(64, 0.5)}}},
		{"deterministic", func(p *results.Point) { p.SizeSCV = 0 }, []want{{"M/G/1 (no sharing)", 1.5}}},
		{"h2", func(p *results.Point) { p.SizeSCV = 4 }, []want{{"M/G/1 (no sharing)", 3.5}}},
		{"4 servers", func(p *results.Point) { p.Servers = 4 }, []want{{"M/M/4 (no sharing)", MMk(4, 0.5)}, {"M/M/256 (perfect sharing)", MMk(256, 0.5)}}},
		{"4 servers h2", func(p *results.Point) { p.Servers, p.SizeSCV = 4, 4 }, nil},
		{"ps", func(p *results.Point) { p.Discipline, p.SizeMean, p.SizeSCV = "ps", 3, 4 }, []want{{"M/G/1-PS (no sharing)", 6}}},
		{"ps 2 servers", func(p *results.Point) { p.Discipline, p.Servers = "ps", 2 }, nil},
		{"one node", func(p *results.Point) { p.Nodes = 1 }, []want{{"M/M/1 (no sharing)", 2}}},
		{"not poisson", func(p *results.Point) { p.Arrival = "mmpp(rates=[1, 2], switch=[0.1, 0.1])" }, nil},
		{"heterogeneous", func(p *results.Point) { p.Speeds = "1,2" }, nil},
		{"no size mean", func(p *results.Point) { p.SizeMean = 0 }, nil},
		{"server architecture", func(p *results.Point) { p.Server = "pool(n=4, switch=0.0005, quantum=0.4)" }, nil},
	} {
		p := base
		c.edit(&p)
		got := TheoryCurves(p)
		if len(got) != len(c.want) {
			t.Errorf("%s: %d curves, want %d", c.name, len(got), len(c.want))
			continue
		}
		for i, w := range c.want {
			if got[i].Name != w.name || !near(got[i].F(0.5), w.at05, 1e-12) {
				t.Errorf("%s: curve %d = %q with F(0.5) = %v, want %q with %v", c.name, i, got[i].Name, got[i].F(0.5), w.name, w.at05)
			}
		}
		if len(got) > 0 && got[0].Role != NoSharing {
			t.Errorf("%s: first curve has role %v, want NoSharing", c.name, got[0].Role)
		}
	}
}

func TestPolicyCurve(t *testing.T) {
	base := results.Point{Dispatch: "pod(d=2)", Migrate: "none", Arrival: "poisson", Speeds: "1", Discipline: "fcfs",
		Nodes: 100, Servers: 1, SizeMean: 1, SizeSCV: 1}
	cv, ok := PolicyCurve(base)
	if !ok || cv.Role != PolicyLimit || math.Abs(cv.F(0.9)-Supermarket(0.9, 2)) > 1e-12 {
		t.Fatalf("pod(d=2): %v %+v", ok, cv)
	}
	for name, p := range map[string]results.Point{
		"random":     func() results.Point { p := base; p.Dispatch = "random"; return p }(),
		"migrating":  func() results.Point { p := base; p.Migrate = "symmetric(T=2, probes=3)"; return p }(),
		"stale":      func() results.Point { p := base; p.Gossip = 1; return p }(),
		"heavy":      func() results.Point { p := base; p.SizeSCV = 4; return p }(),
		"two server": func() results.Point { p := base; p.Servers = 2; return p }(),
	} {
		if _, ok := PolicyCurve(p); ok {
			t.Errorf("%s: a supermarket curve where the model does not apply", name)
		}
	}
}

// TestMVA checks mean-value analysis against closed networks solved by
// hand: one user never waits; with no think time every user is queued,
// so the queue is always busy; two users at one queue with z = 1 (the
// machine-repairman model: P(both thinking) = 1/5 by its birth-death
// chain, so x = 4/5 and r = n/x − z = 3/2); NaN outside its domain.
func TestMVA(t *testing.T) {
	for _, c := range []struct {
		n, k int
		z    float64
		x, r float64
	}{
		{1, 1, 5, 1.0 / 6, 1},
		{1, 4, 0, 1, 1},
		{7, 1, 0, 1, 7},
		{2, 1, 1, 0.8, 1.5},
		{0, 1, 1, math.NaN(), math.NaN()},
		{1, 0, 1, math.NaN(), math.NaN()},
		{1, 1, -1, math.NaN(), math.NaN()},
	} {
		x, r := MVA(c.n, c.k, c.z)
		same := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 || (math.IsNaN(a) && math.IsNaN(b)) }
		if !same(x, c.x) || !same(r, c.r) {
			t.Errorf("MVA(%d, %d, %v) = %v, %v; want %v, %v", c.n, c.k, c.z, x, r, c.x, c.r)
		}
	}
}

// TestMixedMVA: without an open stream mixed MVA is MVA; one user at one
// queue beside an open stream of rate 0.5 sees a queue slowed to half
// its speed: R_c = 1/(1 − 0.5) = 2, x_c = 1/(z + 2), and the open
// requests R_o = (1 + x_c·R_c)/(1 − 0.5); NaN at an open load of 1.
func TestMixedMVA(t *testing.T) {
	x0, r0 := MVA(6, 4, 5)
	if x, r := MixedMVA(6, 4, 5, 0); math.Abs(x-x0) > 1e-12 || math.Abs(r-r0) > 1e-12 {
		t.Errorf("no open stream: %v, %v; MVA gives %v, %v", x, r, x0, r0)
	}
	xc := 1.0 / 7
	ro := (1 + 2*xc) / 0.5
	wantX, wantR := xc+0.5, (2*xc+0.5*ro)/(xc+0.5)
	if x, r := MixedMVA(1, 1, 5, 0.5); math.Abs(x-wantX) > 1e-12 || math.Abs(r-wantR) > 1e-12 {
		t.Errorf("one user beside 0.5: %v, %v; want %v, %v", x, r, wantX, wantR)
	}
	if x, _ := MixedMVA(1, 2, 5, 2); !math.IsNaN(x) {
		t.Errorf("open load 1: %v, want NaN", x)
	}
}
