package policy_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/workload"
)

// kindReceiver is stable.sender's "I am a receiver".
const kindReceiver = 1

// pollView is a view whose probes reach the probed node's PollWatcher with
// the prober's load, as the simulator's do: a cluster of such views over
// one table of loads lets the stable policies learn from each other.
type pollView struct {
	*view
	peers []policy.Migrator
	views []*pollView
}

func (p *pollView) Probe(nodes []policy.NodeID, out []policy.Load) {
	p.view.Probe(nodes, out)
	for _, n := range nodes {
		if w, ok := p.peers[n].(policy.PollWatcher); ok {
			w.Polled(p.views[n], p.self, p.loads[p.self])
		}
	}
}

// pollCluster builds one instance of spec per node over loads.
func pollCluster(t *testing.T, spec string, loads []policy.Load) ([]policy.Migrator, []*pollView) {
	ms := make([]policy.Migrator, len(loads))
	vs := make([]*pollView, len(loads))
	for i := range loads {
		ms[i] = mustMigrate(t, spec, policy.Env{Nodes: len(loads), Servers: 1, Node: policy.NodeID(i)})
		vs[i] = &pollView{view: newView(t, policy.NodeID(i), loads), peers: ms}
	}
	for _, v := range vs {
		v.views = vs
	}
	return ms, vs
}

// stableStep is one call to the node under test (node 0): set its queue
// (and any other node's load), deliver ev, and compare the polls, the
// action, Requested's answer and the messages sent.
type stableStep struct {
	ev     event // arrived, departed, requested, message, or polled
	queue  int   // node 0's Queue (one server, the head in service)
	set    map[int]policy.Load
	hops   int32
	from   int   // polled, message: the other node
	load   int   // polled: the poller's Queue
	kind   uint8 // message: its kind (0: kindReceiver)
	polls  []policy.NodeID
	want   policy.Action
	req    int // requested: first job handed over, -1 for none
	sentTo []policy.NodeID
}

const polled = timer // in stable scripts: Polled takes the place of Timer

func q(n int) policy.Load { return queues(n)[0] }

func runStable(t *testing.T, spec string, nodes int, steps []stableStep) {
	t.Helper()
	m := mustMigrate(t, spec, policy.Env{Nodes: nodes, Servers: 1, Node: 0})
	loads := queues(make([]int, nodes)...)
	v := newView(t, 0, loads)
	for i, s := range steps {
		v.reset()
		loads[0] = q(s.queue)
		for n, l := range s.set {
			loads[n] = l
		}
		var a policy.Action
		req := -1
		switch s.ev {
		case arrived:
			a = m.Arrived(v, &policy.Job{Job: workload.Job{Size: 1}, Hops: s.hops})
		case departed:
			a = m.Departed(v)
		case requested:
			first, n := m.Requested(v, 1)
			if n > 0 {
				req = first
				if n != 1 {
					t.Errorf("step %d: Requested handed over %d jobs, want 1", i, n)
				}
			}
		case message:
			k := s.kind
			if k == 0 {
				k = kindReceiver
			}
			a = m.Message(v, policy.NodeID(s.from), policy.Message{Kind: k})
		case polled:
			m.(policy.PollWatcher).Polled(v, policy.NodeID(s.from), q(s.load))
		}
		at := func() string { return fmt.Sprintf("step %d (%v, queue %d)", i, s.ev, s.queue) }
		if a != s.want {
			t.Errorf("%s: %+v, want %+v", at(), a, s.want)
		}
		if s.ev == requested && req != s.req {
			t.Errorf("%s: Requested gave job %d, want %d", at(), req, s.req)
		}
		if got := v.probed(); !slices.Equal(got, s.polls) {
			t.Errorf("%s: polled %v, want %v", at(), got, s.polls)
		}
		for _, r := range v.rounds {
			if len(r) != 1 {
				t.Errorf("%s: a poll of %d nodes, want one at a time", at(), len(r))
			}
		}
		var to []policy.NodeID
		for _, x := range v.sent {
			if x.m.Kind != kindReceiver {
				t.Errorf("%s: message kind %d, want %d", at(), x.m.Kind, kindReceiver)
			}
			to = append(to, x.to)
		}
		if !slices.Equal(to, s.sentTo) {
			t.Errorf("%s: messages to %v, want %v", at(), to, s.sentTo)
		}
	}
}

