package policy_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/external"
	"github.com/loadlab/loadlab/param"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/workload"
)

func TestRegistryCanonical(t *testing.T) {
	r := policy.Builtin()
	for _, c := range []struct {
		kind policy.Kind
		spec string
		want string
	}{
		{policy.Dispatch, "pod", "pod(d=2)"},
		{policy.Dispatch, "pod()", "pod(d=2)"},
		{policy.Dispatch, " pod( d = 3 ) ", "pod(d=3)"},
		{policy.Dispatch, "pod(d=3.0)", "pod(d=3)"},
		{policy.Dispatch, "random", "random"},
		{policy.Dispatch, "rr()", "rr"},
		{policy.Dispatch, "jsq", "jsq"},
		{policy.Dispatch, "lwl", "lwl"},
		{policy.Dispatch, "jiq", "jiq(dispatchers=1, report=random, d=2)"},
		{policy.Dispatch, "class", "class"},
		{policy.Migrate, "none", "none"},
		{policy.Migrate, "sender.random", "sender.random(T=2)"},
		{policy.Migrate, "sender.threshold(probes=5, T=1)", "sender.threshold(T=1, probes=5)"},
		// Parameters added later leave the canonical form (and so the keys
		// of stored points) unchanged at their defaults.
		{policy.Migrate, "sender.shortest", "sender.shortest(T=2, probes=3)"},
		{policy.Migrate, "sender.shortest(stop=first-idle)", "sender.shortest(T=2, probes=3, stop=first-idle)"},
		{policy.Migrate, "receiver.threshold", "receiver.threshold(T=1, probes=3, retry=0, select=newest)"},
		{policy.Migrate, "receiver.threshold(retry=2.50)", "receiver.threshold(T=1, probes=3, retry=2.5, select=newest)"},
		{policy.Migrate, "receiver.threshold(pick=heaviest)", "receiver.threshold(T=1, probes=3, retry=0, select=newest, pick=heaviest)"},
		{policy.Migrate, "symmetric(T=3)", "symmetric(T=3, probes=3, select=newest)"},
		{policy.Migrate, "switching", "switching(T=1, probes=3, L=0.85, band=0.15, window=256)"},
	} {
		var got string
		var info policy.Info
		if c.kind == policy.Dispatch {
			s, err := r.Dispatch(c.spec)
			if err != nil {
				t.Errorf("Dispatch(%q): %v", c.spec, err)
				continue
			}
			got, info = s.String(), s.Info
		} else {
			s, err := r.Migrate(c.spec)
			if err != nil {
				t.Errorf("Migrate(%q): %v", c.spec, err)
				continue
			}
			got, info = s.String(), s.Info
		}
		if got != c.want {
			t.Errorf("%v %q: String() = %q, want %q", c.kind, c.spec, got, c.want)
		}
		if info.Kind != c.kind || !strings.HasPrefix(c.want, info.Name) {
			t.Errorf("%v %q: Info = {%s %v}, want {%s… %v}", c.kind, c.spec, info.Name, info.Kind, c.want, c.kind)
		}
	}
}

