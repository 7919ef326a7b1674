package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/loadlab/loadlab/latency"
	"github.com/loadlab/loadlab/node/executor"
	"github.com/loadlab/loadlab/node/gossip"
	"github.com/loadlab/loadlab/node/wire"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/server"
	"github.com/loadlab/loadlab/workload"
)

// AgentConfig configures one node. Zero values take the defaults shown.
type AgentConfig struct {
	RPC      string           // TCP listen address (default 127.0.0.1:0)
	Gossip   gossip.Config    // serf settings (Name required); the agent adds its role and RPC tags
	MaxFrame int              // largest frame accepted (default wire.DefaultMaxFrame)
	Registry *policy.Registry // where the coordinator's migration policy is looked up (default policy.Builtin())
	// Security, if set, authenticates and encrypts every connection the
	// agent accepts or makes (mutual TLS keyed by the cluster's secret,
	// wire.NewSecurity): a peer without the secret is refused at the
	// handshake, and the refusal logged. Gossip.Keys encrypts gossip.
	Security *wire.Security
	MaxQueue int          // jobs held at once, waiting and running (default executor.DefaultMaxQueue); more fail as "shed: queue full"
	MaxConns int          // connections accepted at once (default wire.DefaultMaxConns)
	Logger   *slog.Logger // refused connections (default slog.Default())

	damage   func(*wire.Job)  // tests: alters a sealed unit before it is sent
	onAccess func()           // tests: called for each remote use served
	onFetch  func()           // tests: called for each code fetch served
	afterAck func()           // tests: called when a transfer is acknowledged, before the sender counts it
	onCrash  func(AgentStats) // tests: called with the point's counters as the agent crashes
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

	pmu     sync.Mutex
	p       *point         // the point being run; nil between points
	last    *point         // the last point ended, whose counters Metrics shows until the next
	lastEx  executor.Stats // last's executor figures as it ended: its utilisation stops there
	leaving bool           // Close began: requests are refused with errLeaving
}

// point is an agent's state for one point.
type point struct {
	a      *Agent
	setup  Setup
	ex     *executor.Executor
	ctx    context.Context // ends with the point
	cancel context.CancelFunc
	tasks  *tasks // every goroutine of the point but the executor's and completion reports
	// reports are the completion reports in flight. They outlive ctx, so
	// that a job's end is reported even as the point ends, and run with the
	// agent's context; endPoint waits for them.
	reports sync.WaitGroup

	mu      sync.Mutex // serialises policy calls; guards view (its histograms and job list), xferRTT and wake
	mig     policy.Migrator
	inert   bool               // mig never acts (policy none): Inert
	polls   policy.PollWatcher // mig, if it wants to know it was probed
	view    *view
	wake    *time.Timer
	count   counters
	xferRTT *latency.Histogram
	units   *unitModel    // nil: the point has no work units
	paths   *paths        // the topology's paths to the peers, emulated (place.go); nil: none
	faults  *faults       // injected faults in force (fault.go)
	process time.Duration // process-per-request: the CPU each request is charged for its process (server.go)

	cmu       sync.Mutex     // orders cancellations against jobs joining the executor (run)
	cancelled map[int64]bool // jobs a client cancelled: one that arrives later is dropped

	keys *keyCache // the node's cache of keys (content.go); nil: none

	meter meter      // the process's CPU time and RAPL joules at the point's start (meter.go)
	admit *admission // the point's admission policy (admit.go); nil: every job is admitted
}

