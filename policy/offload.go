package policy

import (
	"math"

	"github.com/loadlab/loadlab/param"
)

// Energy is the power model as policies see it (package energy's, which
// the backend turns into these figures): what a unit of work costs a
// node above its idle power, and what the network charges to move a job.
type Energy struct {
	// Work is the joules one unit of work (a job of size 1) costs a node
	// of nominal speed 1 above its idle power, at the cluster's DVFS level:
	// (busy watts − idle watts) ÷ DVFS speed. A node of speed s spends
	// Work·size/s on a job.
	Work float64
	// Transfer is the joules one job's transfer costs the network: joules
	// per byte × the bytes a transfer moves.
	Transfer float64
	// Message is the joules of one message or probe.
	Message float64
}

var energyInfo = Info{
	Name: "energy",
	Params: param.Schema{
		{Name: "margin", Kind: param.Float, Default: "1", Doc: "offload when the transfer costs less than margin × the joules of running the job here (0: never for energy; a large margin: always)"},
		{Name: "within", Kind: param.Float, Default: "0", Doc: "offload too a job that would not end here within this long: (work queued here ÷ servers + its size) ÷ speed (0: no bound)"},
	},
	Doc: "energy-aware offloading: a job arriving fresh runs here, or goes to the least loaded faster node when moving it costs fewer joules than running it here (Env.Energy)",
	Ref: "MAUI (Cuervo et al., MobiSys 2010) and CloneCloud (Chun et al., EuroSys 2011): a mobile device offloads work when that saves its battery",
}

// offload decides, for each job dispatched to its node, whether running
// it here or moving it costs the node fewer joules, as a mobile client
// offloading to servers does (MAUI). Running it here costs
// Energy.Work·size/speed (the busy power above idle for as long as it
// runs); moving it costs Energy.Transfer. It moves the job when
// Transfer < margin × that, to the node of the highest speed above its
// own with the fewest jobs per server (gossiped; ties at random), and
// never from the fastest nodes. Waiting for the answer costs the node
// its idle power either way, so it does not enter the comparison; nor
// does the response time (a slow node may keep a job that a server
// would finish sooner) unless within bounds it: then a job that would
// not end here within that long, (work queued ÷ servers + size) ÷ speed,
// moves whatever it costs, as MAUI minimises energy under a latency
// bound (the server is trusted to be quicker). Without a power model (Env.Energy nil) or with a
// transfer that costs nothing, the comparison is the plain one: energy
// with no network cost offloads every job it can. Transferred jobs stay
// where they land.
type offload struct {
	Base
	margin float64
	within float64 // 0: no bound
	env    Env
	faster []NodeID // the nodes faster than this one, fastest first
}

func newEnergy(p param.Values) (MigrateBuilder, error) {
	m, w := p.Float("margin"), p.Float("within")
	if !(m >= 0) || math.IsInf(m, 0) {
		return nil, p.Errorf("margin", "want a finite number ≥ 0, got %g", m)
	}
	if !(w >= 0) || math.IsInf(w, 0) {
		return nil, p.Errorf("within", "want a finite time ≥ 0 (0: no bound), got %g", w)
	}
	return func(env Env) Migrator {
		o := &offload{margin: m, within: w, env: env}
		self := env.Speed(env.Node)
		top := 0.0
		for i := range env.Nodes {
			if s := env.Speed(NodeID(i)); s > self {
				top = max(top, s)
			}
		}
		for i := range env.Nodes {
			if top > 0 && env.Speed(NodeID(i)) == top {
				o.faster = append(o.faster, NodeID(i))
			}
		}
		return o
	}, nil
}

// Saves says whether moving a job of the given size from node n costs
// fewer joules than margin × running it there: Transfer < margin ×
// Work·size/speed(n). Without a power model nothing is saved.
func (e Env) Saves(n NodeID, size, margin float64) bool {
	if e.Energy == nil {
		return false
	}
	return e.Energy.Transfer < margin*e.Energy.Work*size/e.Speed(n)
}

func (o *offload) Arrived(v View, j *Job) Action {
	if j.Hops > 0 || len(o.faster) == 0 || !o.env.Saves(o.env.Node, j.Size, o.margin) && !o.late(v, j) {
		return Action{}
	}
	best, least, ties := None, math.Inf(1), 0
	for _, n := range o.faster {
		l, _ := v.Gossip(n)
		q := perServer(l)
		switch {
		case q < least:
			best, least, ties = n, q, 1
		case q == least:
			ties++
			if v.Rand().IntN(ties) == 0 {
				best = n
			}
		}
	}
	return Action{Verb: Transfer, Node: best}
}

// late says whether job j would not end here within the bound.
func (o *offload) late(v View, j *Job) bool {
	if o.within == 0 {
		return false
	}
	l := v.Local()
	return (l.Work/float64(max(l.Servers, 1))+j.Size)/o.env.Speed(o.env.Node) > o.within
}
