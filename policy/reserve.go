package policy

import "github.com/loadlab/loadlab/param"

var reserveInfo = Info{
	Name: "receiver.reserve",
	Params: param.Schema{
		{Name: "T", Kind: param.Int, Default: "1", Doc: "queue-length threshold"},
		paramProbes,
	},
	Doc: "receiver-initiated with reservation: after a completion leaves Queue < T, reserve the next arriving job of the first of up to Lp probed nodes with Queue > T",
	Ref: "Eager, Lazowska & Zahorjan, Performance Evaluation 6(1), 1986 (reservation)",
}

// msgReserve asks the receiving node to reserve its next arriving job for
// the sender of the message (receiver.reserve).
const msgReserve uint8 = 1

// reserve is the receiver-initiated policy with reservation of Eager,
// Lazowska & Zahorjan (1986). A node whose queue falls below T after a
// completion probes up to Lp random nodes one at a time; the first with
// Queue > T gets a reservation message. A node holding reservations
// transfers each job fresh from the dispatcher (Hops == 0) to its oldest
// reservation, non-preemptively, as long as keeping the job would take it
// above T (Queue ≥ T before the job joins, the sender condition).
//
// Reservations it cannot honour are dropped: one that reaches a node no
// longer above T, one beyond the list's bound (Env.Nodes reservations: a
// receiver may hold several at one node, one per completion that left it
// below T), and all those held when a new job finds the node below T (it
// keeps the job: it has drained since it was reserved, and the receivers
// reserve again after their next completion). A receiver does not track its
// reservations; a dropped one is never answered.
type reserve struct {
	Base
	t      int
	probes int
	max    int      // reservations held at most
	held   []NodeID // reservers, oldest first
	sample []NodeID
	loads  [1]Load
}

func newReserve(p param.Values) (MigrateBuilder, error) {
	if err := thresholdParams(p, true); err != nil {
		return nil, err
	}
	t, probes := p.Int("T"), p.Int("probes")
	return func(env Env) Migrator {
		return &reserve{t: t, probes: probes, max: max(env.Nodes, 1), sample: make([]NodeID, 0, min(probes, env.Nodes))}
	}, nil
}

// Departed looks for a loaded node to reserve a job at.
func (r *reserve) Departed(v View) Action {
	l := v.Local()
	if l.Queue >= r.t || v.Nodes() < 2 {
		return Action{}
	}
	r.sample = sampleNodes(v.Rand(), v.Nodes(), v.Self(), r.probes, r.sample)
	for i, n := range r.sample {
		v.Probe(r.sample[i:i+1], r.loads[:])
		if r.loads[0].Queue > r.t {
			v.Send(n, Message{Kind: msgReserve, Value: float64(l.Queue)})
			break
		}
	}
	return Action{}
}

// Message records a reservation if the node is still above T and the list
// has room.
func (r *reserve) Message(v View, from NodeID, m Message) Action {
	if m.Kind != msgReserve || from == v.Self() || from < 0 || int(from) >= v.Nodes() {
		return Action{}
	}
	if v.Local().Queue > r.t && len(r.held) < r.max {
		r.held = append(r.held, from)
	}
	return Action{}
}

// Arrived hands a new job to the oldest reservation.
func (r *reserve) Arrived(v View, j *Job) Action {
	if j.Hops > 0 || len(r.held) == 0 {
		return Action{}
	}
	if v.Local().Queue < r.t {
		r.held = r.held[:0]
		return Action{}
	}
	n := r.held[0]
	r.held = append(r.held[:0], r.held[1:]...)
	return Action{Verb: Transfer, Node: n}
}
