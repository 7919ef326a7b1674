// Package sim is a discrete-event simulator of a cluster that runs the
// policies of package policy: the same decision code the agents run, with
// the costs of probes, transfers and stale gossip modelled.
//
// A run is single-threaded and deterministic: same Config, same Result
// bytes. Memory does not grow with the number of jobs: statistics are
// streamed into a histogram and batch sums.
package sim

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"

	"github.com/loadlab/loadlab/cache"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/session"
	"github.com/loadlab/loadlab/topology"
	"github.com/loadlab/loadlab/workload"
)

// cluster is the state of one run.
type cluster struct {
	cfg Config
	now float64
	seq uint64
	// wakeSeq identifies each node's pending policy timer (its event's
	// seq; 0: none). Made on the first timer: most policies set none.
	wakeSeq []uint64
	inf     float64
	nodes   []node
	nh      *nodeTree
	ev      eventHeap

	pool // the job slots (jobs) and the FCFS nodes' servers (runs)
	free []int32

	gen        *workload.Generator
	gossipRand *rand.Rand      // individual gossip: exponential refresh intervals
	next       int32           // slot of the next job to arrive, filled in advance
	nextAt     float64         // its arrival time
	moreTasks  bool            // it is a later task of a request issued already
	reqs       *requests       // requests with tasks or a client policy; nil: none have
	late       policy.Reserver // the dispatcher, if it binds tasks late (latebind.go)
	inert      bool            // the migration policy never acts (inert): its calls are skipped
	fronts     *fronts         // the front ends (front.go); nil: none
	tiers      *tierSet        // the shared tiers (tier.go), in the node tree after the nodes; nil: none
	keyCaches  []cache.Cache   // each node's cache of keys (Config.Cache); nil: none
	hitRand    *rand.Rand      // sizes of requests that hit
	sessions   *session.Store  // where the clients' states are (Config.State); nil: none
	users      *workload.Users // closed users (workload.Config.Users); nil: open arrivals
	admit      *admission      // nodes' admission policies (admit.go); nil: every job is admitted
	plain      bool            // no requests (reqs) and no front end: jobs arrive and complete as themselves
	reserved   []policy.NodeID // scratch: the nodes of a request's reservations
	issued     int64
	done       int64

	dispatcher policy.Dispatcher
	enders     []policy.Ender // the policies that hold an external process: the dispatcher, then nodes' migration policies
	idleWatch  policy.IdleWatcher
	boardWatch policy.BoardWatcher // a dispatcher that indexes the board, where every change is seen (boardInit); nil otherwise
	migrators  []policy.Migrator   // per node; nil when the policy is inert: migrator gives the one instance
	inertMig   policy.Migrator     // the inert policy's one instance, which every node shares
	dview      view                // the dispatcher's view
	views      []view              // per node, made on first use when the policy is inert (nodeView)
	rounds     int                 // probe rounds of the decision being made

	board   []policy.Load // gossiped loads (Gossip > 0)
	boardAt []float64     // when each entry was published
	snaps   []policy.Load // loads in flight: probe answers, delayed publications
	free2   []int32       // free slots of snaps
	scratch []int32       // job slots of one node, in View.Jobs order

	doneWatch  policy.DoneWatcher
	replyWatch []policy.ReplyWatcher // per node, then the dispatcher's; nil where not implemented (all nil: none made)
	pollWatch  []policy.PollWatcher  // per node; nil where not implemented (all nil: none made)

	link   workload.Link         // the cost model's path of every migration (linkOf)
	sites  []int                 // Topology: the site of each node; nil: none (place.go)
	reach  [][]float64           // Topology: one-way delay from each client region to each node
	layout *topology.Layout      // Topology laid over the nodes: sites, reach and paths (place.go)
	homed  bool                  // Units: some resource has a home of its own (atHome)
	caches []*workload.CodeCache // Units: each node's code cache
	links  *links                // the shared links' occupancy (Costs.Links, link.go); nil: none yet
	moving *workload.Units       // the units an evacuation under way moves (its method); nil: Config.Units
	moved  moved                 // what the last unit move cost

	m measure

	failed int64       // jobs failed (Faults: lost with a killed node)
	faults *faultState // nil: no faults
	el     *elastic    // an elastic cluster's members (elastic.go); nil: fixed
	dozing *dozing     // sleep states (sleep.go); nil: none
	gates  bool        // some fault acts on requests (gate.go)
	held   float64     // the holds of the probes of the decision being made (gate.go)
}

// view is the policy.View of a node or of the dispatcher.
type view struct {
	c    *cluster
	self policy.NodeID
	rng  *rand.Rand
}

var _ policy.View = (*view)(nil)

func (v *view) Now() float64        { return v.c.now }
func (v *view) Self() policy.NodeID { return v.self }
func (v *view) Nodes() int          { return v.c.members() }

