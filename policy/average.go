package policy

import "github.com/loadlab/loadlab/param"

var aboveAverageInfo = Info{
	Name: "above.average",
	Params: param.Schema{
		{Name: "range", Kind: param.Float, Default: "0.5", Doc: "half-width of the acceptable range around the estimated average, in jobs"},
		{Name: "timeout", Kind: param.Float, Default: "1", Doc: "TooHigh, TooLow and AwaitingTask timeouts"},
	},
	Doc: "above-average: a node outside an acceptable range around its estimate of the average broadcasts TooHigh or TooLow; a node below accepts, and a sender still above pushes a job to it",
	Ref: "Krueger & Finkel, Univ. of Wisconsin CS TR 539, 1984; Shivaratri, Krueger & Singhal, IEEE Computer 25(12), 1992 (above-average)",
}

// Message kinds of above.average. A node's load rides in Value (TooHigh,
// TooLow, Accept) for information; ChangeAverage carries the sender's new
// estimate of the average.
const (
	msgTooHigh uint8 = 1 + iota
	msgTooLow
	msgAccept
	msgChangeAverage
)

// aboveAverage is the above-average algorithm of Krueger & Finkel as
// Shivaratri, Krueger & Singhal (1992) describe it. A node's load is its
// queue length plus the jobs it has accepted and still awaits; it is
// acceptable within avg ± range, avg being the node's estimate of the
// system's average (initially its first queue length, or 1 if that is 0).
//
//   - Above the range, with no TooHigh pending: broadcast TooHigh and set a
//     TooHigh timeout. On each Accept, if still above the range, Push the
//     newest waiting job to the acceptor. If the timeout expires without
//     any Accept and the node is still above the range, the estimate is
//     too low: raise it by one job and broadcast ChangeAverage. Either way
//     the negotiation ends there, and a node still above starts another.
//   - Below the range, with no TooLow pending: broadcast TooLow and set a
//     TooLow timeout; if it expires with no TooHigh accepted meanwhile and
//     the node still below, lower the estimate by one job (not below 0) and
//     broadcast ChangeAverage.
//   - On TooHigh, a node below the range replies Accept and counts the
//     expected job in its load until it arrives (a transferred job, Hops >
//     0) or its AwaitingTask timeout expires.
//   - On TooLow, a node above the range sends TooHigh to that node alone if
//     its own TooHigh round is under way, or else starts one (our reading of
//     "the receiver listens for TooHigh": a sender answers it as if its
//     broadcast had just reached it).
//   - On ChangeAverage, adopt the sender's new estimate (its Value, not
//     below 0). Our reading: the papers say only that ChangeAverage raises
//     or lowers the others' estimates; adopting one value keeps concurrent
//     changes from adding up (with a ±1 step applied by every receiver, 20
//     nodes timing out together moved every estimate by up to 20 jobs, and
//     the mean response time at ρ = 0.8 was 60% worse).
//
// The timeouts share the node's one wake-up: they are kept in a small
// agenda and every call returns the earliest one due. Messages of unknown
// kinds are ignored.
type aboveAverage struct {
	Base
	width    float64 // the range parameter
	timeout  float64
	avg      float64
	started  bool      // avg is set
	tooHigh  float64   // TooHigh deadline, 0 if none
	tooLow   float64   // TooLow deadline, 0 if none
	accepted bool      // an Accept came during the TooHigh timeout
	gave     bool      // a TooHigh was accepted during the TooLow timeout
	awaiting []float64 // AwaitingTask deadlines, earliest first
}

func newAboveAverage(p param.Values) (MigrateBuilder, error) {
	width, timeout := p.Float("range"), p.Float("timeout")
	if width < 0 {
		return nil, p.Errorf("range", "must be ≥ 0, got %g", width)
	}
	if timeout <= 0 {
		return nil, p.Errorf("timeout", "must be > 0, got %g", timeout)
	}
	return func(Env) Migrator { return &aboveAverage{width: width, timeout: timeout} }, nil
}

// load is the node's queue length with extra jobs and those awaited.
func (a *aboveAverage) load(v View, extra int) float64 {
	return float64(v.Local().Queue + extra + len(a.awaiting))
}

func (a *aboveAverage) above(v View, extra int) bool { return a.load(v, extra) > a.avg+a.width }
func (a *aboveAverage) below(v View, extra int) bool { return a.load(v, extra) < a.avg-a.width }

