package workload

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// jobs draws n jobs from c at rate with seed.
func jobs(t testing.TB, c Config, seed uint64, rate float64, n int) []Job {
	t.Helper()
	w, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	g := w.Generator(seed, rate)
	out := make([]Job, n)
	for i := range out {
		out[i] = g.Next()
	}
	return out
}

func TestStream(t *testing.T) {
	h := fnv.New64a()
	h.Write([]byte("arrivals"))
	a, b := Stream(9, "arrivals"), Stream(9, "arrivals")
	want := rand64(9, h.Sum64())
	for range 5 {
		x := a.Uint64()
		if x != b.Uint64() || x != want.Uint64() {
			t.Fatal("Stream is not rand.New(rand.NewPCG(seed, fnv-1a-64(name)))")
		}
	}
	if Stream(9, "sizes").Uint64() == Stream(9, "arrivals").Uint64() {
		t.Error("streams sizes and arrivals agree")
	}
}

func TestDefaults(t *testing.T) {
	w, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if w.Arrival().String() != "poisson" || w.SizeString() != "exp(mean=1)" {
		t.Errorf("zero Config gave %s, %s", w.Arrival(), w.SizeString())
	}
	if got := w.Classes(); len(got) != 1 || got[0] != "default" {
		t.Errorf("Classes() = %v", got)
	}
	if n, spec := w.Keys(); n != 0 || spec != "" {
		t.Errorf("Keys() = %d, %q", n, spec)
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Error(err)
	}
	if w.MeanSize() != 1 || w.SizeSCV() != 1 {
		t.Errorf("MeanSize, SizeSCV = %v, %v", w.MeanSize(), w.SizeSCV())
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Arrival: "bursty"}, "workload arrival: unknown arrival process"},
		{Config{Size: "exp(mean=-1)"}, "workload size: exp: parameter mean"},
		{Config{Classes: []ClassConfig{{Name: "a"}, {Name: "a"}}}, `name "a" used twice`},
		{Config{Classes: []ClassConfig{{Name: "a", Weight: -1}}}, `class "a": weight must be`},
		{Config{Classes: []ClassConfig{{Name: "a", Size: "det(value=0)"}}}, `class "a" size: det: parameter value`},
		{Config{Keys: "zipf(n=5, s=0.5)"}, "workload keys: zipf: parameter s"},
	} {
		err := c.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.cfg, err, c.want)
		}
	}
}

func TestGeneratorDeterminism(t *testing.T) {
	c := Config{Arrival: "mmpp(rates=[0.5, 2], switch=[0.1, 0.1])", Size: "hyperexp(scv=4)",
		Classes: []ClassConfig{{Name: "a", Weight: 1}, {Name: "b", Weight: 2, Size: "det(value=2)"}},
		Keys:    "zipf(n=100)"}
	a, b, o := jobs(t, c, 1, 3, 2000), jobs(t, c, 1, 3, 2000), jobs(t, c, 2, 3, 2000)
	differ := 0
	for i := range a {
		if !reflect.DeepEqual(a[i], b[i]) {
			t.Fatalf("job %d: %+v vs %+v with the same seed", i, a[i], b[i])
		}
		if a[i].ID != int64(i) || (i > 0 && a[i].Arrival < a[i-1].Arrival) {
			t.Fatalf("job %d: %+v: ids or arrivals out of order", i, a[i])
		}
		if a[i].Arrival != o[i].Arrival {
			differ++
		}
	}
	if differ == 0 {
		t.Error("seeds 1 and 2 gave the same arrivals")
	}
}

func TestGeneratorStreamsIndependent(t *testing.T) {
	base := Config{}
	sizes := Config{Size: "bpareto(alpha=1.1, min=0.1, max=100)"}
	classes := Config{Classes: []ClassConfig{{Name: "x", Weight: 1, Size: "erlang(k=3)"}, {Name: "y", Weight: 3}}}
	classes2 := Config{Classes: []ClassConfig{{Name: "x", Weight: 1, Size: "det(value=7)"}, {Name: "y", Weight: 3, Size: "exp(mean=4)"}}}
	keys := Config{Keys: "zipf(n=50, s=2)"}
	j0, j1, j2, j3, j4 := jobs(t, base, 4, 1, 1000), jobs(t, sizes, 4, 1, 1000), jobs(t, classes, 4, 1, 1000), jobs(t, classes2, 4, 1, 1000), jobs(t, keys, 4, 1, 1000)
	for i := range j0 {
		for _, j := range [][]Job{j1, j2, j3, j4} {
			if j[i].Arrival != j0[i].Arrival {
				t.Fatalf("job %d: arrival changed with the size/class/key config", i)
			}
		}
		if j2[i].Class != j3[i].Class {
			t.Fatalf("job %d: class changed with the class sizes", i)
		}
		if j4[i].Size != j0[i].Size || j4[i].Class != 0 {
			t.Fatalf("job %d: size or class changed with the keys", i)
		}
		if j0[i].Key != 0 {
			t.Fatalf("job %d: key %d without keys", i, j0[i].Key)
		}
	}
}

