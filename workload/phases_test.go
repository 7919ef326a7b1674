package workload

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestPhasesParse(t *testing.T) {
	for _, c := range []struct {
		cfg       Config
		size, err string
		mean, scv float64
		phases    int
	}{
		{cfg: Config{Phases: "cpu(exp(mean=0.2)), io(det(value=1)), cpu(exp(mean=0.3))"},
			size: "cpu(exp(mean=0.2)), io(det(value=1)), cpu(exp(mean=0.3))", mean: 0.5, scv: (0.04 + 0.09) / 0.25, phases: 3},
		{cfg: Config{Phases: "io(exp(mean=2)), cpu(det(value=1)), cpu(det(value=1)), io(det(value=1)), io(det(value=1))"},
			size: "io(exp(mean=2)), cpu(det(value=1)), cpu(det(value=1)), io(det(value=1)), io(det(value=1))", mean: 2, scv: 0, phases: 5},
		{cfg: Config{Size: "exp(mean=2)", IO: &IOConfig{Share: 0.5, Calls: 2}}, size: "exp(mean=2) with io(share=0.5, calls=2, wait=det)", mean: 2, scv: 1, phases: 5},
		{cfg: Config{Size: "exp(mean=2)", IO: &IOConfig{Share: 0}}, size: "exp(mean=2)", mean: 2, scv: 1, phases: 0},
		{cfg: Config{Phases: "cpu(exp(mean=1))", Size: "exp(mean=1)"}, err: "size or phases, not both"},
		{cfg: Config{Phases: "cpu(exp(mean=1))", IO: &IOConfig{Share: 0.5}}, err: "io or phases, not both"},
		{cfg: Config{Phases: "io(exp(mean=1))"}, err: "no cpu phase"},
		{cfg: Config{Phases: "call(tier=db, size=exp(mean=0.1)), cpu(exp(mean=1)), io(det(value=1)), call(size=det(value=0.2), tier=db), call(tier=cache, size=det(value=0.1))"},
			size: "call(tier=db, size=exp(mean=0.1)), cpu(exp(mean=1)), io(det(value=1)), call(tier=db, size=det(value=0.2)), call(tier=cache, size=det(value=0.1))", mean: 1, scv: 1, phases: 9},
		{cfg: Config{Phases: "disk(exp(mean=1))"}, err: "want cpu(DIST), io(DIST) or call(tier=NAME, size=DIST)"},
		{cfg: Config{Phases: "cpu(exp(mean=1)), call(size=exp(mean=1))"}, err: "a call needs the tier it calls"},
		{cfg: Config{Phases: "cpu(exp(mean=1)), call(tier=db)"}, err: "a call needs its service demand at the tier"},
		{cfg: Config{Phases: "cpu(exp(mean=1)), call(tier=db, tier=db, size=exp(mean=1))"}, err: "want tier=NAME and size=DIST, once each"},
		{cfg: Config{Phases: "cpu(exp(mean=1)), call(tier=db, size=exp(mean=-1))"}, err: "phase 2 (call)"},
		{cfg: Config{Phases: "cpu(exp(mean=1)),, io(det(value=1))"}, err: "phase 2 is empty"},
		{cfg: Config{Phases: "cpu(exp(mean=1)"}, err: "unbalanced"},
		{cfg: Config{Phases: "cpu(exp(mean=-1))"}, err: "phase 1 (cpu)"},
		{cfg: Config{IO: &IOConfig{Share: 1}}, err: "io.share must be at least 0 and below 1"},
		{cfg: Config{IO: &IOConfig{Share: 0.5, Wait: "pareto"}}, err: "io.wait must be det or exp"},
		{cfg: Config{Classes: []ClassConfig{{Size: "det(value=1)", Phases: "cpu(det(value=1))"}}}, err: "size or phases, not both"},
	} {
		w, err := New(c.cfg)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%+v: error %v, want one containing %q", c.cfg, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%+v: %v", c.cfg, err)
			continue
		}
		if got := w.SizeString(); got != c.size {
			t.Errorf("size %q, want %q", got, c.size)
		}
		if math.Abs(w.MeanSize()-c.mean) > 1e-12 || math.Abs(w.SizeSCV()-c.scv) > 1e-12 {
			t.Errorf("%s: mean %v scv %v, want %v %v", c.size, w.MeanSize(), w.SizeSCV(), c.mean, c.scv)
		}
		j := w.Generator(1, 1).Next()
		if len(j.Phases) != c.phases {
			t.Errorf("%s: %d phases, want %d", c.size, len(j.Phases), c.phases)
		}
	}
}

