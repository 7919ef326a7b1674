package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/loadlab/loadlab/latency"
	"github.com/loadlab/loadlab/node/executor"
	"github.com/loadlab/loadlab/node/gossip"
	"github.com/loadlab/loadlab/node/wire"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/workload"
)

// AgentConfig configures one node. Zero values take the defaults shown.
type AgentConfig struct {
	RPC      string        // TCP listen address (default 127.0.0.1:0)
	Gossip   gossip.Config // serf settings (Name required); the agent adds its role and RPC tags
	MaxFrame int           // largest frame accepted (default wire.DefaultMaxFrame)
}

// Agent is one node: a serf member with a TCP endpoint. A coordinator
// configures it for each point (policy, seed, time unit, its node id and
// the roster of the others); between points it only keeps its membership.
type Agent struct {
	cfg   AgentConfig
	g     *gossip.Gossip
	pool  *wire.Pool
	ln    net.Listener
	stop  context.CancelFunc
	serve chan error
	ctx   context.Context

	pmu sync.Mutex
	p   *point // the point being run; nil between points
}

// point is an agent's state for one point.
type point struct {
	a     *Agent
	setup Setup
	ex    *executor.Executor

	mu      sync.Mutex // serialises policy calls; guards view's histograms, xferRTT and wake
	mig     policy.Migrator
	view    *view
	wake    *time.Timer
	count   counters
	xferRTT *latency.Histogram
}

