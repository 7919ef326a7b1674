package policy

import (
	"math"

	"github.com/loadlab/loadlab/param"
)

// The Eager–Lazowska–Zahorjan family. Load index: jobs present (queue
// length, the one in service included). With threshold T a node is a sender
// when an arriving job would make its queue exceed T (Queue ≥ T before the
// job joins) and a receiver when its queue is below T; a transferred job
// runs where it lands (transfer limit 1), so jobs never bounce.

var noneInfo = Info{
	Name: "none",
	Doc:  "no migration: every job runs where the dispatcher sent it",
	Ref:  "baseline",
}

type none struct{ Base }

// Inert says that none never acts: a backend may skip calling it (the
// simulator does, as jobs arrive and depart).
func (none) Inert() {}

// Inert reports whether m never acts (it has an Inert method, as none
// does): a backend may skip its calls and share one instance among nodes.
func Inert(m Migrator) bool {
	_, ok := m.(interface{ Inert() })
	return ok
}

func newNone(param.Values) (MigrateBuilder, error) {
	return func(Env) Migrator { return none{} }, nil
}

var (
	paramT      = param.Param{Name: "T", Kind: param.Int, Default: "2", Doc: "queue-length threshold"}
	paramProbes = param.Param{Name: "probes", Kind: param.Int, Default: "3", Doc: "probe limit Lp"}
	paramSelect = param.Param{Name: "select", Kind: param.Word, Default: "newest", Doc: "waiting job handed over on a request: newest | oldest"}
)

// selectParam reads the select parameter: true for oldest (the head of the
// waiting queue), false for newest (its tail).
func selectParam(p param.Values) (oldest bool, err error) {
	return eitherWord(p, "select", "newest", "oldest")
}

// eitherWord reads a parameter that takes one of two words: false for no
// (the default's), true for yes; any other word is an error naming both.
func eitherWord(p param.Values, name, no, yes string) (bool, error) {
	switch w := p.Word(name); w {
	case no:
		return false, nil
	case yes:
		return true, nil
	default:
		return false, p.Errorf(name, "want %s or %s, got %q", no, yes, w)
	}
}

func thresholdParams(p param.Values, probes bool) error {
	if err := atLeast(p, "T", 1); err != nil {
		return err
	}
	if probes {
		return atLeast(p, "probes", 1)
	}
	return nil
}

var senderRandomInfo = Info{
	Name:   "sender.random",
	Params: param.Schema{paramT},
	Doc:    "sender-initiated: an arrival that finds Queue ≥ T goes to a random other node, no probing",
	Ref:    "Eager, Lazowska & Zahorjan, IEEE TSE 12(5), 1986 (Random)",
}

var senderThresholdInfo = Info{
	Name:   "sender.threshold",
	Params: param.Schema{paramT, paramProbes},
	Doc:    "sender-initiated: probe up to Lp random nodes one at a time, transfer to the first with Queue < T and stop probing there (with T = 1: the first idle node)",
	Ref:    "Eager, Lazowska & Zahorjan, IEEE TSE 12(5), 1986 (Threshold)",
}

var senderShortestInfo = Info{
	Name: "sender.shortest",
	Params: param.Schema{paramT, paramProbes,
		{Name: "stop", Kind: param.Word, Default: "never", Doc: "never: probe all Lp at once | first-idle: probe one at a time and take the first node with no job", Later: true}},
	Doc: "sender-initiated: probe Lp random nodes, transfer to the shortest if its Queue < T (stop=first-idle: stop at the first idle node)",
	Ref: "Eager, Lazowska & Zahorjan, IEEE TSE 12(5), 1986 (Shortest); stop=first-idle: the lecture's push (Tanenbaum & van Steen, Distributed Systems, ch. 3)",
}

type senderRule int

const (
	ruleRandom senderRule = iota
	ruleThreshold
	ruleShortest
)

// sender is the sender-initiated transfer, selection (new arrivals only)
// and location rules.
type sender struct {
	Base
	rule     senderRule
	t        int
	probes   int
	stopIdle bool // Shortest with stop=first-idle
	sample   []NodeID
	loads    []Load
}