func TestRegistryErrors(t *testing.T) {
	r := policy.Builtin()
	for _, c := range []struct {
		kind policy.Kind
		spec string
		want []string // substrings of the error
	}{
		// Unknown names list the known ones of that kind.
		{policy.Dispatch, "jsqd", []string{`unknown dispatch policy "jsqd"`, "known are batch, class, dns, hash, hybrid, jiq, jsq, lard, leastconn, local, lwl, nearest, pod, pod.gossip, prequal, random, rr, sed, sita, wan, wrr"}},
		{policy.Migrate, "sender", []string{`unknown migrate policy "sender"`,
			"known are above.average, age, energy, none, receiver.reserve, receiver.threshold, sender.gossip, sender.random, sender.shortest, sender.threshold, stable.sender, stable.symmetric, steal, switching, symmetric"}},
		{policy.Dispatch, "sender.random", []string{`unknown dispatch policy "sender.random"`}},
		{policy.Migrate, "pod", []string{`unknown migrate policy "pod"`}},

		// Syntax.
		{policy.Dispatch, "", []string{"dispatch policy", "empty expression"}},
		{policy.Dispatch, "pod(d=2", []string{"dispatch policy", "missing closing parenthesis"}},
		{policy.Migrate, "symmetric(T=2, T=3)", []string{"migrate policy", "parameter T given twice"}},

		// Parameters: each error names the parameter.
		{policy.Dispatch, "pod(d=0)", []string{"pod: parameter d", "must be at least 1, got 0"}},
		{policy.Dispatch, "pod(d=-2)", []string{"parameter d", "at least 1"}},
		{policy.Dispatch, "pod(d=1.5)", []string{"parameter d", "whole number"}},
		{policy.Dispatch, "pod(d=two)", []string{"parameter d", "whole number"}},
		{policy.Dispatch, "pod(x=1)", []string{"pod: unknown parameter x", "allowed are d=2"}},
		{policy.Dispatch, "rr(d=1)", []string{"rr: unknown parameter d", "rr takes no parameters"}},
		{policy.Dispatch, "jiq(dispatchers=0)", []string{"parameter dispatchers", "at least 1"}},
		{policy.Migrate, "sender.threshold(T=0)", []string{"sender.threshold: parameter T", "must be at least 1, got 0"}},
		{policy.Migrate, "sender.threshold(probes=0)", []string{"parameter probes", "at least 1"}},
		{policy.Migrate, "sender.shortest(probes=-1)", []string{"parameter probes", "at least 1"}},
		{policy.Migrate, "sender.random(T=0)", []string{"parameter T", "at least 1"}},
		{policy.Migrate, "sender.random(probes=3)", []string{"unknown parameter probes", "allowed are T=2"}},
		{policy.Migrate, "receiver.threshold(retry=-1)", []string{"receiver.threshold: parameter retry", "must be ≥ 0, got -1"}},
		{policy.Migrate, "receiver.threshold(retry=inf)", []string{"parameter retry", "want a number"}},
		{policy.Migrate, "receiver.threshold(T=0)", []string{"parameter T", "at least 1"}},
		{policy.Migrate, "symmetric(probes=0)", []string{"parameter probes", "at least 1"}},
		{policy.Migrate, "symmetric(retry=1)", []string{"unknown parameter retry", "allowed are T=2, probes=3"}},
		{policy.Migrate, "none(T=1)", []string{"none takes no parameters"}},
		{policy.Migrate, "switching(L=0)", []string{"switching: parameter L", "must be in (0, 1], a fraction of busy servers, got 0"}},
		{policy.Migrate, "switching(L=1.5)", []string{"switching: parameter L", "must be in (0, 1]", "got 1.5"}},
		{policy.Migrate, "switching(window=0)", []string{"switching: parameter window", "at least 1"}},
		{policy.Migrate, "switching(band=-0.1)", []string{"switching: parameter band", "must be ≥ 0 and below L = 0.85, got -0.1"}},
		{policy.Migrate, "switching(L=1, band=1)", []string{"switching: parameter band", "must be ≥ 0 and below L = 1, got 1"}},
		{policy.Migrate, "switching(T=0)", []string{"switching: parameter T", "at least 1"}},
		{policy.Migrate, "switching(probes=0)", []string{"switching: parameter probes", "at least 1"}},
	} {
		var err error
		if c.kind == policy.Dispatch {
			_, err = r.Dispatch(c.spec)
		} else {
			_, err = r.Migrate(c.spec)
		}
		if err == nil {
			t.Errorf("%v %q: no error, want one containing %q", c.kind, c.spec, c.want)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v %q: error %q, want it to contain %q", c.kind, c.spec, err, w)
			}
		}
	}
}

