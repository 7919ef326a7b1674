package node

import (
	"context"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/serf/serf"

	"github.com/loadlab/loadlab/latency"
	"github.com/loadlab/loadlab/node/executor"
	"github.com/loadlab/loadlab/node/gossip"
	"github.com/loadlab/loadlab/node/wire"
	"github.com/loadlab/loadlab/policy"
)

// Tags an agent publishes through serf besides its load.
const (
	tagRole = "role" // "agent" or "coordinator"
	tagRPC  = "rpc"  // host:port of its TCP endpoint
)

// clock converts between wall time and model time.
type clock struct {
	epoch time.Time
	unit  time.Duration
}

func (c clock) model(t time.Time) float64     { return float64(t.Sub(c.epoch)) / float64(c.unit) }
func (c clock) now() float64                  { return c.model(time.Now()) }
func (c clock) wall(m float64) time.Time      { return c.epoch.Add(time.Duration(m * float64(c.unit))) }
func (c clock) units(d time.Duration) float64 { return float64(d) / float64(c.unit) }

// peers finds the agents of a point by node id: the roster names each
// id's serf member. The gossip table is copied at most every refresh
// interval, so a decision reads it without blocking serf.
type peers struct {
	g      *gossip.Gossip
	roster []string
	mu     sync.Mutex
	by     map[string]gossip.Member
	at     time.Time
}

const peerRefresh = 10 * time.Millisecond

func newPeers(g *gossip.Gossip, roster []string) *peers { return &peers{g: g, roster: roster} }

func (p *peers) get(id policy.NodeID) (gossip.Member, bool) {
	if id < 0 || int(id) >= len(p.roster) {
		return gossip.Member{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.by == nil || time.Since(p.at) > peerRefresh {
		members := p.g.Members()
		p.by = make(map[string]gossip.Member, len(members))
		for _, m := range members {
			p.by[m.Name] = m
		}
		p.at = time.Now()
	}
	m, ok := p.by[p.roster[id]]
	return m, ok && m.Status == serf.StatusAlive && m.Tags[tagRPC] != ""
}

// counters are what a node counts about load distribution.
type counters struct {
	probes, migrations, preemptions, steals, messages, transferFails atomic.Int64
	bytes                                                            atomic.Int64
	invalid                                                          atomic.Int64 // decisions the simulator would reject, dropped
	moving                                                           atomic.Int64 // transfers in progress, not yet counted
	departing                                                        atomic.Int64 // departure decisions under way (they may probe), not yet counted
	cancels                                                          atomic.Int64 // copies a client's cancellation stopped here

	toMu sync.Mutex
	to   map[string]int64 // migrations by the member name of the node they went to
}

// migrated counts a transfer to the member named to.
func (c *counters) migrated(to string) {
	c.migrations.Add(1)
	c.toMu.Lock()
	defer c.toMu.Unlock()
	if c.to == nil {
		c.to = map[string]int64{}
	}
	c.to[to]++
}

// migratedTo is a copy of the migrations by destination.
func (c *counters) migratedTo() map[string]int64 {
	c.toMu.Lock()
	defer c.toMu.Unlock()
	return maps.Clone(c.to)
}

// tasks runs the goroutines a point starts besides its executor's
// (decisions, probes without waiting, messages, hand-overs), so that
// ending the point waits for them: none outlives it.
type tasks struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// start runs f in a new goroutine; false (and f not run) once closed.
func (t *tasks) start(f func()) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		f()
	}()
	return true
}

// run runs f in the calling goroutine as a task (close waits for it);
// false (and f not run) once closed.
func (t *tasks) run(f func()) bool {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return false
	}
	t.wg.Add(1)
	t.mu.Unlock()
	defer t.wg.Done()
	f()
	return true
}

// close refuses new tasks and waits for the running ones.
func (t *tasks) close() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.wg.Wait()
}