func senderFactory(rule senderRule) MigrateFactory {
	return func(p param.Values) (MigrateBuilder, error) {
		if err := thresholdParams(p, rule != ruleRandom); err != nil {
			return nil, err
		}
		t, probes, stopIdle := p.Int("T"), 1, false
		if rule != ruleRandom {
			probes = p.Int("probes")
		}
		if rule == ruleShortest {
			var err error
			if stopIdle, err = eitherWord(p, "stop", "never", "first-idle"); err != nil {
				return nil, err
			}
		}
		return func(env Env) Migrator {
			s := newSender(rule, t, probes, env)
			s.stopIdle = stopIdle
			return s
		}, nil
	}
}

func newSender(rule senderRule, t, probes int, env Env) *sender {
	k := min(probes, env.Nodes)
	return &sender{rule: rule, t: t, probes: probes, sample: make([]NodeID, 0, k), loads: make([]Load, k)}
}

var (
	newSenderRandom    = senderFactory(ruleRandom)
	newSenderThreshold = senderFactory(ruleThreshold)
	newSenderShortest  = senderFactory(ruleShortest)
)

func (s *sender) Arrived(v View, j *Job) Action {
	if j.Hops > 0 || v.Local().Queue < s.t || v.Nodes() < 2 {
		return Action{}
	}
	r := v.Rand()
	switch s.rule {
	case ruleRandom:
		s.sample = sampleNodes(r, v.Nodes(), v.Self(), 1, s.sample)
		return Action{Verb: Transfer, Node: s.sample[0]}
	case ruleThreshold:
		s.sample = sampleNodes(r, v.Nodes(), v.Self(), s.probes, s.sample)
		for i, n := range s.sample {
			v.Probe(s.sample[i:i+1], s.loads[:1])
			if s.loads[0].Queue < s.t {
				return Action{Verb: Transfer, Node: n}
			}
		}
	case ruleShortest:
		s.sample = sampleNodes(r, v.Nodes(), v.Self(), s.probes, s.sample)
		if s.stopIdle {
			// The lecture's short-circuit: an idle node is as good as it
			// gets, so stop probing there (each probe is a round trip).
			for i, n := range s.sample {
				v.Probe(s.sample[i:i+1], s.loads[i:i+1])
				if s.loads[i].Queue == 0 {
					return Action{Verb: Transfer, Node: n}
				}
			}
		} else {
			v.Probe(s.sample, s.loads)
		}
		i := argmin(r, len(s.sample), func(i int) float64 { return float64(s.loads[i].Queue) })
		if s.loads[i].Queue < s.t {
			return Action{Verb: Transfer, Node: s.sample[i]}
		}
	}
	return Action{}
}

var receiverInfo = Info{
	Name: "receiver.threshold",
	Params: param.Schema{
		{Name: "T", Kind: param.Int, Default: "1", Doc: "queue-length threshold"},
		paramProbes,
		{Name: "retry", Kind: param.Float, Default: "0", Doc: "when every probe fails, try again after this long (0: wait for the next completion)"},
		paramSelect,
		{Name: "pick", Kind: param.Word, Default: "first", Doc: "first: probe one at a time, ask the first with Queue > T | heaviest: probe all Lp at once, ask the longest queue if above T", Later: true},
	},
	Doc: "receiver-initiated: after a completion leaves Queue < T, probe up to Lp random nodes one at a time and take a waiting job from the first with Queue > T (pick=heaviest: from the heaviest probed)",
	Ref: "Eager, Lazowska & Zahorjan, Performance Evaluation 6(1), 1986; retry timer: Shivaratri, Krueger & Singhal, IEEE Computer 25(12), 1992; pick=heaviest: the lecture's pull (Tanenbaum & van Steen, Distributed Systems, ch. 3)",
}

// receiver asks others for work when it runs low. A node asked for work
// hands over one waiting job if it still has Queue > T (giving one up keeps
// it at T or above), so the transfer is non-preemptive: its newest waiting
// job by default (the one that would wait longest), or with select=oldest
// the head of its waiting queue. With pick=heaviest it asks the heaviest of
// its probed nodes instead of the first that qualifies: the lecture's "pull
// from the heaviest loaded source if heavier" (a source above T is always
// heavier than a receiver, which is below T).
type receiver struct {
	Base
	t        int
	probes   int
	retry    float64
	oldest   bool // select=oldest
	heaviest bool // pick=heaviest
	sample   []NodeID
	loads    []Load
}

