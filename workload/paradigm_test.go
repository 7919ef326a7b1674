package workload

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestParseParadigm(t *testing.T) {
	for _, c := range []struct {
		spec string
		want Paradigm
		str  string
	}{
		{"client-server", Paradigm{Name: "client-server", Code: CodeStays}, "client-server(hops=0)"},
		{"remote-evaluation", Paradigm{Name: "remote-evaluation", Code: CodePush}, "remote-evaluation(hops=0)"},
		{"code-on-demand", Paradigm{Name: "code-on-demand", Code: CodePull}, "code-on-demand(cache=0, hops=0)"},
		{"code-on-demand(cache=1e6, hops=2)", Paradigm{Name: "code-on-demand", Code: CodePull, Cache: 1e6, MaxHops: 2}, "code-on-demand(cache=1e+06, hops=2)"},
		{"mobile-agent", Paradigm{Name: "mobile-agent", Code: CodePush, State: true}, "mobile-agent(hops=0)"},
		{"mobile-agent(hops=3)", Paradigm{Name: "mobile-agent", Code: CodePush, State: true, MaxHops: 3}, "mobile-agent(hops=3)"},
		{" client-server( hops = 1 ) ", Paradigm{Name: "client-server", Code: CodeStays, MaxHops: 1}, "client-server(hops=1)"},
	} {
		p, err := ParseParadigm(c.spec)
		if err != nil {
			t.Errorf("%q: %v", c.spec, err)
			continue
		}
		if p != c.want || p.String() != c.str {
			t.Errorf("%q = %+v %q, want %+v %q", c.spec, p, p, c.want, c.str)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("%q: %v", c.spec, err)
		}
		if again, err := ParseParadigm(p.String()); err != nil || again != p {
			t.Errorf("%q: canonical %q reads back as %+v, %v", c.spec, p, again, err)
		}
	}
	for _, c := range []struct {
		spec string
		want string
	}{
		{"peer-to-peer", `unknown paradigm "peer-to-peer": known are client-server, code-on-demand, mobile-agent, remote-evaluation`},
		{"", "paradigm: empty expression"},
		{"mobile-agent(hops=-1)", "mobile-agent: parameter hops: must be ≥ 0"},
		{"mobile-agent(hops=1.5)", "mobile-agent: parameter hops: want a whole number"},
		{"mobile-agent(cache=10)", "mobile-agent: unknown parameter cache"},
		{"code-on-demand(cache=-1)", "code-on-demand: parameter cache: must be ≥ 0 bytes"},
	} {
		_, err := ParseParadigm(c.spec)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one containing %q", c.spec, err, c.want)
		}
	}
	if got := len(ParadigmEntries()); got != 4 {
		t.Errorf("%d paradigm entries, want 4", got)
	}
}

func TestParadigmValidate(t *testing.T) {
	for _, c := range []struct {
		p    Paradigm
		want string
	}{
		{Paradigm{Name: "x", Code: "teleport"}, `paradigm x: code: want none, push or pull, got "teleport"`},
		{Paradigm{Name: "x", Code: CodePush, Cache: 10}, "paradigm x: cache: only a paradigm that pulls code caches it"},
		{Paradigm{Name: "x", Code: CodePull, Cache: math.NaN()}, "paradigm x: cache: must be"},
		{Paradigm{Name: "x", Code: CodePull, MaxHops: -2}, "paradigm x: hops: must be ≥ 0"},
	} {
		if err := c.p.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.p, err, c.want)
		}
	}
}

func TestParadigmCanMove(t *testing.T) {
	for _, c := range []struct {
		spec    string
		hops    int
		hasCode bool
		want    error
	}{
		{"client-server", 0, true, nil},
		{"client-server", 0, false, ErrNoCode},
		{"client-server(hops=2)", 2, true, ErrHopLimit},
		{"remote-evaluation", 100, false, nil},
		{"remote-evaluation(hops=1)", 0, false, nil},
		{"remote-evaluation(hops=1)", 1, true, ErrHopLimit},
		{"code-on-demand", 5, false, nil},
		{"mobile-agent(hops=3)", 2, false, nil},
		{"mobile-agent(hops=3)", 3, true, ErrHopLimit},
		{"mobile-agent", 1000, false, nil},
	} {
		p, err := ParseParadigm(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		err = p.CanMove(c.hops, c.hasCode)
		if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("%s: CanMove(%d, %v) = %v, want %v", c.spec, c.hops, c.hasCode, err, c.want)
		}
	}
}

func TestParadigmNewCache(t *testing.T) {
	for _, c := range []struct {
		spec string
		want float64
	}{
		{"code-on-demand", math.Inf(1)},
		{"code-on-demand(cache=5e6)", 5e6},
		{"mobile-agent", math.Inf(1)},
	} {
		p, _ := ParseParadigm(c.spec)
		if got := p.NewCache().Capacity(); got != c.want {
			t.Errorf("%s: cache capacity %v, want %v", c.spec, got, c.want)
		}
	}
}

// TestParseParadigmConcurrent: parses share the presets' builders, and each
// gets its own parameters even when they run at once (two agents of one
// process configuring; run with -race).
func TestParseParadigmConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for hops := range 8 {
		wg.Go(func() {
			for range 200 {
				p, err := ParseParadigm("code-on-demand(hops=" + strconv.Itoa(hops) + ", cache=" + strconv.Itoa(hops*10) + ")")
				if err != nil || p.MaxHops != hops || p.Cache != float64(hops*10) {
					t.Errorf("hops=%d: got %+v, %v", hops, p, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
