package policy

import "github.com/loadlab/loadlab/param"

var stableParams = param.Schema{
	{Name: "LT", Kind: param.Int, Default: "1", Doc: "lower threshold: a node with Queue < LT is a receiver"},
	{Name: "UT", Kind: param.Int, Default: "1", Doc: "upper threshold: a node with Queue > UT is a sender"},
	{Name: "polls", Kind: param.Int, Default: "3", Doc: "poll limit per decision"},
}

var stableSymmetricInfo = Info{
	Name:   "stable.symmetric",
	Params: stableParams,
	Doc:    "stable symmetric: senders, receivers and OK lists learned from polls; a sender polls its receivers list, a receiver polls senders, then OK, then receivers",
	Ref:    "Shivaratri, Krueger & Singhal, IEEE Computer 25(12), 1992 (stable symmetrically initiated)",
}

var stableSenderInfo = Info{
	Name:   "stable.sender",
	Params: stableParams,
	Doc:    "stable sender-initiated: a sender polls its receivers list; a node that becomes a receiver tells only the nodes that list it wrongly",
	Ref:    "Shivaratri, Krueger & Singhal, IEEE Computer 25(12), 1992 (stable sender-initiated)",
}

// States of a node in the stable policies, and the lists that hold them.
const (
	stReceiver uint8 = iota // Queue < LT
	stOK                    // LT ≤ Queue ≤ UT
	stSender                // Queue > UT
	stNone                  // the node itself: on no list
)

// msgReceiver is stable.sender's "I am a receiver".
const msgReceiver uint8 = 1

// stable is the stable symmetrically initiated policy of Shivaratri,
// Krueger & Singhal (1992), and with receiverSide off their stable
// sender-initiated one. Load index: Queue. Each node keeps the others on
// three lists, senders, receivers and OK (all start on receivers, in the
// order self+1, self+2, … so that the first polls spread), and moves a
// node to the head of the list matching each load it learns: from its own
// polls (View.Probe, one node at a time, at most polls per decision) and
// from being polled (PollWatcher.Polled, with the poller's load).
//
//   - Sender component, on a job fresh from the dispatcher at a node that
//     is a sender (Queue > UT before the job joins, so the nodes it polls
//     file it under senders): poll the head of the receivers list; if it is
//     a receiver, Transfer the job to it (it stays at the head); otherwise
//     move it to its list and poll the next head; stop when the list is
//     empty or at the poll limit (then keep the job).
//   - Receiver component (stable.symmetric only), after a completion leaves
//     Queue < LT: poll the senders list from its head, then the OK list from
//     its tail, then the receivers list from its tail, each node at most
//     once; a polled sender with a waiting job is sent a Request and filed
//     with one job less; any other is moved to its list. Its Requested
//     hands over its newest waiting job only while it is a sender.
//   - stable.sender keeps, instead, a state vector: the list it is on at
//     every other node (receivers at first; set on each poll it makes or
//     answers, since the other side files it by the load the poll carries).
//     After a completion leaves it a receiver it sends msgReceiver to every
//     node whose entry is not receivers, and that node moves it to the head
//     of its receivers list. Transfers are non-preemptive.
//
// Within one decision the node's own state does not change (probes do not
// move jobs), so "stop when no longer a receiver" needs no check.
type stable struct {
	Base
	lt, ut, polls int
	receiverSide  bool
	lists         nodeLists
	vector        []uint8 // stable.sender: the list this node is on at each other node
	polled        []NodeID
	load          [1]Load
}

func stableFactory(receiverSide bool) MigrateFactory {
	return func(p param.Values) (MigrateBuilder, error) {
		if err := atLeast(p, "LT", 1); err != nil {
			return nil, err
		}
		if err := atLeast(p, "UT", p.Int("LT")); err != nil {
			return nil, err
		}
		if err := atLeast(p, "polls", 1); err != nil {
			return nil, err
		}
		lt, ut, polls := p.Int("LT"), p.Int("UT"), p.Int("polls")
		return func(env Env) Migrator {
			s := &stable{lt: lt, ut: ut, polls: polls, receiverSide: receiverSide, lists: newNodeLists(env.Nodes, env.Node)}
			if !receiverSide {
				s.vector = make([]uint8, env.Nodes) // all stReceiver
			}
			return s
		}, nil
	}
}

var (
	newStableSymmetric = stableFactory(true)
	newStableSender    = stableFactory(false)
)

func (s *stable) state(queue int) uint8 {
	switch {
	case queue < s.lt:
		return stReceiver
	case queue > s.ut:
		return stSender
	default:
		return stOK
	}
}

// poll probes node n alone and returns its load; stable.sender notes that
// n now files this node by its own load.
func (s *stable) poll(v View, n NodeID) Load {
	v.Probe([]NodeID{n}, s.load[:])
	if s.vector != nil {
		s.vector[n] = s.state(v.Local().Queue)
	}
	return s.load[0]
}