// view is the policy.View of an agent (self ≥ 0) or a dispatcher (None).
// Its methods are called with the owner's decision lock (mu) held.
type view struct {
	ctx     context.Context // ends with the point: cancels probes, messages and transfers
	self    policy.NodeID
	nodes   int
	rng     *rand.Rand
	clock   clock
	peers   *peers
	pool    *wire.Pool
	ex      *executor.Executor // the agent's jobs; nil in a dispatcher
	count   *counters
	tasks   *tasks              // runs ProbeLater's probes and Send's messages
	mu      sync.Locker         // the owner's decision lock, taken to deliver ProbeLater's answers
	replies policy.ReplyWatcher // the owner's policy, if it wants ProbeLater's answers

	gossipAge *latency.Histogram // age of every gossiped load read, model units
	probeRTT  *latency.Histogram // probe round trips, model units, but those a fault may have held (faults.holding)
	probeErr  int64
	faults    *faults // the point's faults in force; nil in a dispatcher

	// What the decision in progress reads of its own node: the load and
	// the jobs, taken together at its first Local or Jobs call and kept to
	// its end, as in the simulator, where a decision takes no time. The
	// indexes it returns (Action.Job, Requested) name these jobs.
	load  policy.Load
	jobs  []executor.UnitInfo
	taken bool
}

var _ policy.View = (*view)(nil)

func (v *view) Now() float64        { return v.clock.now() }
func (v *view) Self() policy.NodeID { return v.self }
func (v *view) Nodes() int          { return v.nodes }
func (v *view) Rand() *rand.Rand    { return v.rng }

// begin starts a decision: it will read its node afresh.
func (v *view) begin() { v.taken = false }

// snapshot reads the executor's load and jobs, once per decision.
func (v *view) snapshot() {
	if !v.taken {
		v.jobs, v.load = v.ex.Jobs(v.jobs)
		v.taken = true
	}
}

// Local is the executor's load when the decision first read its node.
func (v *view) Local() policy.Load {
	if v.ex == nil {
		return policy.Load{}
	}
	v.snapshot()
	return v.load
}

// Jobs lists the executor's units, running first, then waiting in FCFS
// order, with the work each received so far (estimated for running units
// from their time in service) and the model time it joined this node.
func (v *view) Jobs(out []policy.JobInfo) []policy.JobInfo {
	out = out[:0]
	if v.ex == nil {
		return out
	}
	v.snapshot()
	for _, u := range v.jobs {
		out = append(out, policy.JobInfo{Job: toPolicyJob(u.Unit.Data.(*wire.Job)), Running: u.Running, Done: u.Done,
			Since: v.clock.model(u.Since)})
	}
	return out
}

// units returns the units at indexes [first, first+n) of the jobs the
// decision in progress read, as they were then, or nil if they are not all
// there.
func (v *view) units(first, n int) []executor.UnitInfo {
	if v.ex == nil {
		return nil
	}
	v.snapshot()
	if first < 0 || n < 1 || first+n > len(v.jobs) {
		return nil
	}
	return slices.Clone(v.jobs[first : first+n])
}

// ownLoad is the load a probe carries: the prober's (PollWatcher), or nil
// from a dispatcher.
func (v *view) ownLoad() *wire.Load {
	if v.ex == nil {
		return nil
	}
	return toWireLoad(v.ex.Load())
}

func (v *view) Gossip(n policy.NodeID) (policy.Load, float64) {
	m, ok := v.peers.get(n)
	if !ok || !m.HasLoad {
		// Nothing heard yet: an idle node of unknown age.
		return policy.Load{Servers: 1, Speed: 1}, v.clock.now()
	}
	age := v.clock.units(m.Age(time.Now()))
	v.gossipAge.Record(age)
	return m.Load, age
}

// Probe asks every node in ids for its load, in parallel, over TCP. A node
// that does not answer reads as very loaded, so no policy picks it.
func (v *view) Probe(ids []policy.NodeID, out []policy.Load) {
	var wg sync.WaitGroup
	start := time.Now()
	own := v.ownLoad()
	held := v.faults.holding(v.self, ids...)
	for i, id := range ids {
		out[i] = unreachable
		m, ok := v.peers.get(id)
		if !ok {
			v.probeErr++
			continue
		}
		v.count.probes.Add(1)
		wg.Add(1)
		go func(i int, addr string) {
			defer wg.Done()
			out[i], _ = v.ask(addr, own)
		}(i, m.Tags[tagRPC])
	}
	wg.Wait()
	if !held && !v.faults.holding(v.self, ids...) {
		v.probeRTT.Record(v.clock.units(time.Since(start)))
	}
}