func TestGeneratorNoAlloc(t *testing.T) {
	for _, c := range []Config{
		{},
		{Arrival: "det", Size: "det(value=2)"},
		{Arrival: "mmpp(rates=[0.5, 2], switch=[0.1, 0.1])", Size: "bpareto(alpha=1.1, min=0.1, max=1000)"},
		{Size: "erlang(k=3)", Classes: []ClassConfig{{Weight: 1}, {Weight: 2, Size: "lognormal(scv=2)"}, {Size: "weibull(k=0.5)"}, {Size: "pareto(alpha=2)"}}, Keys: "zipf(n=1000, s=1.1)"},
	} {
		w, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		g := w.Generator(1, 1)
		if a := testing.AllocsPerRun(1000, func() { g.Next() }); a != 0 {
			t.Errorf("%+v: Next allocates %v times per call", c, a)
		}
	}
}

func TestMixture(t *testing.T) {
	c := Config{Size: "exp(mean=1)", Classes: []ClassConfig{
		{Name: "short", Weight: 3},
		{Name: "long", Weight: 1, Size: "det(value=5)"},
	}}
	w, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	// E[X] = .75*1 + .25*5 = 2; E[X²] = .75*2 + .25*25 = 7.75; SCV = (7.75-4)/4.
	if w.MeanSize() != 2 || math.Abs(w.SizeSCV()-0.9375) > 1e-12 {
		t.Errorf("MeanSize, SizeSCV = %v, %v, want 2, 0.9375", w.MeanSize(), w.SizeSCV())
	}
	if got, want := w.SizeString(), "mix(0.75*exp(mean=1), 0.25*det(value=5))"; got != want {
		t.Errorf("SizeString() = %q, want %q", got, want)
	}
	if got := w.Classes(); len(got) != 2 || got[0] != "short" || got[1] != "long" {
		t.Errorf("Classes() = %v", got)
	}
	if got := w.ClassWeights(); got[0] != 0.75 || got[1] != 0.25 {
		t.Errorf("ClassWeights() = %v", got)
	}
	const n = 200_000
	js := jobs(t, c, 8, 1, n)
	long, sizes := 0, make([]float64, n)
	for i, j := range js {
		if j.Class == 1 {
			long++
			if j.Size != 5 {
				t.Fatalf("job %d of class long has size %v", i, j.Size)
			}
		}
		sizes[i] = j.Size
	}
	if p := float64(long) / n; math.Abs(p-0.25) > 5*math.Sqrt(0.25*0.75/n) {
		t.Errorf("class long has share %v, want 0.25", p)
	}
	mean, scv, _, seSCV := sampleStats(sizes)
	if math.Abs(mean-2) > 5*2*math.Sqrt(0.9375/n) || math.Abs(scv-0.9375) > 5*seSCV {
		t.Errorf("sample mean, SCV = %v, %v, want 2, 0.9375", mean, scv)
	}
	same, _ := New(Config{Classes: []ClassConfig{{Name: "a"}, {Name: "b", Size: "exp"}}})
	if same.SizeString() != "exp(mean=1)" || same.ClassWeights()[0] != 0.5 {
		t.Errorf("equal classes: SizeString %q, weights %v", same.SizeString(), same.ClassWeights())
	}
}

func TestKeys(t *testing.T) {
	const n, keys = 100_000, 1000
	js := jobs(t, Config{Keys: "zipf(n=1000, s=1.1)"}, 3, 1, n)
	count := make([]int, keys)
	for _, j := range js {
		if j.Key < 0 || j.Key >= keys {
			t.Fatalf("key %d out of range", j.Key)
		}
		count[j.Key]++
	}
	// P(k) ∝ (1+k)^-s: key 0 twice as popular as key 1 roughly (2^1.1 = 2.14).
	if !(count[0] > count[1] && count[1] > count[10] && count[10] > count[500]) {
		t.Errorf("keys not Zipf-popular: counts %d, %d, %d, %d", count[0], count[1], count[10], count[500])
	}
	if r := float64(count[0]) / float64(count[1]); math.Abs(r-math.Pow(2, 1.1)) > 0.15 {
		t.Errorf("count[0]/count[1] = %v, want about %v", r, math.Pow(2, 1.1))
	}
	w, _ := New(Config{Keys: "zipf(n=1000)"})
	if k, spec := w.Keys(); k != 1000 || spec != "zipf(n=1000, s=1.1)" {
		t.Errorf("Keys() = %d, %q", k, spec)
	}
}

func TestRateFor(t *testing.T) {
	w, err := New(Config{Size: "uniform(min=1, max=3)"})
	if err != nil {
		t.Fatal(err)
	}
	const rho, servers, speed = 0.8, 4, 1.5
	rate := w.RateFor(rho, servers, speed)
	if rel(rate, rho*servers*speed/2) > 1e-12 {
		t.Fatalf("RateFor = %v, want %v", rate, rho*servers*speed/2)
	}
	// Offered work per unit time over capacity is rho.
	const n = 200_000
	js := jobs(t, Config{Size: "uniform(min=1, max=3)"}, 2, rate, n)
	work := 0.0
	for _, j := range js {
		work += j.Size
	}
	load := work / js[n-1].Arrival / (servers * speed)
	if math.Abs(load-rho) > 0.01 {
		t.Errorf("measured load %v, want %v", load, rho)
	}
}

