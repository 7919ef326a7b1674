package workload

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// A job with phases alternates CPU bursts and blocking waits (I/O, a
// remote call): Job.Phases is [cpu₀, wait₀, cpu₁, wait₁, …, cpuₖ], CPU in
// size units (time on a speed-1 core) and waits in model time, and
// Job.Size is the sum of the bursts. Load stays defined on CPU demand.
// A wait holds the job's thread but no core; what that costs depends on
// the node's server architecture (package server).
//
// A workload gives phases in one of two ways:
//
//   - phases: "cpu(exp(mean=0.2)), io(det(value=1)), cpu(exp(mean=0.3))":
//     each phase with its own distribution. Consecutive phases of one kind
//     add up; a list that starts or ends with io has a zero burst there.
//   - call(tier=db, size=exp(mean=0.05)) among them is a wait spent on a
//     call to a shared tier (package tier): the job's thread is held while
//     the call travels, queues and is served there, for a service demand
//     drawn from size. Its time is known only when the call returns (the
//     simulator then records it in the job's Phases in place of the
//     demand). A call is never added to a neighbouring wait.
//   - io: {share: 0.5, calls: 1, wait: det} beside a size: the job's CPU
//     demand (drawn from size as for a plain job, so the same seed gives
//     the same demands) is cut into calls+1 equal bursts with a wait
//     between each two, the waits' mean chosen so that blocked time is
//     share of the job's mean time on a speed-1 node. A sweep axis over
//     workloads.0.io.share moves a request from CPU-bound to I/O-bound.
//
// Bursts are drawn from the "sizes" stream and waits from the "phases"
// stream, so adding waits does not change the CPU demands.

// MaxCalls is the most waits a job may have.
const MaxCalls = 10_000

// IOConfig makes every job of a workload block: see the package
// documentation on phases.
type IOConfig struct {
	Share float64 `yaml:"share"` // fraction of a job's mean time on a speed-1 node spent blocked, 0 ≤ share < 1 (0: no waits)
	Calls int     `yaml:"calls"` // waits per job (default 1)
	Wait  string  `yaml:"wait"`  // shape of each wait: det (default) or exp
}

// plan is how the jobs of a class alternate CPU bursts and waits.
type plan struct {
	bursts []Dist   // each burst's distribution (phases:), a nil entry a zero burst; nil with io:, where the class's size is split evenly
	waits  []Dist   // the waits: len(bursts)-1 with phases:, calls with io:
	tiers  []string // with calls: the tier each wait calls ("" for io), by wait; nil when none does
	spec   string   // canonical form, for a point's size
}

// phases returns the number of entries of a job's Phases.
func (p *plan) phases() int { return 2*len(p.waits) + 1 }

// draw fills ph (of length p.phases()) for a job whose size, with io:,
// was drawn already; it returns the job's size.
func (p *plan) draw(ph []float64, size float64, sr, pr *rand.Rand) float64 {
	if p.bursts != nil {
		size = 0
		for i, d := range p.bursts {
			ph[2*i] = 0
			if d != nil {
				ph[2*i] = d.Rand(sr)
				size += ph[2*i]
			}
		}
	} else {
		each := size / float64(len(p.waits)+1)
		for i := 0; i < len(ph); i += 2 {
			ph[i] = each
		}
	}
	for i, d := range p.waits {
		ph[2*i+1] = d.Rand(pr)
	}
	return size
}

// parsePhases parses a phases list: cpu(D), io(D) and call(tier=T,
// size=D) items separated by commas. It returns the plan and the
// distribution of the jobs' total CPU.
func parsePhases(s string) (*plan, Dist, error) {
	items, err := splitTop(s)
	if err != nil {
		return nil, nil, err
	}
	p := &plan{}
	var cur []Dist // bursts since the last wait
	var canon []string
	var tiers []string // the tier of each wait so far ("" for io)
	ioLast := false
	flush := func() {
		switch len(cur) {
		case 0:
			p.bursts = append(p.bursts, nil)
		case 1:
			p.bursts = append(p.bursts, cur[0])
		default:
			p.bursts = append(p.bursts, &sumDist{parts: cur})
		}
		cur = nil
	}
	for i, it := range items {
		kind, inner, ok := strings.Cut(it, "(")
		kind = strings.TrimSpace(kind)
		if !ok || !strings.HasSuffix(it, ")") || (kind != "cpu" && kind != "io" && kind != "call") {
			return nil, nil, fmt.Errorf("phase %d %q: want cpu(DIST), io(DIST) or call(tier=NAME, size=DIST), e.g. cpu(exp(mean=0.5)), io(det(value=1)) or call(tier=db, size=exp(mean=0.05))", i+1, it)
		}
		inner = strings.TrimSuffix(inner, ")")
		name := ""
		if kind == "call" {
			if name, inner, err = parseCall(inner); err != nil {
				return nil, nil, fmt.Errorf("phase %d %q: %w", i+1, it, err)
			}
		}
		d, err := ParseDist(inner)
		if err != nil {
			return nil, nil, fmt.Errorf("phase %d (%s): %w", i+1, kind, err)
		}
		if kind == "call" {
			canon = append(canon, "call(tier="+name+", size="+d.String()+")")
		} else {
			canon = append(canon, kind+"("+d.String()+")")
		}
		switch {
		case kind == "cpu":
			cur = append(cur, d)
			ioLast = false
			continue
		case kind == "io" && ioLast: // two waits of I/O in a row add up
			last := len(p.waits) - 1
			p.waits[last] = &sumDist{parts: []Dist{p.waits[last], d}}
			continue
		}
		flush() // a call, or a wait after a call: a zero burst between two waits
		p.waits = append(p.waits, d)
		tiers = append(tiers, name)
		ioLast = kind == "io"
	}
	flush()
	if slices.ContainsFunc(tiers, func(t string) bool { return t != "" }) {
		p.tiers = tiers
	}
	if len(p.waits) > MaxCalls {
		return nil, nil, fmt.Errorf("phases %q have %d waits: at most %d", s, len(p.waits), MaxCalls)
	}
	var cpu []Dist
	for _, d := range p.bursts {
		if d != nil {
			cpu = append(cpu, d)
		}
	}
	if len(cpu) == 0 {
		return nil, nil, fmt.Errorf("phases %q have no cpu phase: a job needs some CPU demand (load is defined on it)", s)
	}
	p.spec = strings.Join(canon, ", ")
	total := cpu[0]
	if len(cpu) > 1 {
		total = &sumDist{parts: cpu}
	}
	return p, total, nil
}