// ask probes the agent at addr, sending own, and returns its load and the
// round trip in model units; unreachable and -1 if it does not answer.
func (v *view) ask(addr string, own *wire.Load) (policy.Load, float64) {
	ctx, cancel := context.WithTimeout(v.ctx, probeTimeout)
	defer cancel()
	start := time.Now()
	c, err := v.pool.Get(ctx, addr)
	if err != nil {
		return unreachable, -1
	}
	r, err := c.Call(ctx, &wire.Msg{Type: wire.TypeProbe, From: int32(v.self), Load: own})
	if err != nil || r.Load == nil {
		return unreachable, -1
	}
	return fromWireLoad(r.Load), v.clock.units(time.Since(start))
}

// ProbeLater probes each node in ids in the background; each answer (or
// unreachable, for a node that does not answer) goes to the owner's
// ReplyWatcher under its decision lock, and each round trip is recorded.
func (v *view) ProbeLater(ids []policy.NodeID) {
	own := v.ownLoad()
	for _, id := range ids {
		m, ok := v.peers.get(id)
		if ok {
			v.count.probes.Add(1)
		} else {
			v.probeErr++
		}
		addr := m.Tags[tagRPC]
		v.tasks.start(func() {
			l, rtt := unreachable, -1.0
			if ok {
				held := v.faults.holding(v.self, id)
				l, rtt = v.ask(addr, own)
				if held || v.faults.holding(v.self, id) {
					rtt = -1 // not a cost of the path
				}
			}
			v.mu.Lock()
			defer v.mu.Unlock()
			if rtt >= 0 {
				v.probeRTT.Record(rtt)
			}
			if v.replies != nil {
				v.begin()
				v.replies.Replied(v, id, l)
			}
		})
	}
}

// Send sends m to node to as a one-way TypeMessage, in the background; it
// reaches that agent's Migrator.Message. A message to a node that is gone
// is lost. Messages are counted at the sender.
func (v *view) Send(to policy.NodeID, m policy.Message) {
	v.count.messages.Add(1)
	peer, ok := v.peers.get(to)
	if !ok {
		return
	}
	msg := &wire.Msg{Type: wire.TypeMessage, From: int32(v.self), Note: &wire.Note{Kind: m.Kind, Value: m.Value}}
	v.tasks.start(func() {
		ctx, cancel := context.WithTimeout(v.ctx, probeTimeout)
		defer cancel()
		if c, err := v.pool.Get(ctx, peer.Tags[tagRPC]); err == nil {
			_ = c.Send(msg)
		}
	})
}

const probeTimeout = 2 * time.Second

// unreachable is the load a failed probe reports.
var unreachable = policy.Load{Queue: 1 << 30, Running: 1, Servers: 1, Speed: 1, Work: 1e18}

func fromWireLoad(l *wire.Load) policy.Load {
	return policy.Load{Queue: int(l.Queue), Running: int(l.Running), Work: l.Work, Servers: int(l.Servers), Speed: l.Speed}
}

func toWireLoad(l policy.Load) *wire.Load {
	return &wire.Load{Queue: int32(l.Queue), Running: int32(l.Running), Servers: int32(l.Servers), Work: l.Work, Speed: l.Speed,
		SentUnixNano: time.Now().UnixNano()}
}

func toPolicyJob(j *wire.Job) policy.Job {
	pj := policy.Job{Hops: j.Hops, Origin: policy.NodeID(j.Origin)}
	pj.ID, pj.Arrival, pj.Size, pj.Class, pj.Key, pj.Phases = j.ID, j.Arrival, j.Size, j.Class, j.Key, j.Phases
	return pj
}