// Arrived is the sender component.
func (s *stable) Arrived(v View, j *Job) Action {
	if j.Hops > 0 || s.state(v.Local().Queue) != stSender {
		return Action{}
	}
	for range s.polls {
		n := s.lists.head[stReceiver]
		if n == None {
			break
		}
		l := s.poll(v, n)
		st := s.state(l.Queue)
		if st == stReceiver {
			return Action{Verb: Transfer, Node: n}
		}
		s.lists.moveFront(st, n)
	}
	return Action{}
}

// Departed is the receiver component (stable.symmetric), or stable.sender's
// update of the nodes that list it wrongly.
func (s *stable) Departed(v View) Action {
	if s.state(v.Local().Queue) != stReceiver {
		return Action{}
	}
	if !s.receiverSide {
		for n, st := range s.vector {
			if NodeID(n) != v.Self() && st != stReceiver {
				v.Send(NodeID(n), Message{Kind: msgReceiver})
				s.vector[n] = stReceiver
			}
		}
		return Action{}
	}
	s.polled = s.polled[:0]
	for range s.polls {
		n := s.nextPull()
		if n == None {
			break
		}
		s.polled = append(s.polled, n)
		l := s.poll(v, n)
		if s.state(l.Queue) == stSender && l.Waiting() > 0 {
			s.lists.moveFront(s.state(l.Queue-1), n)
			return Action{Verb: Request, Node: n}
		}
		s.lists.moveFront(s.state(l.Queue), n)
	}
	return Action{}
}

// nextPull is the receiver component's next node to poll: the senders list
// from its head, then OK from its tail, then receivers from its tail,
// skipping nodes polled in this decision.
func (s *stable) nextPull() NodeID {
	for n := s.lists.head[stSender]; n != None; n = s.lists.next[n] {
		if !contains(s.polled, n) {
			return n
		}
	}
	for _, st := range [...]uint8{stOK, stReceiver} {
		for n := s.lists.tail[st]; n != None; n = s.lists.prev[n] {
			if !contains(s.polled, n) {
				return n
			}
		}
	}
	return None
}

// Requested hands over the newest waiting job while the node is a sender
// (stable.symmetric; stable.sender refuses).
func (s *stable) Requested(v View, _ NodeID) (first, n int) {
	l := v.Local()
	if s.receiverSide && s.state(l.Queue) == stSender && l.Waiting() > 0 {
		return l.Queue - 1, 1
	}
	return 0, 0
}

// Polled files the poller by the load its poll carries.
func (s *stable) Polled(v View, from NodeID, l Load) {
	if from < 0 || int(from) >= len(s.lists.on) || from == v.Self() {
		return
	}
	s.lists.moveFront(s.state(l.Queue), from)
	if s.vector != nil {
		s.vector[from] = s.state(v.Local().Queue)
	}
}

// Message handles stable.sender's "I am a receiver"; others are ignored.
func (s *stable) Message(v View, from NodeID, m Message) Action {
	if s.vector != nil && m.Kind == msgReceiver && from >= 0 && int(from) < len(s.lists.on) && from != v.Self() {
		s.lists.moveFront(stReceiver, from)
	}
	return Action{}
}

// nodeLists holds every node but one on one of three doubly linked lists
// (receivers, OK, senders), in arrays indexed by node.
type nodeLists struct {
	head, tail [3]NodeID
	next, prev []NodeID
	on         []uint8 // the list each node is on; stNone for self
}

// newNodeLists puts every node but self on the receivers list, in the
// order self+1, self+2, … (wrapping).
func newNodeLists(nodes int, self NodeID) nodeLists {
	l := nodeLists{head: [3]NodeID{None, None, None}, tail: [3]NodeID{None, None, None},
		next: make([]NodeID, nodes), prev: make([]NodeID, nodes), on: make([]uint8, nodes)}
	start := int(self) + 1
	if self == None {
		start = 0
	}
	for i := range nodes {
		n := NodeID((start + i) % nodes)
		if n == self {
			l.on[n] = stNone
			continue
		}
		l.on[n] = stReceiver // pushBack
		l.next[n], l.prev[n] = None, l.tail[stReceiver]
		if l.tail[stReceiver] == None {
			l.head[stReceiver] = n
		} else {
			l.next[l.tail[stReceiver]] = n
		}
		l.tail[stReceiver] = n
	}
	return l
}

// moveFront moves node n to the head of list k.
func (l *nodeLists) moveFront(k uint8, n NodeID) {
	if l.on[n] == stNone {
		return
	}
	// Unlink.
	from := l.on[n]
	if p := l.prev[n]; p != None {
		l.next[p] = l.next[n]
	} else {
		l.head[from] = l.next[n]
	}
	if x := l.next[n]; x != None {
		l.prev[x] = l.prev[n]
	} else {
		l.tail[from] = l.prev[n]
	}
	// Link at the head of k.
	l.on[n] = k
	l.prev[n], l.next[n] = None, l.head[k]
	if l.head[k] != None {
		l.prev[l.head[k]] = n
	} else {
		l.tail[k] = n
	}
	l.head[k] = n
}