// parseCall parses the inside of call(tier=NAME, size=DIST): the tier's
// name and the size's distribution, in either order.
func parseCall(s string) (name, size string, err error) {
	args, err := splitTop(s)
	if err != nil {
		return "", "", err
	}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case !ok:
			return "", "", fmt.Errorf("argument %q: want tier=NAME or size=DIST", a)
		case k == "tier" && name == "":
			name = v
		case k == "size" && size == "":
			size = v
		default:
			return "", "", fmt.Errorf("argument %q: want tier=NAME and size=DIST, once each", a)
		}
	}
	switch {
	case name == "":
		return "", "", fmt.Errorf("a call needs the tier it calls: tier=NAME, a name of the spec's tiers")
	case size == "":
		return "", "", fmt.Errorf("a call needs its service demand at the tier: size=DIST, e.g. size=exp(mean=0.05)")
	}
	return name, size, nil
}

// ioPlan builds the plan of the io: shorthand for a class of the given
// CPU size distribution; nil when share is 0.
func ioPlan(c IOConfig, size Dist) (*plan, error) {
	if !(c.Share >= 0 && c.Share < 1) {
		return nil, fmt.Errorf("io.share must be at least 0 and below 1 (the fraction of a job's time spent blocked), got %v", c.Share)
	}
	if c.Calls < 0 || c.Calls > MaxCalls {
		return nil, fmt.Errorf("io.calls must be between 1 and %d (0 means 1), got %d", MaxCalls, c.Calls)
	}
	calls := max(c.Calls, 1)
	if c.Share == 0 {
		return nil, nil
	}
	mean := c.Share / (1 - c.Share) * size.Mean() / float64(calls)
	var wait Dist
	name := c.Wait
	switch c.Wait {
	case "", "det":
		wait, name = &detDist{value: mean}, "det"
	case "exp":
		wait = &expDist{mean: mean}
	default:
		return nil, fmt.Errorf("io.wait must be det or exp, got %q", c.Wait)
	}
	p := &plan{waits: make([]Dist, calls)}
	for i := range p.waits {
		p.waits[i] = wait
	}
	p.spec = fmt.Sprintf("%s with io(share=%v, calls=%d, wait=%s)", size, c.Share, calls, name)
	return p, nil
}

// splitTop splits s at the commas outside parentheses.
func splitTop(s string) ([]string, error) {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("phases %q: unbalanced parentheses", s)
			}
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("phases %q: unbalanced parentheses", s)
	}
	out = append(out, strings.TrimSpace(s[start:]))
	for i, it := range out {
		if it == "" {
			return nil, fmt.Errorf("phases %q: phase %d is empty", s, i+1)
		}
	}
	return out, nil
}

// sumDist is the sum of independent distributions: a job's CPU over its
// bursts, or consecutive phases of one kind.
type sumDist struct{ parts []Dist }

func (d *sumDist) Rand(r *rand.Rand) float64 {
	s := 0.0
	for _, p := range d.parts {
		s += p.Rand(r)
	}
	return s
}

func (d *sumDist) Mean() float64 {
	s := 0.0
	for _, p := range d.parts {
		s += p.Mean()
	}
	return s
}

// SCV adds the parts' variances: Var = Σ SCVᵢ·meanᵢ².
func (d *sumDist) SCV() float64 {
	v := 0.0
	for _, p := range d.parts {
		m := p.Mean()
		v += p.SCV() * m * m
	}
	if math.IsInf(v, 1) {
		return v
	}
	m := d.Mean()
	return v / (m * m)
}

func (d *sumDist) String() string {
	s := make([]string, len(d.parts))
	for i, p := range d.parts {
		s[i] = p.String()
	}
	return "sum(" + strings.Join(s, ", ") + ")"
}