func TestRegistryList(t *testing.T) {
	r := policy.Builtin()
	for kind, want := range map[policy.Kind][]string{
		policy.Dispatch: {"batch", "class", "dns", "hash", "hybrid", "jiq", "jsq", "lard", "leastconn", "local", "lwl", "nearest", "pod", "pod.gossip", "prequal", "random", "rr", "sed", "sita", "wan", "wrr"},
		policy.Migrate: {"above.average", "age", "energy", "none", "receiver.reserve", "receiver.threshold", "sender.gossip", "sender.random", "sender.shortest",
			"sender.threshold", "stable.sender", "stable.symmetric", "steal", "switching", "symmetric"},
	} {
		var names []string
		for _, i := range r.List(kind) {
			names = append(names, i.Name)
			if i.Kind != kind {
				t.Errorf("%s listed as %v, want %v", i.Name, i.Kind, kind)
			}
			if i.Doc == "" || strings.Contains(i.Doc, "\n") {
				t.Errorf("%v %s: Doc %q, want one non-empty line", kind, i.Name, i.Doc)
			}
			if i.Ref == "" {
				t.Errorf("%v %s: empty Ref", kind, i.Name)
			}
			for _, p := range i.Params {
				if p.Doc == "" {
					t.Errorf("%v %s: parameter %s has no Doc", kind, i.Name, p.Name)
				}
				if p.Default == "" {
					t.Errorf("%v %s: parameter %s is required; a bare name should run", kind, i.Name, p.Name)
				}
			}
		}
		if !slices.Equal(names, want) {
			t.Errorf("List(%v) = %v, want %v", kind, names, want)
		}
	}
}

