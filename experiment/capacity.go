package experiment

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/loadlab/loadlab/stats"
)

// SLO is a service-level objective on one metric: its value must stay
// below Value (Less) or above it.
type SLO struct {
	Metric stats.Metric
	Less   bool
	Value  float64
}

func (o SLO) String() string {
	op := ">"
	if o.Less {
		op = "<"
	}
	return o.Metric.Name + op + strconv.FormatFloat(o.Value, 'g', -1, 64)
}

// sloAliases are the short names of the response-time metrics.
var sloAliases = map[string]string{"mean": "mean_response", "p50": "p50_response", "p95": "p95_response", "p99": "p99_response", "p999": "p999_response"}

// ParseSLO reads objectives joined by commas: "p99<10",
// "mean_response<2, throughput>3". Metrics are those of `loadlab metrics`;
// mean, p50, p95, p99 and p999 name the response time's.
func ParseSLO(s string) ([]SLO, error) {
	var out []SLO
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		i := strings.IndexAny(part, "<>")
		if i <= 0 {
			return nil, fmt.Errorf("objective %q: want METRIC<VALUE or METRIC>VALUE, e.g. p99<10", part)
		}
		name, num := strings.TrimSpace(part[:i]), strings.TrimSpace(part[i+1:])
		if a, ok := sloAliases[name]; ok {
			name = a
		}
		m, ok := stats.MetricByName(name)
		if !ok {
			return nil, fmt.Errorf("objective %q: unknown metric %q (loadlab metrics lists them; mean, p50, p95, p99, p999 name the response time's)", part, name)
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("objective %q: want a finite number after %c, got %q", part, part[i], num)
		}
		out = append(out, SLO{Metric: m, Less: part[i] == '<', Value: v})
	}
	return out, nil
}

// CapacityConfig says where and how finely capacity is searched.
type CapacityConfig struct {
	Lo, Hi float64 // the loads searched (default 0.05 and 0.99)
	Tol    float64 // the search stops when the bracket is this narrow (default 0.01)
	Rounds int     // rounds of the spec's replications a load may take to decide (default 3)
}

func (c *CapacityConfig) fill() {
	if c.Lo == 0 {
		c.Lo = 0.05
	}
	if c.Hi == 0 {
		c.Hi = 0.99
	}
	if c.Tol == 0 {
		c.Tol = 0.01
	}
	if c.Rounds == 0 {
		c.Rounds = 3
	}
}

// Probe is one load tried: each objective's metric (mean and the
// half-width of its 95% t-interval over the replications run) and the
// verdict.
type Probe struct {
	Load         float64
	Mean, Half   []float64 // per objective
	Replications int
	Meets        bool
}

// Capacity is the highest load at which one policy row met every
// objective on one workload (0 when even the lowest load did not), and
// the loads tried on the way.
type Capacity struct {
	Workload, Policy string
	Load             float64
	Probes           []Probe
}

// FindCapacity searches, for each workload and policy row of s on its
// first backend, the highest load that meets every objective, by
// bisection between cfg.Lo and cfg.Hi. A load meets them when each
// metric's 95% interval lies on the right side of its bound, and misses
// when one lies on the wrong side; an interval across a bound runs
// another round of replications (up to cfg.Rounds), then the means
// decide. progress, if set, hears of each load decided.
func FindCapacity(ctx context.Context, s *Spec, slos []SLO, cfg CapacityConfig, progress func(Capacity, Probe)) ([]Capacity, error) {
	cfg.fill()
	if !(cfg.Lo > 0 && cfg.Lo < cfg.Hi && cfg.Hi < 1) || !(cfg.Tol > 0) {
		return nil, fmt.Errorf("capacity: want 0 < lo < hi < 1 and tol > 0, got lo %v, hi %v, tol %v", cfg.Lo, cfg.Hi, cfg.Tol)
	}
	var out []Capacity
	for _, w := range s.Workloads {
		for _, p := range s.Policies {
			c := Capacity{Workload: w.Name, Policy: p.Name}
			try := func(load float64) (bool, error) {
				pr, err := s.probe(ctx, w, p, load, slos, cfg.Rounds)
				if err != nil {
					return false, err
				}
				c.Probes = append(c.Probes, pr)
				if progress != nil {
					progress(c, pr)
				}
				return pr.Meets, nil
			}
			lo, hi := cfg.Lo, cfg.Hi
			ok, err := try(lo)
			switch {
			case err != nil:
				return nil, err
			case !ok:
				out = append(out, c) // not even the lowest load
				continue
			}
			if ok, err = try(hi); err != nil {
				return nil, err
			} else if ok {
				lo = hi
			}
			for hi-lo > cfg.Tol && lo < hi {
				mid := math.Round((lo+hi)/2*1e6) / 1e6
				if ok, err = try(mid); err != nil {
					return nil, err
				}
				if ok {
					lo = mid
				} else {
					hi = mid
				}
			}
			c.Load = lo
			out = append(out, c)
		}
	}
	return out, nil
}

// probe runs policy row p on workload w at load until the objectives are
// decided or rounds of replications are spent.
func (s *Spec) probe(ctx context.Context, w Workload, p PolicyRow, load float64, slos []SLO, rounds int) (Probe, error) {
	pr := Probe{Load: load}
	vals := make([][]float64, len(slos))
	reps := max(s.Replications, 2)
	for round := 0; round < rounds; round++ {
		for rep := pr.Replications; rep < pr.Replications+reps; rep++ {
			one := *s
			one.Loads, one.Workloads, one.Policies, one.Backends = []float64{load}, []Workload{w}, []PolicyRow{p}, s.Backends[:1]
			one.Backend, one.Replications, one.Precision, one.Axis = s.Backends[0], 1, 0, nil
			one.Seed = PointSeed(s.Seed, w.Name, load, rep)
			pt, err := OnePoint(one, nil)
			if err != nil {
				return pr, fmt.Errorf("%s on %s at load %g: %w", p.Name, w.Name, load, err)
			}
			rec, err := Run(ctx, pt)
			if err != nil {
				return pr, fmt.Errorf("%s on %s at load %g: %w", p.Name, w.Name, load, err)
			}
			for i, o := range slos {
				v, ok := o.Metric.Value(rec.Result)
				if !ok || math.IsNaN(v) {
					v = math.Inf(1) // no value (nothing completed): the objective is missed
					if !o.Less {
						v = math.Inf(-1)
					}
				}
				vals[i] = append(vals[i], v)
			}
		}
		pr.Replications += reps
		pr.Mean, pr.Half = make([]float64, len(slos)), make([]float64, len(slos))
		meets, misses := true, false
		for i, o := range slos {
			m, h := stats.TInterval(vals[i])
			pr.Mean[i], pr.Half[i] = m, h
			above, below := m-h > o.Value, m+h < o.Value
			good, bad := below, above || math.IsInf(m, 0)
			if !o.Less {
				good, bad = above, below || math.IsInf(m, 0)
			}
			meets = meets && good
			misses = misses || bad
		}
		if meets || misses {
			pr.Meets = meets
			return pr, nil
		}
	}
	pr.Meets = true // undecided after every round: the means decide
	for i, o := range slos {
		if (o.Less && pr.Mean[i] >= o.Value) || (!o.Less && pr.Mean[i] <= o.Value) {
			pr.Meets = false
		}
	}
	return pr, nil
}