// TestPhasesDraw checks that io: keeps the CPU demands of the plain
// workload, that blocked time makes up the share asked for, and that a
// job's size is the sum of its bursts.
func TestPhasesDraw(t *testing.T) {
	plain, err := New(Config{Size: "exp(mean=1)"})
	if err != nil {
		t.Fatal(err)
	}
	for _, wait := range []string{"det", "exp"} {
		io, err := New(Config{Size: "exp(mean=1)", IO: &IOConfig{Share: 0.25, Calls: 3, Wait: wait}})
		if err != nil {
			t.Fatal(err)
		}
		gp, gi := plain.Generator(9, 1), io.Generator(9, 1)
		cpu, blocked := 0.0, 0.0
		const n = 200_000
		for i := 0; i < n; i++ {
			a, b := gp.Next(), gi.Next()
			if a.Size != b.Size || a.Arrival != b.Arrival {
				t.Fatalf("job %d: io changed the demand or arrival: %+v vs %+v", i, a, b)
			}
			sum := 0.0
			for k := 0; k < len(b.Phases); k += 2 {
				sum += b.Phases[k]
			}
			if math.Abs(sum-b.Size) > 1e-12*b.Size {
				t.Fatalf("job %d: bursts add up to %v, size %v", i, sum, b.Size)
			}
			cpu += b.Size
			blocked += b.Blocked()
		}
		if share := blocked / (cpu + blocked); math.Abs(share-0.25) > 0.005 {
			t.Errorf("wait %s: blocked share %.4f, want 0.25", wait, share)
		}
	}
	ph, err := New(Config{Phases: "cpu(exp(mean=0.2)), io(det(value=1)), cpu(det(value=0.3))"})
	if err != nil {
		t.Fatal(err)
	}
	g := ph.Generator(3, 1)
	for i := 0; i < 1000; i++ {
		j := g.Next()
		if j.Phases[1] != 1 || j.Phases[2] != 0.3 || math.Abs(j.Size-j.Phases[0]-0.3) > 1e-12 {
			t.Fatalf("job %d: phases %v size %v", i, j.Phases, j.Size)
		}
	}
}

// TestTasks checks that a fork-join request's tasks come together, share
// the request's ID, arrival, class and key, have sizes of their own, and
// that load counts the work of all of them.
func TestTasks(t *testing.T) {
	w, err := New(Config{Size: "exp(mean=2)", Tasks: 4, Keys: "zipf(n=10)", Classes: []ClassConfig{{Weight: 1}, {Weight: 1, Size: "det(value=1)"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := w.RateFor(0.5, 8, 1); math.Abs(got-0.5*8/(1.5*4)) > 1e-12 {
		t.Errorf("rate %v for 4 tasks of mean 1.5 on 8 servers at 0.5", got)
	}
	g := w.Generator(4, 1)
	for r := int64(0); r < 1000; r++ {
		first := g.Next()
		sizes := map[float64]bool{first.Size: true}
		for k := int32(1); k < 4; k++ {
			j := g.Next()
			if j.ID != r || j.Task != k || j.Arrival != first.Arrival || j.Class != first.Class || j.Key != first.Key {
				t.Fatalf("request %d task %d: %+v, first task %+v", r, k, j, first)
			}
			sizes[j.Size] = true
		}
		if first.ID != r || first.Task != 0 || (first.Class == 0 && len(sizes) != 4) {
			t.Fatalf("request %d: first task %+v, %d distinct sizes", r, first, len(sizes))
		}
	}
	if _, err := New(Config{Tasks: -1}); err == nil || !strings.Contains(err.Error(), "workload tasks") {
		t.Errorf("tasks -1: %v", err)
	}
}

// TestCalls checks which tier each wait of a class calls.
func TestCalls(t *testing.T) {
	w, err := New(Config{Phases: "cpu(det(value=1)), call(tier=db, size=det(value=0.5)), io(det(value=2)), io(det(value=1)), cpu(det(value=1))",
		Classes: []ClassConfig{{Name: "plain", Size: "exp(mean=1)"}, {Name: "calls"}, {Name: "cache", Phases: "cpu(det(value=1)), call(tier=cache, size=det(value=0.1))"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := w.Calls(0); got != nil {
		t.Errorf("plain class calls %q, want none", got)
	}
	if got := strings.Join(w.Calls(1), ","); got != "db," {
		t.Errorf("class calls: %q, want db then an I/O wait (the two io added up)", got)
	}
	if got := strings.Join(w.Called(), ","); got != "cache,db" {
		t.Errorf("called %q, want cache,db", got)
	}
	g := w.Generator(1, 1)
	j := g.Next()
	for i := 0; j.Class != 1 && i < 100; i++ {
		j = g.Next()
	}
	if want := []float64{1, 0.5, 0, 3, 1}; !slices.Equal(j.Phases, want) {
		t.Errorf("phases %v, want %v (a zero burst between the call and the I/O)", j.Phases, want)
	}
}
