package stats

import (
	"fmt"
	"math"
	"strings"

	"github.com/loadlab/loadlab/results"
)

// The queueing formulas below take ρ, the offered load per server, and
// return the mean response time (waiting plus service) of a job in units of
// the mean job size: multiply by the mean size to get model time. They
// return +Inf when ρ ≥ 1 (the queue is unstable) and NaN for ρ < 0.

// MM1 is the mean response time of an M/M/1 queue: 1/(1−ρ).
func MM1(rho float64) float64 {
	switch {
	case rho < 0 || math.IsNaN(rho):
		return math.NaN()
	case rho >= 1:
		return math.Inf(1)
	}
	return 1 / (1 - rho)
}

// MMk is the mean response time of an M/M/k queue with per-server load ρ:
// 1 + C(k, kρ)/(k(1−ρ)), where C is the Erlang C probability of waiting.
// Erlang B is computed by its recurrence B(j) = aB(j−1)/(j + aB(j−1)),
// which stays in [0, 1] and is stable for any k (no factorials or powers),
// and C = B/(1 − ρ(1 − B)).
func MMk(k int, rho float64) float64 {
	switch {
	case k < 1 || rho < 0 || math.IsNaN(rho):
		return math.NaN()
	case rho >= 1:
		return math.Inf(1)
	}
	a := float64(k) * rho
	b := 1.0
	for j := 1; j <= k; j++ {
		b = a * b / (float64(j) + a*b)
	}
	c := b / (1 - rho*(1-b))
	return 1 + c/(float64(k)*(1-rho))
}

// MG1 is the mean response time of an M/G/1 FCFS queue whose job sizes have
// squared coefficient of variation scv (Pollaczek–Khinchine):
// 1 + ρ(1+scv)/(2(1−ρ)). scv = 1 gives M/M/1, scv = 0 gives M/D/1.
func MG1(rho, scv float64) float64 {
	switch {
	case rho < 0 || scv < 0 || math.IsNaN(rho) || math.IsNaN(scv):
		return math.NaN()
	case rho >= 1:
		return math.Inf(1)
	}
	return 1 + rho*(1+scv)/(2*(1-rho))
}

// MG1PS is the mean response time of an M/G/1 processor-sharing queue,
// 1/(1−ρ) whatever the size distribution (insensitivity).
func MG1PS(rho float64) float64 { return MM1(rho) }

// Supermarket is the mean response time in the large-system limit of the
// supermarket model (Mitzenmacher 2001): Poisson arrivals, exponential
// sizes, FCFS servers, each job joins the shortest of d queues sampled at
// random. The fraction of queues with at least i jobs is ρ^((dⁱ−1)/(d−1)),
// so the mean response time is Σ_{i≥1} ρ^((dⁱ−d)/(d−1)). d = 1 is M/M/1.
func Supermarket(rho float64, d int) float64 {
	switch {
	case d < 1 || rho < 0 || math.IsNaN(rho):
		return math.NaN()
	case rho >= 1:
		return math.Inf(1)
	case d == 1:
		return MM1(rho)
	}
	// The exponent of term i is d + d² + … + d^(i−1); it grows so fast that
	// a handful of terms reach the cut-off.
	sum, exp, pow := 0.0, 0.0, 1.0
	for {
		term := math.Pow(rho, exp)
		sum += term
		if term < 1e-15 {
			return sum
		}
		pow *= float64(d)
		exp += pow
	}
}

// CurveRole says which bound a theory curve is.
type CurveRole int

// Roles of theory curves.
const (
	NoSharing      CurveRole = iota // every node on its own: the baseline load balancing must beat
	PerfectSharing                  // one central queue for all servers: the bound it cannot beat
	PolicyLimit                     // a policy's own closed form, such as pod(d)'s supermarket limit
)

// Curve is a named theory curve: mean response time in model time as a
// function of the per-server load ρ.
type Curve struct {
	Name string // for legends, e.g. "M/M/1 (no sharing)"
	Role CurveRole
	F    func(rho float64) float64
}

// System is what queueing theory needs to know about a point.
type System struct {
	Poisson     bool    // Poisson arrivals
	Homogeneous bool    // every server has speed 1
	Discipline  string  // fcfs or ps
	Nodes       int     // N
	Servers     int     // c, servers per node
	SizeMean    float64 // mean job size
	SizeSCV     float64 // squared coefficient of variation of sizes
}

// TheoryCurves returns the theory curves that apply to the point's
// workload, scaled by its mean job size; none when no closed form applies.
// See Curves for the rules.
//
// A point on a server architecture has none: the curves assume plain
// servers (docs/servers.md gives the closed forms each architecture meets
// in its special cases, which sim's TestTheory holds it to). Nor does a
// point whose requests are more than one job at one node: fork-join
// tasks, copies of a client policy, a front end on the way, or caches
// and per-client state that change a request's size; nor one whose
// nodes are at sites, whose latencies add to a response; nor a point
// with faults, whose cluster changes during the run, or finite queues.
func TheoryCurves(p results.Point) []Curve {
	if !plain(p) {
		return nil
	}
	return Curves(SystemOf(p))
}

// plain reports whether each of p's requests is one job at one plain
// server, whose size is the workload's and which nothing fails: the
// condition of every closed form here.
func plain(p results.Point) bool {
	return p.Server == "" && p.Tasks <= 1 && p.Client == "" && p.Front == "" && p.Cache == "" && p.State == "" && p.Topology == "" && p.Tiers == "" && p.Queue == 0 && p.Faults == "" &&
		p.Elastic == "" && p.Scale == "" && // the nodes change during the run
		(p.PowerModel == "" || strings.Contains(p.PowerModel, "speed=1,") && !strings.Contains(p.PowerModel, "sleep=")) // a DVFS level changes the nodes' speed, waking from sleep their response
}

