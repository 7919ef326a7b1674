package node

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/serf/serf"

	"github.com/loadlab/loadlab/client"
	"github.com/loadlab/loadlab/fault"
	"github.com/loadlab/loadlab/latency"
	"github.com/loadlab/loadlab/ledger"
	"github.com/loadlab/loadlab/node/gossip"
	"github.com/loadlab/loadlab/node/wire"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/topology"
	"github.com/loadlab/loadlab/workload"
)

// PointConfig is one point run on real agents: the Model every backend
// runs, and what only real agents have. Zero values take defaults.
type PointConfig struct {
	// Model is the point. Its Distances, if set, are emulated: a job to
	// agent n leaves Distances[n] model units late. nil: no emulation,
	// and the dispatch strategies see the distances measured at the start
	// of the point (half the shortest of three round trips to each agent).
	// Processor sharing (Discipline "ps") runs on the sleep kernel only.
	scenario.Model

	TimeUnit time.Duration // wall time of one model unit (default 10ms)
	Kernel   string        // executor kernel: sleep (default), hash, matmul
	Drain    time.Duration // how long to wait for jobs after the last arrival (default 10 s + 200 time units)
	// FindTimeout bounds the wait for Nodes agents to be found through serf
	// and to report their loads before the first arrival (default 30 s:
	// serf's loopback profile finds 32 agents in under 2 s, its LAN
	// profile needs a push/pull round of 5 s or two for stragglers).
	FindTimeout time.Duration
	Profile     string        // serf settings: loopback (default) or lan
	Gossip      time.Duration // load heartbeat (default 1s; loads are also published on every change)
	// Dispatchers is how many dispatcher instances decide concurrently
	// (default 1, the simulator's model). Each has its own policy state and
	// random stream; jobs go to whichever is free, as behind a front-end
	// that spreads requests over several load balancers.
	Dispatchers int
	// MaxSubmits bounds the submissions in flight at once (default
	// DefaultMaxSubmits). A submission is in flight from its decision to
	// the agent's answer, Distances' delay included; at the bound the
	// dispatchers wait, and the wait shows as schedule lag.
	MaxSubmits int
	// Registry is where the agents RunLocal starts look up the migration
	// policy (default policy.Builtin()); testbed agents use their own.
	Registry *policy.Registry
	// Security and GossipKeys are the cluster's keys (nil: none; see
	// docs/security.md): the coordinator's connections use Security's
	// mutual TLS and its serf member the gossip keys, as the agents must;
	// RunLocal starts its agents with both.
	Security   *wire.Security
	GossipKeys [][]byte

	// Metrics, if set, shows the point as it runs (docs/metrics.md): the
	// coordinator's figures and, for RunLocal, each of its agents',
	// labelled by node. It keeps the point's last values until the next
	// point begins; serving it is the caller's (Metrics.Serve).
	Metrics *Metrics

	// Units are the point's work units (nil: none; see unit.go).
	Units *workload.UnitConfig

	// OnResult, if set, is called with every completed job's real-kernel
	// result (CPU kernels: executor.Computation's final checkpoint), for
	// checks; it must be quick.
	OnResult func(job int64, result []byte)
	// OnIssue, if set, is called with each job as the coordinator
	// releases it, in release order, as the workload drew it (its
	// arrival from the arrivals' origin): the point's job list, as
	// sim.Config.OnIssue gives it in the simulator. It must be quick.
	OnIssue func(workload.Job)

	kill func(name string) bool // crashes the named agent (RunLocal only); false if not found

	// RunLocal's, for elastic clusters (elastic.go): start slot i's agent
	// (its RPC address returned), and stop it gracefully (serf leave) if
	// it runs.
	startAgent func(slot int) (rpc string, err error)
	stopAgent  func(slot int) error
	onMembers  func(n int) // tests: called with the agents serf lists alive, as that number changes (elastic clusters)

	agentHook func(*AgentConfig)   // tests: adjusts each agent RunLocal starts
	onSubmit  func(inFlight int64) // tests: called as each submission starts, with those in flight
}

// DefaultFindTimeout is PointConfig.FindTimeout's default.
const DefaultFindTimeout = 30 * time.Second

// DefaultMaxSubmits is PointConfig.MaxSubmits's default: a goroutine and a
// request each, and never reached at the loads a point can offer (about
// rate × round trip are in flight: 10 at 5,000 jobs/s and a 2 ms round
// trip; 250 with 50 ms of emulated distance).
const DefaultMaxSubmits = 1024

func (c *PointConfig) fill() error {
	c.Model.Fill()
	if c.TimeUnit == 0 {
		c.TimeUnit = 10 * time.Millisecond
	}
	if c.Drain == 0 {
		c.Drain = 10*time.Second + 200*c.TimeUnit
	}
	if c.FindTimeout == 0 {
		c.FindTimeout = DefaultFindTimeout
	}
	if c.Gossip == 0 {
		c.Gossip = time.Second
	}
	if c.Dispatchers == 0 {
		c.Dispatchers = 1
	}
	if c.MaxSubmits == 0 {
		c.MaxSubmits = DefaultMaxSubmits
	}
	if err := c.Model.Validate(); err != nil {
		return err
	}
	if err := c.checkPlace(); err != nil {
		return err
	}
	switch {
	case c.TimeUnit < 100*time.Microsecond:
		return fmt.Errorf("time unit %v: at least 100µs (sleeps are accurate to tens of µs)", c.TimeUnit)
	case c.FindTimeout < 0:
		return fmt.Errorf("find timeout %v: want a positive duration", c.FindTimeout)
	case c.Dispatchers < 1 || c.Dispatchers > 64:
		return fmt.Errorf("dispatchers: want 1 to 64, got %d", c.Dispatchers)
	case c.MaxSubmits < 1:
		return fmt.Errorf("max submits: want at least 1, got %d", c.MaxSubmits)
	case c.Server != nil && c.Kernel != "" && c.Kernel != "sleep":
		return fmt.Errorf("kernel %s: server architectures run on agents with the sleep kernel only so far (their cores are emulated)", c.Kernel)
	case len(c.Tiers) > 0:
		return fmt.Errorf("tiers: shared tiers run in the simulator only so far (an agent's call phase has no tier of agents to call): use backend sim")
	case c.Migrate != nil && c.Migrate.Info.Name == "energy":
		return fmt.Errorf("migrate %s: energy-aware offloading runs in the simulator only so far (agents are not told the power model): use backend sim", c.Migrate)
	case c.Power.Sleeps():
		return fmt.Errorf("energy: sleep states run in the simulator only so far (an agent cannot sleep its machine): leave out sleep, wake and after, or use backend sim")
	case c.WarmStart != nil:
		return fmt.Errorf("warm_start %s: a warm start runs in the simulator only (agents start empty): leave it out, or use backend sim", c.WarmStart)
	case c.Workload.Tasks() > 1 && c.Dispatchers > 1:
		return fmt.Errorf("dispatchers %d: requests with tasks run on agents with one dispatcher only so far (a request's tasks are placed one after another)", c.Dispatchers)
	}
	if err := CheckElastic(c.Model); err != nil {
		return err
	}
	if c.IsElastic() && c.Units != nil {
		return fmt.Errorf("elastic: on agents, nodes joining and leaving run without work units only so far: use backend sim")
	}
	for i, f := range c.Faults {
		if f.Kind == fault.Evacuate {
			return fmt.Errorf("faults: fault %d (%s): a planned evacuation runs in the simulator only so far (agents move single units, not a node's work at once): use backend sim", i, f)
		}
	}
	return nil
}

