package external

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/loadlab/loadlab/policy"
)

// The migration calls a process may ask for in init's answer ("calls"),
// one bit each.
const (
	callArrived uint8 = 1 << iota
	callDeparted
	callTimer
	callRequested
	callMessage
	callReplied
	callPolled
)

var callNames = []string{"arrived", "departed", "timer", "requested", "message", "replied", "polled"}

// wantedCalls turns init's "calls" into bits; absent means every call.
func wantedCalls(names []string) (uint8, error) {
	if names == nil {
		return 1<<len(callNames) - 1, nil
	}
	var w uint8
	for _, n := range names {
		i := 0
		for i < len(callNames) && callNames[i] != n {
			i++
		}
		if i == len(callNames) {
			return 0, fmt.Errorf(`"calls" names %q: want some of %s`, n, strings.Join(callNames, ", "))
		}
		w |= 1 << i
	}
	return w, nil
}

// Migrator is an external migration policy of one node: a policy.Migrator
// (with ReplyWatcher and PollWatcher) and a policy.Ender, one process per
// node. Its process starts with Start, or else at its first call (seeded
// from the node's random source), and ends with End. Init's answer says
// which calls the process wants; the others keep without asking it. After
// a failure every call keeps (and Requested refuses), so the backend's
// bookkeeping stays whole while it fails the run with Err.
type Migrator struct {
	client
	msg   migrateMsg
	local loadMsg
	from  int32
	kind  uint8
	value float64
	job   jobMsg
	list  []policy.JobInfo
	infos []jobInfoMsg
	later []policy.NodeID
}

var (
	_ policy.Migrator     = (*Migrator)(nil)
	_ policy.ReplyWatcher = (*Migrator)(nil)
	_ policy.PollWatcher  = (*Migrator)(nil)
	_ policy.Ender        = (*Migrator)(nil)
)

// loadMsg is one node's load, as an object.
type loadMsg struct {
	Queue   int     `json:"queue"`
	Running int     `json:"running"`
	Work    float64 `json:"work"`
	Servers int     `json:"servers"`
	Speed   float64 `json:"speed"`
}

func toLoad(l policy.Load) loadMsg {
	return loadMsg{Queue: l.Queue, Running: l.Running, Work: l.Work, Servers: l.Servers, Speed: l.Speed}
}

// jobInfoMsg is a job present at the node (View.Jobs).
type jobInfoMsg struct {
	jobMsg
	Origin  int32   `json:"origin"`
	Running bool    `json:"running"`
	Done    float64 `json:"done"`
	Since   float64 `json:"since"`
}

// migrateMsg is every migration call; absent fields do not belong to it.
type migrateMsg struct {
	Call  string        `json:"call"`
	Now   float64       `json:"now"`
	Local *loadMsg      `json:"local"`
	Job   *jobMsg       `json:"job,omitempty"`   // arrived
	From  *int32        `json:"from,omitempty"`  // requested, message, replied, polled (-1: a dispatcher's probe)
	Kind  *uint8        `json:"kind,omitempty"`  // message
	Value *float64      `json:"value,omitempty"` // message
	Load  *loadMsg      `json:"load,omitempty"`  // replied: the node's answer; polled: the prober's load
	Loads *loads        `json:"loads,omitempty"` // view=1
	Jobs  *[]jobInfoMsg `json:"jobs,omitempty"`  // when init asked for them
}

// sendMsg is a policy message in an answer's "send".
type sendMsg struct {
	To    int64   `json:"to"`
	Kind  int     `json:"kind"`
	Value float64 `json:"value"`
}

// call is a migration call about to be sent: its name, for errors.
type call struct {
	name string
	job  int64 // arrived: the job's ID
	bit  uint8
}

func (c call) String() string {
	if c.bit == callArrived {
		return fmt.Sprintf("arrived (job %d)", c.job)
	}
	return c.name
}

// begin fills the message common to every call and reports whether the
// process wants the call (and works).
func (m *Migrator) begin(v policy.View, bit uint8) bool {
	if !m.ready(v) || m.wants&bit == 0 {
		return false
	}
	m.msg = migrateMsg{Now: v.Now()}
	m.local = toLoad(v.Local())
	m.msg.Local = &m.local
	if m.cfg.View {
		if m.msg.Loads == nil {
			m.msg.Loads = &loads{}
		}
		gossip(v, m.msg.Loads)
	}
	return true
}

