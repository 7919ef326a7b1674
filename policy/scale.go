package policy

import (
	"math"

	"github.com/loadlab/loadlab/param"
)

// Members is what an autoscaler decides from, at a decision: the time,
// the nodes in service with their loads, the nodes still starting or
// draining, and how busy the cluster was since the last decision.
type Members struct {
	Now      float64
	Loads    []Load  // the nodes in service, nodes 0…len−1: their current loads
	Starting int     // nodes added and not yet in service
	Draining int     // nodes removed, finishing their work
	Slots    int     // the most nodes the cluster can have
	Servers  int     // servers per node
	Busy     float64 // time-average busy servers of the whole cluster since the last decision
}

// Util is the utilisation of the nodes in service since the last
// decision: Busy over their servers (1 without any).
func (m *Members) Util() float64 {
	if len(m.Loads) == 0 || m.Servers == 0 {
		return 1
	}
	return m.Busy / float64(len(m.Loads)*m.Servers)
}

// Scaler is an autoscaling policy: every Period model units it is shown
// the cluster and answers how many nodes to add (> 0) or remove (< 0).
// The backend clamps the answer to the cluster's slots, at least one node
// in service; a removal takes nodes still starting first.
type Scaler interface {
	Period() float64
	Scale(m *Members) int
}

// ScaleBuilder builds a fresh Scaler for a run.
type ScaleBuilder func() Scaler

// A ScaleFactory validates parameters and returns a builder.
type ScaleFactory func(p param.Values) (ScaleBuilder, error)

// ScaleSpec is a parsed, validated autoscaling policy.
type ScaleSpec struct {
	Info      Info
	canonical string
	build     ScaleBuilder
}

// New builds a fresh instance.
func (s *ScaleSpec) New() Scaler { return s.build() }

// String is the canonical spec with every parameter.
func (s *ScaleSpec) String() string {
	if s == nil {
		return ""
	}
	return s.canonical
}

// AddScale registers an autoscaling policy. It panics on a duplicate name.
func (r *Registry) AddScale(info Info, f ScaleFactory) {
	info.Kind = Scale
	r.add(entry{info: info, scale: f})
}

// Scale parses and validates an autoscaling spec such as
// "target(util=0.7)".
func (r *Registry) Scale(spec string) (*ScaleSpec, error) {
	e, v, err := r.lookup(Scale, spec)
	if err != nil {
		return nil, err
	}
	b, err := e.scale(v)
	if err != nil {
		return nil, err
	}
	return &ScaleSpec{Info: e.info, canonical: v.Canonical(e.info.Params), build: b}, nil
}

// bounds are the parameters every autoscaler has: its period and the
// nodes it keeps in service at least and at most (0: the slots).
var bounds = param.Schema{
	{Name: "period", Kind: param.Float, Default: "10", Doc: "model time between decisions, > 0"},
	{Name: "min", Kind: param.Int, Default: "1", Doc: "fewest nodes, >= 1"},
	{Name: "max", Kind: param.Int, Default: "0", Doc: "most nodes (0: the cluster's slots)"},
}

// scaleBounds reads and checks bounds.
type scaleBounds struct {
	period   float64
	min, max int
}

func readBounds(p param.Values) (scaleBounds, error) {
	b := scaleBounds{period: p.Float("period"), min: p.Int("min"), max: p.Int("max")}
	switch {
	case !(b.period > 0) || math.IsInf(b.period, 0):
		return b, p.Errorf("period", "want a finite model time > 0, got %v", b.period)
	case b.min < 1:
		return b, p.Errorf("min", "want at least 1 node, got %d", b.min)
	case b.max != 0 && b.max < b.min:
		return b, p.Errorf("max", "want 0 (the slots) or at least min (%d), got %d", b.min, b.max)
	}
	return b, nil
}

// Period is the time between decisions.
func (b scaleBounds) Period() float64 { return b.period }

