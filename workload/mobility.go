package workload

import (
	"fmt"
	"math"
	"slices"
)

// Link is the network path of a migration, in model units.
type Link struct {
	Bandwidth float64 // bytes per model unit; 0 = infinite
	Latency   float64 // one way
}

// Validate reports a bandwidth or latency that is negative or not a finite number.
func (l Link) Validate() error {
	if err := bytesField("bandwidth", l.Bandwidth); err != nil {
		return err
	}
	return bytesField("latency", l.Latency)
}

// Transmit returns the time to put bytes on the wire: bytes / Bandwidth,
// 0 with infinite bandwidth. The latency is not included.
func (l Link) Transmit(bytes float64) float64 {
	if l.Bandwidth == 0 {
		return 0
	}
	return bytes / l.Bandwidth
}

// Method is how a unit moves.
type Method string

// Methods. Weak mobility moves code and initial state and restarts the
// unit; the three others are strong mobility, the ways virtual machines
// are migrated (Clark et al., "Live migration of virtual machines", NSDI
// 2005; Hines & Gopalan, "Post-copy based live virtual machine migration",
// VEE 2009).
const (
	Weak        Method = "weak"          // code and initial state; the unit restarts from the beginning
	StopAndCopy Method = "stop-and-copy" // stop, send everything, resume
	PreCopy     Method = "pre-copy"      // copy the state in rounds while running, then a short stop
	PostCopy    Method = "post-copy"     // stop for the context only, resume, pull the rest
)

var methods = []Method{Weak, StopAndCopy, PreCopy, PostCopy}

// Payload is what a migration must move, in bytes, and how the unit
// behaves meanwhile.
type Payload struct {
	Code      float64 // code bytes sent with the unit (0 when the code is not sent)
	Resources float64 // resource bytes moved or copied (ResourcePlan.Bytes)
	State     float64 // execution state bytes (for weak mobility, the initial state)
	Context   float64 // post-copy: the part of State sent before the unit resumes; capped at State
	Dirty     float64 // pre-copy: bytes of State the running unit writes per model unit
	Progress  float64 // work done; weak mobility discards it
}

// Cost is what one migration costs. Times are in model units.
type Cost struct {
	Method Method
	// Total runs from the start of the migration until the unit runs at
	// the destination with all its state there.
	Total float64
	// Downtime is how long the unit makes no progress: from its stop at
	// the source until it resumes at the destination.
	Downtime float64
	// Delay is the time the move adds to the unit's own execution:
	// Downtime, plus the progress lost while a post-copy unit runs slowed,
	// plus the work a weak move makes it redo.
	Delay float64
	// Redo is the progress a weak move discards (done again at the destination).
	Redo float64
	// Bytes is everything sent: CodeBytes + ResourceBytes + StateBytes.
	Bytes, CodeBytes, ResourceBytes, StateBytes float64
	// Rounds is the number of pre-copy rounds made while the unit ran,
	// the final stop-and-copy not counted; 0 for the other methods.
	Rounds int
	// Converged is false when pre-copy stopped at its round cap with more
	// than its threshold left dirty (always so when the dirty rate is at or
	// above the bandwidth); true otherwise.
	Converged bool
	// Slowed is how long a post-copy unit runs at 1/Slowdown of its speed
	// while the rest of its state is pulled.
	Slowed float64
}

// cost fills in a Cost whose code and resources travel before or with the state.
func cost(m Method, p Payload, stateBytes float64) Cost {
	return Cost{
		Method:        m,
		CodeBytes:     p.Code,
		ResourceBytes: p.Resources,
		StateBytes:    stateBytes,
		Bytes:         p.Code + p.Resources + stateBytes,
		Converged:     true,
	}
}

// WeakCost is weak mobility: the code, resources and initial state cross
// the wire and the unit restarts from the beginning at the destination.
// Total = Downtime = Latency + (Code + Resources + State)/Bandwidth;
// Delay = Total + Progress.
func WeakCost(l Link, p Payload) Cost {
	c := cost(Weak, p, p.State)
	c.Total = l.Latency + l.Transmit(c.Bytes)
	c.Downtime = c.Total
	c.Redo = p.Progress
	c.Delay = c.Total + c.Redo
	return c
}

// StopAndCopyCost is strong mobility by stop-and-copy: the unit stops, its
// code, resources and current state cross the wire, and it resumes from
// the same progress. Total = Downtime = Delay = Latency + bytes/Bandwidth.
func StopAndCopyCost(l Link, p Payload) Cost {
	c := cost(StopAndCopy, p, p.State)
	c.Total = l.Latency + l.Transmit(c.Bytes)
	c.Downtime = c.Total
	c.Delay = c.Total
	return c
}

