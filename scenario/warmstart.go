package scenario

import (
	"math"

	"github.com/loadlab/loadlab/param"
)

// WarmStart is how full the nodes are at time 0, for a large system that
// would otherwise spend most of its run filling up from empty: each node
// holds k jobs with the probability that the tail gives, drawn per node
// from the point's seed. The jobs it starts with take their sizes from the
// workload, are not issued jobs (no record counts them, nor do the
// statistics) and are served like any other. The warm-up still applies,
// and the record's steady_from says whether the run started near its
// steady state.
type WarmStart struct {
	spec string    // canonical form
	d    int       // meanfield(d): the tail follows the load
	tail []float64 // tail(at_least=…): given
}

var warmStarts = param.Registry[*WarmStart]{
	{Name: "meanfield", Doc: "the mean-field fixed point of power of d choices on single-server nodes, Poisson arrivals and exponential sizes: a fraction ρ^((d^k−1)/(d−1)) of the nodes hold at least k jobs (d=1: independent M/M/1 queues, ρ^k)",
		Schema: param.Schema{{Name: "d", Kind: param.Int, Default: "2", Doc: "choices of the dispatch strategy"}},
		Build: func(v param.Values) (*WarmStart, error) {
			d := v.Int("d")
			if d < 1 {
				return nil, v.Errorf("d", "must be at least 1, got %d", d)
			}
			return &WarmStart{d: d}, nil
		}},
	{Name: "tail", Doc: "a fraction at_least[k−1] of the nodes hold at least k jobs, k = 1, 2, …",
		Schema: param.Schema{{Name: "at_least", Kind: param.Floats, Doc: "fractions of the nodes with at least 1, 2, … jobs, from 1 down to 0"}},
		Build: func(v param.Values) (*WarmStart, error) {
			t := v.Floats("at_least")
			prev := 1.0
			for i, f := range t {
				if !(f >= 0 && f <= prev) {
					return nil, v.Errorf("at_least", "must fall from 1 to 0: at_least[%d] = %g after %g", i, f, prev)
				}
				prev = f
			}
			return &WarmStart{tail: t}, nil
		}},
}

// ParseWarmStart reads a warm start: meanfield(d=2) or
// tail(at_least=[0.9, 0.5, 0.1]). "" and "empty" are nil: nodes start
// empty.
func ParseWarmStart(spec string) (*WarmStart, error) {
	if spec == "" || spec == "empty" {
		return nil, nil
	}
	w, canon, err := warmStarts.ParseCanonical("warm start", spec)
	if err != nil {
		return nil, err
	}
	w.spec = canon
	return w, nil
}

// WarmStarts lists the warm starts for `loadlab policies`.
func WarmStarts() []param.Entry { return warmStarts.Entries() }

// String is the canonical form ("" for nil: empty).
func (w *WarmStart) String() string {
	if w == nil {
		return ""
	}
	return w.spec
}

// Tail returns, for k = 1, 2, …, the fraction of nodes that hold at least
// k jobs at load rho (meanfield: until the fraction falls below 1e-12).
func (w *WarmStart) Tail(rho float64) []float64 {
	if w.d == 0 {
		return w.tail
	}
	var t []float64
	for k := 1; ; k++ {
		e := float64(k) // (d^k − 1)/(d − 1), and k for d = 1
		if w.d > 1 {
			e = (math.Pow(float64(w.d), float64(k)) - 1) / float64(w.d-1)
		}
		s := math.Pow(rho, e)
		if s < 1e-12 || k > 10_000 {
			return t
		}
		t = append(t, s)
	}
}

// Jobs draws how many jobs a node starts with, from u uniform in [0, 1).
func Jobs(tail []float64, u float64) int {
	k := 0
	for k < len(tail) && u < tail[k] {
		k++
	}
	return k
}

// check reports what the model's warm start cannot go with.
func (w *WarmStart) check(m Model) error {
	if w.d > 0 && m.Servers != 1 {
		return Errorf("warm_start", "meanfield(d) is the fixed point of single-server nodes, and nodes have %d servers: give the tail instead, tail(at_least=[…])", m.Servers)
	}
	for _, c := range []struct {
		on   bool
		what string
	}{
		{m.Queue > 0, "a finite queue"}, {m.Admit != nil && !m.Admit.Admits(), "an admission policy"},
		{len(m.Faults) > 0, "faults"}, {m.Elastic != nil || m.Scale != nil, "an elastic cluster"},
		{m.Server != nil, "a server architecture"},
		{len(m.Tiers) > 0, "tiers"}, {m.Front != nil, "a front end"},
	} {
		if c.on {
			return Errorf("warm_start", "not with %s: the jobs a node starts with are plain jobs of no request; start empty (warm_start: empty) or leave out %s", c.what, c.what)
		}
	}
	return nil
}
