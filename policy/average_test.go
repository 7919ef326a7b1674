package policy_test

import (
	"slices"
	"testing"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/workload"
)

// above.average's message kinds.
const (
	kindTooHigh = 1 + iota
	kindTooLow
	kindAccept
	kindChangeAverage
)

// avgStep is one call in an above.average script: at time now, with the
// node's queue, deliver ev; then compare the action and the messages sent.
type avgStep struct {
	now   float64
	queue int
	ev    event
	from  int            // message: sender
	msg   policy.Message // message
	hops  int32          // arrived
	want  policy.Action
	sent  []sent
}

// broadcast lists the messages of a broadcast from self to every other node.
func broadcast(nodes, self int, kind uint8, value float64) []sent {
	var out []sent
	for n := range nodes {
		if n != self {
			out = append(out, sent{policy.NodeID(n), policy.Message{Kind: kind, Value: value}})
		}
	}
	return out
}

func one(to int, kind uint8, value float64) []sent {
	return []sent{{policy.NodeID(to), policy.Message{Kind: kind, Value: value}}}
}

func TestAboveAverage(t *testing.T) {
	msg := func(kind uint8, value float64) policy.Message { return policy.Message{Kind: kind, Value: value} }
	wake := func(t float64) policy.Action { return policy.Action{Wake: t} }
	for _, c := range []struct {
		name  string
		spec  string
		nodes int
		self  int
		steps []avgStep
	}{
		{name: "sender negotiates, pushes on Accept, then raises the average", spec: "above.average(range=0.5, timeout=1)", nodes: 4, steps: []avgStep{
			{now: 0, queue: 0, ev: arrived}, // first load 0: estimate 1; load 1 is in [0.5, 1.5]
			{now: 1, queue: 1, ev: arrived, want: wake(2), sent: broadcast(4, 0, kindTooHigh, 2)},
			{now: 1.5, queue: 2, ev: arrived, want: wake(2)}, // TooHigh pending: no second broadcast
			{now: 1.6, queue: 3, ev: message, from: 2, msg: msg(kindAccept, 0), // still above: push the newest waiting job
				want: policy.Action{Verb: policy.Push, Node: 2, Job: 2, Wake: 2}},
			{now: 1.7, queue: 1, ev: message, from: 3, msg: msg(kindAccept, 0), want: wake(2)},     // back in range: no push
			{now: 2, queue: 2, ev: timer, want: wake(3), sent: broadcast(4, 0, kindTooHigh, 2)},    // accepted: no ChangeAverage; above again: new round
			{now: 3, queue: 2, ev: timer, sent: broadcast(4, 0, kindChangeAverage, 2)},             // no Accept: estimate 2, load 2 now in range
			{now: 4, queue: 3, ev: departed, want: wake(5), sent: broadcast(4, 0, kindTooHigh, 3)}, // above [1.5, 2.5]
		}},
		{name: "receiver accepts, counts the awaited job, lowers the average", spec: "above.average(range=0.5, timeout=1)", nodes: 3, self: 1, steps: []avgStep{
			{now: 0, queue: 0, ev: departed, want: wake(1), sent: broadcast(3, 1, kindTooLow, 0)},
			{now: 0.5, queue: 0, ev: message, from: 2, msg: msg(kindTooHigh, 3), want: wake(1), sent: one(2, kindAccept, 0)},
			{now: 0.6, queue: 0, ev: message, from: 0, msg: msg(kindTooHigh, 3), want: wake(1)}, // the awaited job counts: load 1, in range
			{now: 1, queue: 0, ev: timer, want: wake(1.5)},                                      // a TooHigh was accepted: no ChangeAverage
			{now: 1.2, queue: 0, ev: arrived, hops: 1},                                          // the awaited job came
			{now: 2, queue: 0, ev: departed, want: wake(3), sent: broadcast(3, 1, kindTooLow, 0)},
			{now: 3, queue: 0, ev: timer, sent: broadcast(3, 1, kindChangeAverage, 0)}, // estimate 0: load 0 in range
		}},
		{name: "an awaited job that never comes times out", spec: "above.average(range=0.5, timeout=2)", nodes: 3, steps: []avgStep{
			{now: 0, queue: 1, ev: departed},
			{now: 1, queue: 0, ev: departed, want: wake(3), sent: broadcast(3, 0, kindTooLow, 0)},
			{now: 1.5, queue: 0, ev: message, from: 1, msg: msg(kindTooHigh, 2), want: wake(3), sent: one(1, kindAccept, 0)},
			{now: 3, queue: 0, ev: timer, want: wake(3.5)},                                         // TooLow ends; still awaiting: load 1
			{now: 3.5, queue: 0, ev: timer, want: wake(5.5), sent: broadcast(3, 0, kindTooLow, 0)}, // AwaitingTask expired: below again
			{now: 4, queue: 0, ev: arrived, hops: 1, want: wake(5.5)},                              // a late transfer counts as a plain arrival
		}},
		{name: "a sender answers TooLow with TooHigh to that node", spec: "above.average(range=0.5, timeout=1)", nodes: 4, steps: []avgStep{
			{now: 0, queue: 3, ev: departed}, // estimate 3: in range
			{now: 0.2, queue: 4, ev: arrived, want: wake(1.2), sent: broadcast(4, 0, kindTooHigh, 5)},
			{now: 0.5, queue: 5, ev: message, from: 2, msg: msg(kindTooLow, 0), want: wake(1.2), sent: one(2, kindTooHigh, 5)},
			{now: 0.6, queue: 3, ev: message, from: 3, msg: msg(kindTooLow, 0), want: wake(1.2)}, // in range: no answer
			{now: 1.2, queue: 3, ev: timer}, // in range at the timeout: estimate kept
			{now: 1.5, queue: 5, ev: message, from: 1, msg: msg(kindTooLow, 0), want: wake(2.5), sent: broadcast(4, 0, kindTooHigh, 5)}, // no round under way: start one
		}},
		{name: "the first estimate is the first load", spec: "above.average(range=1, timeout=1)", nodes: 2, steps: []avgStep{
			{now: 0, queue: 4, ev: departed}, // estimate 4, range [3, 5]
			{now: 1, queue: 5, ev: arrived, want: wake(2), sent: broadcast(2, 0, kindTooHigh, 6)},
			{now: 1.5, queue: 2, ev: departed, want: wake(2), sent: broadcast(2, 0, kindTooLow, 2)},
		}},
		{name: "ChangeAverage moves the estimate", spec: "above.average(range=0.5, timeout=1)", nodes: 3, steps: []avgStep{
			{now: 0, queue: 2, ev: message, from: 1, msg: msg(kindChangeAverage, 3), want: wake(1), sent: broadcast(3, 0, kindTooLow, 2)},    // estimate 2, then 3: below
			{now: 0.2, queue: 2, ev: message, from: 1, msg: msg(kindChangeAverage, 1), want: wake(1), sent: broadcast(3, 0, kindTooHigh, 2)}, // adopted, not added: estimate 1
			{now: 0.5, queue: 0, ev: message, from: 2, msg: msg(kindChangeAverage, -5), want: wake(1)},                                       // estimate 0, not -5: in range
			{now: 1, queue: 0, ev: timer, want: wake(1.2)},
			{now: 1.2, queue: 0, ev: timer},
		}},
		{name: "unknown kinds are ignored", spec: "above.average", nodes: 3, steps: []avgStep{
			{now: 0, queue: 1, ev: message, from: 1, msg: msg(9, 5)},
			{now: 1, queue: 1, ev: message, from: 2, msg: msg(0, 5)},
		}},
		{name: "accept with nothing waiting pushes nothing", spec: "above.average(range=0.5, timeout=1)", nodes: 3, steps: []avgStep{
			{now: 0, queue: 1, ev: departed},
			{now: 0, queue: 1, ev: arrived, want: wake(1), sent: broadcast(3, 0, kindTooHigh, 2)},
			{now: 0.5, queue: -2, ev: message, from: 1, msg: msg(kindAccept, 0), want: wake(1)}, // queue -2: two jobs, both in service
			{now: 1, queue: 2, ev: timer, sent: broadcast(3, 0, kindChangeAverage, 2)},          // no Accept honoured: estimate 2
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			self := policy.NodeID(c.self)
			m := mustMigrate(t, c.spec, policy.Env{Nodes: c.nodes, Servers: 1, Node: self})
			loads := queues(make([]int, c.nodes)...)
			v := newView(t, self, loads)
			for i, s := range c.steps {
				v.reset()
				v.now = s.now
				loads[self] = queues(s.queue)[0]
				if s.queue < 0 { // -k: k jobs, all in service
					loads[self] = policy.Load{Queue: -s.queue, Running: -s.queue, Servers: -s.queue, Speed: 1}
				}
				var a policy.Action
				switch s.ev {
				case arrived:
					a = m.Arrived(v, &policy.Job{Job: workload.Job{Size: 1}, Hops: s.hops})
				case departed:
					a = m.Departed(v)
				case timer:
					a = m.Timer(v)
				default:
					a = m.Message(v, policy.NodeID(s.from), s.msg)
				}
				if a != s.want {
					t.Errorf("step %d (t=%g, %v, queue %d): %+v, want %+v", i, s.now, s.ev, s.queue, a, s.want)
				}
				if !slices.Equal(v.sent, s.sent) {
					t.Errorf("step %d (t=%g, %v, queue %d): sent %v, want %v", i, s.now, s.ev, s.queue, v.sent, s.sent)
				}
				if len(v.rounds) != 0 {
					t.Errorf("step %d: probed %v, want never", i, v.rounds)
				}
			}
		})
	}
}

func TestAboveAverageSpecs(t *testing.T) {
	checkSpecs(t, []specCase{
		{spec: "above.average", want: "above.average(range=0.5, timeout=1)"},
		{spec: "above.average(timeout=2.50, range=0)", want: "above.average(range=0, timeout=2.5)"},
		{spec: "above.average(range=-1)", errs: []string{"above.average: parameter range", "must be ≥ 0, got -1"}},
		{spec: "above.average(timeout=0)", errs: []string{"parameter timeout", "must be > 0, got 0"}},
		{spec: "above.average(timeout=-2)", errs: []string{"parameter timeout", "must be > 0"}},
	})
}