// speed is node n's speed: its nominal speed at the power model's DVFS
// level.
func (c *PointConfig) speed(n int32) float64 {
	s := 1.0
	if c.Speeds != nil && n >= 0 && int(n) < len(c.Speeds) {
		s = c.Speeds[n]
	}
	if c.Power != nil && c.Power.Speed > 0 {
		s *= c.Power.Speed
	}
	return s
}

// cluster is what the point's policies are built for, with the given
// distances to the agents: the dispatch strategy here, and through the
// setup message the agents' migration policies.
func (co *coordinator) cluster(dist []float64) policy.Cluster {
	c := co.cfg
	return placed(policy.Cluster{Nodes: c.Nodes, Servers: c.Servers, Speeds: c.Speeds, ClassWeights: c.Workload.ClassWeights(),
		ClassSizes: c.Workload.ClassSizes(), Distances: dist, Units: co.units, Platforms: c.Platforms, Tasks: c.Workload.Tasks()}, co.layout)
}

// RunLocal starts a cluster of c.Nodes agents on 127.0.0.1 in this process,
// runs the point on it and tears everything down. The agents are found,
// configured and measured exactly as on a testbed.
func RunLocal(ctx context.Context, c PointConfig) (results.Result, error) {
	if err := c.fill(); err != nil {
		return results.Result{}, err
	}
	label := "loadlab-" + runLabel() // isolates this cluster from any other on the machine
	gcfg := gossip.Config{BindAddr: "127.0.0.1", Label: label, Profile: c.Profile, Heartbeat: c.Gossip, Keys: c.GossipKeys}
	var mu sync.Mutex                 // guards agents: an elastic point starts and stops them as it runs
	agents := make([]*Agent, c.Nodes) // by slot; nil: not running
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		mu.Lock()
		defer mu.Unlock()
		for _, a := range agents {
			if a != nil {
				wg.Go(func() { a.Close(ctx) })
			}
		}
		wg.Wait()
	}()
	start := func(ctx context.Context, i int) error {
		g := gcfg
		g.Name = slotName(i)
		if i > 0 {
			mu.Lock()
			g.Join = []string{agents[0].GossipAddr()} // slot 0 is always in service
			mu.Unlock()
		}
		ac := AgentConfig{Gossip: g, Registry: c.Registry, Security: c.Security}
		if c.agentHook != nil {
			c.agentHook(&ac)
		}
		a, err := StartAgent(ctx, ac)
		if err != nil {
			return err
		}
		mu.Lock()
		agents[i] = a
		mu.Unlock()
		return nil
	}
	initial := c.Nodes
	if c.Elastic != nil {
		initial = c.Elastic.Start(c.Nodes)
	}
	for i := range initial {
		if err := start(ctx, i); err != nil {
			return results.Result{}, err
		}
	}
	if c.Metrics != nil {
		c.Metrics.setAgents(agents)
	}
	c.kill = func(name string) bool {
		mu.Lock()
		defer mu.Unlock()
		for _, a := range agents {
			if a != nil && a.Name() == name {
				a.crash()
				return true
			}
		}
		return false
	}
	if c.IsElastic() {
		c.startAgent = func(i int) (string, error) { // the agent lives as long as RunLocal's
			if err := start(ctx, i); err != nil {
				return "", err
			}
			mu.Lock()
			defer mu.Unlock()
			return agents[i].RPC(), nil
		}
		c.stopAgent = func(i int) error {
			mu.Lock()
			a := agents[i]
			mu.Unlock()
			if a == nil {
				return nil
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := a.Close(ctx)
			mu.Lock()
			agents[i] = nil
			mu.Unlock()
			return err
		}
	}
	return runOn(ctx, c, gcfg, agents[0].GossipAddr())
}

// RunTestbed runs the point on agents that are already running, here or on
// other machines: the coordinator joins their cluster at join (host:port of
// any agent's gossip address), takes the first c.Nodes agents by name,
// configures them, runs the point and collects their counters. bind is the
// address the coordinator listens on, reachable from the agents. Model time
// across hosts assumes synchronised clocks (NTP).
func RunTestbed(ctx context.Context, c PointConfig, join, bind, label string) (results.Result, error) {
	if err := c.fill(); err != nil {
		return results.Result{}, err
	}
	if c.IsElastic() {
		return results.Result{}, fmt.Errorf("elastic: nodes joining and leaving (%s) run on the local backend, which starts its agents itself, and in the simulator: a testbed's agents are started by their user", strings.Trim(c.Elastic.String()+"; "+c.Scale.String(), "; "))
	}
	if bind == "" {
		bind = "127.0.0.1"
	}
	if label == "" {
		label = gossip.DefaultLabel
	}
	return runOn(ctx, c, gossip.Config{BindAddr: bind, Label: label, Profile: c.Profile, Heartbeat: c.Gossip, Keys: c.GossipKeys}, join)
}