// Rand returns the node's stream, made on first use: most policies never
// draw at a node, and a million streams made up front cost a second.
// A stream depends only on the seed and the node, so when it is made does
// not change its draws.
func (v *view) Rand() *rand.Rand {
	if v.rng == nil {
		v.rng = workload.Stream(v.c.cfg.Seed, "node/"+strconv.Itoa(int(v.self)))
	}
	return v.rng
}

func (v *view) Local() (l policy.Load) {
	if v.self == policy.None {
		return policy.Load{}
	}
	n := &v.c.nodes[v.self]
	n.advance(v.c.now)
	n.loadTo(&l) // not return n.load(): see loadTo
	return l
}

func (v *view) Gossip(id policy.NodeID) (l policy.Load, age float64) {
	c := v.c
	if c.isOut(id) {
		return unreachable, 0 // as a member serf no longer lists
	}
	if c.board == nil {
		n := &c.nodes[id]
		n.advance(c.now)
		n.loadTo(&l) // not return n.load(): see loadTo
		return l, 0
	}
	age = c.now - c.boardAt[id]
	c.m.gossipAge += age
	c.m.gossipReads++
	return c.board[id], age
}

func (v *view) Probe(ids []policy.NodeID, out []policy.Load) {
	c := v.c
	c.rounds++
	if c.gates {
		c.probeGated(v.self, ids, out)
		return
	}
	for i, id := range ids {
		c.probe(v.self, id, &out[i])
	}
}

// probeGated probes ids through the faults' gates: a refused probe reads
// the node as unreachable, and the round lasts as long as its longest
// hold more.
func (c *cluster) probeGated(from policy.NodeID, ids []policy.NodeID, out []policy.Load) {
	v := int(from)
	if from == policy.None {
		v = len(c.nodes)
	}
	at := max(c.now, c.faults.busyTill[v]) + c.held // when this round's probes leave
	round := 0.0
	for i, id := range ids {
		hold, ok := 0.0, true
		if !c.isDead(id) && !c.isOut(id) {
			hold, ok = c.gate(from, id, at)
		}
		round = max(round, hold)
		if ok {
			c.probe(from, id, &out[i])
		} else {
			c.m.counts.Probes++
			out[i] = unreachable
		}
	}
	c.held += round
}

// decisionDelay is how long the decision just made by decider v (a node,
// or the dispatcher at len(nodes)) took: its probe rounds, and with
// faults on requests the holds of its probes and its wait for the
// decider's earlier held decisions (gate.go).
func (c *cluster) decisionDelay(v int) float64 {
	d := float64(c.rounds) * 2 * c.cfg.Costs.Latency
	if c.gates {
		d = c.faults.serialize(v, c.now, d, c.held)
		c.held = 0
	}
	return d
}

// watchReply records w as the ReplyWatcher of node v (the dispatcher: v =
// Nodes), making the table on the first.
func (c *cluster) watchReply(v int, w policy.ReplyWatcher) {
	if c.replyWatch == nil {
		c.replyWatch = make([]policy.ReplyWatcher, len(c.nodes)+1)
	}
	c.replyWatch[v] = w
}

// replyWatcher returns node v's ReplyWatcher (the dispatcher's: v = Nodes),
// or nil.
func (c *cluster) replyWatcher(v int) policy.ReplyWatcher {
	if c.replyWatch == nil {
		return nil
	}
	return c.replyWatch[v]
}

// pollWatcher returns node id's PollWatcher, or nil.
func (c *cluster) pollWatcher(id policy.NodeID) policy.PollWatcher {
	if c.pollWatch == nil {
		return nil
	}
	return c.pollWatch[id]
}

// probe answers one probe of node id by node from (None: the dispatcher)
// into l and charges its CPU cost at both ends.
func (c *cluster) probe(from, id policy.NodeID, l *policy.Load) {
	if c.isDead(id) || c.isOut(id) {
		c.m.counts.Probes++
		*l = unreachable
		return
	}
	n := &c.nodes[id]
	n.advance(c.now)
	n.loadTo(l)
	c.m.counts.Probes++
	if w := c.pollWatcher(id); w != nil {
		var fl policy.Load
		if from != policy.None {
			f := &c.nodes[from]
			f.advance(c.now)
			fl = f.load()
		}
		w.Polled(c.nodeView(id), from, fl)
	}
	if c.cfg.Costs.ProbeCPU > 0 {
		c.addOverhead(id, c.cfg.Costs.ProbeCPU)
		if from != policy.None {
			c.addOverhead(from, c.cfg.Costs.ProbeCPU)
		}
	}
}

func (v *view) ProbeLater(ids []policy.NodeID) {
	c := v.c
	for _, id := range ids {
		c.schedule(event{t: c.now + c.cfg.Costs.Latency, kind: evProbe, node: int32(id), from: int32(v.self)})
	}
}

func (v *view) Jobs(out []policy.JobInfo) []policy.JobInfo {
	out = out[:0]
	if v.self == policy.None {
		return out
	}
	c := v.c
	n := &c.nodes[v.self]
	n.advance(c.now)
	c.scratch = n.list(&c.pool, c.scratch[:0])
	for i, j := range c.scratch {
		jb := &c.jobs[j]
		out = append(out, policy.JobInfo{Job: jb.Job, Running: i < int(n.nRunReal), Done: jb.Size - n.remaining(&c.pool, j, c.now), Since: jb.since})
	}
	return out
}

