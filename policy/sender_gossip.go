package policy

import "github.com/loadlab/loadlab/param"

// This file is the policy written in docs/writing-a-policy.md: a
// sender-initiated policy that locates its partner from gossip instead of
// probes. Registering it is one line in Builtin.

var senderGossipInfo = Info{
	Name:   "sender.gossip",
	Params: param.Schema{paramT},
	Doc:    "sender-initiated, no probes: an arrival that finds Queue ≥ T goes to the node with the shortest gossiped queue, if that one is below T",
	Ref:    "the ELZ 1986 transfer rule with gossip for location (tutorial: docs/writing-a-policy.md)",
}

// senderGossip embeds Base, so it only implements the event it reacts to.
type senderGossip struct {
	Base
	t int
}

func newSenderGossip(p param.Values) (MigrateBuilder, error) {
	if err := atLeast(p, "T", 1); err != nil {
		return nil, err
	}
	t := p.Int("T")
	return func(Env) Migrator { return &senderGossip{t: t} }, nil
}

func (s *senderGossip) Arrived(v View, j *Job) Action {
	// Only new arrivals move (transfer limit 1), and only from a sender.
	if j.Hops > 0 || v.Local().Queue < s.t || v.Nodes() < 2 {
		return Action{}
	}
	// The others in order 0..Nodes-1 without self; ties go to a random one
	// so that equally loaded nodes share the work.
	other := func(i int) NodeID {
		if NodeID(i) >= v.Self() {
			return NodeID(i + 1)
		}
		return NodeID(i)
	}
	i := argmin(v.Rand(), v.Nodes()-1, func(i int) float64 {
		l, _ := v.Gossip(other(i))
		return float64(l.Queue)
	})
	if l, _ := v.Gossip(other(i)); l.Queue >= s.t {
		return Action{} // nobody looks like a receiver: keep it
	}
	return Action{Verb: Transfer, Node: other(i)}
}