// withJobs adds the jobs present, if the process asked for them.
func (m *Migrator) withJobs(v policy.View) {
	if !m.jobs {
		return
	}
	m.list = v.Jobs(m.list)
	m.infos = m.infos[:0]
	for _, j := range m.list {
		m.infos = append(m.infos, jobInfoMsg{jobMsg: jobMsg{ID: j.ID, Size: j.Size, Class: j.Class, Key: j.Key, Hops: j.Hops},
			Origin: int32(j.Origin), Running: j.Running, Done: j.Done, Since: j.Since})
	}
	m.msg.Jobs = &m.infos
}

func (m *Migrator) setFrom(from policy.NodeID) {
	m.from = int32(from)
	m.msg.From = &m.from
}

// act sends the call and turns the answer into an Action, with its
// messages and later probes carried out; any fault keeps, and fails the
// run.
func (m *Migrator) act(v policy.View, c call) policy.Action {
	m.msg.Call = c.name
	r, ok := m.ask(v, &m.msg, c.String)
	if !ok {
		return policy.Action{}
	}
	a, err := m.action(v, r, c.bit)
	if err == nil {
		err = m.effects(v, r)
	}
	if err != nil {
		_ = m.fail(c.String(), err)
		return policy.Action{}
	}
	return a
}

// action checks an answer's verb, node, job and wake.
func (m *Migrator) action(v policy.View, r reply, bit uint8) (policy.Action, error) {
	if bit == callRequested || bit == callReplied || bit == callPolled {
		if r.Verb != "" || r.Node != nil || r.Job != nil || r.Wake != 0 {
			return policy.Action{}, errors.New(`this call answers no action: "verb", "node", "job" and "wake" are for arrived, departed, timer and message`)
		}
	}
	if bit != callRequested && (r.First != 0 || r.N != 0) {
		return policy.Action{}, errors.New(`"first" and "n" answer requested only`)
	}
	var a policy.Action
	switch r.Verb {
	case "", "keep":
	case "transfer":
		if bit != callArrived {
			return a, errors.New(`verb "transfer" is valid in arrived only (push moves a job present)`)
		}
		a.Verb = policy.Transfer
	case "request":
		a.Verb = policy.Request
	case "push":
		a.Verb = policy.Push
		m.list = v.Jobs(m.list)
		if r.Job == nil || *r.Job < 0 || *r.Job >= len(m.list) {
			return a, fmt.Errorf(`push wants "job": the index of a job present, 0..%d`, len(m.list)-1)
		}
		a.Job = *r.Job
	default:
		return a, fmt.Errorf("unknown verb %q: want keep, transfer, request or push", r.Verb)
	}
	if a.Verb != policy.Keep {
		if r.Node == nil {
			return a, fmt.Errorf(`verb %q wants "node"`, r.Verb)
		}
		if err := m.other(v, *r.Node); err != nil {
			return a, err
		}
		a.Node = policy.NodeID(*r.Node)
	}
	// The call's now, not the view's: on agents the clock runs on while
	// the process thinks.
	if now := m.msg.Now; r.Wake != 0 && (!(r.Wake > now) || math.IsInf(r.Wake, 0)) {
		return a, fmt.Errorf("wake %g is not a time after the call's now (%g)", r.Wake, now)
	}
	a.Wake = r.Wake
	return a, nil
}

// other checks that node n is another node of the cluster.
func (m *Migrator) other(v policy.View, n int64) error {
	if n < 0 || n >= int64(v.Nodes()) || n == int64(v.Self()) {
		return fmt.Errorf("node %d: want another node of 0..%d (this is %d)", n, v.Nodes()-1, v.Self())
	}
	return nil
}