// snap stores a load in flight and returns its slot.
func (c *cluster) snap(l policy.Load) int32 {
	if k := len(c.free2); k > 0 {
		i := c.free2[k-1]
		c.free2 = c.free2[:k-1]
		c.snaps[i] = l
		return i
	}
	c.snaps = append(c.snaps, l)
	return int32(len(c.snaps) - 1)
}

// unsnap returns the load in slot i and frees the slot.
func (c *cluster) unsnap(i int32) policy.Load {
	c.free2 = append(c.free2, i)
	return c.snaps[i]
}

func (v *view) Send(to policy.NodeID, m policy.Message) {
	c := v.c
	c.m.counts.Messages++
	c.schedule(event{t: c.now + c.cfg.Costs.Latency, kind: evMessage, node: int32(to), from: int32(v.self), msg: m})
}

// Run simulates one point and returns what it measured.
func Run(ctx context.Context, cfg Config) (results.Result, error) {
	c, err := start(cfg)
	if err != nil {
		return results.Result{}, err
	}
	err = c.run(ctx)
	if end := c.end(); err == nil {
		err = end
	}
	if err != nil {
		return results.Result{}, err
	}
	return c.result()
}

// startPolicies starts the policies that hold something outside the
// model (an external process), each with its own view, before the run's
// first event: the dispatcher, then each node's migration policy.
func (c *cluster) startPolicies() error {
	if e, ok := c.dispatcher.(policy.Ender); ok {
		c.enders = append(c.enders, e)
		if err := e.Start(&c.dview); err != nil {
			return err
		}
	}
	for i, m := range c.migrators {
		if e, ok := m.(policy.Ender); ok {
			c.enders = append(c.enders, e)
			if err := e.Start(c.nodeView(policy.NodeID(i))); err != nil {
				return err
			}
		}
	}
	return nil
}

