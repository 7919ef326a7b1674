package node

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadlab/loadlab/latency"
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
	return m, ok && m.Status == "alive" && m.Tags[tagRPC] != ""
}

// counters are what a node counts about load distribution.
type counters struct {
	probes, migrations, steals, messages, transferFails atomic.Int64
	bytes                                               atomic.Int64
}

// view is the policy.View of an agent (self ≥ 0) or a dispatcher (None).
// Its methods are called with the owner's decision lock held.
type view struct {
	ctx   context.Context
	self  policy.NodeID
	nodes int
	rng   *rand.Rand
	clock clock
	peers *peers
	pool  *wire.Pool
	local func() policy.Load
	count *counters

	gossipAge *latency.Histogram // age of every gossiped load read, model units
	probeRTT  *latency.Histogram // probe round trips, model units
	probeErr  int64
}

var _ policy.View = (*view)(nil)

func (v *view) Now() float64        { return v.clock.now() }
func (v *view) Self() policy.NodeID { return v.self }
func (v *view) Nodes() int          { return v.nodes }
func (v *view) Rand() *rand.Rand    { return v.rng }

func (v *view) Local() policy.Load {
	if v.local == nil {
		return policy.Load{}
	}
	return v.local()
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
			ctx, cancel := context.WithTimeout(v.ctx, probeTimeout)
			defer cancel()
			c, err := v.pool.Get(ctx, addr)
			if err != nil {
				return
			}
			r, err := c.Call(ctx, &wire.Msg{Type: wire.TypeProbe, From: int32(v.self)})
			if err != nil || r.Load == nil {
				return
			}
			out[i] = fromWireLoad(r.Load)
		}(i, m.Tags[tagRPC])
	}
	wg.Wait()
	v.probeRTT.Record(v.clock.units(time.Since(start)))
}

// ProbeLater is not carried out by agents yet: the probes are counted, and
// no answer comes.
func (v *view) ProbeLater(ids []policy.NodeID) { v.count.probes.Add(int64(len(ids))) }

// Jobs lists no jobs yet.
func (v *view) Jobs(out []policy.JobInfo) []policy.JobInfo { return out[:0] }

// Send is not used by the policies shipped so far; messages are counted so
// that a policy that sends them shows it.
func (v *view) Send(policy.NodeID, policy.Message) { v.count.messages.Add(1) }

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
	pj.ID, pj.Arrival, pj.Size, pj.Class, pj.Key = j.ID, j.Arrival, j.Size, j.Class, j.Key
	return pj
}