// runOn joins the cluster at join as coordinator and runs the point.
func runOn(ctx context.Context, c PointConfig, g gossip.Config, join string) (results.Result, error) {
	g.Name = "coordinator-" + runLabel()
	g.Tags = map[string]string{tagRole: "coordinator"}
	g.Join = []string{join}
	co, err := newCoordinator(ctx, c, g)
	if err != nil {
		return results.Result{}, err
	}
	defer co.close()
	if c.Metrics != nil {
		c.Metrics.setCoordinator(co)
	}
	if err := co.configure(ctx); err != nil {
		return results.Result{}, err
	}
	if err := co.startPolicies(); err != nil {
		_ = co.endPolicies() // its error is err
		return results.Result{}, err
	}
	cpu := processCPU()
	res, err := co.run(ctx)
	ended := co.endPolicies()
	res.ProcessCPU = processCPU() - cpu
	col := co.collect(ctx, &res)
	if err != nil {
		return res, err
	}
	err = co.measure(&res, col)
	if col.invalid > 0 {
		err = fmt.Errorf("policy %s made %d invalid decisions (node out of range or itself, a job not there)", c.Migrate, col.invalid)
	}
	if err == nil {
		err = ended // the run is measured: its counts show every job ended once
	}
	if err == nil {
		err = col.policy
	}
	return res, err
}

func runLabel() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// dispatcher is one instance of the dispatch strategy with its own view.
type dispatcher struct {
	mu   sync.Mutex // one decision at a time
	d    policy.Dispatcher
	idle policy.IdleWatcher
	done policy.DoneWatcher
	view *view
}

// placement is a job in flight that a DoneWatcher placed.
type placement struct {
	d   *dispatcher
	job policy.Job
}

// coordinator replays a point's jobs open-loop through its dispatcher and
// measures every job from its scheduled arrival to its completion.
type coordinator struct {
	cfg   PointConfig
	g     *gossip.Gossip
	label string // the cluster's
	pool  *wire.Pool
	ln    net.Listener
	stop  context.CancelFunc
	serve chan error
	clock clock

	disps []*dispatcher
	view  *view  // the first dispatcher's view: peers and clock are shared by all
	tasks *tasks // the dispatchers' probes without waiting and messages

	book   *book // the jobs' bookkeeping, under its own mutex
	count  counters
	ctl    *agents          // the control client: calls to the roster's agents
	units  *workload.Units  // nil: no work units
	layout *topology.Layout // the point's topology over the agents (place.go); nil: none

	clients *clients       // requests with tasks or a client policy; nil: plain jobs
	fronts  *frontEnds     // the front ends (front.go); nil: none
	users   *closedUsers   // closed users (users.go); nil: none
	el      *elastic       // an elastic cluster's members (elastic.go); nil: a fixed cluster
	setups  policy.Cluster // what configure told the agents: a slot's agent that joins later is told the same
}