// toward returns the change that brings the nodes in service or starting
// to want, within the bounds.
func (b scaleBounds) toward(m *Members, want int) int {
	hi := m.Slots
	if b.max > 0 {
		hi = min(hi, b.max)
	}
	want = min(max(want, b.min), hi)
	return want - (len(m.Loads) + m.Starting)
}

var targetInfo = Info{
	Name: "target",
	Params: append(param.Schema{
		{Name: "util", Kind: param.Float, Default: "0.7", Doc: "target utilisation of the nodes in service, in (0, 1]"},
		{Name: "window", Kind: param.Int, Default: "3", Doc: "scale in only to the highest count wanted over this many decisions, >= 1"},
	}, bounds...),
	Doc: "target tracking: keep ⌈busy servers / (servers·util)⌉ nodes; out at once, in to the highest count of the last window decisions",
	Ref: "AWS target tracking scaling; Kubernetes HPA (stabilisation window)",
}

type target struct {
	scaleBounds
	util   float64
	wanted []int // the counts wanted at the last window decisions, a ring
	next   int
}

func newTarget(p param.Values) (ScaleBuilder, error) {
	b, err := readBounds(p)
	if err != nil {
		return nil, err
	}
	u, w := p.Float("util"), p.Int("window")
	if !(u > 0 && u <= 1) {
		return nil, p.Errorf("util", "want a utilisation in (0, 1], got %v", u)
	}
	if w < 1 {
		return nil, p.Errorf("window", "want at least 1 decision, got %d", w)
	}
	return func() Scaler { return &target{scaleBounds: b, util: u, wanted: make([]int, 0, w)} }, nil
}

func (s *target) Scale(m *Members) int {
	want := int(math.Ceil(m.Busy/(float64(max(m.Servers, 1))*s.util) - 1e-9))
	if len(s.wanted) < cap(s.wanted) {
		s.wanted = append(s.wanted, want)
	} else {
		s.wanted[s.next] = want
		s.next = (s.next + 1) % len(s.wanted)
	}
	have := len(m.Loads) + m.Starting
	if want < have {
		for _, w := range s.wanted {
			want = max(want, w)
		}
	}
	return s.toward(m, want)
}

var thresholdInfo = Info{
	Name: "threshold",
	Params: append(param.Schema{
		{Name: "up", Kind: param.Float, Default: "0.8", Doc: "add step nodes when utilisation is above, in (0, 1]"},
		{Name: "down", Kind: param.Float, Default: "0.3", Doc: "remove step nodes when utilisation is below, in [0, up)"},
		{Name: "step", Kind: param.Int, Default: "1", Doc: "nodes added or removed at a time, >= 1"},
	}, bounds...),
	Doc: "step scaling: add step nodes above up utilisation, remove step below down, while none is starting",
	Ref: "AWS step scaling; Amazon EC2 Auto Scaling simple policies",
}

type threshold struct {
	scaleBounds
	up, down float64
	step     int
}

func newThreshold(p param.Values) (ScaleBuilder, error) {
	b, err := readBounds(p)
	if err != nil {
		return nil, err
	}
	s := threshold{scaleBounds: b, up: p.Float("up"), down: p.Float("down"), step: p.Int("step")}
	switch {
	case !(s.up > 0 && s.up <= 1):
		return nil, p.Errorf("up", "want a utilisation in (0, 1], got %v", s.up)
	case !(s.down >= 0 && s.down < s.up):
		return nil, p.Errorf("down", "want a utilisation in [0, up = %v), got %v", s.up, s.down)
	case s.step < 1:
		return nil, p.Errorf("step", "want at least 1 node, got %d", s.step)
	}
	return func() Scaler { t := s; return &t }, nil
}

func (s *threshold) Scale(m *Members) int {
	if m.Starting > 0 {
		return 0 // wait for the last change to take effect
	}
	have := len(m.Loads)
	switch u := m.Util(); {
	case u > s.up:
		return s.toward(m, have+s.step)
	case u < s.down:
		return s.toward(m, have-s.step)
	}
	return s.toward(m, have)
}
