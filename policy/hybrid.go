package policy

import (
	"strings"

	"github.com/loadlab/loadlab/param"
)

var hybridInfo = Info{
	Name: "hybrid",
	Params: param.Schema{
		{Name: "front", Kind: param.Int, Default: "2", Doc: "front-end dispatchers behind the round-robin distributor"},
		{Name: "inner", Kind: param.Word, Default: "leastconn", Doc: "the strategy each front-end runs, by name with its defaults (e.g. lwl, leastconn, hash, prequal)"},
	},
	Doc: "two-level dispatch: a transport-level distributor spreads jobs round-robin over front-ends, each running its own instance of inner",
	Ref: "two-level server-cluster dispatch (Cardellini et al., ACM Comput. Surv. 34(2), 2002)",
}

// hybrid is the two-level scheme of server clusters: a layer-4 distributor
// sends job j to front-end j.ID mod front — round-robin, since IDs number
// arrivals — and that front-end's own instance of inner places it. Each
// instance sees only its share of the events:
//   - Done goes to the front-end that placed the job (again ID mod front),
//     so in-flight counts (leastconn, hash) are per front-end;
//   - Replied goes to the front-end whose ProbeLater asked that node,
//     oldest request first (replies from one node come back in order);
//   - Idle goes to one front-end at random, as JIQ-Random reports to one
//     I-queue.
type hybrid struct {
	fronts  []Dispatcher
	pending [][]int // per node: front-ends awaiting a reply from it, oldest first
	view    frontView
}

// newHybrid returns hybrid's factory; inner strategies are built from r's
// own factories, so hybrid sees whatever r holds when a spec is parsed.
func newHybrid(r *Registry) DispatchFactory {
	return func(p param.Values) (DispatchBuilder, error) {
		if err := atLeast(p, "front", 1); err != nil {
			return nil, err
		}
		name := p.Word("inner")
		spec, err := r.Dispatch(name)
		if err != nil || name == hybridInfo.Name {
			var known []string
			for _, i := range r.List(Dispatch) {
				if i.Name != hybridInfo.Name {
					known = append(known, i.Name)
				}
			}
			return nil, p.Errorf("inner", "want the name of a dispatch strategy other than hybrid (%s), got %q", strings.Join(known, ", "), name)
		}
		front := p.Int("front")
		return func(env Env) Dispatcher {
			d := &hybrid{fronts: make([]Dispatcher, front), pending: make([][]int, env.Nodes)}
			for i := range d.fronts {
				d.fronts[i] = spec.New(env)
			}
			d.view.h = d
			return d
		}, nil
	}
}

// frontView is the View a front-end's calls get: it notes which front-end
// each ProbeLater comes from, to route the replies.
type frontView struct {
	View
	h     *hybrid
	front int
}

func (v *frontView) ProbeLater(nodes []NodeID) {
	for _, n := range nodes {
		v.h.pending[n] = append(v.h.pending[n], v.front)
	}
	v.View.ProbeLater(nodes)
}

// frontOf is the front-end that placed j.
func (d *hybrid) frontOf(j *Job) int {
	f := int(j.ID % int64(len(d.fronts)))
	if f < 0 {
		f += len(d.fronts)
	}
	return f
}

func (d *hybrid) Pick(v View, j *Job) NodeID {
	f := d.frontOf(j)
	d.view.View, d.view.front = v, f
	n := d.fronts[f].Pick(&d.view, j)
	d.view.View = nil
	return n
}

// Done tells the front-end that placed j.
func (d *hybrid) Done(v View, j *Job) {
	if w, ok := d.fronts[d.frontOf(j)].(DoneWatcher); ok {
		w.Done(v, j)
	}
}

// Replied hands a probe reply to the front-end that asked first.
func (d *hybrid) Replied(v View, n NodeID, l Load) {
	q := d.pending[n]
	if len(q) == 0 {
		return
	}
	f := q[0]
	if len(q) == 1 {
		d.pending[n] = q[:0]
	} else {
		d.pending[n] = q[1:]
	}
	if w, ok := d.fronts[f].(ReplyWatcher); ok {
		w.Replied(v, n, l)
	}
}

// Idle tells one front-end, chosen at random.
func (d *hybrid) Idle(v View, n NodeID) {
	if _, ok := d.fronts[0].(IdleWatcher); !ok {
		return
	}
	d.fronts[v.Rand().IntN(len(d.fronts))].(IdleWatcher).Idle(v, n)
}