// effects checks and carries out an answer's messages and later probes
// (counted with its probes against cfg.Probes).
func (m *Migrator) effects(v policy.View, r reply) error {
	for _, s := range r.Send {
		if err := m.other(v, s.To); err != nil {
			return fmt.Errorf("send: %w", err)
		}
		if s.Kind < 0 || s.Kind > math.MaxUint8 {
			return fmt.Errorf("send: kind %d, want 0..255", s.Kind)
		}
	}
	if len(r.ProbeLater) > 0 {
		probed := m.probed
		if err := m.count(&probed, len(r.ProbeLater)); err != nil {
			return err
		}
		m.later = m.later[:0]
		for _, n := range r.ProbeLater {
			if err := m.other(v, n); err != nil {
				return fmt.Errorf("probe_later: %w", err)
			}
			m.later = append(m.later, policy.NodeID(n))
		}
	}
	for _, s := range r.Send {
		v.Send(policy.NodeID(s.To), policy.Message{Kind: uint8(s.Kind), Value: s.Value})
	}
	if len(m.later) > 0 {
		v.ProbeLater(m.later)
		m.later = m.later[:0]
	}
	return nil
}

// Arrived asks the process about job j reaching this node.
func (m *Migrator) Arrived(v policy.View, j *policy.Job) policy.Action {
	if !m.begin(v, callArrived) {
		return policy.Action{}
	}
	m.job = jobMsg{ID: j.ID, Size: j.Size, Class: j.Class, Key: j.Key, Hops: j.Hops}
	m.msg.Job = &m.job
	m.withJobs(v)
	return m.act(v, call{name: "arrived", job: j.ID, bit: callArrived})
}

// Departed tells the process that a job completed here.
func (m *Migrator) Departed(v policy.View) policy.Action {
	if !m.begin(v, callDeparted) {
		return policy.Action{}
	}
	m.withJobs(v)
	return m.act(v, call{name: "departed", bit: callDeparted})
}

// Timer tells the process that its wake-up came due.
func (m *Migrator) Timer(v policy.View) policy.Action {
	if !m.begin(v, callTimer) {
		return policy.Action{}
	}
	m.withJobs(v)
	return m.act(v, call{name: "timer", bit: callTimer})
}

// Message passes a policy message from node from to the process.
func (m *Migrator) Message(v policy.View, from policy.NodeID, msg policy.Message) policy.Action {
	if !m.begin(v, callMessage) {
		return policy.Action{}
	}
	m.setFrom(from)
	m.kind, m.value = msg.Kind, msg.Value
	m.msg.Kind, m.msg.Value = &m.kind, &m.value
	m.withJobs(v)
	return m.act(v, call{name: "message", bit: callMessage})
}

// Requested asks the process which jobs to hand to node from.
func (m *Migrator) Requested(v policy.View, from policy.NodeID) (first, n int) {
	if !m.begin(v, callRequested) {
		return 0, 0
	}
	m.setFrom(from)
	m.withJobs(v)
	c := call{name: "requested", bit: callRequested}
	m.msg.Call = c.name
	r, ok := m.ask(v, &m.msg, c.String)
	if !ok {
		return 0, 0
	}
	err := m.handOver(v, r)
	if err == nil {
		_, err = m.action(v, r, c.bit)
	}
	if err == nil {
		err = m.effects(v, r)
	}
	if err != nil {
		_ = m.fail(c.String(), err)
		return 0, 0
	}
	return r.First, r.N
}

// handOver checks a requested answer's jobs first .. first+n-1.
func (m *Migrator) handOver(v policy.View, r reply) error {
	if r.N == 0 {
		return nil
	}
	m.list = v.Jobs(m.list)
	if r.N < 0 || r.First < 0 || r.First+r.N > len(m.list) {
		return fmt.Errorf("hands over jobs %d..%d: %d present, want first ≥ 0, n ≥ 0 and first+n ≤ %d", r.First, r.First+r.N-1, len(m.list), len(m.list))
	}
	return nil
}

// Replied passes the answer of a probe_later of node n to the process.
func (m *Migrator) Replied(v policy.View, n policy.NodeID, l policy.Load) {
	m.watched(v, callReplied, n, l)
}

// Polled tells the process that node from (-1: a dispatcher) probed this
// node, with the prober's load.
func (m *Migrator) Polled(v policy.View, from policy.NodeID, l policy.Load) {
	m.watched(v, callPolled, from, l)
}

func (m *Migrator) watched(v policy.View, bit uint8, from policy.NodeID, l policy.Load) {
	if !m.begin(v, bit) {
		return
	}
	m.setFrom(from)
	ld := toLoad(l)
	m.msg.Load = &ld
	name := "replied"
	if bit == callPolled {
		name = "polled"
	}
	m.act(v, call{name: name, bit: bit})
}