// begin sets the first estimate and handles the timeouts due by now; extra
// counts a job arriving.
func (a *aboveAverage) begin(v View, extra int) {
	if !a.started {
		a.started = true
		a.avg = max(float64(v.Local().Queue), 1)
	}
	now := v.Now()
	k := 0
	for k < len(a.awaiting) && a.awaiting[k] <= now {
		k++
	}
	a.awaiting = append(a.awaiting[:0], a.awaiting[k:]...)
	if a.tooHigh > 0 && a.tooHigh <= now {
		a.tooHigh = 0
		if !a.accepted && a.above(v, extra) {
			a.changeAverage(v, 1)
		}
	}
	if a.tooLow > 0 && a.tooLow <= now {
		a.tooLow = 0
		if !a.gave && a.below(v, extra) {
			a.changeAverage(v, -1)
		}
	}
}

func (a *aboveAverage) changeAverage(v View, d float64) {
	a.avg = max(a.avg+d, 0)
	a.broadcast(v, Message{Kind: msgChangeAverage, Value: a.avg})
}

func (a *aboveAverage) broadcast(v View, m Message) {
	for n := NodeID(0); int(n) < v.Nodes(); n++ {
		if n != v.Self() {
			v.Send(n, m)
		}
	}
}

// end starts a negotiation if the node is out of range and has none
// pending, and returns the earliest deadline as the wake-up.
func (a *aboveAverage) end(v View, act Action, extra int) Action {
	now := v.Now()
	switch {
	case a.above(v, extra) && a.tooHigh == 0:
		a.broadcast(v, Message{Kind: msgTooHigh, Value: a.load(v, extra)})
		a.tooHigh, a.accepted = now+a.timeout, false
	case a.below(v, extra) && a.tooLow == 0:
		a.broadcast(v, Message{Kind: msgTooLow, Value: a.load(v, extra)})
		a.tooLow, a.gave = now+a.timeout, false
	}
	act.Wake = 0
	for _, t := range [...]float64{a.tooHigh, a.tooLow} {
		if t > 0 && (act.Wake == 0 || t < act.Wake) {
			act.Wake = t
		}
	}
	if len(a.awaiting) > 0 && (act.Wake == 0 || a.awaiting[0] < act.Wake) {
		act.Wake = a.awaiting[0]
	}
	return act
}

func (a *aboveAverage) Arrived(v View, j *Job) Action {
	if v.Nodes() < 2 {
		return Action{}
	}
	if j.Hops > 0 && len(a.awaiting) > 0 { // an accepted job came
		a.awaiting = append(a.awaiting[:0], a.awaiting[1:]...)
	}
	a.begin(v, 1)
	return a.end(v, Action{}, 1)
}

func (a *aboveAverage) Departed(v View) Action { return a.tick(v) }

func (a *aboveAverage) Timer(v View) Action { return a.tick(v) }

func (a *aboveAverage) tick(v View) Action {
	if v.Nodes() < 2 {
		return Action{}
	}
	a.begin(v, 0)
	return a.end(v, Action{}, 0)
}

func (a *aboveAverage) Message(v View, from NodeID, m Message) Action {
	if v.Nodes() < 2 || from == v.Self() || from < 0 || int(from) >= v.Nodes() {
		return Action{}
	}
	a.begin(v, 0)
	act, extra := Action{}, 0
	switch m.Kind {
	case msgTooHigh:
		if a.below(v, 0) {
			v.Send(from, Message{Kind: msgAccept, Value: a.load(v, 0)})
			a.awaiting = append(a.awaiting, v.Now()+a.timeout)
			a.gave = true
		}
	case msgTooLow:
		if a.above(v, 0) && a.tooHigh > 0 { // else end broadcasts TooHigh, to from too
			v.Send(from, Message{Kind: msgTooHigh, Value: a.load(v, 0)})
		}
	case msgAccept:
		if l := v.Local(); a.above(v, 0) && l.Waiting() > 0 {
			act = Action{Verb: Push, Node: from, Job: l.Queue - 1}
			a.accepted = true
			extra = -1 // the pushed job leaves with this decision
		}
	case msgChangeAverage:
		a.avg = max(m.Value, 0)
	}
	return a.end(v, act, extra)
}