// StartAgent starts a node and joins its cluster.
func StartAgent(ctx context.Context, cfg AgentConfig) (*Agent, error) {
	if cfg.RPC == "" {
		cfg.RPC = "127.0.0.1:0"
	}
	if cfg.MaxFrame == 0 {
		cfg.MaxFrame = wire.DefaultMaxFrame
	}
	if cfg.Registry == nil {
		cfg.Registry = policy.Builtin()
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
	wc := wire.Config{MaxPayload: cfg.MaxFrame, Security: cfg.Security, MaxConns: cfg.MaxConns, Log: cfg.Logger}
	a := &Agent{cfg: cfg, g: g, pool: wc.NewPool(), ln: ln, stop: stop, serve: make(chan error, 1), ctx: runCtx}
	go func() { a.serve <- wc.Serve(runCtx, ln, a.handle) }()
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
	a.pmu.Lock()
	p, leaving := a.p, a.leaving
	a.pmu.Unlock()
	if leaving {
		return nil, errLeaving
	}
	if p == nil {
		return nil, errors.New("agent not configured for a point")
	}
	if err := p.faults.gate(ctx, m); err != nil { // injected faults (fault.go)
		return nil, err
	}
	if p.faults.down() { // killed while the request was on its way in: it is gone, as its jobs are
		return nil, errLeaving
	}
	switch m.Type {
	case wire.TypeSubmit, wire.TypeTransfer:
		if m.Job == nil {
			return nil, errors.New("job missing")
		}
		// Accept at once and decide afterwards: a policy that probes must
		// not hold up the dispatcher or the sending agent. From here on the
		// job is ours: it runs, moves on, or is reported failed.
		j := m.Job
		if m.Type == wire.TypeTransfer {
			if p.ex.Full() { // the sender keeps the job: better than shedding it here
				return nil, fmt.Errorf("transfer refused: %w", errShed)
			}
			if err := p.accept(m.From, j); err != nil {
				return nil, fmt.Errorf("transfer refused: %w", err)
			}
			// The segments are checked; the agent keeps only the
			// checkpoint (its own copy) and gives the frame back.
			j.Checkpoint = bytes.Clone(j.Checkpoint)
			j.State, j.Code, j.Resources = nil, nil, nil
			m.Release()
			id, replyTo, hops := j.ID, j.ReplyTo, j.Hops
			p.tasks.start(func() { p.moved(id, replyTo, policy.NodeID(p.setup.ID), hops) }) // the sender's note is lost if it dies
		} else {
			p.units.dispatched(j.Class)
		}
		from := policy.NodeID(m.From)
		// A policy that never acts decides nothing and probes nobody: a
		// submitted job then goes to the executor before the ack, a
		// hand-off fewer on its path.
		run := p.tasks.start
		if m.Type == wire.TypeSubmit && p.inert {
			run = p.tasks.run
		}
		if !run(func() {
			err := p.fetchCode(from, j, m.Type == wire.TypeTransfer)
			if err == nil {
				err = p.arrive(j)
			}
			if err != nil {
				p.fail(j, err.Error())
			}
		}) {
			if p.faults.down() { // killed as it took the job
				return nil, errLeaving
			}
			return nil, errors.New("point ended")
		}
		return &wire.Msg{Type: wire.TypeAck, From: p.setup.ID}, nil
	case wire.TypeProbe:
		l := p.ex.Load()
		p.polled(m)
		return &wire.Msg{Type: wire.TypeLoad, From: p.setup.ID, Load: toWireLoad(l)}, nil
	case wire.TypeSteal:
		if err := p.requested(policy.NodeID(m.From)); err != nil {
			return nil, err
		}
		return &wire.Msg{Type: wire.TypeAck, From: p.setup.ID}, nil
	case wire.TypeFetch:
		if a.cfg.onFetch != nil {
			a.cfg.onFetch()
		}
		return p.serveFetch(string(m.Data))
	case wire.TypeAccess:
		if a.cfg.onAccess != nil {
			a.cfg.onAccess()
		}
		m.Release()
		return &wire.Msg{Type: wire.TypeAck, From: p.setup.ID}, nil
	case wire.TypePage: // state ahead of or after its unit: received, acknowledged
		m.Release()
		return &wire.Msg{Type: wire.TypeAck, From: p.setup.ID}, nil
	case wire.TypeCancel:
		kind, work := p.cancelJob(ctx, m.Done.JobID)
		return &wire.Msg{Type: wire.TypeAck, From: p.setup.ID, Note: &wire.Note{Kind: kind, Value: work}}, nil
	case wire.TypeMessage:
		from := policy.NodeID(m.From)
		if from < policy.None || int(from) >= p.view.nodes {
			return nil, fmt.Errorf("message from node %d, not in the roster", from)
		}
		msg := policy.Message{Kind: m.Note.Kind, Value: m.Note.Value}
		p.decide(func() policy.Action { return p.mig.Message(p.view, from, msg) })
		return nil, nil
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
		a.endPoint(ctx, reasonPointEnded)
	case opFault:
		err = a.applyFault(req.Fault)
	case opPing:
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
	spec, err := a.cfg.Registry.Migrate(s.Migrate)
	if err != nil {
		return fmt.Errorf("configure: %w", err)
	}
	um, err := newUnitModel(s)
	if err != nil {
		return fmt.Errorf("configure: %w", err)
	}
	var units *workload.Units
	if um != nil {
		units = um.units
	}
	cl, err := s.cluster(units)
	if err != nil {
		return fmt.Errorf("configure: %w", err)
	}
	lay, err := s.layout()
	if err != nil {
		return fmt.Errorf("configure: %w", err)
	}
	cl = placed(cl, lay)
	ecfg := executor.Config{Servers: s.Servers, Speed: s.Speed, TimeUnit: s.TimeUnit, Kernel: s.Kernel, Discipline: s.Discipline, MaxQueue: a.cfg.MaxQueue}
	if s.Queue > 0 && (ecfg.MaxQueue <= 0 || s.Queue < ecfg.MaxQueue) {
		ecfg.MaxQueue = s.Queue // the point's finite queue, within the agent's own bound
	}
	unit := s.TimeUnit
	if unit == 0 {
		unit = executor.DefaultConfig().TimeUnit
	}
	if s.Server != "" {
		arch, err := server.Parse(s.Server)
		if err != nil {
			return fmt.Errorf("configure: %w", err)
		}
		if ecfg.Arch, err = executorArch(arch, unit); err != nil {
			return fmt.Errorf("configure: %w", err)
		}
	}
	keys, err := newKeyCache(s.Cache)
	if err != nil {
		return fmt.Errorf("configure: %w", err)
	}
	var p *point // the gate's drops are reported by the point made below, before any job arrives
	adm, err := newAdmission(s, &ecfg, func(j *wire.Job, reason string) { p.reports.Go(func() { p.fail(j, reason) }) })
	if err != nil {
		return fmt.Errorf("configure: %w", err)
	}
	ex, err := executor.New(ecfg)
	if err != nil {
		return fmt.Errorf("configure: %w", err)
	}
	a.endPoint(ctx, reasonPointEnded)
	pctx, cancel := context.WithCancel(a.ctx)
	p = &point{a: a, setup: *s, ex: ex, admit: adm, ctx: pctx, cancel: cancel, tasks: &tasks{}, xferRTT: latency.New(), units: um, paths: newPaths(lay, s.ID, unit)}
	if ecfg.Arch != nil {
		p.process = time.Duration(ecfg.Arch.Create * float64(unit))
	}
	p.faults = newFaults(s, ex)
	p.keys = keys
	p.meter = startMeter()
	env := policy.NewEnv(cl)
	env.Node = policy.NodeID(s.ID)
	p.mig = spec.New(env)
	p.polls, _ = p.mig.(policy.PollWatcher)
	p.inert = policy.Inert(p.mig)
	p.view = &view{ctx: pctx, self: policy.NodeID(s.ID), nodes: len(s.Roster),
		rng:   workload.Stream(s.Seed, "node/"+strconv.Itoa(int(s.ID))),
		clock: clock{epoch: time.Unix(0, s.EpochNano), unit: s.TimeUnit}, peers: newPeers(a.g, s.Roster), pool: a.pool,
		ex: ex, count: &p.count, tasks: p.tasks, mu: &p.mu, gossipAge: latency.New(), probeRTT: latency.New(), faults: p.faults}
	p.view.replies, _ = p.mig.(policy.ReplyWatcher)
	if err := p.startPolicy(); err != nil {
		cancel()
		ex.Close(ctx)
		return fmt.Errorf("configure: %w", err)
	}
	ex.SetOnDepart(func(policy.Load) { // off the slot: the policy may probe
		p.count.departing.Add(1)
		if !p.tasks.start(func() { defer p.count.departing.Add(-1); p.departed() }) {
			p.count.departing.Add(-1)
		}
	})
	a.g.SetMinInterval(s.Publish)
	a.pmu.Lock()
	a.p = p
	a.pmu.Unlock()
	p.publish()
	return nil
}

// endPoint stops the point's goroutines, fails the jobs still held with
// reason and drops the point's state.
func (a *Agent) endPoint(ctx context.Context, reason string) {
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
	// Probes, messages and transfers in flight end at once; a job whose
	// transfer is cut short is resubmitted here, and failed below.
	p.cancel()
	p.tasks.close()
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	for _, u := range p.ex.Close(ctx) {
		p.fail(u.Data.(*wire.Job), reason)
	}
	p.reports.Wait() // the executor is closed: no report starts any more
	p.endPolicy()
	st := p.ex.Stats()
	a.pmu.Lock()
	a.last, a.lastEx = p, st
	a.pmu.Unlock()
}

// Close stops the agent: it refuses new requests, ends the current point
// (jobs still held are reported failed as the agent's, gone), leaves serf
// gracefully and closes its endpoint.
func (a *Agent) Close(ctx context.Context) error {
	a.pmu.Lock()
	a.leaving = true
	a.pmu.Unlock()
	a.endPoint(ctx, reasonGone(a.Name()))
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
	p.view.begin()
	d := p.check(p.mig.Arrived(p.view, &pj), j.Hops == 0)
	p.mu.Unlock()
	p.do(d)
	if d.act.Verb == policy.Transfer && p.transfer(d.act.Node, j, false, nil, time.Time{}) {
		return nil
	}
	p.keys.admit(j)
	return p.run(j)
}

func (p *point) run(j *wire.Job) error {
	u := &executor.Unit{ID: j.ID, Size: j.Size, Progress: j.Progress, Phases: j.Phases, Data: j, Done: p.done}
	if err := p.compute(u, j); err != nil {
		return fmt.Errorf("agent %d: %w", p.setup.ID, err)
	}
	u.Uses, u.Access = p.remote(j)
	p.cmu.Lock()
	defer p.cmu.Unlock()
	if p.cancelled[j.ID] { // cancelled on its way here: it ends as nothing
		p.fail(j, reasonCancelled)
		return nil
	}
	if p.admit != nil && !p.admit.arrive(p.ex.Waiting()) {
		p.fail(j, p.admit.reason)
		return nil
	}
	if err := p.ex.Submit(u); err != nil {
		if errors.Is(err, executor.ErrQueueFull) {
			return errShed
		}
		return fmt.Errorf("agent %d: %w", p.setup.ID, err)
	}
	p.publish()
	return nil
}

// cancelJob stops job id where it is, for a client that no longer needs it:
// a waiting job leaves the queue, a running one stops at its next
// checkpoint (the sleep kernel's service loop). It returns
// wire.CancelStopped and the work the job had done (model units), or
// wire.CancelAbsent if the job is not here: it ended (its completion says
// so), or it has not arrived, and is then dropped as it does, reported
// failed as cancelled.
func (p *point) cancelJob(ctx context.Context, id int64) (uint8, float64) {
	p.cmu.Lock()
	if p.cancelled == nil {
		p.cancelled = map[int64]bool{}
	}
	p.cancelled[id] = true
	units, _ := p.ex.Jobs(nil)
	p.cmu.Unlock()
	i := slices.IndexFunc(units, func(u executor.UnitInfo) bool { return u.Unit.ID == id })
	if i < 0 {
		return wire.CancelAbsent, 0
	}
	u := units[i]
	ctx, stop := context.WithTimeout(ctx, transferTimeout)
	defer stop()
	if !p.ex.Withdraw(ctx, u.Unit, u.Running) {
		return wire.CancelAbsent, 0 // it finished meanwhile: its completion is on its way
	}
	p.count.cancels.Add(1)
	p.publish()
	return wire.CancelStopped, u.Unit.Progress
}

// decision is a policy's action, checked and resolved under the decision
// lock, to carry out after it.
type decision struct {
	act  policy.Action
	push executor.UnitInfo // the job a Push moves, as the policy saw it
}

// check (p.mu held) validates a as the simulator does, and resolves the job
// a Push names. An invalid action is counted and becomes Keep (its Wake
// stands). transfer says whether a Transfer is allowed: in Arrived, for a
// job fresh from the dispatcher.
func (p *point) check(a policy.Action, transfer bool) decision {
	d := decision{act: a}
	switch a.Verb {
	case policy.Keep:
		return d
	case policy.Transfer:
		if transfer && p.other(a.Node) {
			return d
		}
	case policy.Request:
		if p.other(a.Node) {
			return d
		}
	case policy.Push:
		if us := p.view.units(a.Job, 1); us != nil && p.other(a.Node) {
			d.push = us[0]
			return d
		}
	}
	p.count.invalid.Add(1)
	d.act.Verb = policy.Keep
	return d
}

// other says whether n is a node of the point other than this one.
func (p *point) other(n policy.NodeID) bool {
	return n >= 0 && int(n) < p.view.nodes && n != p.view.self
}

// do carries out a decision but a Transfer (Arrived's, done by arrive).
func (p *point) do(d decision) {
	p.setWake(d.act.Wake)
	switch to := d.act.Node; d.act.Verb {
	case policy.Request:
		p.tasks.start(func() { p.steal(to) })
	case policy.Push:
		u := d.push
		p.tasks.start(func() { p.handOver(to, []executor.UnitInfo{u}) })
	}
}

// decide makes one policy call, which returns an action, under the
// decision lock and carries the action out.
func (p *point) decide(call func() policy.Action) {
	p.mu.Lock()
	p.view.begin()
	d := p.check(call(), false)
	p.mu.Unlock()
	p.do(d)
}

// transfer sends j to node to; it reports whether to accepted it.
// preempted says j was running here (strong mobility); lv, if not nil,
// is the move's live part (pre-copy rounds already made), and stopped when
// the unit stopped running here.
func (p *point) transfer(to policy.NodeID, j *wire.Job, preempted bool, lv *live, stopped time.Time) bool {
	p.count.moving.Add(1)
	defer p.count.moving.Add(-1)
	m, ok := p.view.peers.get(to)
	if !ok {
		p.count.transferFails.Add(1)
		return false
	}
	start := time.Now()
	if stopped.IsZero() {
		stopped = start
	}
	if lv == nil { // the move began when the unit stopped
		lv = &live{start: stopped}
	}
	out, ok := p.pack(to, j, lv)
	if !ok {
		return false
	}
	out.Hops++
	if p.a.cfg.damage != nil {
		p.a.cfg.damage(&out)
	}
	if p.paths.hold(p.ctx, to, float64(jobBytes(&out)), false) != nil { // the path to its site (place.go)
		p.count.transferFails.Add(1)
		return false
	}
	ctx, cancel := context.WithTimeout(p.ctx, transferTimeout)
	defer cancel()
	c, err := p.a.pool.Get(ctx, m.Tags[tagRPC])
	if err == nil {
		_, err = c.Call(ctx, &wire.Msg{Type: wire.TypeTransfer, From: p.setup.ID, Job: &out})
	}
	if err != nil {
		p.count.transferFails.Add(1)
		return false
	}
	acked := time.Now()
	if p.a.cfg.afterAck != nil {
		p.a.cfg.afterAck()
	}
	p.postCopy(to, &out, lv)
	p.units.movedBytes(&out, lv, stopped, acked, time.Now())
	p.count.migrated(m.Name)
	if preempted {
		p.count.preemptions.Add(1)
	}
	p.count.bytes.Add(int64(jobBytes(&out)) + lv.sent + int64(math.Round(lv.after)))
	p.mu.Lock()
	p.xferRTT.Record(p.view.clock.units(acked.Sub(start)))
	p.mu.Unlock()
	id, replyTo, hops := j.ID, j.ReplyTo, out.Hops
	p.tasks.start(func() { p.moved(id, replyTo, to, hops) })
	return true
}

const transferTimeout = 5 * time.Second

// jobBytes is what a job costs on the wire: its fixed fields and its segments.
func jobBytes(j *wire.Job) int {
	return 64 + len(j.ReplyTo) + len(j.State) + len(j.Checkpoint) + len(j.Code) + len(j.Resources) + 4*len(j.Homes)
}

// handOver moves units, as the policy saw them here, to node to: a waiting
// unit leaves at once, a running one at its next checkpoint with the work
// it received (strong mobility). A unit no longer as the policy saw it (it
// finished, left, or started meanwhile) stays; one whose transfer fails
// runs here again from where it stopped. So a job is never lost, nor run
// twice.
func (p *point) handOver(to policy.NodeID, units []executor.UnitInfo) {
	for _, in := range units {
		u := in.Unit
		var lv *live
		if in.Running {
			lv = p.preCopy(to, u.Data.(*wire.Job), in.Done)
		}
		if !p.ex.Withdraw(p.ctx, u, in.Running) {
			continue // a pre-copy whose unit finished meanwhile is abandoned
		}
		stopped := time.Now()
		p.publish()
		// A copy: a decision may be reading the original's fields in View.Jobs.
		j := *u.Data.(*wire.Job)
		j.Progress = u.Progress
		if u.Comp != nil {
			j.Checkpoint = u.Comp.Checkpoint()
		}
		if p.transfer(to, &j, in.Running, lv, stopped) {
			continue
		}
		if err := p.run(&j); err != nil {
			p.fail(&j, err.Error()) // the point ended meanwhile
		}
	}
}

// steal asks node from for work (receiver-initiated); what its policy
// hands over arrives as transfers.
func (p *point) steal(from policy.NodeID) {
	p.count.steals.Add(1)
	m, ok := p.view.peers.get(from)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(p.ctx, transferTimeout)
	defer cancel()
	c, err := p.a.pool.Get(ctx, m.Tags[tagRPC])
	if err != nil {
		return
	}
	_, _ = c.Call(ctx, &wire.Msg{Type: wire.TypeSteal, From: p.setup.ID})
}

// requested answers a request for work from node from: the jobs the policy
// picks, running or waiting, are handed over in the background.
func (p *point) requested(from policy.NodeID) error {
	if !p.other(from) {
		return fmt.Errorf("request for work from node %d, not another node of the roster", from)
	}
	p.mu.Lock()
	p.view.begin()
	first, n := p.mig.Requested(p.view, from)
	var units []executor.UnitInfo
	if n != 0 {
		if units = p.view.units(first, n); units == nil {
			p.count.invalid.Add(1)
		}
	}
	p.mu.Unlock()
	if units != nil {
		p.tasks.start(func() { p.handOver(from, units) })
	}
	return nil
}

// polled tells the policy, if it wants to know, that it was probed, with
// the prober's load. It runs after the answer rather than before: the
// prober may hold its own decision lock while it waits, and two agents
// probing each other would otherwise wait for each other's lock.
func (p *point) polled(m *wire.Msg) {
	from := policy.NodeID(m.From)
	if p.polls == nil || from < policy.None || int(from) >= p.view.nodes {
		return
	}
	var l policy.Load
	if from != policy.None && m.Load != nil {
		l = fromWireLoad(m.Load)
	}
	p.tasks.start(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.view.begin()
		p.polls.Polled(p.view, from, l)
	})
}

// done reports a finished job to its coordinator. It runs on an executor
// slot, so the network I/O goes to its own goroutine (p.reports).
func (p *point) done(u *executor.Unit, start, end time.Time) {
	j := u.Data.(*wire.Job)
	c := &wire.Completion{JobID: j.ID, Node: p.setup.ID, Hops: j.Hops, StartUnixNano: start.UnixNano(), EndUnixNano: end.UnixNano(),
		Lookup: j.Lookup, Body: responseBody(j.Response)}
	if u.Comp != nil {
		c.Result = u.Comp.Checkpoint()
	}
	p.reports.Go(func() { p.report(j, c) })
}

func (p *point) fail(j *wire.Job, reason string) {
	p.report(j, &wire.Completion{JobID: j.ID, Node: p.setup.ID, Hops: j.Hops, Failed: true, Reason: reason})
}

// report sends a completion; if it cannot, the coordinator counts the job
// as failed (timeout) at the end of the point. It runs with the agent's
// context, not the point's: a job's end is reported as its point ends.
func (p *point) report(j *wire.Job, c *wire.Completion) {
	if p.faults.down() {
		return // killed (fault.go)
	}
	ctx, cancel := context.WithTimeout(p.a.ctx, transferTimeout)
	defer cancel()
	if cl, err := p.a.pool.Get(ctx, j.ReplyTo); err == nil {
		_ = cl.Send(&wire.Msg{Type: wire.TypeCompletion, From: p.setup.ID, Done: c})
	}
}

// moved tells the coordinator at replyTo that job id now lives on node
// to, with hops hops there (one-way). It runs as one of the point's tasks
// and ends with it.
func (p *point) moved(id int64, replyTo string, to policy.NodeID, hops int32) {
	if p.faults.down() {
		return // killed (fault.go)
	}
	body, _ := json.Marshal(control{Op: opMoved, Moved: &moved{Job: id, To: int32(to), Hops: hops}})
	ctx, cancel := context.WithTimeout(p.ctx, transferTimeout)
	defer cancel()
	if cl, err := p.a.pool.Get(ctx, replyTo); err == nil {
		_ = cl.Send(&wire.Msg{Type: wire.TypeControl, From: p.setup.ID, Data: body})
	}
}

// departed runs after every completion.
func (p *point) departed() {
	p.publish()
	p.decide(func() policy.Action { return p.mig.Departed(p.view) })
}

// setWake arranges a policy timer at model time t (replacing the last).
func (p *point) setWake(t float64) {
	if t <= 0 || p.ctx.Err() != nil {
		return
	}
	d := p.view.clock.wall(t).Sub(time.Now())
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.wake != nil {
		p.wake.Stop()
	}
	p.wake = time.AfterFunc(max(d, 0), func() {
		p.tasks.run(func() { p.decide(func() policy.Action { return p.mig.Timer(p.view) }) })
	})
}

// AgentStats is what an agent measured during a point.
type AgentStats struct {
	ID            int32             `json:"id"`
	Probes        int64             `json:"probes"`
	Migrations    int64             `json:"migrations"`  // transfers sent (pushed, or handed to a stealer)
	Preemptions   int64             `json:"preemptions"` // migrations of running jobs (strong mobility)
	Steals        int64             `json:"steals"`      // requests for work sent
	Invalid       int64             `json:"invalid"`     // policy decisions dropped as invalid (node out of range or itself, a job not there)
	Cancels       int64             `json:"cancels"`     // copies a client's cancellation stopped here (waiting or running)
	TransferFails int64             `json:"transfer_fails"`
	Messages      int64             `json:"messages"`
	Bytes         int64             `json:"bytes"`
	Completed     int64             `json:"completed"`
	Shed          int64             `json:"shed"`         // jobs failed because the queue was full (AgentConfig.MaxQueue)
	Busy          time.Duration     `json:"busy"`         // server time spent on jobs
	LatenessP99   time.Duration     `json:"lateness_p99"` // executor: service time error
	TLP           float64           `json:"tlp"`          // thread-level parallelism of the executor
	GossipAge     string            `json:"gossip_age"`   // latency.Histogram, model units
	ProbeRTT      string            `json:"probe_rtt"`
	TransferRTT   string            `json:"transfer_rtt"`
	Serf          map[string]string `json:"serf"`
	Units         *UnitStats        `json:"units,omitempty"` // with work units
	// PolicyError is the first failure of a migration policy that holds
	// something outside the model (an external process), empty while it
	// works; it fails the run.
	PolicyError string `json:"policy_error,omitempty"`
	// Occupancy is the executor's occupancy log since the point began
	// (encodeOccupancy, occupancy.go) if Logged; not if the log grew too
	// long, or the agent is older than the log. With a server
	// architecture, Threads is the log of the threads its requests held
	// (encodeThreads, server.go) and Server what they cost.
	Occupancy []byte       `json:"occupancy,omitempty"`
	Logged    bool         `json:"logged,omitempty"`
	Threads   []byte       `json:"threads,omitempty"`
	Server    *serverCosts `json:"server,omitempty"`
	// CPU is the CPU seconds (user + system) the agent's process used
	// since the point was configured, Process names that process (agents
	// of one process report the same time), and RAPL the joules its
	// machine's RAPL counters counted meanwhile, where readable
	// (HasRAPL).
	CPU     float64 `json:"cpu,omitempty"`
	Process string  `json:"process,omitempty"`
	RAPL    float64 `json:"rapl,omitempty"`
	HasRAPL bool    `json:"has_rapl,omitempty"`
}

func (p *point) stats() AgentStats {
	// The receiver of a transfer can run the job and report it done, ending
	// the point, before the sender has counted the move; and the last
	// completion's departure decision (a receiver-initiated policy probes
	// there) can still be under way. Wait for the transfers and decisions
	// in progress (none start once every job has ended) so that the counts
	// are whole.
	for deadline := time.Now().Add(time.Second); p.count.moving.Load()+p.count.departing.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	ex := p.ex.Stats()
	levels, logged := p.ex.Occupancy()
	p.mu.Lock()
	defer p.mu.Unlock()
	enc := func(h *latency.Histogram) string { s, _ := h.Encode(); return s }
	s := AgentStats{ID: p.setup.ID, Probes: p.count.probes.Load(), Migrations: p.count.migrations.Load(),
		Preemptions: p.count.preemptions.Load(), Steals: p.count.steals.Load(), Invalid: p.count.invalid.Load(), Cancels: p.count.cancels.Load(), TransferFails: p.count.transferFails.Load(), Messages: p.count.messages.Load(),
		Bytes: p.count.bytes.Load(), Completed: ex.Completed, Shed: ex.Refused, Busy: ex.BusyTime, LatenessP99: ex.Lateness.P99, TLP: ex.TLP(),
		GossipAge: enc(p.view.gossipAge), ProbeRTT: enc(p.view.probeRTT), TransferRTT: enc(p.xferRTT), Serf: p.a.g.Stats(), Units: p.units.stats()}
	if e, ok := p.mig.(policy.Ender); ok && e.Err() != nil {
		s.PolicyError = e.Err().Error()
	}
	s.CPU, s.RAPL, s.HasRAPL = p.meter.since()
	s.Process = processID()
	if logged {
		s.Occupancy, s.Logged = encodeOccupancy(levels, p.view.clock.epoch), true
	}
	if ex.Server != nil {
		s.Server = &serverCosts{Costs: *ex.Server, Process: p.process}
		if logged {
			s.Threads = encodeThreads(levels, p.view.clock.epoch)
		}
	}
	return s
}