// StartAgent starts a node and joins its cluster.
func StartAgent(ctx context.Context, cfg AgentConfig) (*Agent, error) {
	if cfg.RPC == "" {
		cfg.RPC = "127.0.0.1:0"
	}
	if cfg.MaxFrame == 0 {
		cfg.MaxFrame = wire.DefaultMaxFrame
	}
	ln, err := net.Listen("tcp", cfg.RPC)
	if err != nil {
		return nil, fmt.Errorf("agent %s: listen: %w", cfg.Gossip.Name, err)
	}
	gc := cfg.Gossip
	tags := map[string]string{tagRole: "agent", tagRPC: ln.Addr().String()}
	for k, v := range gc.Tags {
		tags[k] = v
	}
	gc.Tags = tags
	g, err := gossip.Start(ctx, gc)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("agent %s: %w", cfg.Gossip.Name, err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	a := &Agent{cfg: cfg, g: g, pool: wire.NewPool(cfg.MaxFrame), ln: ln, stop: stop, serve: make(chan error, 1), ctx: runCtx}
	go func() { a.serve <- wire.Serve(runCtx, ln, cfg.MaxFrame, a.handle) }()
	return a, nil
}

// RPC is the address of the agent's TCP endpoint.
func (a *Agent) RPC() string { return a.ln.Addr().String() }

// GossipAddr is the address others join.
func (a *Agent) GossipAddr() string { return a.g.Addr() }

// Name is the agent's member name.
func (a *Agent) Name() string { return a.g.Name() }

func (a *Agent) current() *point {
	a.pmu.Lock()
	defer a.pmu.Unlock()
	return a.p
}

// handle serves one request from a coordinator or another agent.
func (a *Agent) handle(ctx context.Context, m *wire.Msg) (*wire.Msg, error) {
	if m.Type == wire.TypeControl {
		return a.control(ctx, m)
	}
	p := a.current()
	if p == nil {
		return nil, errors.New("agent not configured for a point")
	}
	switch m.Type {
	case wire.TypeSubmit, wire.TypeTransfer:
		if m.Job == nil {
			return nil, errors.New("job missing")
		}
		// Accept at once and decide afterwards: a policy that probes must
		// not hold up the dispatcher or the sending agent. From here on the
		// job is ours: it runs, moves on, or is reported failed.
		go func(j *wire.Job) {
			if err := p.arrive(j); err != nil {
				p.fail(j, err.Error())
			}
		}(m.Job)
		return &wire.Msg{Type: wire.TypeAck, From: p.setup.ID}, nil
	case wire.TypeProbe:
		return &wire.Msg{Type: wire.TypeLoad, From: p.setup.ID, Load: toWireLoad(p.ex.Load())}, nil
	case wire.TypeSteal:
		return p.giveWork(policy.NodeID(m.From)), nil
	default:
		return nil, fmt.Errorf("message type %s not served by agents", m.Type)
	}
}

// control carries out a coordinator's operation.
func (a *Agent) control(ctx context.Context, m *wire.Msg) (*wire.Msg, error) {
	var req control
	if err := json.Unmarshal(m.Data, &req); err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	reply := control{Op: req.Op}
	var err error
	switch req.Op {
	case opConfigure:
		err = a.configure(ctx, req.Setup)
	case opStats:
		if p := a.current(); p != nil {
			s := p.stats()
			reply.Stats = &s
		} else {
			err = errors.New("not configured")
		}
	case opEnd:
		a.endPoint(ctx)
	default:
		err = fmt.Errorf("unknown control operation %q", req.Op)
	}
	if err != nil {
		reply.Error = err.Error()
	}
	body, _ := json.Marshal(reply) // plain structs: cannot fail
	return &wire.Msg{Type: wire.TypeControl, From: -1, Data: body}, nil
}

// configure sets the agent up for a point, ending any previous one.
func (a *Agent) configure(ctx context.Context, s *Setup) error {
	if s == nil || s.ID < 0 || int(s.ID) >= len(s.Roster) || s.Roster[s.ID] != a.g.Name() {
		return errors.New("configure: bad setup: id must index this agent in the roster")
	}
	spec, err := policy.Builtin().Migrate(s.Migrate)
	if err != nil {
		return fmt.Errorf("configure: %w", err)
	}
	ex, err := executor.New(executor.Config{Servers: s.Servers, Speed: s.Speed, TimeUnit: s.TimeUnit, Kernel: s.Kernel, Discipline: s.Discipline})
	if err != nil {
		return fmt.Errorf("configure: %w", err)
	}
	a.endPoint(ctx)
	p := &point{a: a, setup: *s, ex: ex, xferRTT: latency.New()}
	env := policy.Env{Nodes: len(s.Roster), Servers: s.Servers, Speeds: s.Speeds, ClassWeights: s.Classes, Node: policy.NodeID(s.ID)}
	p.mig = spec.New(env)
	p.view = &view{ctx: a.ctx, self: policy.NodeID(s.ID), nodes: len(s.Roster),
		rng:   workload.Stream(s.Seed, "node/"+strconv.Itoa(int(s.ID))),
		clock: clock{epoch: time.Unix(0, s.EpochNano), unit: s.TimeUnit}, peers: newPeers(a.g, s.Roster), pool: a.pool,
		local: ex.Load, count: &p.count, gossipAge: latency.New(), probeRTT: latency.New()}
	ex.SetOnDepart(func(policy.Load) { go p.departed() }) // off the slot: the policy may probe
	a.g.SetMinInterval(s.Publish)
	a.pmu.Lock()
	a.p = p
	a.pmu.Unlock()
	p.publish()
	return nil
}

// endPoint fails the jobs still held and drops the point's state.
func (a *Agent) endPoint(ctx context.Context) {
	a.pmu.Lock()
	p := a.p
	a.p = nil
	a.pmu.Unlock()
	if p == nil {
		return
	}
	p.mu.Lock()
	if p.wake != nil {
		p.wake.Stop()
	}
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	for _, u := range p.ex.Close(ctx) {
		p.fail(u.Data.(*wire.Job), "point ended before the job ran")
	}
}

// Close stops the agent: it ends the current point (jobs still held are
// reported failed), leaves serf gracefully and closes its endpoint.
func (a *Agent) Close(ctx context.Context) error {
	a.endPoint(ctx)
	leaveErr := a.g.Leave(ctx)
	a.stop()
	a.ln.Close()
	<-a.serve
	a.pool.Close()
	return leaveErr
}

func (p *point) publish() { p.a.g.Publish(p.ex.Load()) }

// arrive runs the migration policy on a job that reached this node and
// carries out its decision. A failed transfer keeps the job here: a job is
// never lost to a network error.
func (p *point) arrive(j *wire.Job) error {
	pj := toPolicyJob(j)
	p.mu.Lock()
	act := p.mig.Arrived(p.view, &pj)
	p.mu.Unlock()
	p.setWake(act.Wake)
	switch act.Verb {
	case policy.Transfer:
		if act.Node != p.view.self && p.transfer(act.Node, j) {
			return nil
		}
	case policy.Request:
		go p.steal(act.Node)
	}
	return p.run(j)
}

func (p *point) run(j *wire.Job) error {
	u := &executor.Unit{ID: j.ID, Size: j.Size, Progress: j.Progress, Data: j, Done: p.done}
	if err := p.ex.Submit(u); err != nil {
		return fmt.Errorf("agent %d: %w", p.setup.ID, err)
	}
	p.publish()
	return nil
}

// transfer sends j to node to; it reports whether to accepted it.
func (p *point) transfer(to policy.NodeID, j *wire.Job) bool {
	m, ok := p.view.peers.get(to)
	if !ok {
		p.count.transferFails.Add(1)
		return false
	}
	ctx, cancel := context.WithTimeout(p.a.ctx, transferTimeout)
	defer cancel()
	start := time.Now()
	j.Hops++
	c, err := p.a.pool.Get(ctx, m.Tags[tagRPC])
	if err == nil {
		_, err = c.Call(ctx, &wire.Msg{Type: wire.TypeTransfer, From: p.setup.ID, Job: j})
	}
	if err != nil {
		j.Hops--
		p.count.transferFails.Add(1)
		return false
	}
	p.count.migrations.Add(1)
	p.count.bytes.Add(int64(jobBytes(j)))
	p.mu.Lock()
	p.xferRTT.Record(p.view.clock.units(time.Since(start)))
	p.mu.Unlock()
	go p.moved(j, to)
	return true
}

const transferTimeout = 5 * time.Second

// jobBytes is what a job costs on the wire: its fixed fields and its state.
func jobBytes(j *wire.Job) int { return 64 + len(j.ReplyTo) + len(j.State) }

// steal asks node from for a waiting job (receiver-initiated).
func (p *point) steal(from policy.NodeID) {
	p.count.steals.Add(1)
	m, ok := p.view.peers.get(from)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(p.a.ctx, transferTimeout)
	defer cancel()
	c, err := p.a.pool.Get(ctx, m.Tags[tagRPC])
	if err != nil {
		return
	}
	r, err := c.Call(ctx, &wire.Msg{Type: wire.TypeSteal, From: p.setup.ID})
	if err != nil || r.Job == nil {
		return
	}
	if err := p.run(r.Job); err != nil {
		p.fail(r.Job, err.Error()) // the point ended meanwhile
	}
}

// giveWork answers a steal: the policy picks a waiting job, which leaves
// with the reply.
func (p *point) giveWork(from policy.NodeID) *wire.Msg {
	p.mu.Lock()
	first, n := p.mig.Requested(p.view, from)
	running := p.ex.Load().Running
	p.mu.Unlock()
	reply := &wire.Msg{Type: wire.TypeAck, From: p.setup.ID}
	if n == 0 || first < running {
		return reply
	}
	u, ok := p.ex.Take(first - running)
	if !ok {
		return reply
	}
	j := u.Data.(*wire.Job)
	j.Hops++
	p.count.migrations.Add(1)
	p.count.bytes.Add(int64(jobBytes(j)))
	p.publish()
	go p.moved(j, from)
	reply.Type, reply.Job = wire.TypeTransfer, j
	return reply
}

// done reports a finished job to its coordinator. It runs on an executor
// slot, so the network I/O goes to its own goroutine.
func (p *point) done(u *executor.Unit, start, end time.Time) {
	j := u.Data.(*wire.Job)
	go p.report(j, &wire.Completion{JobID: j.ID, Node: p.setup.ID, Hops: j.Hops, StartUnixNano: start.UnixNano(), EndUnixNano: end.UnixNano()})
}

func (p *point) fail(j *wire.Job, reason string) {
	p.report(j, &wire.Completion{JobID: j.ID, Node: p.setup.ID, Hops: j.Hops, Failed: true, Reason: reason})
}

// report sends a completion; if it cannot, the coordinator counts the job
// as failed (timeout) at the end of the point.
func (p *point) report(j *wire.Job, c *wire.Completion) {
	ctx, cancel := context.WithTimeout(context.Background(), transferTimeout)
	defer cancel()
	if cl, err := p.a.pool.Get(ctx, j.ReplyTo); err == nil {
		_ = cl.Send(&wire.Msg{Type: wire.TypeCompletion, From: p.setup.ID, Done: c})
	}
}

// moved tells the coordinator that j now lives on node to (one-way).
func (p *point) moved(j *wire.Job, to policy.NodeID) {
	body, _ := json.Marshal(control{Op: opMoved, Moved: &moved{Job: j.ID, To: int32(to)}})
	ctx, cancel := context.WithTimeout(context.Background(), transferTimeout)
	defer cancel()
	if cl, err := p.a.pool.Get(ctx, j.ReplyTo); err == nil {
		_ = cl.Send(&wire.Msg{Type: wire.TypeControl, From: p.setup.ID, Data: body})
	}
}

// departed runs after every completion.
func (p *point) departed() {
	p.publish()
	p.mu.Lock()
	act := p.mig.Departed(p.view)
	p.mu.Unlock()
	p.act(act)
}

func (p *point) act(act policy.Action) {
	p.setWake(act.Wake)
	if act.Verb == policy.Request && act.Node != p.view.self {
		go p.steal(act.Node)
	}
}

// setWake arranges a policy timer at model time t (replacing the last).
func (p *point) setWake(t float64) {
	if t <= 0 {
		return
	}
	d := p.view.clock.wall(t).Sub(time.Now())
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.wake != nil {
		p.wake.Stop()
	}
	p.wake = time.AfterFunc(max(d, 0), func() {
		p.mu.Lock()
		act := p.mig.Timer(p.view)
		p.mu.Unlock()
		p.act(act)
	})
}

// AgentStats is what an agent measured during a point.
type AgentStats struct {
	ID            int32             `json:"id"`
	Probes        int64             `json:"probes"`
	Migrations    int64             `json:"migrations"` // transfers sent (pushed, or handed to a stealer)
	Steals        int64             `json:"steals"`     // requests for work sent
	TransferFails int64             `json:"transfer_fails"`
	Messages      int64             `json:"messages"`
	Bytes         int64             `json:"bytes"`
	Completed     int64             `json:"completed"`
	Busy          time.Duration     `json:"busy"`         // server time spent on jobs
	LatenessP99   time.Duration     `json:"lateness_p99"` // executor: service time error
	TLP           float64           `json:"tlp"`          // thread-level parallelism of the executor
	GossipAge     string            `json:"gossip_age"`   // latency.Histogram, model units
	ProbeRTT      string            `json:"probe_rtt"`
	TransferRTT   string            `json:"transfer_rtt"`
	Serf          map[string]string `json:"serf"`
}

func (p *point) stats() AgentStats {
	ex := p.ex.Stats()
	p.mu.Lock()
	defer p.mu.Unlock()
	enc := func(h *latency.Histogram) string { s, _ := h.Encode(); return s }
	return AgentStats{ID: p.setup.ID, Probes: p.count.probes.Load(), Migrations: p.count.migrations.Load(),
		Steals: p.count.steals.Load(), TransferFails: p.count.transferFails.Load(), Messages: p.count.messages.Load(),
		Bytes: p.count.bytes.Load(), Completed: ex.Completed, Busy: ex.BusyTime, LatenessP99: ex.Lateness.P99, TLP: ex.TLP(),
		GossipAge: enc(p.view.gossipAge), ProbeRTT: enc(p.view.probeRTT), TransferRTT: enc(p.xferRTT), Serf: p.a.g.Stats()}
}