func newCoordinator(ctx context.Context, c PointConfig, g gossip.Config) (*coordinator, error) {
	gs, err := gossip.Start(ctx, g)
	if err != nil {
		return nil, fmt.Errorf("coordinator: %w", err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(g.BindAddr, "0"))
	if err != nil {
		gs.Close()
		return nil, err
	}
	runCtx, stop := context.WithCancel(ctx) // the point's: serving, and the dispatchers' probes and messages
	wc := wire.Config{Security: c.Security}
	co := &coordinator{cfg: c, g: gs, pool: wc.NewPool(), ln: ln, stop: stop, serve: make(chan error, 1),
		clock: clock{epoch: time.Now(), unit: c.TimeUnit}, tasks: &tasks{}, label: g.Label}
	co.book = newBook(&co.cfg)
	co.fronts = newFrontEnds(c.Front)
	if c.Client != nil || c.Workload.Tasks() > 1 {
		co.clients = newClients(&co.cfg)
	}
	if co.label == "" {
		co.label = gossip.DefaultLabel
	}
	nodes := c.Nodes // what the dispatchers see
	if c.IsElastic() {
		co.el = newElastic(&co.cfg)
		nodes = co.el.visible
	}
	if c.Units != nil {
		if co.units, err = workload.NewUnits(*c.Units, c.Workload.Classes()); err != nil {
			gs.Close()
			ln.Close()
			stop()
			return nil, err
		}
	}
	if c.Topology != nil {
		co.layout, _ = c.Topology.Lay(c.Nodes) // checked by fill
	}
	env := policy.NewEnv(co.cluster(c.Distances))
	for k := 0; k < c.Dispatchers; k++ {
		stream := "dispatch" // the simulator's stream: one dispatcher sees the same random choices
		if k > 0 {
			stream = "dispatch/" + strconv.Itoa(k)
		}
		d := &dispatcher{}
		d.view = &view{ctx: runCtx, self: policy.None, nodes: nodes, rng: workload.Stream(c.Seed, stream), clock: co.clock,
			pool: co.pool, count: &co.count, tasks: co.tasks, mu: &d.mu, gossipAge: latency.New(), probeRTT: latency.New()}
		d.build(c.Dispatch, env)
		co.disps = append(co.disps, d)
	}
	co.view = co.disps[0].view
	go func() { co.serve <- wc.Serve(runCtx, ln, co.handle) }()
	return co, nil
}

// build gives d a fresh instance of the dispatch strategy for env.
func (d *dispatcher) build(spec *policy.DispatchSpec, env policy.Env) {
	d.d = spec.New(env)
	d.idle, _ = d.d.(policy.IdleWatcher)
	d.done, _ = d.d.(policy.DoneWatcher)
	d.view.replies, _ = d.d.(policy.ReplyWatcher)
}

// measureDistances gives the dispatch strategies the measured distance to
// each agent, half the shortest of three round trips (model units), unless
// the point emulates distances of its own, and returns the distances they
// use. It pings rather than probes, so that no policy sees a probe.
func (co *coordinator) measureDistances(ctx context.Context) ([]float64, error) {
	c := co.cfg
	if c.Distances != nil || c.Topology != nil { // a topology: the regions' reach, no distance (the simulator's Env)
		return c.Distances, nil
	}
	dist := make([]float64, len(co.ctl.roster))
	for i := range co.ctl.roster {
		if co.el != nil && i >= co.el.visible {
			continue // an elastic slot not started: 0
		}
		best := math.Inf(1)
		for range 3 {
			cctx, cancel := context.WithTimeout(ctx, probeTimeout)
			start := time.Now()
			_, err := co.ctl.call(cctx, i, control{Op: opPing})
			cancel()
			if err != nil {
				return nil, fmt.Errorf("measuring the distance to agent %s: %w", co.ctl.roster[i], err)
			}
			best = min(best, co.clock.units(time.Since(start)))
		}
		dist[i] = best / 2
	}
	env := policy.NewEnv(co.cluster(dist))
	for _, d := range co.disps {
		d.build(c.Dispatch, env)
	}
	return dist, nil
}

func (co *coordinator) close() {
	co.stop()
	co.ln.Close()
	<-co.serve
	co.tasks.close()
	co.pool.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	co.g.Leave(ctx)
}

// configure finds c.Nodes agents, gives each its node id (agents sorted by
// name), and sets them up for the point.
func (co *coordinator) configure(ctx context.Context) error {
	c := co.cfg
	wctx, cancel := context.WithTimeout(ctx, c.FindTimeout)
	defer cancel()
	roster, err := co.findAgents(wctx)
	if err != nil {
		return err
	}
	present := len(roster) // the agents running now
	if co.el != nil {
		present = co.el.visible
		roster = make([]string, c.Nodes)
		for i := range roster {
			roster[i] = slotName(i)
		}
	}
	co.clock.epoch = time.Now()
	co.book.open(len(roster), co.clock)
	shared := newPeers(co.g, roster)
	co.ctl = &agents{pool: co.pool, peers: shared, roster: roster}
	for _, d := range co.disps {
		d.view.peers, d.view.clock = shared, co.clock
	}
	// The agents' policies get the distances the dispatcher uses, so they
	// are measured first (pinging needs no setup).
	dist, err := co.measureDistances(wctx)
	if err != nil {
		return err
	}
	co.setups = co.cluster(dist)
	for i := range present {
		if _, err := co.ctl.call(wctx, i, control{Op: opConfigure, Setup: co.setup(i)}); err != nil {
			return err
		}
	}
	// Wait until every agent's load has reached us through serf.
	for {
		ready := 0
		for i := range present {
			if m, ok := co.view.peers.get(policy.NodeID(i)); ok && m.HasLoad {
				ready++
			}
		}
		if ready == present {
			return nil
		}
		select {
		case <-wctx.Done():
			return fmt.Errorf("only %d of %d agents' loads arrived through serf: %w", ready, present, wctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// setup is the point's setup for node i's agent.
func (co *coordinator) setup(i int) *Setup {
	c, cl, roster := co.cfg, co.setups, co.ctl.roster
	s := &Setup{Run: co.g.Name(), ID: int32(i), Roster: roster, Migrate: c.Migrate.String(), Servers: c.Servers, Speed: c.speed(int32(i)),
		Speeds: cl.Speeds, Classes: cl.ClassWeights, Sizes: sizeSpecs(cl.ClassSizes), Distances: cl.Distances, Topology: c.Topology.String(), TimeUnit: c.TimeUnit, Kernel: c.Kernel, Discipline: c.Discipline, Queue: c.Queue, Admit: c.Admit.String(), Seed: c.Seed,
		EpochNano: co.clock.epoch.UnixNano(), Publish: PublishInterval(len(roster)),
		Units: c.Units, Platforms: c.Platforms, HitBin: c.HitBin}
	if c.Server != nil {
		s.Server = c.Server.String()
	}
	s.Cache = c.Cache.String()
	if c.Units != nil {
		s.ClassNames = c.Workload.Classes()
	}
	return s
}

// findAgents waits for c.Nodes live agents and returns the first c.Nodes
// by name. If they are not all there in time, the error says how many
// were, out of how many, and whom serf showed, so that a wrong label,
// --nodes or a crashed agent is told apart from a slow cluster.
func (co *coordinator) findAgents(ctx context.Context) ([]string, error) {
	want := co.cfg.Nodes
	if co.el != nil {
		want = co.el.visible // the agents in service at the start
	}
	for {
		var roster []string
		for _, m := range co.g.Members() { // sorted by name
			if m.Tags[tagRole] == "agent" && m.Status == serf.StatusAlive && m.Tags[tagRPC] != "" {
				roster = append(roster, m.Name)
			}
		}
		if len(roster) >= want {
			return roster[:want], nil
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, &FindError{Found: len(roster), Want: want, Wait: co.cfg.FindTimeout, Label: co.label, Seen: co.g.Members(), Self: co.g.Name()}
			}
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// FindError says that a point did not find its agents in time: how many
// live agents serf showed, out of how many the point needs, and every
// member seen, with its role and status.
type FindError struct {
	Found, Want int
	Wait        time.Duration // PointConfig.FindTimeout
	Label       string        // the cluster label the coordinator joined with
	Seen        []gossip.Member
	Self        string // the coordinator's own member name, left out of Seen's listing
}

func (e *FindError) Error() string {
	var seen []string
	for _, m := range e.Seen {
		if m.Name == e.Self {
			continue
		}
		role := m.Tags[tagRole]
		if role == "" {
			role = "no role"
		}
		seen = append(seen, m.Name+" ("+role+", "+m.Status.String()+")")
	}
	list := "no other member"
	if len(seen) > 0 {
		list = strings.Join(seen, ", ")
	}
	return fmt.Sprintf("found %d live agents of the %d the point needs within %v in the cluster of label %q; serf showed: %s. "+
		"Start more agents with --label %s, ask for fewer (--nodes), or wait longer (--find-timeout, a spec's find_timeout)",
		e.Found, e.Want, e.Wait, e.Label, list, e.Label)
}

// run issues every job at its scheduled time and waits for them to end.
// Every goroutine it starts ends with ctx or before run returns: run waits
// for all of them on every path.
func (co *coordinator) run(ctx context.Context) (results.Result, error) {
	c := co.cfg
	defer spare.hold()() // for the generator's sleeping thread (procs.go)
	// The simulator's rate: the same jobs at the same times.
	rate := c.Rate()
	offset := co.clock.now() + 0.05*float64(time.Second)/float64(c.TimeUnit) // start 50 ms from now
	co.book.start(offset)
	n := c.Jobs
	if co.clients != nil {
		n *= c.Workload.Tasks() // a request's tasks come one after another
	}
	gen := &generator{jobs: c.Workload.Generator(c.Seed, rate), n: n, clock: co.clock, offset: offset,
		replyTo: co.ln.Addr().String(), schedule: func(w workload.Job, j *wire.Job, at float64) { co.book.schedule(w.ID, at, w.Size, w.Blocked(), j.Hit) }}
	var hit, resp workload.Dist
	if c.Cache != nil {
		hit = c.Workload.Hit()
	}
	if c.Front != nil {
		resp = c.Workload.Response()
	}
	gen.content = newContent(c.Seed, hit, resp)
	gen.onIssue = c.OnIssue
	if u := c.Workload.Users(c.Seed); u != nil {
		co.users = newClosedUsers(u)
		gen.users, gen.open = co.users, c.Workload.Open()
	}

	sub := &submitter{sem: make(chan struct{}, c.MaxSubmits), onSubmit: c.onSubmit}
	if co.clients != nil {
		co.clients.start(ctx, sub, offset)
	}
	pctx, stop := context.WithCancel(ctx)
	var watchers sync.WaitGroup
	// quiet stops what the point started besides its dispatchers: once it
	// returns, no job ends behind the result's back (clients: no timer
	// fires, no copy is sent, no cancellation is under way).
	quiet := func() {
		stop()
		watchers.Wait()
		if co.fronts != nil {
			co.fronts.close()
		}
		if co.clients != nil {
			co.clients.close()
			sub.wg.Wait()
		}
	}
	defer quiet()
	watchers.Go(func() { co.watch(pctx) })
	if co.book.faults != nil {
		watchers.Go(func() { co.inject(pctx, offset) })
	}
	if co.el != nil {
		watchers.Go(func() { co.elasticRun(pctx, offset) })
	}
	if co.clients != nil {
		watchers.Go(func() { co.clients.timers.run(pctx, func(t client.Timer) { co.fire(ctx, t) }) })
	}

	// Jobs go from the generator to the dispatchers through a queue, so a
	// slow decision delays dispatch (measured as lag) but never the schedule.
	// With front ends, they pass one first (front.go).
	queue := make(chan arrival, 65536)
	release := queue        // where the generator releases jobs
	var taken chan struct{} // closed when the front ends have taken every job released
	if c.Front != nil {
		fr := co.fronts
		fr.start(pctx, co.clock, queue, co.book.frontIn, co.relayed)
		intake := make(chan arrival, 1024)
		release = intake
		taken = make(chan struct{})
		go func() {
			defer close(taken)
			for a := range intake {
				fr.take(a)
			}
		}()
	}
	decide := func(d *dispatcher, a arrival) {
		switch {
		case ctx.Err() != nil: // the point is abandoned
		case co.clients != nil:
			co.arrive(ctx, d, a.Job, a.Task, sub)
		default:
			co.dispatch(ctx, d, a.Job, a.policyJob(), a.Due, sub)
		}
	}
	out := queueTo(release)
	var dispatchers sync.WaitGroup
	if len(co.disps) == 1 && c.Front == nil && co.users == nil && co.clients == nil {
		// One dispatcher and nothing between: the generator decides each
		// job itself, a hand-off fewer on every job's path. Decisions are
		// made one at a time in arrival order either way; a slow one
		// delays the next release, which is measured as lag as before.
		d := co.disps[0]
		out = func(_ context.Context, a arrival) error {
			decide(d, a)
			return nil
		}
	} else {
		for _, d := range co.disps {
			dispatchers.Go(func() {
				for a := range queue {
					decide(d, a) // after ctx ends, this drains the queue
				}
			})
		}
	}
	genErr := gen.run(ctx, out)
	if co.fronts != nil {
		close(release)
		<-taken
		co.fronts.wait(ctx)
	}
	close(queue)
	dispatchers.Wait()
	if co.clients == nil {
		sub.wg.Wait() // with clients, timers may still send copies: the deferred wait
	}
	if genErr != nil {
		return results.Result{}, genErr
	}
	if err := ctx.Err(); err != nil {
		return results.Result{}, err
	}
	drain := time.NewTimer(c.Drain)
	defer drain.Stop()
	select {
	case <-co.book.allDone:
	case <-drain.C:
	case <-ctx.Done():
		return results.Result{}, ctx.Err()
	}
	quiet()
	if co.el != nil {
		if _, _, err := co.el.members(0); err != nil {
			return results.Result{}, err
		}
	}
	return co.book.close(co.unended), nil
}

// watch fails the jobs of agents that serf finds failed or gone, so that
// they end promptly with a reason instead of at the drain timeout.
func (co *coordinator) watch(ctx context.Context) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for i, name := range co.ctl.roster {
			if co.el != nil {
				co.el.mu.Lock() // held while serf and the agent are asked: a slot's agent leaves only once it is no longer watched
			}
			m, ok := co.g.Member(name)
			skip := ok && m.Status == serf.StatusAlive || co.el != nil && (!co.el.watched(i) || co.book.isDead(i) || ok && co.answers(ctx, m))
			if co.el != nil {
				co.el.mu.Unlock()
			}
			if skip {
				continue
			}
			lost, first := co.book.bury(i)
			if !first {
				continue
			}
			if co.clients != nil {
				lost = co.clients.lost(i) // the copies it held
			}
			for _, id := range lost {
				co.end(id, -1, 0, 0, reasonGone(name), 0)
			}
		}
	}
}

// answers says whether agent m answers a ping at its RPC address within a
// second. An elastic slot's agents all have the slot's name, and serf can
// take news of an earlier one's leave for the one now in service: it then
// lists it failed for a while (until the agent refutes it), though the
// agent runs and answers. Its jobs are not failed for that.
func (co *coordinator) answers(ctx context.Context, m gossip.Member) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_, err := call(ctx, co.pool, m.Tags[tagRPC], control{Op: opPing})
	return err == nil
}

// submitFailed ends job id, whose submission to node n failed with err,
// with the reason of its cause: the agent refused it (it answered), or the
// agent is gone (serf says so, or nothing listens at its endpoint any
// more). Any other error (no answer in time, a connection cut) leaves the
// job with n for serf to decide: watch fails it as gone once serf finds n
// failed, and result as unreachable if serf never does.
func (co *coordinator) submitFailed(id int64, n int, answered bool, err error) {
	name := co.ctl.roster[n]
	switch {
	case co.book.isDead(n) || errors.Is(err, syscall.ECONNREFUSED) || (answered && errors.Is(err, errLeaving)):
		co.end(id, -1, 0, 0, reasonGone(name), 0)
	case answered:
		co.end(id, -1, 0, 0, reasonRefused(name), 0)
	default:
		if co.clients != nil {
			id = co.clients.request(id)
		}
		co.book.notSent(id)
	}
}

// submitter bounds the submissions in flight: each holds a slot of sem
// from before its goroutine starts until it ends.
type submitter struct {
	sem      chan struct{}
	wg       sync.WaitGroup
	inFlight atomic.Int64
	onSubmit func(inFlight int64) // tests: called as each submission starts
}

// dispatch places one job and submits it. Decisions are made one at a
// time, in arrival order; submissions run concurrently, up to
// PointConfig.MaxSubmits at once, so that a round trip to one agent never
// delays the next decision. A submission still waiting when ctx ends is
// dropped: the point is abandoned.
//
// pj is what the dispatch strategy sees of j (a copy of a request shows
// the request's ID and its task), and due is when j was due: its arrival,
// or when a hedge or retry sent it.
func (co *coordinator) dispatch(ctx context.Context, d *dispatcher, j *wire.Job, pj policy.Job, due float64, sub *submitter) {
	if co.el != nil {
		co.el.deciding.Add(1) // before the decision: a drain waits until it is in the book
		defer co.el.deciding.Add(-1)
	}
	d.mu.Lock()
	begin := co.clock.now()
	d.view.begin()
	n := d.d.Pick(d.view, &pj)
	decided := co.clock.now()
	d.mu.Unlock()
	redirected := false
	if co.el != nil {
		n, redirected = co.inService(n)
	}
	if co.units != nil {
		var to int
		to, redirected = co.units.Place(j.Class, int(n), co.cfg.Platforms)
		n = policy.NodeID(to)
	}
	j.Origin = int32(n)
	co.atHome(j)
	var pl *placement
	if d.done != nil {
		pj.Origin = n
		pl = &placement{d: d, job: pj}
	}
	if co.clients == nil {
		co.book.place(j.ID, int32(n), co.clock.now()-due, redirected, pl)
	} else {
		if !co.clients.placed(j.ID, int32(n), pl) {
			co.copyCancelled(j.ID, 0) // cancelled before it was sent: it never is
			return
		}
		co.book.place(pj.ID, int32(n), co.clock.now()-due, redirected, nil)
	}
	m, ok := co.view.peers.get(n)
	if !ok {
		reason := reasonNoNode(int(n))
		if n >= 0 && int(n) < len(co.ctl.roster) {
			reason = reasonGone(co.ctl.roster[n]) // serf no longer lists it alive
		}
		co.end(j.ID, -1, 0, 0, reason, 0)
		return
	}
	select {
	case sub.sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	if k := sub.inFlight.Add(1); sub.onSubmit != nil {
		sub.onSubmit(k)
	}
	msg := &wire.Msg{Type: wire.TypeSubmit, From: -1, Job: j}
	far := co.far(&pj, n) // the emulated distance, which the simulator adds itself too
	// The submission is sent from here when nothing is to wait first (no
	// distance, no fault that may hold the agent's reading, a connection
	// ready): a hand-off fewer on the job's path. Its reply is awaited in
	// the goroutine, as every other submission is sent and awaited.
	var (
		pend    *wire.Pending
		sent    float64
		sendErr error
	)
	start := func(cl *wire.Client) (float64, *wire.Pending, error) {
		at := co.clock.now()
		p, err := cl.Start(msg)
		return at, p, err
	}
	if far == 0 && len(co.cfg.Faults) == 0 {
		if cl := co.pool.Ready(m.Tags[tagRPC]); cl != nil {
			sent, pend, sendErr = start(cl)
		}
	}
	sub.wg.Go(func() {
		defer func() { sub.inFlight.Add(-1); <-sub.sem }()
		cctx, cancel := context.WithTimeout(ctx, transferTimeout)
		defer cancel()
		err := sendErr
		if pend == nil && err == nil {
			if far > 0 {
				if sleepUntil(ctx, co.clock.wall(decided+far)) != nil {
					return
				}
			}
			var cl *wire.Client
			if cl, err = co.pool.Get(cctx, m.Tags[tagRPC]); err == nil {
				sent, pend, err = start(cl)
			}
		}
		answered := false
		if err == nil {
			var reply *wire.Msg
			reply, err = pend.Wait(cctx)
			answered = reply != nil
			if now := co.clock.now(); err == nil && !co.held(int(n), due, now) {
				// The decision's time is left out: the simulator charges
				// its probe rounds itself, as it does a fault's hold.
				co.book.delayed(sent - due - (decided - begin) - far + (now-sent)/2)
			}
		}
		if err != nil {
			co.submitFailed(j.ID, int(n), answered, err)
		}
	})
}

// held says whether a fault held or refused node's messages at some time
// in [from, to] (model times of the clock; fault.Fault.Holds).
func (co *coordinator) held(node int, from, to float64) bool {
	if len(co.cfg.Faults) == 0 {
		return false
	}
	origin := co.book.origin() // faults are timed from the arrivals' origin
	for _, f := range co.cfg.Faults {
		if f.Holds(node, from-origin, to-origin) {
			return true
		}
	}
	return false
}

// handle receives completions from agents.
func (co *coordinator) handle(_ context.Context, m *wire.Msg) (*wire.Msg, error) {
	if m.Type == wire.TypeControl {
		var note control
		if err := json.Unmarshal(m.Data, &note); err != nil || note.Op != opMoved || note.Moved == nil {
			return nil, fmt.Errorf("coordinator: unexpected control %q", m.Data)
		}
		if co.clients != nil {
			co.clients.moved(note.Moved.Job, note.Moved.To)
		} else {
			co.book.moved(note.Moved.Job, note.Moved.To, note.Moved.Hops)
		}
		return nil, nil
	}
	if m.Type != wire.TypeCompletion || m.Done == nil {
		return nil, fmt.Errorf("coordinator: unexpected %s", m.Type)
	}
	d := m.Done
	reason := ""
	if d.Failed {
		reason = d.Reason
		if reason == "" {
			reason = "failed"
		}
	}
	if co.cfg.OnResult != nil && !d.Failed && d.Result != nil {
		co.cfg.OnResult(d.JobID, d.Result)
	}
	co.book.looked(d.JobID, d.Lookup)
	if !d.Failed && co.fronts != nil && co.cfg.Front.Relays() {
		co.toFront(d)
	} else {
		co.end(d.JobID, d.Node, d.StartUnixNano, d.EndUnixNano, reason, d.Hops)
	}
	// An idle node reports to one dispatcher (join-idle-queue); idleness is
	// judged from its gossiped load, which may be stale.
	if disp := co.disps[int(d.Node)%len(co.disps)]; disp.idle != nil && !d.Failed {
		if mem, ok := co.view.peers.get(policy.NodeID(d.Node)); ok && mem.Load.Queue <= 1 {
			disp.mu.Lock()
			disp.idle.Idle(disp.view, policy.NodeID(d.Node))
			disp.mu.Unlock()
		}
	}
	return nil, nil
}

// end records that job id ended: completed if reason is empty. A job ends
// once; a second report (which would be a bug) is ignored and counted. The
// dispatcher that placed the job, if a DoneWatcher, is told (a failed job
// is no longer in flight either), hops being how often it moved.
func (co *coordinator) end(id int64, node int32, startNs, endNs int64, reason string, hops int32) {
	if co.clients != nil {
		co.copyEnded(id, node, startNs, endNs, reason, hops) // id is a copy's
		return
	}
	pl, placed := co.book.record(id, node, startNs, endNs, reason)
	if co.users != nil {
		at := co.clock.now() // a failure: when it is known
		if reason == "" {
			at = co.clock.model(time.Unix(0, endNs)) // the user has its response
		}
		co.users.ended(id, at-co.book.origin())
	}
	if !placed {
		return
	}
	pl.job.Hops = hops
	pl.d.mu.Lock()
	defer pl.d.mu.Unlock()
	pl.d.view.begin()
	pl.d.done.Done(pl.d.view, &pl.job)
}

// unended is the reason of a job that never ended, held by node h (-1:
// none): h is gone if it was found dead or serf now finds it so, or did
// not answer its submission (unreachable); otherwise the job timed out.
func (co *coordinator) unended(h int, dead, unsent bool) string {
	if h < 0 || h >= len(co.ctl.roster) {
		return reasonTimeout
	}
	name := co.ctl.roster[h]
	if m, ok := co.g.Member(name); dead || !ok || m.Status != serf.StatusAlive {
		return reasonGone(name)
	}
	if unsent {
		return reasonUnreachable(name)
	}
	return reasonTimeout
}

// collected is what the agents reported at the end of a point.
type collected struct {
	counts  ledger.Counts
	logs    [][]ledger.Change // each agent's occupancy log, if logged
	logged  []bool
	threads []ledger.ThreadStep // server architectures: the threads the agents' requests held, from their logs
	util    []float64           // each agent's utilisation without its log: from its busy time, or over its life if it died
	tlp     []float64           // each agent's TLP without its log, as it reported it (0 if it died)
	invalid int64               // invalid decisions the agents dropped
	policy  error               // the first agent's migration policy failure (AgentStats.PolicyError)
	procs   map[string]bool     // the agents' processes whose CPU time is counted
	hosts   map[string]bool     // the machines whose RAPL joules are counted
}

// measure fills r's measurements through the ledger: it replays the
// point's arrivals and ends with the agents' occupancy logs and counts, as
// the simulator feeds its ledger (package ledger). An agent without a log
// (it died, its log grew too long, or it predates the log) keeps the
// utilisation its counters give, and wait while idle is then not known: -1.
func (co *coordinator) measure(r *results.Result, col collected) error {
	log, end, ignored := co.book.log()
	if co.clients != nil {
		cc := co.clients.counts()
		col.counts.Copies, col.counts.Retries, col.counts.Cancels = cc.Copies, cc.Retries, cc.Cancels
		col.counts.Useful, col.counts.Wasted = cc.Useful, cc.Wasted
	}
	log.Nodes, log.Threads, log.Counts = col.logs, col.threads, col.counts
	if co.el != nil {
		log.Members, r.JoinTime, _ = co.el.members(end)
	}
	lc := ledger.Config{Nodes: len(col.logs), Servers: []int{co.cfg.Servers}, Jobs: co.cfg.Jobs, Warmup: co.cfg.Warmup, Batches: co.cfg.Batches, Bin: co.seriesBin(), Power: co.cfg.Power}
	if co.fronts != nil {
		var late float64
		_, offset := co.book.span()
		log.Fronts, late = co.fronts.log(offset)
		lc.Fronts = len(co.fronts.ends)
		r.EmulationLag = max(r.EmulationLag, late)
	}
	l := ledger.Replay(lc, log)
	err := l.Fill(r, end)
	r.Utilization, r.TLP = 0, 0
	for i := range r.NodeUtilization {
		if !col.logged[i] {
			r.NodeUtilization[i], r.NodeTLP[i], r.WaitWhileIdle = col.util[i], col.tlp[i], -1
		}
		r.Utilization += r.NodeUtilization[i] / float64(len(r.NodeUtilization))
		r.TLP += r.NodeTLP[i] / float64(len(r.NodeTLP))
	}
	if ignored > 0 {
		if r.Failures == nil {
			r.Failures = map[string]int64{}
		}
		r.Failures[reasonIgnored] += ignored
	}
	return err
}

// seriesBin is the bin of the series over time: the faults' or an
// elastic cluster's (its nodes over time), if any.
func (co *coordinator) seriesBin() float64 {
	if co.book.faults == nil && co.el == nil {
		return 0
	}
	return co.cfg.FaultBin
}

// collect adds the agents' and the dispatchers' diagnostics to r, ends
// the point at every agent, and returns what the agents counted and
// logged, for measure.
func (co *coordinator) collect(ctx context.Context, r *results.Result) collected {
	gossipAge, probeRTT, xferRTT := latency.New(), latency.New(), latency.New()
	for _, d := range co.disps {
		d.mu.Lock()
		gossipAge.Merge(d.view.gossipAge)
		probeRTT.Merge(d.view.probeRTT)
		d.mu.Unlock()
	}
	n := len(co.ctl.roster)
	col := collected{logs: make([][]ledger.Change, n), logged: make([]bool, n), util: make([]float64, n), tlp: make([]float64, n),
		procs: map[string]bool{}, hosts: map[string]bool{}}
	col.counts.Probes = co.count.probes.Load()
	col.counts.Messages = co.count.messages.Load()
	var us UnitStats
	var costs costSum
	for i := range co.ctl.roster {
		var lives []AgentStats // an elastic slot's agents that left, then the one running
		if co.el != nil {
			co.el.mu.Lock()
			lives = co.el.lives[i]
			co.el.mu.Unlock()
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		reply, err := co.ctl.call(cctx, i, control{Op: opStats})
		if !errors.Is(err, errNotListed) {
			_, _ = co.ctl.call(cctx, i, control{Op: opEnd})
		}
		cancel()
		if err == nil && reply.Stats != nil {
			lives = append(lives, *reply.Stats)
		}
		if len(lives) == 0 {
			col.util[i] = co.book.lifeUtilization(i)
			col.logged[i] = co.el != nil // an elastic slot that never served: its empty log is all there is
			continue
		}
		col.logged[i] = true
		for k := range lives {
			if e := lives[k].PolicyError; e != "" && col.policy == nil {
				col.policy = fmt.Errorf("node %d: %s", i, e)
			}
			co.add(r, &col, i, &lives[k], gossipAge, probeRTT, xferRTT, &us, &costs)
		}
	}
	if co.units != nil {
		us.fill(r, co.clock, co.cfg.HitBin)
	}
	if co.cfg.Server != nil {
		r.ServerCosts = costs.fill(co.clock, co.cfg.Server)
	}
	if gossipAge.Count() > 0 {
		r.GossipAge = gossipAge.Mean()
		r.GossipAgeP50, r.GossipAgeP99 = gossipAge.Quantile(0.5), gossipAge.Quantile(0.99)
	}
	if probeRTT.Count() > 0 {
		r.ProbeRTT = probeRTT.Mean()
		r.ProbeRTTP50, r.ProbeRTTP99 = probeRTT.Quantile(0.5), probeRTT.Quantile(0.99)
	}
	if xferRTT.Count() > 0 {
		r.TransferRTTP50, r.TransferRTTP99 = xferRTT.Quantile(0.5), xferRTT.Quantile(0.99)
	}
	return col
}

// add adds the counters s of node i's agent (one of its lives, in order,
// for an elastic slot: their busy times and occupancy logs add up) to r
// and col.
func (co *coordinator) add(r *results.Result, col *collected, i int, s *AgentStats, gossipAge, probeRTT, xferRTT *latency.Histogram, us *UnitStats, costs *costSum) {
	span, offset := co.book.span()
	merge := func(into *latency.Histogram, enc string) {
		if h, err := latency.Decode(enc); err == nil {
			into.Merge(h)
		}
	}
	if h, err := strconv.Atoi(s.Serf["health_score"]); err == nil {
		r.SerfHealth = max(r.SerfHealth, h)
	}
	col.counts.Probes += s.Probes
	r.TransferFails += s.TransferFails
	col.counts.Migrations += s.Migrations
	col.counts.Preemptions += s.Preemptions
	col.invalid += s.Invalid
	col.counts.Messages += s.Messages + s.Steals
	col.counts.Bytes += float64(s.Bytes)
	merge(gossipAge, s.GossipAge)
	merge(probeRTT, s.ProbeRTT)
	merge(xferRTT, s.TransferRTT)
	if span > 0 {
		col.util[i] += co.clock.units(s.Busy) / (span * float64(co.cfg.Servers))
	}
	col.tlp[i] = s.TLP
	logged := false
	if s.Logged {
		changes, err := decodeOccupancy(s.Occupancy, co.clock, offset)
		col.logs[i], logged = append(col.logs[i], changes...), err == nil
		if steps, err := decodeThreads(s.Threads, co.clock, offset); err == nil {
			col.threads = append(col.threads, steps...)
		}
	}
	col.logged[i] = col.logged[i] && logged
	if !col.procs[s.Process] {
		col.procs[s.Process] = true
		r.CPUSeconds += s.CPU
	}
	if host, _, _ := strings.Cut(s.Process, ":"); s.HasRAPL && !col.hosts[host] {
		col.hosts[host] = true
		r.RAPLJoules += s.RAPL
	}
	costs.add(s.Server)
	r.EmulationLag = max(r.EmulationLag, co.clock.units(s.LatenessP99))
	us.add(s.Units)
}