func newReceiver(p param.Values) (MigrateBuilder, error) {
	if err := thresholdParams(p, true); err != nil {
		return nil, err
	}
	if p.Float("retry") < 0 {
		return nil, p.Errorf("retry", "must be ≥ 0, got %g", p.Float("retry"))
	}
	oldest, err := selectParam(p)
	if err != nil {
		return nil, err
	}
	heaviest, err := eitherWord(p, "pick", "first", "heaviest")
	if err != nil {
		return nil, err
	}
	t, probes, retry := p.Int("T"), p.Int("probes"), p.Float("retry")
	return func(env Env) Migrator {
		r := newReceiverNode(t, probes, retry, oldest, env)
		r.heaviest = heaviest
		return r
	}, nil
}

func newReceiverNode(t, probes int, retry float64, oldest bool, env Env) *receiver {
	k := min(probes, env.Nodes)
	return &receiver{t: t, probes: probes, retry: retry, oldest: oldest, sample: make([]NodeID, 0, k), loads: make([]Load, k)}
}

func (r *receiver) Departed(v View) Action { return r.pull(v) }

func (r *receiver) Timer(v View) Action { return r.pull(v) }

func (r *receiver) pull(v View) Action {
	if v.Local().Queue >= r.t || v.Nodes() < 2 {
		return Action{}
	}
	r.sample = sampleNodes(v.Rand(), v.Nodes(), v.Self(), r.probes, r.sample)
	if r.heaviest {
		v.Probe(r.sample, r.loads)
		// The longest queue among those with a job waiting to give.
		i := argmin(v.Rand(), len(r.sample), func(i int) float64 {
			if r.loads[i].Waiting() == 0 {
				return math.Inf(1)
			}
			return -float64(r.loads[i].Queue)
		})
		if r.loads[i].Queue > r.t && r.loads[i].Waiting() > 0 {
			return Action{Verb: Request, Node: r.sample[i]}
		}
	} else {
		for i, n := range r.sample {
			v.Probe(r.sample[i:i+1], r.loads[:1])
			if r.loads[0].Queue > r.t && r.loads[0].Waiting() > 0 {
				return Action{Verb: Request, Node: n}
			}
		}
	}
	if r.retry > 0 {
		return Action{Wake: v.Now() + r.retry}
	}
	return Action{}
}

func (r *receiver) Requested(v View, _ NodeID) (first, n int) {
	l := v.Local()
	if l.Queue > r.t && l.Waiting() > 0 {
		if r.oldest {
			return l.Running, 1 // the first waiting job, after those in service
		}
		return l.Queue - 1, 1 // the newest waiting job
	}
	return 0, 0
}

var symmetricInfo = Info{
	Name:   "symmetric",
	Params: param.Schema{paramT, paramProbes, paramSelect},
	Doc:    "sender.threshold and receiver.threshold together, always, with one threshold T (switching runs one at a time, by load)",
	Ref:    "Shivaratri, Krueger & Singhal, IEEE Computer 25(12), 1992 (symmetrically initiated)",
}

type symmetric struct {
	*sender
	*receiver
}

func newSymmetric(p param.Values) (MigrateBuilder, error) {
	if err := thresholdParams(p, true); err != nil {
		return nil, err
	}
	oldest, err := selectParam(p)
	if err != nil {
		return nil, err
	}
	t, probes := p.Int("T"), p.Int("probes")
	return func(env Env) Migrator {
		return symmetric{newSender(ruleThreshold, t, probes, env), newReceiverNode(t, probes, 0, oldest, env)}
	}, nil
}

func (s symmetric) Arrived(v View, j *Job) Action                 { return s.sender.Arrived(v, j) }
func (s symmetric) Departed(v View) Action                        { return s.receiver.Departed(v) }
func (s symmetric) Timer(v View) Action                           { return s.receiver.Timer(v) }
func (s symmetric) Requested(v View, from NodeID) (int, int)      { return s.receiver.Requested(v, from) }
func (s symmetric) Message(v View, from NodeID, m Message) Action { return Action{} }