func transfer(n int) policy.Action {
	return policy.Action{Verb: policy.Transfer, Node: policy.NodeID(n)}
}
func request(n int) policy.Action { return policy.Action{Verb: policy.Request, Node: policy.NodeID(n)} }

// The sender component, the same in both policies, with 5 nodes: others
// start on the receivers list in the order 1, 2, 3, 4.
func TestStableSenderComponent(t *testing.T) {
	for _, c := range []struct {
		name  string
		steps []stableStep
	}{
		{name: "polls the receivers list from its head", steps: []stableStep{
			{ev: arrived, queue: 2, set: map[int]policy.Load{1: q(1), 2: q(0)}, polls: ids(1, 2), want: transfer(2)},
			// 1 went to OK; 2, a receiver, stays at the head.
			{ev: arrived, queue: 3, set: map[int]policy.Load{2: q(2), 3: q(3), 4: q(0)}, polls: ids(2, 3, 4), want: transfer(4)},
		}},
		{name: "only a sender polls", steps: []stableStep{
			{ev: arrived, queue: 1},
			{ev: arrived, queue: 0},
		}},
		{name: "transferred jobs stay", steps: []stableStep{
			{ev: arrived, queue: 5, hops: 1},
		}},
		{name: "poll limit", steps: []stableStep{
			{ev: arrived, queue: 2, set: map[int]policy.Load{1: q(1), 2: q(2), 3: q(1), 4: q(0)}, polls: ids(1, 2, 3)},
			// 1, 2 and 3 left the receivers list: only 4 is polled.
			{ev: arrived, queue: 2, polls: ids(4), want: transfer(4)},
		}},
		{name: "an empty receivers list stops polling", steps: []stableStep{
			{ev: arrived, queue: 2, set: map[int]policy.Load{1: q(1), 2: q(2), 3: q(1), 4: q(3)}, polls: ids(1, 2, 3)},
			{ev: arrived, queue: 2, polls: ids(4)},
			{ev: arrived, queue: 4},
		}},
		{name: "a poller is filed by its load", steps: []stableStep{
			{ev: polled, queue: 2, from: 3, load: 0}, // 3 to the head of receivers
			{ev: arrived, queue: 2, set: map[int]policy.Load{1: q(0), 3: q(0)}, polls: ids(3), want: transfer(3)},
			{ev: polled, queue: 2, from: 3, load: 2},  // 3 is a sender now
			{ev: polled, queue: 2, from: -1, load: 0}, // a dispatcher's probe: ignored
			{ev: arrived, queue: 2, set: map[int]policy.Load{1: q(1), 2: q(0)}, polls: ids(1, 2), want: transfer(2)},
		}},
	} {
		for _, spec := range []string{"stable.symmetric(LT=1, UT=1, polls=3)", "stable.sender(LT=1, UT=1, polls=3)"} {
			t.Run(spec+"/"+c.name, func(t *testing.T) { runStable(t, spec, 5, c.steps) })
		}
	}
}