func TestSpeeds(t *testing.T) {
	for _, c := range []struct {
		spec string
		want []float64
	}{
		{"1", []float64{1, 1, 1, 1, 1}},
		{"1,2", []float64{1, 2, 1, 2, 1}},
		{" 0.5, 1 ,4 ", []float64{0.5, 1, 4, 0.5, 1}},
		{"det(value=3)", []float64{3, 3, 3, 3, 3}},
	} {
		got, err := Speeds(c.spec, 5, 1)
		if err != nil {
			t.Errorf("%q: %v", c.spec, err)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%q: %v, want %v", c.spec, got, c.want)
				break
			}
		}
	}
	a, err := Speeds("uniform(min=0.5, max=1.5)", 100, 7)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Speeds("uniform(min=0.5, max=1.5)", 100, 7)
	o, _ := Speeds("uniform(min=0.5, max=1.5)", 100, 8)
	for i := range a {
		if a[i] < 0.5 || a[i] >= 1.5 || a[i] != b[i] {
			t.Fatalf("speed %d = %v (again %v)", i, a[i], b[i])
		}
	}
	if a[0] == o[0] && a[1] == o[1] {
		t.Error("seeds 7 and 8 gave the same speeds")
	}
	for _, c := range []struct{ spec, want string }{
		{"0", "must be a finite number > 0"},
		{"1,-2", "value 2 (-2) must be"},
		{"", "empty spec"},
		{"fast", `unknown distribution "fast"`},
		{"1,,2", "not a number"},
		{"uniform(min=2, max=1)", "parameter max"},
	} {
		_, err := Speeds(c.spec, 3, 1)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one containing %q", c.spec, err, c.want)
		}
	}
	if _, err := Speeds("1", 0, 1); err == nil {
		t.Error("n = 0 accepted")
	}
}

func TestConstant(t *testing.T) {
	for _, c := range []struct {
		spec string
		v    float64
		same bool
	}{
		{"1", 1, true},
		{" 0.5 ", 0.5, true},
		{"2, 2,2", 2, true},
		{"0", 0, true},
		{"1,2", 0, false},
		{"det(value=3)", 0, false}, // a distribution: drawn per node
		{"uniform(min=0.5, max=1.5)", 0, false},
		{"", 0, false},
		{"fast", 0, false},
	} {
		if v, same := Constant(c.spec); v != c.v || same != c.same {
			t.Errorf("Constant(%q) = %v, %v; want %v, %v", c.spec, v, same, c.v, c.same)
		}
	}
}

// rand64 is the generator Stream must equal.
func rand64(seed, stream uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, stream)) }

func TestDistances(t *testing.T) {
	d, err := Distances("0, 0.1", 5, 1)
	if err != nil || !slices.Equal(d, []float64{0, 0.1, 0, 0.1, 0}) {
		t.Errorf("Distances(0, 0.1) = %v, %v", d, err)
	}
	d, err = Distances("uniform(min=0, max=0.2)", 50, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range d {
		if x < 0 || x > 0.2 {
			t.Fatalf("drew %v", x)
		}
	}
	for _, bad := range []string{"-0.1", "0,x", "", "exp(mean=-1)"} {
		if _, err := Distances(bad, 3, 1); err == nil || !strings.Contains(err.Error(), "distances") {
			t.Errorf("Distances(%q): %v", bad, err)
		}
	}
	if _, err := Speeds("0", 3, 1); err == nil {
		t.Error("Speeds(0) accepted")
	}
}

// TestRegions checks that requests come from each client region in its
// share (within four binomial standard deviations) and that bad shares
// are refused.
func TestRegions(t *testing.T) {
	w, err := New(Config{Regions: []float64{5, 3, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if got := w.RegionString(); got != "0.5,0.3,0.2" {
		t.Errorf("regions %s, want 0.5,0.3,0.2", got)
	}
	const n = 100_000
	counts := make([]float64, 3)
	g := w.Generator(7, 1)
	for range n {
		counts[g.Next().Region]++
	}
	for r, p := range w.Regions() {
		if sd := math.Sqrt(p * (1 - p) / n); math.Abs(counts[r]/n-p) > 4*sd {
			t.Errorf("region %d: share %.4f, want %.4f ± %.4f", r, counts[r]/n, p, 4*sd)
		}
	}
	for _, bad := range [][]float64{{0, 0}, {1, -1}, {math.Inf(1)}} {
		if _, err := New(Config{Regions: bad}); err == nil || !strings.Contains(err.Error(), "workload regions: ") {
			t.Errorf("regions %v: error %v", bad, err)
		}
	}
}
