package policy

import "github.com/loadlab/loadlab/param"

var switchingInfo = Info{
	Name: "switching",
	Params: param.Schema{
		{Name: "T", Kind: param.Int, Default: "1", Doc: "queue-length threshold of both modes"},
		paramProbes,
		{Name: "L", Kind: param.Float, Default: "0.85", Doc: "switch level, 0 < L ≤ 1: a pushing node turns to pull when its estimate of the fraction of busy servers reaches L"},
		{Name: "band", Kind: param.Float, Default: "0.15", Doc: "hysteresis: a pulling node turns back to push when its estimate falls below L − band"},
		{Name: "window", Kind: param.Int, Default: "256", Doc: "the estimate is the mean of this node's last window probe replies (one per decision)"},
	},
	Doc: "the lecture's hybrid: estimate the load (busy servers) from probe replies; below L act as sender.threshold (push), from L on as receiver.threshold (pull)",
	Ref: "Tanenbaum & van Steen, Distributed Systems, ch. 3 (hybrid); sender and receiver sides: Eager, Lazowska & Zahorjan, IEEE TSE 12(5) and Performance Evaluation 6(1), 1986; Shivaratri, Krueger & Singhal, IEEE Computer 25(12), 1992",
}

// switching is the lecture's hybrid of push and pull. Sender-initiated
// migration works well at low and medium load and is a disaster at high
// load (every arrival probes for receivers that are not there); receiver-
// initiated migration is the other way round (Eager, Lazowska & Zahorjan
// 1986; Shivaratri, Krueger & Singhal 1992). symmetric runs both always;
// switching runs one at a time, chosen by the node's estimate of the
// system's load:
//
//   - The estimate is the fraction of busy servers, min(Queue, Servers) /
//     Servers, averaged over the first probe reply of each of the node's
//     last window decisions, whichever mode probed: an estimate of the
//     utilisation, which is the offered load ρ plus the policy's own CPU
//     costs. The first probe of a decision goes to a node drawn at random
//     whatever it finds, so it samples the cluster without bias; the later
//     ones would not (a sender probes on while it finds busy nodes, a
//     receiver while it finds idle ones). A window rather than an
//     exponential average because its parameter reads directly as "how
//     many replies".
//   - Utilisation rather than queue length, because each node's share is
//     bounded: with the mean queue, one overloaded node (a slow one under
//     processor sharing, where pulls never find a waiting job) held every
//     estimate above the level, and the cluster stayed in a pull mode that
//     moved nothing.
//   - A node starts pushing, as sender.threshold: an arrival that finds
//     Queue ≥ T probes up to Lp nodes one at a time and goes to the first
//     with Queue < T. When the estimate reaches L it pulls instead, as
//     receiver.threshold: a completion that leaves Queue < T probes up to
//     Lp nodes and takes a waiting job from the first with Queue > T. It
//     pushes again when the estimate falls below L − band.
//   - In either mode it hands a waiting job to a node that asks, if it
//     has Queue > T, as receiver.threshold does.
//
// The band matters. Near the crossover, nodes in different modes at once
// do worse than all pushing or all pulling (a pulling node that is loaded
// never pushes, a pushing node that is idle never pulls; with the nodes
// split half and half by a fixed rule, at ρ = 0.75, the mean response was
// 11% above all pushing and 16% above all pulling). The load of a small
// cluster wanders (the number of busy servers among 20 goes up and down by
// a few at any ρ), so while it sits near L every node's estimate
// crosses L back and forth and, without hysteresis, the nodes stay split
// between the modes; with the band a node that turned stays turned unless
// the load really moved, and the nodes end up in one mode. The defaults
// suit T = 1 with the costs of
// examples/papers/lecture-hybrid.yaml (docs/papers/lecture-hybrid.md),
// where push and pull cross near ρ = 0.75.
type switching struct {
	Base
	snd     *sender
	rcv     *receiver
	level   float64
	band    float64
	pulling bool
	recent  []float64 // the last replies, a ring; len grows to the window
	next    int       // the ring's next slot once it is full
	view    replyView
}

func newSwitching(p param.Values) (MigrateBuilder, error) {
	if err := thresholdParams(p, true); err != nil {
		return nil, err
	}
	if err := atLeast(p, "window", 1); err != nil {
		return nil, err
	}
	level, band := p.Float("L"), p.Float("band")
	if !(level > 0 && level <= 1) {
		return nil, p.Errorf("L", "must be in (0, 1], a fraction of busy servers, got %g", level)
	}
	if !(band >= 0 && band < level) {
		return nil, p.Errorf("band", "must be ≥ 0 and below L = %g, got %g", level, band)
	}
	t, probes, window := p.Int("T"), p.Int("probes"), p.Int("window")
	return func(env Env) Migrator {
		s := &switching{
			snd:    newSender(ruleThreshold, t, probes, env),
			rcv:    newReceiverNode(t, probes, 0, false, env),
			level:  level,
			band:   band,
			recent: make([]float64, 0, window),
		}
		s.view.s = s
		return s
	}, nil
}

// replyView passes a decision's calls through to the backend's View and
// records the decision's first probe reply in the estimate.
type replyView struct {
	View
	s     *switching
	first bool // no reply recorded yet in this decision
}

func (v *replyView) Probe(nodes []NodeID, out []Load) {
	v.View.Probe(nodes, out)
	if v.first && len(nodes) > 0 {
		c := max(out[0].Servers, 1)
		v.s.observe(float64(min(out[0].Queue, c)) / float64(c))
		v.first = false
	}
}

func (s *switching) observe(q float64) {
	if len(s.recent) < cap(s.recent) {
		s.recent = append(s.recent, q)
		return
	}
	s.recent[s.next] = q
	s.next = (s.next + 1) % len(s.recent)
}

// switchMode turns to pull when the estimate reaches L and back to push
// when it falls below L − band, and reports whether the node pulls.
func (s *switching) switchMode() (pulling bool) {
	if len(s.recent) == 0 {
		return s.pulling
	}
	sum := 0.0
	for _, q := range s.recent {
		sum += q
	}
	est := sum / float64(len(s.recent))
	switch {
	case !s.pulling && est >= s.level:
		s.pulling = true
	case s.pulling && est < s.level-s.band:
		s.pulling = false
	}
	return s.pulling
}

func (s *switching) Arrived(v View, j *Job) Action {
	if s.switchMode() {
		return Action{}
	}
	s.view.View, s.view.first = v, true
	a := s.snd.Arrived(&s.view, j)
	s.view.View = nil
	return a
}

func (s *switching) Departed(v View) Action {
	if !s.switchMode() {
		return Action{}
	}
	s.view.View, s.view.first = v, true
	a := s.rcv.Departed(&s.view)
	s.view.View = nil
	return a
}

func (s *switching) Requested(v View, from NodeID) (first, n int) {
	return s.rcv.Requested(v, from)
}