// stable.symmetric's receiver component with 6 nodes.
func TestStableReceiverComponent(t *testing.T) {
	allOK := map[int]policy.Load{1: q(1), 2: q(1), 3: q(1), 4: q(1), 5: q(1)}
	for _, c := range []struct {
		name  string
		spec  string
		steps []stableStep
	}{
		{name: "senders from the head, then OK and receivers from the tail", spec: "stable.symmetric(LT=1, UT=1, polls=9)", steps: []stableStep{
			{ev: polled, queue: 1, from: 3, load: 4}, // senders [3]
			{ev: polled, queue: 1, from: 4, load: 1}, // OK [4]
			{ev: polled, queue: 1, from: 5, load: 3}, // senders [5 3]; receivers [1 2]
			{ev: departed, queue: 0, set: allOK, polls: ids(5, 3, 4, 2, 1)},
			// All are OK now, each moved to the head as polled: OK [1 2 4 3 5].
			{ev: departed, queue: 0, polls: ids(5, 3, 4, 2, 1)},
		}},
		{name: "requests from a sender with a waiting job", spec: "stable.symmetric(LT=1, UT=1, polls=9)", steps: []stableStep{
			{ev: departed, queue: 0, set: map[int]policy.Load{1: q(1), 2: q(0), 3: q(3), 4: q(0), 5: q(1)}, polls: ids(5, 4, 3), want: request(3)},
			// 3 is filed with one job less: still a sender, polled first.
			{ev: departed, queue: 0, set: map[int]policy.Load{3: q(2)}, polls: ids(3), want: request(3)},
			// Filed as OK [3 5] after giving its job; receivers [4 1 2].
			{ev: departed, queue: 0, set: map[int]policy.Load{3: q(1)}, polls: ids(5, 3, 2, 1, 4)},
		}},
		{name: "a sender with nothing waiting is not asked", spec: "stable.symmetric(LT=1, UT=1, polls=9)", steps: []stableStep{
			{ev: departed, queue: 0, set: map[int]policy.Load{1: q(1), 2: q(1), 3: q(1), 4: q(1), 5: busy}, polls: ids(5, 4, 3, 2, 1)},
			{ev: departed, queue: 0, polls: ids(5, 4, 3, 2, 1)}, // 5 heads the senders list
		}},
		{name: "poll limit", spec: "stable.symmetric(LT=1, UT=1, polls=2)", steps: []stableStep{
			{ev: departed, queue: 0, set: allOK, polls: ids(5, 4)},
			{ev: departed, queue: 0, polls: ids(5, 4)}, // OK [4 5], from the tail
		}},
		{name: "only a receiver polls", spec: "stable.symmetric(LT=1, UT=1, polls=9)", steps: []stableStep{
			{ev: departed, queue: 1, set: map[int]policy.Load{1: q(5)}},
			{ev: departed, queue: 2},
		}},
		{name: "LT=2", spec: "stable.symmetric(LT=2, UT=3, polls=9)", steps: []stableStep{
			{ev: departed, queue: 2, set: map[int]policy.Load{5: q(4)}},
			{ev: departed, queue: 1, polls: ids(5), want: request(5)},
		}},
		{name: "stable.sender never polls on completions", spec: "stable.sender(LT=1, UT=1, polls=9)", steps: []stableStep{
			{ev: departed, queue: 0, set: map[int]policy.Load{5: q(4)}},
		}},
		{name: "requests granted only by a sender", spec: "stable.symmetric(LT=1, UT=2)", steps: []stableStep{
			{ev: requested, queue: 4, req: 3},
			{ev: requested, queue: 3, req: 2},
			{ev: requested, queue: 2, req: -1},
			{ev: requested, queue: 0, req: -1},
			{ev: requested, queue: 5, set: map[int]policy.Load{0: busy}, req: -1},
		}},
		{name: "stable.sender refuses requests", spec: "stable.sender(LT=1, UT=1)", steps: []stableStep{
			{ev: requested, queue: 5, req: -1},
		}},
	} {
		t.Run(c.name, func(t *testing.T) { runStable(t, c.spec, 6, c.steps) })
	}
}