// Curves returns the theory curves that apply to s. They need Poisson
// arrivals on a homogeneous cluster and a known mean size. For FCFS:
//   - no sharing: M/G/1 (M/M/1 when SCV = 1) with one server per node; M/M/c
//     with c servers per node, only for exponential sizes (SCV = 1);
//   - perfect sharing: M/M/(N·c), only for exponential sizes.
//
// For PS with one server per node: no sharing is M/G/1-PS.
func Curves(s System) []Curve {
	if !s.Poisson || !s.Homogeneous || s.SizeMean <= 0 || s.Nodes < 1 || s.Servers < 1 {
		return nil
	}
	m := s.SizeMean
	exp := math.Abs(s.SizeSCV-1) < 1e-9
	var out []Curve
	switch strings.ToLower(s.Discipline) {
	case "fcfs", "":
		switch {
		case s.Servers == 1 && exp:
			out = append(out, Curve{Name: "M/M/1 (no sharing)", Role: NoSharing, F: func(r float64) float64 { return m * MM1(r) }})
		case s.Servers == 1:
			scv := s.SizeSCV
			out = append(out, Curve{Name: "M/G/1 (no sharing)", Role: NoSharing, F: func(r float64) float64 { return m * MG1(r, scv) }})
		case exp:
			c := s.Servers
			out = append(out, Curve{Name: fmt.Sprintf("M/M/%d (no sharing)", c), Role: NoSharing, F: func(r float64) float64 { return m * MMk(c, r) }})
		}
		if k := s.Nodes * s.Servers; exp && k > s.Servers {
			out = append(out, Curve{Name: fmt.Sprintf("M/M/%d (perfect sharing)", k), Role: PerfectSharing, F: func(r float64) float64 { return m * MMk(k, r) }})
		}
	case "ps":
		if s.Servers == 1 {
			out = append(out, Curve{Name: "M/G/1-PS (no sharing)", Role: NoSharing, F: func(r float64) float64 { return m * MG1PS(r) }})
		}
	}
	return out
}

// PolicyCurve returns the closed form of the policy p ran, if it has one
// under p's conditions: the supermarket model's N → ∞ limit for pod(d=K)
// without migration, on exact information, FCFS one server per node,
// Poisson arrivals and exponential sizes on a homogeneous cluster.
func PolicyCurve(p results.Point) (Curve, bool) {
	s := SystemOf(p)
	var d int
	if _, err := fmt.Sscanf(p.Dispatch, "pod(d=%d)", &d); err != nil || d < 1 || p.Migrate != "none" || p.Gossip != 0 || !plain(p) {
		return Curve{}, false
	}
	if !s.Poisson || !s.Homogeneous || s.Servers != 1 || strings.ToLower(s.Discipline) != "fcfs" || math.Abs(s.SizeSCV-1) > 1e-9 || s.SizeMean <= 0 {
		return Curve{}, false
	}
	m := s.SizeMean
	return Curve{Name: fmt.Sprintf("supermarket d=%d (N→∞)", d), Role: PolicyLimit, F: func(r float64) float64 { return m * Supermarket(r, d) }}, true
}

// SystemOf reads a point's System: Poisson when Arrival is "poisson",
// homogeneous when Speeds is "1".
func SystemOf(p results.Point) System {
	return System{
		Poisson:     p.Arrival == "poisson",
		Homogeneous: p.Speeds == "1",
		Discipline:  p.Discipline,
		Nodes:       p.Nodes,
		Servers:     p.Servers,
		SizeMean:    p.SizeMean,
		SizeSCV:     p.SizeSCV,
	}
}

// MVA is exact mean-value analysis of a closed network of k identical
// FCFS exponential queues of mean service 1, each request visiting one
// of them with probability 1/k (random dispatch), and n users who think
// for a mean time z between requests: the throughput x and the mean
// response r (Reiser and Lavenberg; Lazowska et al., Quantitative System
// Performance, ch. 6). NaN for n < 1, k < 1 or z < 0.
func MVA(n, k int, z float64) (x, r float64) {
	if n < 1 || k < 1 || z < 0 || math.IsNaN(z) {
		return math.NaN(), math.NaN()
	}
	q := 0.0 // mean requests at one queue
	for m := 1; m <= n; m++ {
		r = 1 + q // time at the queue a request visits: its service and those ahead
		x = float64(m) / (r + z)
		q = x * r / float64(k)
	}
	return x, r
}

// MixedMVA is mean-value analysis of a mixed population at the queues
// MVA models: n closed users who think for a mean z, beside an open
// Poisson stream of rate lambda spread over the k queues at random
// (Lazowska et al., Quantitative System Performance, ch. 7). Each queue
// is busy U = lambda/k with open work; a closed request sees
// R_c(m) = (1 + Q_c(m−1)) / (1 − U) at the queue it visits, an open one
// (1 + Q_c(n)) / (1 − U). It returns the total throughput (closed and
// open) and the mean response over all requests; NaN for n < 1, k < 1,
// z < 0, lambda < 0 or U ≥ 1.
func MixedMVA(n, k int, z, lambda float64) (x, r float64) {
	u := lambda / float64(k)
	if n < 1 || k < 1 || z < 0 || math.IsNaN(z) || !(lambda >= 0) || u >= 1 {
		return math.NaN(), math.NaN()
	}
	q, xc, rc := 0.0, 0.0, 0.0 // q: closed requests at one queue
	for m := 1; m <= n; m++ {
		rc = (1 + q) / (1 - u)
		xc = float64(m) / (z + rc)
		q = xc * rc / float64(k)
	}
	ro := (1 + q) / (1 - u)
	return xc + lambda, (xc*rc + lambda*ro) / (xc + lambda)
}