// Each policy cites what it implements: these references were checked
// against the papers' own descriptions.
func TestRegistryReferences(t *testing.T) {
	r := policy.Builtin()
	for _, c := range []struct {
		kind policy.Kind
		name string
		want []string // substrings of Info.Ref
		not  []string // a wrong citation that must not come back
	}{
		// local routes by network distance; LARD (Pai et al.) routes by content.
		{policy.Dispatch, "local", []string{"Guyton & Schwartz", "SIGCOMM 1995"}, []string{"Pai", "LARD", "locality-aware request distribution"}},
		{policy.Dispatch, "class", []string{"Cardellini"}, nil},
		{policy.Migrate, "sender.threshold", []string{"Eager, Lazowska & Zahorjan"}, nil},
		// The lecture's hybrid, with the papers its two modes come from.
		{policy.Migrate, "switching", []string{"Tanenbaum & van Steen", "Eager, Lazowska & Zahorjan", "1986", "Shivaratri, Krueger & Singhal", "1992"}, nil},
	} {
		var ref string
		for _, i := range r.List(c.kind) {
			if i.Name == c.name {
				ref = i.Ref
			}
		}
		if ref == "" {
			t.Errorf("%v %s: not registered or no Ref", c.kind, c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(ref, w) {
				t.Errorf("%v %s: Ref %q, want it to cite %q", c.kind, c.name, ref, w)
			}
		}
		for _, w := range c.not {
			if strings.Contains(ref, w) {
				t.Errorf("%v %s: Ref %q cites %q, which describes another policy", c.kind, c.name, ref, w)
			}
		}
	}
}

func TestRegistryDuplicatePanics(t *testing.T) {
	nop := func(param.Values) (policy.DispatchBuilder, error) { return nil, nil }
	nopM := func(param.Values) (policy.MigrateBuilder, error) { return nil, nil }
	for _, c := range []struct {
		name    string
		add     func(r *policy.Registry)
		builtin bool // the name is one of Builtin's: the first add panics
		want    string
	}{
		{"dispatch", func(r *policy.Registry) { r.AddDispatch(policy.Info{Name: "x"}, nop) }, false, "duplicate registration of dispatch/x"},
		{"migrate", func(r *policy.Registry) { r.AddMigrate(policy.Info{Name: "x"}, nopM) }, false, "duplicate registration of migrate/x"},
		{"builtin dispatch", func(r *policy.Registry) { r.AddDispatch(policy.Info{Name: "pod"}, nop) }, true, "duplicate registration of dispatch/pod"},
		{"builtin migrate", func(r *policy.Registry) { r.AddMigrate(policy.Info{Name: "none"}, nopM) }, true, "duplicate registration of migrate/none"},
	} {
		r := policy.Builtin()
		if !c.builtin {
			c.add(r)
		}
		func() {
			defer func() {
				if p := recover(); p == nil {
					t.Errorf("%s: second registration did not panic", c.name)
				} else if !strings.Contains(fmt.Sprint(p), c.want) {
					t.Errorf("%s: panic %q, want %q", c.name, p, c.want)
				}
			}()
			c.add(r)
		}()
	}
	// The same name may be a dispatch strategy and a migration policy.
	r := policy.NewRegistry()
	r.AddDispatch(policy.Info{Name: "x"}, nop)
	r.AddMigrate(policy.Info{Name: "x"}, nopM)
	if len(r.List(policy.Dispatch)) != 1 || len(r.List(policy.Migrate)) != 1 {
		t.Errorf("a name registered once per kind: got lists %v and %v", r.List(policy.Dispatch), r.List(policy.Migrate))
	}
}

// A factory's error reaches the caller, and a registry of one's own works
// like Builtin.
func TestRegistryCustom(t *testing.T) {
	r := policy.NewRegistry()
	r.AddDispatch(policy.Info{
		Name:   "first",
		Params: param.Schema{{Name: "n", Kind: param.Int, Default: "0", Doc: "node"}},
		Doc:    "always node n",
	}, func(p param.Values) (policy.DispatchBuilder, error) {
		n := p.Int("n")
		if n < 0 {
			return nil, p.Errorf("n", "must be ≥ 0, got %d", n)
		}
		return func(env policy.Env) policy.Dispatcher {
			if env.Node != policy.None {
				t.Errorf("dispatcher built with Node %d, want None", env.Node)
			}
			return fixed(n)
		}, nil
	})
	if _, err := r.Dispatch("first(n=-1)"); err == nil || err.Error() != "first: parameter n: must be ≥ 0, got -1" {
		t.Errorf("Dispatch(first(n=-1)) error %v", err)
	}
	s, err := r.Dispatch("first(n=2)")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.New(policy.Env{Nodes: 3, Node: 1}).Pick(nil, nil); got != 2 {
		t.Errorf("Pick = %d, want 2", got)
	}
	if _, err := r.Migrate("first"); err == nil || !strings.Contains(err.Error(), `unknown migrate policy "first"`) {
		t.Errorf("Migrate on a registry without migration policies: %v", err)
	}
}

type fixed int

func (f fixed) Pick(policy.View, *policy.Job) policy.NodeID { return policy.NodeID(f) }

// Every registered policy, with its defaults and with small parameters, is
// pure and keeps the View contract: same seed and inputs, same decisions;
// nodes in range; never itself; transfers only from Arrived and never of a
// transferred job; Push names a job present; Requested hands over jobs
// present or none.
func TestConformance(t *testing.T) {
	r := external.Builtin()
	const nodes, steps = 7, 400
	env := func(self policy.NodeID) policy.Env {
		return policy.Env{Nodes: nodes, Servers: 2, Speeds: []float64{1, 2, 1, 1, 0.5, 1, 1},
			ClassWeights: []float64{0.5, 0.3, 0.2}, Node: self}
	}
	randomLoads := func(rng *rand.Rand) []policy.Load {
		l := make([]policy.Load, nodes)
		for i := range l {
			q := rng.IntN(6)
			l[i] = policy.Load{Queue: q, Running: min(q, 2), Work: rng.Float64() * 5, Servers: 2, Speed: env(0).Speed(policy.NodeID(i))}
		}
		return l
	}
	specs := map[policy.Kind][]string{}
	for _, k := range []policy.Kind{policy.Dispatch, policy.Migrate} {
		for _, i := range r.List(k) {
			if !required(i.Params) {
				specs[k] = append(specs[k], i.Name)
			}
		}
	}
	specs[policy.Dispatch] = append(specs[policy.Dispatch], dispatchVariants...)
	pyDispatch, pyMigrate := pythonVariants(t)
	specs[policy.Dispatch] = append(specs[policy.Dispatch], pyDispatch...)
	specs[policy.Migrate] = append(specs[policy.Migrate], migrateVariants...)
	specs[policy.Migrate] = append(specs[policy.Migrate], pyMigrate...)

	for _, spec := range specs[policy.Dispatch] {
		t.Run(spec, func(t *testing.T) {
			run := func() []policy.NodeID {
				s, err := r.Dispatch(spec)
				if err != nil {
					t.Fatal(err)
				}
				d := s.New(env(3))                 // New must override Node
				if e, ok := d.(policy.Ender); ok { // an external process
					defer func() {
						if err := errors.Join(e.Err(), e.End()); err != nil {
							t.Fatal(err)
						}
					}()
				}
				lim := probeLimit(t, s.String())
				idle, _ := d.(policy.IdleWatcher)
				done, _ := d.(policy.DoneWatcher)
				reply, _ := d.(policy.ReplyWatcher)
				board, _ := d.(policy.BoardWatcher)
				rng := rand.New(rand.NewPCG(7, 8))
				v := newView(t, policy.None, nil)
				var out []policy.NodeID
				var placed []policy.Job // jobs picked and not yet done
				for i := range steps {
					v.loads, v.gossip = randomLoads(rng), randomLoads(rng)
					if board != nil {
						for n, l := range v.gossip {
							board.Posted(policy.NodeID(n), l)
						}
					}
					v.reset()
					j := &policy.Job{Job: workload.Job{ID: int64(i), Class: int32(rng.IntN(4))}}
					n := d.Pick(v, j)
					if n < 0 || n >= nodes {
						t.Fatalf("pick %d: node %d, want 0..%d", i, n, nodes-1)
					}
					if len(v.sent) != 0 {
						t.Fatalf("pick %d: sent %v", i, v.sent)
					}
					if len(v.probed())+len(v.later) > lim && lim >= 0 {
						t.Fatalf("pick %d: probed %v and %v, more than its limit %d", i, v.probed(), v.later, lim)
					}
					out = append(out, n, policy.NodeID(len(v.probed())), policy.NodeID(len(v.later)))
					later := slices.Clone(v.later)
					v.reset()
					if idle != nil && rng.IntN(3) == 0 {
						idle.Idle(v, policy.NodeID(rng.IntN(nodes)))
					}
					// Completions and probe answers come back later and out
					// of order, as they do in a cluster.
					j.Origin = n
					placed = append(placed, *j)
					if done != nil && rng.IntN(2) == 0 {
						k := rng.IntN(len(placed))
						done.Done(v, &placed[k])
						placed = slices.Delete(placed, k, k+1)
					}
					if reply != nil {
						for _, p := range later {
							reply.Replied(v, p, v.loads[p])
						}
					}
					if len(v.rounds) != 0 {
						t.Fatalf("pick %d: Idle, Done or Replied probed", i)
					}
				}
				return out
			}
			if a, b := run(), run(); !reflect.DeepEqual(a, b) {
				t.Errorf("two runs with the same seed differ")
			}
		})
	}

	for _, spec := range specs[policy.Migrate] {
		t.Run(spec, func(t *testing.T) {
			run := func() []policy.Action {
				s, err := r.Migrate(spec)
				if err != nil {
					t.Fatal(err)
				}
				const self = 4
				m := s.New(env(self))
				if e, ok := m.(policy.Ender); ok { // an external process
					defer func() {
						if err := errors.Join(e.Err(), e.End()); err != nil {
							t.Fatal(err)
						}
					}()
				}
				lim := probeLimit(t, s.String())
				rng := rand.New(rand.NewPCG(7, 8))
				v := newView(t, self, nil)
				var out []policy.Action
				for i := range steps {
					v.loads = randomLoads(rng)
					v.now = float64(i)
					v.reset()
					e := event(rng.IntN(5))
					hops := int32(rng.IntN(2))
					a, req, n := call(m, v, e, hops)
					at := fmt.Sprintf("step %d: %v (hops %d, local %+v) → %+v", i, e, hops, v.loads[self], a)
					switch {
					case a.Verb == policy.Transfer && (e != arrived || hops > 0):
						t.Fatalf("%s: transfer not allowed here", at)
					case a.Verb == policy.Push && (a.Job < 0 || a.Job >= v.loads[self].Queue):
						t.Fatalf("%s: push of job %d, want one of 0..%d", at, a.Job, v.loads[self].Queue-1)
					case a.Verb != policy.Keep && (a.Node < 0 || a.Node >= nodes || a.Node == self):
						t.Fatalf("%s: target out of range or self", at)
					case a.Wake != 0 && a.Wake <= v.now:
						t.Fatalf("%s: wake-up not in the future", at)
					case e == requested && (n < 0 || (n > 0 && (req < 0 || req+n > v.loads[self].Queue))):
						t.Fatalf("%s: Requested = %d jobs from %d, want jobs among 0..%d", at, n, req, v.loads[self].Queue-1)
					}
					for _, m := range v.sent {
						if m.to < 0 || m.to >= nodes || m.to == self {
							t.Fatalf("%s: message to %d, want another node of 0..%d", at, m.to, nodes-1)
						}
					}
					if len(v.probed())+len(v.later) > lim && lim >= 0 {
						t.Fatalf("%s: probed %v and %v, more than its limit %d", at, v.probed(), v.later, lim)
					}
					out = append(out, a, policy.Action{Node: policy.NodeID(req), Job: n, Wake: float64(len(v.probed()))})
					// Being probed, and answers to ProbeLater, come between events.
					later := slices.Clone(v.later)
					v.reset()
					if pw, ok := m.(policy.PollWatcher); ok && rng.IntN(2) == 0 {
						from := policy.NodeID(rng.IntN(nodes))
						if from == self {
							from = policy.None
						}
						pw.Polled(v, from, randomLoads(rng)[0])
					}
					if rw, ok := m.(policy.ReplyWatcher); ok {
						for _, p := range later {
							rw.Replied(v, p, v.loads[p])
						}
					}
					if len(v.rounds) != 0 {
						t.Fatalf("step %d: Polled or Replied probed", i)
					}
				}
				return out
			}
			if a, b := run(), run(); !reflect.DeepEqual(a, b) {
				t.Errorf("two runs with the same seed differ")
			}
		})
	}
}

// required reports whether a schema has a parameter without a default
// (external's cmd): such a policy is tested through its variants.
func required(s param.Schema) bool {
	for _, p := range s {
		if p.Default == "" {
			return true
		}
	}
	return false
}

// pythonVariants are the Python example policies as external dispatch
// and migration specs, with their probe limits; none without python3.
func pythonVariants(t *testing.T) (dispatch, migrate []string) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Log("python3 is not installed: the conformance test leaves out the Python examples")
		return nil, nil
	}
	ex := filepath.Join("..", "python", "examples")
	dispatch = []string{
		`external(cmd="` + py + " " + filepath.Join(ex, "random_policy.py") + `", probes=0)`,
		`external(cmd="` + py + " " + filepath.Join(ex, "pod_policy.py") + ` 2", probes=2)`,
		`external(cmd="` + py + " " + filepath.Join(ex, "pod_policy.py") + ` 9", view=0, probes=7)`,
	}
	migrate = []string{
		`external(cmd="` + py + " " + filepath.Join(ex, "sender_threshold.py") + ` 2 2", probes=2)`,
		`external(cmd="` + py + " " + filepath.Join(ex, "sender_threshold.py") + ` 1 9", view=0, probes=9)`,
		// every call and answer: requests, hand-overs, pushes, wake-ups, messages, later probes
		`external(cmd="` + py + " " + filepath.Join("..", "external", "testdata", "every_call.py") + `", probes=1)`,
	}
	return dispatch, migrate
}

// probeLimit is the most nodes one decision of the policy with canonical
// spec may probe: its probes, d or polls parameter, 0 for a policy with
// none (it must not probe), or -1 when the spec does not say (hybrid: its
// inner strategy's defaults decide).
func probeLimit(t *testing.T, spec string) int {
	t.Helper()
	c, err := param.Parse(spec)
	if err != nil {
		t.Fatalf("canonical spec %q: %v", spec, err)
	}
	if c.Name == "hybrid" {
		return -1
	}
	for _, k := range []string{"probes", "d", "polls"} {
		if v, ok := c.Args[k]; ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("%s: %s=%q", spec, k, v)
			}
			return n
		}
	}
	return 0
}