// stable.sender's state vector: after a completion leaves a node a
// receiver, it tells exactly the nodes that file it elsewhere.
func TestStableSenderVector(t *testing.T) {
	for _, c := range []struct {
		name  string
		spec  string
		steps []stableStep
	}{
		{name: "tells only the nodes that list it wrongly", spec: "stable.sender(LT=1, UT=1, polls=3)", steps: []stableStep{
			// Its polls file it under senders at 1 and 2.
			{ev: arrived, queue: 2, set: map[int]policy.Load{1: q(2), 2: q(0)}, polls: ids(1, 2), want: transfer(2)},
			{ev: polled, queue: 1, from: 3, load: 0}, // 3 files it as OK
			{ev: departed, queue: 0, sentTo: ids(1, 2, 3)},
			{ev: departed, queue: 0},
			{ev: departed, queue: 1},
			{ev: polled, queue: 0, from: 2, load: 0}, // answered as a receiver: 2 is right
			{ev: departed, queue: 0},
			{ev: polled, queue: 3, from: 1, load: 1}, // answered as a sender
			{ev: departed, queue: 0, sentTo: ids(1)},
		}},
		{name: "I am a receiver moves the sender to the head of receivers", spec: "stable.sender(LT=1, UT=1, polls=3)", steps: []stableStep{
			{ev: arrived, queue: 2, set: map[int]policy.Load{1: q(1), 2: q(1), 3: q(1)}, polls: ids(1, 2, 3)},
			{ev: arrived, queue: 2}, // receivers list empty
			{ev: message, queue: 2, from: 2},
			{ev: message, queue: 2, from: 3, kind: 7}, // unknown kind: ignored
			{ev: arrived, queue: 2, set: map[int]policy.Load{2: q(0)}, polls: ids(2), want: transfer(2)},
		}},
		{name: "stable.symmetric ignores messages", spec: "stable.symmetric(LT=1, UT=1, polls=3)", steps: []stableStep{
			{ev: arrived, queue: 2, set: map[int]policy.Load{1: q(1), 2: q(1), 3: q(1)}, polls: ids(1, 2, 3)},
			{ev: message, queue: 2, from: 2},
			{ev: arrived, queue: 2, set: map[int]policy.Load{2: q(0)}},
			{ev: departed, queue: 0, polls: ids(1, 2, 3), want: request(3), set: map[int]policy.Load{3: q(2)}}, // OK [3 2 1] from the tail
		}},
	} {
		t.Run(c.name, func(t *testing.T) { runStable(t, c.spec, 4, c.steps) })
	}
}

// In a cluster, polls teach the polled nodes: a node polled by a sender
// polls that sender first when it becomes a receiver, while a node that
// learned nothing walks its receivers list from the tail.
func TestStableLearning(t *testing.T) {
	loads := []policy.Load{q(3), q(1), q(0), q(0)}
	ms, vs := pollCluster(t, "stable.symmetric(LT=1, UT=1, polls=3)", loads)

	if a := ms[0].Arrived(vs[0], &policy.Job{}); a != transfer(2) || !slices.Equal(vs[0].probed(), ids(1, 2)) {
		t.Fatalf("node 0 (a sender): %+v after polling %v, want a transfer to 2 after polling 1, 2", a, vs[0].probed())
	}
	// Node 2 was polled by node 0, a sender: it asks node 0 first.
	if a := ms[2].Departed(vs[2]); a != request(0) || !slices.Equal(vs[2].probed(), ids(0)) {
		t.Errorf("node 2: %+v after polling %v, want a request to 0 after polling 0", a, vs[2].probed())
	}
	// Node 3 learned nothing: receivers 0, 1, 2 from the tail.
	if a := ms[3].Departed(vs[3]); a != request(0) || !slices.Equal(vs[3].probed(), ids(2, 1, 0)) {
		t.Errorf("node 3: %+v after polling %v, want a request to 0 after polling 2, 1, 0", a, vs[3].probed())
	}
	// Node 0 learned that 2 and 3 are receivers (their polls carried it):
	// its next sender poll goes to 3, the latest, first.
	vs[0].reset()
	if a := ms[0].Arrived(vs[0], &policy.Job{}); a != transfer(3) || !slices.Equal(vs[0].probed(), ids(3)) {
		t.Errorf("node 0 again: %+v after polling %v, want a transfer to 3 after polling 3", a, vs[0].probed())
	}
	if first, n := ms[0].Requested(vs[0], 2); first != 2 || n != 1 {
		t.Errorf("node 0 asked for work: jobs %d+%d, want its newest waiting job 2", first, n)
	}
}

func TestStableSpecs(t *testing.T) {
	checkSpecs(t, []specCase{
		{spec: "stable.symmetric", want: "stable.symmetric(LT=1, UT=1, polls=3)"},
		{spec: "stable.sender(UT=4, LT=2, polls=5)", want: "stable.sender(LT=2, UT=4, polls=5)"},
		{spec: "stable.symmetric(LT=0)", errs: []string{"stable.symmetric: parameter LT", "at least 1, got 0"}},
		{spec: "stable.sender(LT=3, UT=2)", errs: []string{"stable.sender: parameter UT", "at least 3, got 2"}},
		{spec: "stable.symmetric(polls=0)", errs: []string{"parameter polls", "at least 1"}},
		{spec: "stable.sender(T=1)", errs: []string{"unknown parameter T"}},
	})
}
