package policy

import "github.com/loadlab/loadlab/param"

var ageInfo = Info{
	Name: "age",
	Params: param.Schema{
		{Name: "cost", Kind: param.Float, Default: "1", Doc: "migration cost, in mean service times"},
		{Name: "period", Kind: param.Float, Default: "1", Doc: "time between two looks at the running jobs"},
		{Name: "probes", Kind: param.Int, Default: "3", Doc: "nodes probed for the least loaded"},
		{Name: "preemptive", Kind: param.Int, Default: "1", Doc: "1: migrate running jobs by age; 0: place new arrivals only (remote execution)"},
	},
	Doc: "age-based preemptive migration: every period, move the oldest running job to the least loaded probed node if its age exceeds cost / (n − m)",
	Ref: "Harchol-Balter & Downey, ACM TOCS 15(3), 1997",
}

// age is the preemptive migration policy of Harchol-Balter & Downey (1997):
// with heavy-tailed job sizes a job's expected remaining time grows with
// its age, so an old job is worth moving. Load index: Queue, n at this node
// (the migrant included) and m at the target (before the move).
//
// preemptive=1: every period (the timer starts at the node's first call), a
// node with n ≥ 2 looks at its oldest running job (largest JobInfo.Done);
// if its age could qualify at all (age > cost / n), it probes `probes`
// random nodes in one round and, with m the least probed load (ties at
// random), Pushes that job there (strong mobility) when n − m ≥ 2 and age >
// cost / (n − m). One job moves per period. Our reading: the rule as
// usually quoted says "m < n"; we require n − m ≥ 2, so that the migrant
// finds fewer jobs there than it leaves here (a move to m = n − 1 only
// swaps the two loads, and under FCFS it would queue the migrant behind
// another job).
//
// preemptive=0 is the non-preemptive counterpart the paper compares with,
// remote execution: only a job fresh from the dispatcher is placed, at
// arrival, and is transferred to the least loaded probed node when n − m
// ≥ 2, n counting the new job (it would find fewer jobs there than here).
type age struct {
	Base
	cost, period float64
	probes       int
	preemptive   bool
	started      bool // the periodic timer is running
	sample       []NodeID
	loads        []Load
	jobs         []JobInfo
}

func newAge(p param.Values) (MigrateBuilder, error) {
	cost, period := p.Float("cost"), p.Float("period")
	if cost < 0 {
		return nil, p.Errorf("cost", "must be ≥ 0, got %g", cost)
	}
	if period <= 0 {
		return nil, p.Errorf("period", "must be > 0, got %g", period)
	}
	if err := atLeast(p, "probes", 1); err != nil {
		return nil, err
	}
	if pr := p.Int("preemptive"); pr != 0 && pr != 1 {
		return nil, p.Errorf("preemptive", "want 0 or 1, got %d", pr)
	}
	probes, preemptive := p.Int("probes"), p.Int("preemptive") == 1
	return func(env Env) Migrator {
		k := min(probes, env.Nodes)
		return &age{cost: cost, period: period, probes: probes, preemptive: preemptive, sample: make([]NodeID, 0, k), loads: make([]Load, k)}
	}, nil
}

// start returns the first wake-up of the periodic timer.
func (a *age) start(v View) Action {
	if !a.preemptive || a.started {
		return Action{}
	}
	a.started = true
	return Action{Wake: v.Now() + a.period}
}

// leastLoaded probes and returns the least loaded probed node and its load.
func (a *age) leastLoaded(v View) (NodeID, int) {
	a.sample = sampleNodes(v.Rand(), v.Nodes(), v.Self(), a.probes, a.sample)
	v.Probe(a.sample, a.loads)
	i := argmin(v.Rand(), len(a.sample), func(i int) float64 { return float64(a.loads[i].Queue) })
	return a.sample[i], a.loads[i].Queue
}

func (a *age) Arrived(v View, j *Job) Action {
	if a.preemptive {
		return a.start(v)
	}
	n := v.Local().Queue + 1
	if j.Hops > 0 || n < 2 || v.Nodes() < 2 {
		return Action{}
	}
	if to, m := a.leastLoaded(v); n-m >= 2 {
		return Action{Verb: Transfer, Node: to}
	}
	return Action{}
}

func (a *age) Departed(v View) Action { return a.start(v) }

func (a *age) Message(v View, _ NodeID, _ Message) Action { return a.start(v) }

func (a *age) Timer(v View) Action {
	if !a.preemptive {
		return Action{}
	}
	a.started = true
	act := a.migrate(v)
	act.Wake = v.Now() + a.period
	return act
}

// migrate pushes the oldest running job if the age rule allows.
func (a *age) migrate(v View) Action {
	n := v.Local().Queue
	if n < 2 || v.Nodes() < 2 {
		return Action{}
	}
	a.jobs = v.Jobs(a.jobs)
	oldest := -1
	for i, j := range a.jobs {
		if j.Running && (oldest < 0 || j.Done > a.jobs[oldest].Done) {
			oldest = i
		}
	}
	if oldest < 0 || a.jobs[oldest].Done <= a.cost/float64(n) {
		return Action{} // too young for any target: no probe
	}
	to, m := a.leastLoaded(v)
	if n-m >= 2 && a.jobs[oldest].Done > a.cost/float64(n-m) {
		return Action{Verb: Push, Node: to, Job: oldest}
	}
	return Action{}
}