// PreCopyCost is strong mobility by pre-copy (Clark et al. 2005). The unit
// keeps running at the source while code and resources are sent, then its
// state in rounds: round 0 sends the whole state S, and each later round
// resends what the unit wrote during the previous one, so with dirty rate r
// and bandwidth B round k sends S·(r/B)^k (never more than S). Rounds stop
// when at most threshold bytes are left or after maxRounds rounds; then the
// unit stops and the rest goes by stop-and-copy:
// Downtime = Delay = Latency + left/B, Total = the rounds' time + Downtime.
// With r ≥ B the rounds never shrink: the cap stops them and Converged is
// false. maxRounds < 1 counts as 1.
func PreCopyCost(l Link, p Payload, threshold float64, maxRounds int) Cost {
	t := l.Transmit(p.Code + p.Resources) // nothing of the state is sent yet: writes cost nothing
	left, sent := p.State, 0.0
	rounds, converged := 0, false
	for {
		d := l.Transmit(left)
		t += d
		sent += left
		rounds++
		left = math.Min(p.State, p.Dirty*d)
		if left <= threshold {
			converged = true
			break
		}
		if rounds >= maxRounds {
			break
		}
	}
	c := cost(PreCopy, p, sent+left)
	c.Rounds = rounds
	c.Converged = converged
	c.Downtime = l.Latency + l.Transmit(left)
	c.Delay = c.Downtime
	c.Total = t + c.Downtime
	return c
}

// PostCopyCost is strong mobility by post-copy (Hines & Gopalan 2009). The
// unit stops while its code, resources and execution context C (at most
// the state S) cross the wire, then resumes at the destination while the
// source streams the rest of the state, which the unit also pulls on
// demand. Downtime = Latency + (Code + Resources + C)/B; the pull lasts
// Slowed = (S − C)/B, during which the unit runs slowdown times slower
// (its faults wait on the network; slowdown ≥ 1, 1 = no penalty);
// Total = Downtime + Slowed; Delay = Downtime + Slowed·(1 − 1/slowdown).
// Every byte is sent once.
func PostCopyCost(l Link, p Payload, slowdown float64) Cost {
	ctx := math.Min(p.Context, p.State)
	c := cost(PostCopy, p, p.State)
	c.Downtime = l.Latency + l.Transmit(p.Code+p.Resources+ctx)
	c.Slowed = l.Transmit(p.State - ctx)
	c.Total = c.Downtime + c.Slowed
	c.Delay = c.Downtime
	if slowdown > 1 {
		c.Delay += c.Slowed * (1 - 1/slowdown)
	}
	return c
}

// Mobility says how units move. Zero fields take the defaults of
// DefaultMobility.
type Mobility struct {
	// Method is weak, stop-and-copy, pre-copy or post-copy; default
	// stop-and-copy. It applies to running units whose paradigm moves
	// state; weak makes every move weak.
	Method Method `yaml:"method"`
	// Threshold, pre-copy: stop the live rounds once at most this many
	// bytes are left to resend; default 204800 (50 pages of 4 KiB, Xen's
	// rule in xc_domain_save).
	Threshold float64 `yaml:"threshold"`
	// MaxRounds, pre-copy: the most live rounds before the final stop;
	// default 29 (Xen's DEF_MAX_ITERS).
	MaxRounds int `yaml:"max_rounds"`
	// Slowdown, post-copy: how many times slower the unit runs while its
	// state is pulled, ≥ 1; default 1 (no penalty, the optimistic bound:
	// set it from measurements of the kernel's fault rate).
	Slowdown float64 `yaml:"slowdown"`
}

// Defaults of Mobility.
const (
	DefaultThreshold = 50 * 4096
	DefaultMaxRounds = 29
)

// DefaultMobility returns stop-and-copy with the pre- and post-copy
// parameters at their defaults.
func DefaultMobility() Mobility {
	return Mobility{Method: StopAndCopy, Threshold: DefaultThreshold, MaxRounds: DefaultMaxRounds, Slowdown: 1}
}

// WithDefaults fills in the zero fields from DefaultMobility.
func (m Mobility) WithDefaults() Mobility {
	d := DefaultMobility()
	if m.Method == "" {
		m.Method = d.Method
	}
	if m.Threshold == 0 {
		m.Threshold = d.Threshold
	}
	if m.MaxRounds == 0 {
		m.MaxRounds = d.MaxRounds
	}
	if m.Slowdown == 0 {
		m.Slowdown = d.Slowdown
	}
	return m
}

// Validate reports the first invalid field, named by its YAML key.
func (m Mobility) Validate() error {
	if m.Method != "" && !slices.Contains(methods, m.Method) {
		return fmt.Errorf("method: want weak, stop-and-copy, pre-copy or post-copy, got %q", m.Method)
	}
	if err := bytesField("threshold", m.Threshold); err != nil {
		return err
	}
	if m.MaxRounds < 0 || m.MaxRounds > 1000 {
		return fmt.Errorf("max_rounds: must be between 1 and 1000 (0 = %d), got %d", DefaultMaxRounds, m.MaxRounds)
	}
	if m.Slowdown != 0 && !(m.Slowdown >= 1 && !math.IsInf(m.Slowdown, 0)) {
		return fmt.Errorf("slowdown: must be a finite number ≥ 1 (0 = 1), got %v", m.Slowdown)
	}
	return nil
}

// Cost returns what moving a unit with payload p over l costs by m's
// method (defaults filled in for zero fields).
func (m Mobility) Cost(l Link, p Payload) Cost {
	m = m.WithDefaults()
	switch m.Method {
	case Weak:
		return WeakCost(l, p)
	case PreCopy:
		return PreCopyCost(l, p, m.Threshold, m.MaxRounds)
	case PostCopy:
		return PostCopyCost(l, p, m.Slowdown)
	default:
		return StopAndCopyCost(l, p)
	}
}