// end ends the policies started (startPolicies), all at once (each may
// wait for its process to exit): the first error of the dispatcher or of a
// node's migration policy, in that order, fails the run.
func (c *cluster) end() error {
	errs := make([]error, len(c.enders))
	var wg sync.WaitGroup
	for i, e := range c.enders {
		errs[i] = e.Err()
		wg.Go(func() {
			if end := e.End(); errs[i] == nil {
				errs[i] = end
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// start validates cfg and sets up its cluster, ready to run.
func start(cfg Config) (*cluster, error) {
	cfg.fillDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := newCluster(cfg)
	if len(cfg.Faults) > 0 {
		c.faultsInit()
	}
	if cfg.Units != nil {
		if err := c.unitsInit(); err != nil {
			return nil, err
		}
	}
	if cfg.WarmStart != nil {
		if err := c.warmStart(); err != nil {
			return nil, err
		}
	}
	c.boardInit()
	// last, so that no process outlives a set-up error
	if err := c.startPolicies(); err != nil {
		_ = c.end() // its error is err
		return nil, err
	}
	return c, nil
}

func newCluster(cfg Config) *cluster {
	n := cfg.Nodes
	c := &cluster{cfg: cfg, inf: math.Inf(1), nodes: make([]node, n), nh: newNodeTree(n+len(cfg.Tiers), math.Inf(1)), tiers: newTiers(cfg)}
	// The job pool starts with room for the jobs a loaded cluster holds (a
	// few a server), so that a large cluster does not copy it again and
	// again as it fills; room not used stays address space, never touched.
	hugePages(c.nodes)
	c.jobs = make([]job, 0, min(cfg.Jobs, 4*n*cfg.Servers)+64)
	hugePages(c.jobs)
	c.free = make([]int32, 0, cap(c.jobs))
	if cfg.Servers > 1 {
		c.runs = make([]int32, n*cfg.Servers) // every FCFS node's servers, in one block
	}
	for i := range c.nodes {
		s := 1.0
		if cfg.Speeds != nil {
			s = cfg.Speeds[i]
		}
		if cfg.Power != nil {
			s *= cfg.Power.Speed // the DVFS level (energy.Power)
		}
		nd := &c.nodes[i]
		*nd = node{speed: s, servers: int32(cfg.Servers), ps: cfg.Discipline == "ps" || cfg.Server != nil}
		if th := newThreads(cfg.Server, c.tiers); th != nil {
			nd.more().th, nd.threaded = th, true
		}
		if cfg.Servers > 1 {
			nd.run[0] = int32(i * cfg.Servers)
		}
		if nd.ps {
			nd.more()
		}
	}
	c.placeInit()
	c.admitInit()
	rate := cfg.Rate() // at nominal speeds: a DVFS level changes the nodes, not the offered work
	c.gen = cfg.Workload.Generator(cfg.Seed, rate)

	env := policy.NewEnv(policy.Cluster{Nodes: n, Servers: cfg.Servers, Speeds: cfg.Speeds, ClassWeights: cfg.Workload.ClassWeights(),
		ClassSizes: cfg.Workload.ClassSizes(), Distances: cfg.Distances, Units: cfg.Units, Platforms: cfg.Platforms, Tasks: cfg.Workload.Tasks(),
		Regions: c.reach, Sites: c.sites, Energy: cfg.policyEnergy()})
	c.dispatcher = cfg.Dispatch.New(env)
	c.idleWatch, _ = c.dispatcher.(policy.IdleWatcher)
	c.doneWatch, _ = c.dispatcher.(policy.DoneWatcher)
	c.late, _ = c.dispatcher.(policy.Reserver)
	env.Node = 0
	first := cfg.Migrate.New(env)
	if c.inert = policy.Inert(first); c.inert {
		// It never acts and holds nothing of a node's: one instance
		// serves every node, and the nodes' views are made if ever asked
		// for. A million nodes save 40 bytes each.
		c.inertMig = first
	} else {
		c.migrators = make([]policy.Migrator, n)
		c.makeViews()
		for i := 0; i < n; i++ {
			if i > 0 {
				env.Node = policy.NodeID(i)
				first = cfg.Migrate.New(env)
			}
			c.migrators[i] = first
			if w, ok := first.(policy.ReplyWatcher); ok {
				c.watchReply(i, w)
			}
			if w, ok := first.(policy.PollWatcher); ok {
				if c.pollWatch == nil {
					c.pollWatch = make([]policy.PollWatcher, n)
				}
				c.pollWatch[i] = w
			}
		}
	}
	c.dview = view{c: c, self: policy.None, rng: workload.Stream(cfg.Seed, "dispatch")}
	if w, ok := c.dispatcher.(policy.ReplyWatcher); ok {
		c.watchReply(n, w)
	}
	if cfg.Gossip > 0 {
		c.board, c.boardAt = make([]policy.Load, n), make([]float64, n)
		c.publish()
		switch cfg.GossipMode {
		case GossipIndividual:
			c.gossipRand = workload.Stream(cfg.Seed, "gossip")
			for i := 0; i < n; i++ {
				c.schedule(event{t: c.gossipRand.ExpFloat64() * cfg.Gossip, kind: evGossip, node: int32(i)})
			}
		case GossipDelayed:
			// every load change is published as it happens, seen Gossip later
		default:
			c.schedule(event{t: cfg.Gossip, kind: evGossip, node: -1})
		}
	}
	if cfg.Client != nil || cfg.Workload.Tasks() > 1 || c.late != nil {
		c.reqs = newRequests(cfg)
	}
	c.fronts = newFronts(cfg)
	if cfg.Cache != nil {
		c.keyCaches = make([]cache.Cache, n)
		for i := range c.keyCaches {
			c.keyCaches[i] = cfg.Cache.New()
		}
		c.hitRand = workload.Stream(cfg.Seed, "hit")
	}
	if cfg.State != nil {
		clients, _ := cfg.Workload.Keys()
		c.sessions = cfg.State.NewStore(n, clients)
	}
	c.plain = c.reqs == nil && c.fronts == nil
	c.m.init(cfg)
	c.sleepInit()
	c.usersInit()
	c.elasticInit()
	return c
}

// firstAdmit applies what job j's key meets at node id, where it is
// admitted first (a transferred job or an overhead job does not): the
// node's cache, where a hit takes its size from the workload's hit
// distribution, and then its client's state, whose cost is work added to
// the job.
func (c *cluster) firstAdmit(id policy.NodeID, j int32) {
	jb := &c.jobs[j]
	if jb.overhead || jb.Hops > 0 {
		return
	}
	if c.keyCaches != nil {
		hit := c.keyCaches[id].Request(jb.Key)
		c.m.led.Lookup(jb.ID, hit)
		if hit {
			jb.Size = c.cfg.Workload.Hit().Rand(c.hitRand)
			jb.left = jb.Size
		}
	}
	if c.sessions != nil {
		o, cost := c.sessions.Serve(int32(id), jb.Key)
		c.m.led.State(jb.ID, o)
		jb.Size += cost
		jb.left += cost
	}
}

// makeViews makes every node's view.
func (c *cluster) makeViews() {
	c.views = make([]view, len(c.nodes))
	for i := range c.views {
		c.views[i] = view{c: c, self: policy.NodeID(i)}
	}
}

// nodeView is node id's view.
func (c *cluster) nodeView(id policy.NodeID) *view {
	if c.views == nil {
		c.makeViews()
	}
	return &c.views[id]
}

// viewOf is node v's view, or the dispatcher's for v = Nodes.
func (c *cluster) viewOf(v int) *view {
	if v == len(c.nodes) {
		return &c.dview
	}
	return c.nodeView(policy.NodeID(v))
}

// migrator is node id's migration policy.
func (c *cluster) migrator(id policy.NodeID) policy.Migrator {
	if c.migrators == nil {
		return c.inertMig
	}
	return c.migrators[id]
}

func (c *cluster) schedule(e event) {
	c.seq++
	e.seq = c.seq
	c.ev.push(e)
}

// publish copies every node's load to the gossip board.
func (c *cluster) publish() {
	for i := range c.nodes {
		c.nodes[i].advance(c.now)
		c.setBoard(int32(i), c.nodes[i].load(), c.now)
	}
}

// setBoard makes l, published at time at, node id's entry on the board,
// and posts it to the board's index, if there is one.
func (c *cluster) setBoard(id int32, l policy.Load, at float64) {
	c.board[id], c.boardAt[id] = l, at
	if c.boardWatch != nil {
		c.boardWatch.Posted(policy.NodeID(id), l)
	}
}

// boardInit posts the board to a dispatcher that keeps an index of it
// (policy.BoardWatcher) where the simulator sees every change of what
// Gossip reports: on a fixed cluster without evacuations (an elastic
// cluster's or an evacuation's nodes out of service read as unreachable
// without a change of their own). Elsewhere the dispatcher is never posted
// and reads the board.
func (c *cluster) boardInit() {
	w, ok := c.dispatcher.(policy.BoardWatcher)
	if !ok || c.el != nil || (c.faults != nil && c.faults.out != nil) {
		return
	}
	c.boardWatch = w
	for i := range c.nodes {
		c.post(int32(i))
	}
}

// post tells the board's index node id's entry, as Gossip reports it now.
func (c *cluster) post(id int32) {
	if c.board != nil {
		c.boardWatch.Posted(policy.NodeID(id), c.board[id])
		return
	}
	n := &c.nodes[id]
	n.advance(c.now)
	c.boardWatch.Posted(policy.NodeID(id), n.load())
}

// changed is called after node id's load changed; in the delayed gossip
// mode the new load is published and seen Gossip later.
func (c *cluster) changed(id policy.NodeID) {
	if c.board != nil && c.cfg.GossipMode == GossipDelayed { // small enough to be inlined where nothing is published
		c.publishLater(id)
	}
}

// publishLater schedules the publication of node id's load, as it is now,
// after the gossip delay.
func (c *cluster) publishLater(id policy.NodeID) {
	n := &c.nodes[id]
	n.advance(c.now)
	c.schedule(event{t: c.now + c.cfg.Gossip, kind: evPublish, node: int32(id), job: c.snap(n.load()), msg: policy.Message{Value: c.now}})
}

// newJob takes a slot from the pool.
func (c *cluster) newJob() int32 {
	if k := len(c.free); k > 0 {
		j := c.free[k-1]
		c.free = c.free[:k-1]
		return j
	}
	c.jobs = append(c.jobs, job{})
	return int32(len(c.jobs) - 1)
}

func (c *cluster) run(ctx context.Context) error {
	total := int64(c.cfg.Jobs)
	c.next = -1
	if c.users != nil && !c.cfg.Workload.Open() {
		c.nextAt = c.inf // closed users issue every request (closed.go)
	} else {
		c.arrive() // draws the first job
	}
	for iter := 0; c.done+c.failed < total; iter++ {
		if iter&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		// An external policy's failure stops the run at once: each of the
		// other nodes' processes could otherwise use up its timeout first.
		// A check costs nothing beside a process's round trip.
		for _, e := range c.enders {
			if err := e.Err(); err != nil {
				return err
			}
		}
		ta := c.inf
		if c.issued < total || c.moreTasks {
			ta = c.nextAt
		}
		te := c.inf
		if c.ev.len() > 0 {
			te = c.ev.ev[0].t
		}
		nid, tn := c.nh.top()
		switch {
		case ta <= te && ta <= tn && ta < c.inf:
			c.now = ta
			c.arrive()
		case te <= tn && te < c.inf:
			e := c.ev.pop()
			c.now = e.t
			if err := c.handle(e); err != nil {
				return err
			}
		case tn < c.inf:
			c.now = tn
			if err := c.depart(nid); err != nil {
				return err
			}
		default:
			return fmt.Errorf("simulation stalled at t=%g: %d of %d jobs issued, %d done, none in progress: a policy lost jobs", c.now, c.issued, total, c.done)
		}
		if c.admit != nil && len(c.admit.shed) > 0 {
			c.failShed()
		}
		c.m.events++
	}
	return nil
}

// arrive issues the job drawn last (slot c.next) and dispatches it, and
// draws the next.
func (c *cluster) arrive() {
	j := c.next
	// Draw the next job to arrive into a slot of its own (written out
	// here: a call costs the plain path 15 instructions a job).
	c.next = c.newJob()
	jb := &c.jobs[c.next]
	*jb = job{}
	c.gen.Fill(&jb.Job.Job)
	jb.left = jb.Size
	c.nextAt = jb.Arrival
	c.moreTasks = jb.Task > 0
	if j < 0 {
		return // run's first call: it only draws
	}
	if !c.plain {
		if c.reqs != nil {
			c.arriveRequest(j)
			return
		}
		c.issued++
		c.m.arrival(c, &c.jobs[j].Job.Job)
		c.frontArrive(j)
		return
	}
	if c.users != nil {
		c.jobs[j].ID = c.issued // one sequence of IDs, in arrival order, for the open stream and the users
	}
	c.issued++
	c.m.arrival(c, &c.jobs[j].Job.Job)
	c.place(j)
}

// place dispatches job j (a job, or a copy or task of a request).
func (c *cluster) place(j int32) {
	c.rounds = 0
	// Pick may add overhead jobs, which can move c.jobs: index, never keep pointers.
	target := c.dispatcher.Pick(&c.dview, &c.jobs[j].Job)
	if target < 0 || int(target) >= len(c.nodes) {
		target = 0 // the conformance tests reject such a policy; keep the job rather than lose it
		c.m.badDecisions++
	}
	if c.cfg.Units != nil {
		target = c.placed(target, j)
	}
	c.jobs[j].Origin = target
	delay := c.decisionDelay(len(c.nodes)) + c.cfg.Costs.Dispatch
	delay += c.far(j, target)
	if delay > 0 {
		c.schedule(event{t: c.now + delay, kind: evDeliver, node: int32(target), job: j})
		return
	}
	c.deliver(target, j)
}

// deliver hands job j to node id's migration policy and carries out its
// decision.
func (c *cluster) deliver(id policy.NodeID, j int32) {
	if c.gates && !c.passes(id, j) {
		return // held or refused (gate.go)
	}
	if c.inert && c.jobs[j].Hops == 0 {
		c.enqueue(id, j) // what the policy would say: keep it
		return
	}
	if c.isDead(id) {
		c.bounce(id, j)
		return
	}
	if c.isOut(id) && c.forward(id, j) {
		return
	}
	if c.gates && c.faults.busyTill[id] > c.now {
		// The node is still making a decision whose probes a fault holds:
		// an agent decides on this job once that one ends, on what it sees
		// then, and the job waits outside the queue until it does.
		c.jobs[j].passed = true
		c.schedule(event{t: c.faults.busyTill[id], kind: evDeliver, node: int32(id), job: j})
		return
	}
	n := &c.nodes[id]
	n.advance(c.now)
	if c.jobs[j].Hops > 0 && c.cfg.Costs.ReceiveCPU > 0 {
		c.addOverhead(id, c.cfg.Costs.ReceiveCPU)
	}
	c.rounds = 0
	a := c.migrator(id).Arrived(c.nodeView(id), &c.jobs[j].Job)
	delay := c.decisionDelay(int(id))
	c.setWake(id, a.Wake)
	if a.Verb == policy.Transfer && a.Node != id && a.Node >= 0 && int(a.Node) < len(c.nodes) && c.jobs[j].Hops == 0 {
		if c.cfg.Units == nil {
			c.transfer(id, a.Node, j, delay, false)
			return
		}
		if c.moveUnit(id, a.Node, j, delay, false) {
			return
		}
		// refused: the job stays here
	} else if a.Verb != policy.Keep {
		c.carry(id, a, delay)
	}
	if delay > 0 {
		c.schedule(event{t: c.now + delay, kind: evEnqueue, node: int32(id), job: j})
		return
	}
	c.enqueue(id, j)
}

func (c *cluster) enqueue(id policy.NodeID, j int32) {
	if c.isDead(id) {
		c.bounce(id, j)
		return
	}
	if c.isOut(id) && !c.jobs[j].overhead && c.forward(id, j) {
		return
	}
	n := &c.nodes[id]
	if c.cfg.Queue > 0 && int(n.nReal) >= c.cfg.Queue && !c.jobs[j].overhead {
		c.failJob(j, scenario.ShedReason, id) // a finite queue drops at its tail
		return
	}
	if n.admission() != nil && !c.jobs[j].overhead && !n.admits(c.jobs, c.now) {
		c.failJob(j, c.admit.reason, id) // its admission policy drops it
		return
	}
	n.advance(c.now)
	if c.dozing != nil {
		c.rouse(id)
	}
	c.jobs[j].since = c.now
	if c.cfg.Units != nil {
		c.settle(id, j)
		c.atHome(id, j)
	}
	if c.keyCaches != nil || c.sessions != nil {
		c.firstAdmit(id, j)
	}
	if n.admit(&c.pool, j, c.now) {
		c.threadsChanged(n)
	}
	c.occupied(int32(id), n)
	c.nh.set(int32(id), n.nextCompletion(&c.pool))
	if !c.jobs[j].overhead {
		c.changed(id)
	}
}

// transfer sends job j from node from to node to after delay; preempted
// says it was running (strong mobility), which costs PreemptCPU more.
func (c *cluster) transfer(from, to policy.NodeID, j int32, delay float64, preempted bool) {
	c.jobs[j].Hops++
	c.jobs[j].sender = from
	c.m.counts.Migrations++
	c.m.counts.Bytes += c.cfg.Costs.JobBytes
	cpu := c.cfg.Costs.TransferCPU
	if preempted {
		c.m.counts.Preemptions++
		cpu += c.cfg.Costs.PreemptCPU
	}
	if cpu > 0 {
		c.addOverhead(from, cpu)
	}
	l := c.linkOf(from, to)
	t := c.now + delay + l.Latency
	if wire := l.Transmit(c.cfg.Costs.JobBytes); wire > 0 {
		t += wire + c.linkWait(from, to, c.now+delay, wire)
	}
	if t == c.now {
		c.deliver(to, j)
		return
	}
	c.schedule(event{t: t, kind: evDeliver, node: int32(to), job: j})
}

// carry carries out a Request or Push of node id after delay (the
// decision's probe rounds). Anything else (a Transfer outside Arrived, a
// target out of range or itself, a job that is not there) is counted as
// an invalid decision, which fails the run.
func (c *cluster) carry(id policy.NodeID, a policy.Action, delay float64) {
	if a.Node == id || a.Node < 0 || int(a.Node) >= len(c.nodes) {
		c.m.badDecisions++
		return
	}
	switch a.Verb {
	case policy.Request:
		c.m.counts.Messages++
		c.schedule(event{t: c.now + delay + c.cfg.Costs.Latency, kind: evRequest, node: int32(a.Node), from: int32(id)})
	case policy.Push:
		n := &c.nodes[id]
		n.advance(c.now)
		c.scratch = n.list(&c.pool, c.scratch[:0])
		if a.Job < 0 || a.Job >= len(c.scratch) {
			c.m.badDecisions++
			return
		}
		c.handOver(id, a.Node, c.scratch[a.Job:a.Job+1], delay)
	default:
		c.m.badDecisions++
	}
}

// handOver takes the jobs in slots (present at node from) and transfers
// them to node to.
func (c *cluster) handOver(from, to policy.NodeID, slots []int32, delay float64) {
	n := &c.nodes[from]
	for _, j := range slots {
		if c.cfg.Units != nil {
			c.moveUnit(from, to, j, delay, true)
			continue
		}
		running := n.take(&c.pool, j, c.now)
		c.occupied(int32(from), n)
		c.transfer(from, to, j, delay, running)
	}
	c.nh.set(int32(from), n.nextCompletion(&c.pool))
	c.changed(from)
}

// act carries out an action returned outside Arrived (no job to transfer).
func (c *cluster) act(id policy.NodeID, a policy.Action) {
	if a.Wake > 0 || a.Verb != policy.Keep { // small enough to be inlined where most actions are a plain Keep
		c.apply(id, a)
	}
}

func (c *cluster) apply(id policy.NodeID, a policy.Action) {
	delay := c.decisionDelay(int(id))
	c.setWake(id, a.Wake)
	if a.Verb != policy.Keep {
		c.carry(id, a, delay)
	}
}

func (c *cluster) setWake(id policy.NodeID, t float64) {
	if t > 0 { // small enough to be inlined: most decisions set no timer
		c.wakeAt(id, t)
	}
}

// wakeAt sets node id's policy timer to t (or now, if t is past).
func (c *cluster) wakeAt(id policy.NodeID, t float64) {
	if t < c.now {
		t = c.now
	}
	if c.wakeSeq == nil {
		c.wakeSeq = make([]uint64, len(c.nodes))
	}
	c.seq++
	c.wakeSeq[id] = c.seq
	c.ev.push(event{t: t, seq: c.seq, kind: evWake, node: int32(id)})
}

// addOverhead makes node id spend cpu time on load-distribution work.
func (c *cluster) addOverhead(id policy.NodeID, cpu float64) {
	j := c.newJob()
	c.jobs[j] = job{Job: policy.Job{Job: workload.Job{ID: -1, Size: cpu}}, left: cpu, overhead: true}
	c.m.overhead += cpu
	c.enqueue(id, j)
}

func (c *cluster) handle(e event) error {
	id := policy.NodeID(e.node)
	if (c.isDead(id) || c.isOut(id)) && (e.kind == evRequest || e.kind == evMessage || e.kind == evWake || e.kind == evReply) {
		return nil // a dead node does nothing, nor one out of service (its timer fires when it comes back)
	}
	switch e.kind {
	case evFault:
		c.fault(e.job, e.from == 1)
	case evDeliver:
		if e.from == gateRefused {
			c.gateJob(id, e.job, gateRefused)
		} else {
			c.deliver(id, e.job)
		}
	case evFront:
		c.frontDone(int(e.node))
	case evUser:
		c.userArrive(e.job)
	case evScale:
		c.scaleEvent(e)
	case evDoze:
		c.dozeTimer(e.node, e.job)
	case evAwake:
		c.awake(id)
	case evCall:
		c.callArrive(e.job)
	case evAnswer:
		c.callBack(e.job)
	case evEnqueue:
		c.enqueue(id, e.job)
	case evRequest:
		if c.gates && !c.passGate(e) {
			return nil
		}
		c.rounds = 0
		n := &c.nodes[id]
		n.advance(c.now)
		first, k := c.migrator(id).Requested(c.nodeView(id), policy.NodeID(e.from))
		if k == 0 {
			return nil
		}
		c.scratch = n.list(&c.pool, c.scratch[:0])
		if first < 0 || k < 0 || first+k > len(c.scratch) {
			return fmt.Errorf("node %d: policy %s handed over jobs %d..%d of %d present", id, c.cfg.Migrate, first, first+k-1, len(c.scratch))
		}
		c.handOver(id, policy.NodeID(e.from), c.scratch[first:first+k], 0)
	case evMessage:
		if c.gates && !c.passGate(e) {
			return nil
		}
		c.rounds = 0
		c.act(id, c.migrator(id).Message(c.nodeView(id), policy.NodeID(e.from), e.msg))
	case evWake:
		if c.wakeSeq[id] != e.seq {
			return nil // replaced by a later wake-up
		}
		c.rounds = 0
		c.act(id, c.migrator(id).Timer(c.nodeView(id)))
	case evGossip:
		if e.node < 0 {
			c.publish()
			c.schedule(event{t: c.now + c.cfg.Gossip, kind: evGossip, node: -1})
			break
		}
		n := &c.nodes[id]
		n.advance(c.now)
		c.setBoard(e.node, n.load(), c.now)
		c.schedule(event{t: c.now + c.gossipRand.ExpFloat64()*c.cfg.Gossip, kind: evGossip, node: e.node})
	case evStop:
		c.stop(id, policy.NodeID(e.from), e.job, int64(e.msg.Value))
	case evCancel, evHedge, evTimeout, evRetry:
		c.requestEvent(e)
	case evPublish:
		c.setBoard(e.node, c.unsnap(e.job), e.msg.Value)
	case evProbe:
		l := unreachable
		if !c.gates || c.isDead(id) || c.isOut(id) {
			c.probe(policy.NodeID(e.from), id, &l)
		} else if ok, now := c.gateEvent(e); !now {
			return nil
		} else if ok {
			c.probe(policy.NodeID(e.from), id, &l)
		} else {
			c.m.counts.Probes++
		}
		c.schedule(event{t: c.now + c.cfg.Costs.Latency, kind: evReply, node: e.from, from: e.node, job: c.snap(l)})
	case evReply:
		l := c.unsnap(e.job)
		v := len(c.nodes)
		if e.node >= 0 {
			v = int(e.node)
		}
		if w := c.replyWatcher(v); w != nil {
			c.rounds = 0
			w.Replied(c.viewOf(v), policy.NodeID(e.from), l)
		}
	}
	return nil
}

// depart completes the next job of node id, or the next call of a tier
// (an id past the nodes).
func (c *cluster) depart(id int32) error {
	if int(id) >= len(c.nodes) {
		c.tierDone(int(id) - len(c.nodes))
		return nil
	}
	n := &c.nodes[id]
	n.advance(c.now)
	var j int32
	blocked := 0.0 // only jobs on server architectures have waits
	if n.threaded {
		if j = n.stepThreads(&c.pool, c.now); j < 0 {
			c.threadsChanged(n)
			c.occupied(id, n)
			c.nh.set(id, n.nextCompletion(&c.pool))
			if th := n.x.th; th.calling >= 0 {
				c.call(th.calling)
				th.calling = -1
			}
			return nil
		}
		c.threadsChanged(n)
		blocked = c.jobs[j].Blocked()
	} else {
		j = n.complete(&c.pool, n.finishing(&c.pool), c.now)
	}
	c.occupied(id, n)
	c.nh.set(id, n.nextCompletion(&c.pool))
	jb := &c.jobs[j]
	jb.migrating = false // a pre-copy under way is abandoned: its stop finds nothing to do
	overhead := jb.overhead
	if !overhead && jb.ID == initialID {
		c.m.led.Resident(c.now, -1) // a warm start's job (warmstart.go): not issued, not measured
	} else if !overhead {
		if c.plain {
			c.done++
			c.m.led.Complete(c.now, jb.ID, jb.Arrival, jb.Size/n.speed, blocked, jb.Size)
			if c.users != nil {
				c.userDone(jb.ID)
			}
		} else if c.fronts != nil {
			c.frontBack(j, jb.Size/n.speed, blocked)
		} else if jb.reserve {
			c.bind(id, n, j)
			return nil
		} else {
			c.copyDone(j, n.speed, blocked)
		}
		if c.doneWatch != nil {
			c.rounds = 0
			c.doneWatch.Done(&c.dview, &jb.Job)
		}
	}
	c.free = append(c.free, j)
	if overhead {
		return nil
	}
	c.changed(policy.NodeID(id))
	if c.el != nil {
		c.drained(policy.NodeID(id))
	}
	out := c.isOut(policy.NodeID(id))
	if !c.inert && !out {
		c.rounds = 0
		c.act(policy.NodeID(id), c.migrator(policy.NodeID(id)).Departed(c.nodeView(policy.NodeID(id))))
	}
	if c.idleWatch != nil && n.idle() && !out {
		c.idleWatch.Idle(&c.dview, policy.NodeID(id))
	}
	return nil
}
