package node

import (
	"context"
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

// AgentConfig configures one node.
type AgentConfig struct {
	ID       policy.NodeID       // node id, 0..Nodes-1 (required)
	Nodes    int                 // cluster size the policies see (required)
	RPC      string              // TCP listen address (default 127.0.0.1:0)
	Gossip   gossip.Config       // serf settings; Name, Tags and Heartbeat are filled in when empty
	Executor executor.Config     // servers, speed, time unit, kernel
	Migrate  *policy.MigrateSpec // the node's migration policy (required)
	Env      policy.Env          // what the policy is built for
	Seed     uint64              // seeds the policy's random stream
	Epoch    time.Time           // start of model time (default: now)
	MaxFrame int                 // largest frame accepted (default wire.DefaultMaxFrame)
}

// Agent is one running node: a serf member that publishes its load, an
// executor, a TCP endpoint, and its migration policy.
type Agent struct {
	cfg   AgentConfig
	g     *gossip.Gossip
	ex    *executor.Executor
	pool  *wire.Pool
	ln    net.Listener
	stop  context.CancelFunc
	serve chan error

	mu   sync.Mutex // serialises policy calls; guards view's histograms
	mig  policy.Migrator
	view *view
	wake *time.Timer

	count   counters
	xferRTT *latency.Histogram // guarded by mu
}

// StartAgent starts a node and joins its cluster.
func StartAgent(ctx context.Context, cfg AgentConfig) (*Agent, error) {
	if cfg.Migrate == nil || cfg.Nodes < 1 || cfg.ID < 0 || int(cfg.ID) >= cfg.Nodes {
		return nil, fmt.Errorf("agent: need a migration policy and 0 ≤ id < nodes (id %d, nodes %d)", cfg.ID, cfg.Nodes)
	}
	if cfg.RPC == "" {
		cfg.RPC = "127.0.0.1:0"
	}
	if cfg.MaxFrame == 0 {
		cfg.MaxFrame = wire.DefaultMaxFrame
	}
	if cfg.Epoch.IsZero() {
		cfg.Epoch = time.Now()
	}
	ex, err := executor.New(cfg.Executor)
	if err != nil {
		return nil, fmt.Errorf("agent %d: %w", cfg.ID, err)
	}
	ln, err := net.Listen("tcp", cfg.RPC)
	if err != nil {
		ex.Close(ctx)
		return nil, fmt.Errorf("agent %d: listen: %w", cfg.ID, err)
	}
	gc := cfg.Gossip
	if gc.Name == "" {
		gc.Name = "agent-" + strconv.Itoa(int(cfg.ID))
	}
	tags := map[string]string{tagRole: "agent", tagID: strconv.Itoa(int(cfg.ID)), tagRPC: ln.Addr().String()}
	for k, v := range gc.Tags {
		tags[k] = v
	}
	gc.Tags = tags
	g, err := gossip.Start(ctx, gc)
	if err != nil {
		ln.Close()
		ex.Close(ctx)
		return nil, fmt.Errorf("agent %d: %w", cfg.ID, err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	a := &Agent{cfg: cfg, g: g, ex: ex, pool: wire.NewPool(cfg.MaxFrame), ln: ln, stop: stop, serve: make(chan error, 1),
		xferRTT: latency.New()}
	env := cfg.Env
	env.Node = cfg.ID
	a.mig = cfg.Migrate.New(env)
	a.view = &view{ctx: runCtx, self: cfg.ID, nodes: cfg.Nodes, rng: workload.Stream(cfg.Seed, "node/"+strconv.Itoa(int(cfg.ID))),
		clock: clock{epoch: cfg.Epoch, unit: cfg.Executor.TimeUnit}, peers: &peers{g: g}, pool: a.pool, local: ex.Load,
		count: &a.count, gossipAge: latency.New(), probeRTT: latency.New()}
	ex.SetOnDepart(func(policy.Load) { go a.departed() }) // off the slot: the policy may probe
	a.publish()
	go func() { a.serve <- wire.Serve(runCtx, ln, cfg.MaxFrame, a.handle) }()
	return a, nil
}

// RPC is the address of the agent's TCP endpoint.
func (a *Agent) RPC() string { return a.ln.Addr().String() }

// GossipAddr is the address others join.
func (a *Agent) GossipAddr() string { return a.g.Addr() }

// ID is the node id.
func (a *Agent) ID() policy.NodeID { return a.cfg.ID }

func (a *Agent) publish() {
	a.g.Publish(a.ex.Load())
}

// handle serves one request from the dispatcher or another agent.
func (a *Agent) handle(ctx context.Context, m *wire.Msg) (*wire.Msg, error) {
	switch m.Type {
	case wire.TypeSubmit, wire.TypeTransfer:
		if m.Job == nil {
			return nil, errors.New("job missing")
		}
		// Accept at once and decide afterwards: a policy that probes must
		// not hold up the dispatcher or the sending agent. From here on the
		// job is ours: it runs, moves on, or is reported failed.
		go func(j *wire.Job) {
			if err := a.arrive(j); err != nil {
				a.fail(j, err.Error())
			}
		}(m.Job)
		return &wire.Msg{Type: wire.TypeAck, From: int32(a.cfg.ID)}, nil
	case wire.TypeProbe:
		l := toWireLoad(a.ex.Load())
		return &wire.Msg{Type: wire.TypeLoad, From: int32(a.cfg.ID), Load: l}, nil
	case wire.TypeSteal:
		return a.giveWork(policy.NodeID(m.From)), nil
	default:
		return nil, fmt.Errorf("agent %d: message type %s not served", a.cfg.ID, m.Type)
	}
}

// arrive runs the migration policy on a job that reached this node and
// carries out its decision. A failed transfer keeps the job here: a job is
// never lost to a network error.
func (a *Agent) arrive(j *wire.Job) error {
	pj := toPolicyJob(j)
	a.mu.Lock()
	act := a.mig.Arrived(a.view, &pj)
	a.mu.Unlock()
	a.setWake(act.Wake)
	switch act.Verb {
	case policy.Transfer:
		if act.Node != a.cfg.ID && a.transfer(act.Node, j) {
			return nil
		}
	case policy.Request:
		go a.steal(act.Node)
	}
	return a.run(j)
}

func (a *Agent) run(j *wire.Job) error {
	u := &executor.Unit{ID: j.ID, Size: j.Size, Progress: j.Progress, Data: j, Done: a.done}
	if err := a.ex.Submit(u); err != nil {
		return fmt.Errorf("agent %d: %w", a.cfg.ID, err)
	}
	a.publish()
	return nil
}

// transfer sends j to node to; it reports whether to accepted it.
func (a *Agent) transfer(to policy.NodeID, j *wire.Job) bool {
	m, ok := a.view.peers.get(to)
	if !ok {
		a.count.transferFails.Add(1)
		return false
	}
	ctx, cancel := context.WithTimeout(a.view.ctx, transferTimeout)
	defer cancel()
	start := time.Now()
	j.Hops++
	c, err := a.pool.Get(ctx, m.Tags[tagRPC])
	if err == nil {
		_, err = c.Call(ctx, &wire.Msg{Type: wire.TypeTransfer, From: int32(a.cfg.ID), Job: j})
	}
	if err != nil {
		j.Hops--
		a.count.transferFails.Add(1)
		return false
	}
	a.count.migrations.Add(1)
	a.count.bytes.Add(int64(jobBytes(j)))
	a.mu.Lock()
	a.xferRTT.Record(a.view.clock.units(time.Since(start)))
	a.mu.Unlock()
	return true
}

const transferTimeout = 5 * time.Second

// jobBytes is what a job costs on the wire: its fixed fields and its state.
func jobBytes(j *wire.Job) int { return 64 + len(j.ReplyTo) + len(j.State) }

// steal asks node from for a waiting job (receiver-initiated).
func (a *Agent) steal(from policy.NodeID) {
	a.count.steals.Add(1)
	m, ok := a.view.peers.get(from)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(a.view.ctx, transferTimeout)
	defer cancel()
	c, err := a.pool.Get(ctx, m.Tags[tagRPC])
	if err != nil {
		return
	}
	r, err := c.Call(ctx, &wire.Msg{Type: wire.TypeSteal, From: int32(a.cfg.ID)})
	if err != nil || r.Job == nil {
		return
	}
	if err := a.run(r.Job); err != nil {
		// Closing down: the job cannot run here; report it failed.
		a.fail(r.Job, err.Error())
	}
}

// giveWork answers a steal: the policy picks a waiting job, which leaves
// with the reply.
func (a *Agent) giveWork(from policy.NodeID) *wire.Msg {
	a.mu.Lock()
	pos := a.mig.Requested(a.view, from)
	a.mu.Unlock()
	reply := &wire.Msg{Type: wire.TypeAck, From: int32(a.cfg.ID)}
	if pos < 0 {
		return reply
	}
	u, ok := a.ex.Take(pos)
	if !ok {
		return reply
	}
	j := u.Data.(*wire.Job)
	j.Hops++
	a.count.migrations.Add(1)
	a.count.bytes.Add(int64(jobBytes(j)))
	a.publish()
	reply.Type, reply.Job = wire.TypeTransfer, j
	return reply
}

// done reports a finished job to its generator. It runs on an executor
// slot, so the network I/O goes to its own goroutine.
func (a *Agent) done(u *executor.Unit, start, end time.Time) {
	j := u.Data.(*wire.Job)
	go a.report(j, &wire.Completion{JobID: j.ID, Node: int32(a.cfg.ID), Hops: j.Hops, StartUnixNano: start.UnixNano(), EndUnixNano: end.UnixNano()})
}

func (a *Agent) fail(j *wire.Job, reason string) {
	a.report(j, &wire.Completion{JobID: j.ID, Node: int32(a.cfg.ID), Hops: j.Hops, Failed: true, Reason: reason})
}

func (a *Agent) report(j *wire.Job, c *wire.Completion) {
	ctx, cancel := context.WithTimeout(context.Background(), transferTimeout)
	defer cancel()
	cl, err := a.pool.Get(ctx, j.ReplyTo)
	if err == nil {
		err = cl.Send(&wire.Msg{Type: wire.TypeCompletion, From: int32(a.cfg.ID), Done: c})
	}
	_ = err // the coordinator counts the job as failed (timeout) if its completion never arrives
}

// departed runs after every completion.
func (a *Agent) departed() {
	a.publish()
	a.mu.Lock()
	act := a.mig.Departed(a.view)
	a.mu.Unlock()
	a.act(act)
}

func (a *Agent) act(act policy.Action) {
	a.setWake(act.Wake)
	if act.Verb == policy.Request && act.Node != a.cfg.ID {
		go a.steal(act.Node)
	}
}

// setWake arranges a policy timer at model time t (replacing the last).
func (a *Agent) setWake(t float64) {
	if t <= 0 {
		return
	}
	d := a.view.clock.wall(t).Sub(time.Now())
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.wake != nil {
		a.wake.Stop()
	}
	a.wake = time.AfterFunc(max(d, 0), func() {
		a.mu.Lock()
		act := a.mig.Timer(a.view)
		a.mu.Unlock()
		a.act(act)
	})
}

// Close stops the agent: it leaves serf gracefully, lets queued jobs finish
// until ctx is done, and reports the rest as failed.
func (a *Agent) Close(ctx context.Context) error {
	a.mu.Lock()
	if a.wake != nil {
		a.wake.Stop()
	}
	a.mu.Unlock()
	leaveErr := a.g.Leave(ctx)
	for _, u := range a.ex.Close(ctx) {
		a.fail(u.Data.(*wire.Job), "agent shut down")
	}
	a.stop()
	a.ln.Close()
	<-a.serve
	a.pool.Close()
	return leaveErr
}

// AgentStats is what an agent measured, collected at the end of a point.
type AgentStats struct {
	ID            policy.NodeID
	Probes        int64
	Migrations    int64 // transfers sent (pushed or handed over to a stealer)
	Steals        int64 // requests for work sent
	TransferFails int64
	Messages      int64
	Bytes         int64
	Executor      executor.Stats
	GossipAge     *latency.Histogram // model units
	ProbeRTT      *latency.Histogram
	TransferRTT   *latency.Histogram
	Serf          map[string]string
}

// Stats returns the agent's counters so far.
func (a *Agent) Stats() AgentStats {
	a.mu.Lock()
	defer a.mu.Unlock()
	return AgentStats{ID: a.cfg.ID, Probes: a.count.probes.Load(), Migrations: a.count.migrations.Load(),
		Steals: a.count.steals.Load(), TransferFails: a.count.transferFails.Load(), Messages: a.count.messages.Load(),
		Bytes: a.count.bytes.Load(), Executor: a.ex.Stats(), GossipAge: snapshot(a.view.gossipAge),
		ProbeRTT: snapshot(a.view.probeRTT), TransferRTT: snapshot(a.xferRTT), Serf: a.g.Stats()}
}

// snapshot copies a histogram that its owner keeps recording into.
func snapshot(h *latency.Histogram) *latency.Histogram {
	c := latency.New()
	c.Merge(h)
	return c
}
