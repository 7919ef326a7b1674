package policy

import "github.com/loadlab/loadlab/param"

var stealInfo = Info{
	Name: "steal",
	Params: param.Schema{
		{Name: "probes", Kind: param.Int, Default: "2", Doc: "nodes probed per attempt"},
		{Name: "retry", Kind: param.Float, Default: "0", Doc: "an idle thief tries again after this long (0: only after a completion)"},
	},
	Doc: "work stealing: a node left with nothing waiting and a free server probes random nodes and steals the oldest half of the waiting jobs of the one with most",
	Ref: "Blumofe & Leiserson, JACM 46(5), 1999 (randomized work stealing); steal-half: Hendler & Shavit, PODC 2002",
}

// steal is work stealing, the modern receiver-initiated form. After a
// completion leaves a node with nothing waiting and a free server (a
// thief), it probes up to probes random other nodes in one round and sends
// a Request to the one with most waiting jobs (ties at random), provided it
// has at least one waiting: even a single waiting job is worth taking to a
// server that would otherwise idle. A victim hands over ⌊waiting/2⌋ of its
// waiting jobs, at least one if any waits: the oldest ones, at the head of
// its queue (they have waited longest; a deque thief steals from the old
// end), so running jobs never move. With retry > 0 a thief sets a wake-up
// after every attempt (it cannot tell whether a request came back empty),
// and on it tries again if it is still idle. Under processor sharing
// nothing waits, so nothing is ever stolen.
type steal struct {
	Base
	probes int
	retry  float64
	sample []NodeID
	loads  []Load
}

func newSteal(p param.Values) (MigrateBuilder, error) {
	if err := atLeast(p, "probes", 1); err != nil {
		return nil, err
	}
	if p.Float("retry") < 0 {
		return nil, p.Errorf("retry", "must be ≥ 0, got %g", p.Float("retry"))
	}
	probes, retry := p.Int("probes"), p.Float("retry")
	return func(env Env) Migrator {
		k := min(probes, env.Nodes)
		return &steal{probes: probes, retry: retry, sample: make([]NodeID, 0, k), loads: make([]Load, k)}
	}, nil
}

func (s *steal) Departed(v View) Action { return s.try(v) }

func (s *steal) Timer(v View) Action { return s.try(v) }

func (s *steal) try(v View) Action {
	l := v.Local()
	if l.Waiting() > 0 || l.Running >= l.Servers || v.Nodes() < 2 {
		return Action{}
	}
	s.sample = sampleNodes(v.Rand(), v.Nodes(), v.Self(), s.probes, s.sample)
	v.Probe(s.sample, s.loads)
	i := argmin(v.Rand(), len(s.sample), func(i int) float64 { return -float64(s.loads[i].Waiting()) })
	var a Action
	if s.loads[i].Waiting() > 0 {
		a = Action{Verb: Request, Node: s.sample[i]}
	}
	if s.retry > 0 {
		a.Wake = v.Now() + s.retry
	}
	return a
}

// Requested hands over the oldest half of the waiting jobs.
func (s *steal) Requested(v View, _ NodeID) (first, n int) {
	l := v.Local()
	w := l.Waiting()
	if w <= 0 {
		return 0, 0
	}
	return l.Running, max(w/2, 1)
}
