package node

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/serf/serf"

	"github.com/loadlab/loadlab/ledger"
	"github.com/loadlab/loadlab/node/gossip"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/scenario"
)

// An elastic cluster on agents (scenario.Model.Elastic, .Scale; package
// scale), run by RunLocal, which starts and stops the agents itself: the
// simulator's plan with real members. Model.Nodes are the slots, agent
// names agent-0000… in slot order. RunLocal starts the agents in service
// at the start; the coordinator carries out the schedule and the
// autoscaler on the model clock (elasticRun):
//
//   - adding a slot starts a new agent, its own serf member joining the
//     cluster; the coordinator waits until serf lists it alive, configures
//     it for the point and waits for its load to arrive through serf
//     (joined). It takes work from the start-up time after the addition or
//     from joining, whichever is later; Result.JoinTime is the mean time
//     measured from the addition to joined;
//   - removing a slot takes it out of the dispatchers' view at once; it
//     finishes what it holds (draining), then its agent leaves serf
//     gracefully and stops. A graceful leave fails no job: the watcher
//     looks only at agents in service or draining, and fails a slot's
//     jobs only if its agent does not answer either (coordinator.answers:
//     serf can list a slot's new agent failed on news of the earlier one,
//     which had its name).
//
// The nodes present (asked for, joined, draining or leaving) are fed to
// the ledger as the simulator feeds it, with the real times: from the
// addition to the end of the agent's serf leave. The dispatchers'
// View.Nodes is the nodes in service at the bottom of the slots, as in the
// simulator; a job a strategy sends out of service goes to the least
// loaded node in service (Result.RedirectedJobs).
//
// Not run yet on agents, refused by CheckElastic: a drain that hands its
// waiting jobs over (rows with a migration policy), faults, front ends,
// clients and requests with tasks, and topologies; work units are refused
// by PointConfig's checks, and testbeds by RunTestbed (their agents are
// their user's to start).

// slot is an elastic slot's state.
type slot uint8

const (
	slotOff      slot = iota
	slotStarting      // asked for: its agent starts, joins, or waits out the start-up time
	slotIn            // in service
	slotDraining      // out of service, finishing what it holds
	slotLeaving       // drained: its agent leaves serf and stops
)

// elastic is a point's members on agents. Its mutex guards every field
// but deciding.
type elastic struct {
	mu      sync.Mutex
	state   []slot
	gen     []int     // each slot's additions, so that a start cancelled is told from a new one
	asked   []float64 // model time (from the arrivals' origin) each starting slot was asked for
	joined  []bool    // a starting slot's agent is found, configured and its load arrived
	visible int       // slots 0…visible−1 are in service: what the dispatchers see
	present int
	steps   []ledger.MemberStep
	joins   []float64       // measured: model units from each addition to its agent joined
	lives   [][]AgentStats  // each slot's counters from agents that left, in order
	seen    int             // agents serf listed alive at the last look
	err     error           // the first start or stop that failed
	wg      sync.WaitGroup  // starts and stops in flight
	last    []chan struct{} // each slot's last start or stop launched, closed when it is over: they run one at a time, in order

	deciding atomic.Int64 // dispatch decisions made and not yet in the book (a drain waits for them)

	scaler  policy.Scaler
	busy    float64 // sampled busy servers summed since the last decision
	samples int
}

// CheckElastic refuses, with the setting to change, what agents do not
// run of an elastic point yet; nil for a fixed cluster.
func CheckElastic(m scenario.Model) error {
	if !m.IsElastic() {
		return nil
	}
	const what = "elastic: on agents, nodes joining and leaving run"
	switch {
	case m.Migrate != nil && m.Migrate.String() != "none":
		return fmt.Errorf("%s with migration none only so far (a draining agent does not hand its waiting jobs over yet; migrate %s): use backend sim or migrate none", what, m.Migrate)
	case len(m.Faults) > 0:
		return fmt.Errorf("%s without faults only so far: use backend sim", what)
	case m.Front != nil:
		return fmt.Errorf("%s without a front end only so far: use backend sim", what)
	case m.Client != nil || (m.Workload != nil && m.Workload.Tasks() > 1):
		return fmt.Errorf("%s with plain jobs only so far (no client policy, no requests with tasks): use backend sim", what)
	case m.Topology != nil:
		return fmt.Errorf("%s without a topology only so far: use backend sim", what)
	}
	return nil
}

// newElastic sets up the members of a point with start nodes in service
// out of slots.
func newElastic(c *PointConfig) *elastic {
	n := c.Nodes
	start := n
	if c.Elastic != nil {
		start = c.Elastic.Start(n)
	}
	el := &elastic{state: make([]slot, n), gen: make([]int, n), asked: make([]float64, n), joined: make([]bool, n), lives: make([][]AgentStats, n), last: make([]chan struct{}, n),
		visible: start, present: start, steps: []ledger.MemberStep{{T: 0, N: start}}}
	for i := range start {
		el.state[i], el.joined[i] = slotIn, true
	}
	if c.Scale != nil {
		el.scaler = c.Scale.New()
	}
	return el
}

// slotName is the name of slot i's agent.
func slotName(i int) string { return fmt.Sprintf("agent-%04d", i) }

// watched says whether the watcher should fail slot i's jobs if serf
// finds its agent gone: it is in service or draining, not leaving on
// purpose. Called with el.mu held.
func (el *elastic) watched(i int) bool { return el.state[i] == slotIn || el.state[i] == slotDraining }

// elasticRun carries out the plan's steps and the autoscaler's decisions
// at their model times from the arrivals' origin offset, puts joined
// slots in service and lets drained ones leave, until ctx ends; it then
// waits for the starts and stops in flight.
func (co *coordinator) elasticRun(ctx context.Context, offset float64) {
	el := co.el
	defer el.wg.Wait()
	var steps []scaleStep
	startup := 0.0
	if p := co.cfg.Elastic; p != nil {
		startup = p.Startup
		for _, s := range p.Schedule {
			steps = append(steps, scaleStep{at: s.At, delta: s.Delta()})
		}
	}
	next, decide := 0, 0.0
	if el.scaler != nil {
		decide = el.scaler.Period()
	}
	tick := time.NewTicker(co.cfg.TimeUnit / 4)
	defer tick.Stop()
	for {
		now := co.clock.now() - offset
		for next < len(steps) && steps[next].at <= now {
			co.resize(ctx, steps[next].delta, now)
			next++
		}
		if el.scaler != nil {
			co.sampleBusy()
			if now >= decide {
				co.resize(ctx, el.scaler.Scale(co.membersNow(now)), now)
				decide += el.scaler.Period()
			}
		}
		co.settle(now, startup)
		co.observe()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

type scaleStep struct {
	at    float64
	delta int
}

// resize adds delta slots (> 0) or removes −delta (< 0) at model time
// now, within the slots and keeping one in service, as the simulator
// does: adding takes the lowest slots not in service (a draining one
// comes back at once, an off or leaving one starts a new agent), removing
// the highest (a starting one is cancelled, one in service drains).
func (co *coordinator) resize(ctx context.Context, delta int, now float64) {
	el := co.el
	el.mu.Lock()
	defer el.mu.Unlock()
	for i := 0; delta > 0 && i < len(el.state); i++ {
		switch el.state[i] {
		case slotDraining:
			el.state[i] = slotIn
			delta--
		case slotOff, slotLeaving: // a leaving slot's new agent starts when the old one is gone
			el.member(now, +1)
			el.state[i], el.joined[i], el.asked[i] = slotStarting, false, now
			el.gen[i]++
			co.startSlot(ctx, i, el.gen[i])
			delta--
		}
	}
	for i := len(el.state) - 1; delta < 0 && i > 0; i-- {
		switch el.state[i] {
		case slotStarting:
			el.state[i] = slotLeaving
			el.gen[i]++
			if el.joined[i] { // else its start stops the agent it started
				co.stopSlot(i, true)
			}
			delta++
		case slotIn:
			el.state[i] = slotDraining
			delta++
		}
	}
	co.reveal()
}

// member records at model time now that delta more slots are present.
// Called with el.mu held.
func (el *elastic) member(now float64, delta int) {
	el.present += delta
	el.steps = append(el.steps, ledger.MemberStep{T: now, N: el.present})
}

// reveal recomputes the slots in service at the bottom and gives their
// number to the dispatchers. Called with el.mu held.
func (co *coordinator) reveal() {
	el := co.el
	v := 0
	for v < len(el.state) && el.state[v] == slotIn {
		v++
	}
	if v == el.visible {
		return
	}
	was := el.visible
	el.visible = v
	for k, d := range co.disps {
		d.mu.Lock()
		d.view.nodes = v
		for id := was; id < v; id++ { // a node that joins announces itself idle (jiq)
			if d.idle != nil && id%len(co.disps) == k {
				d.view.begin()
				d.idle.Idle(d.view, policy.NodeID(id))
			}
		}
		d.mu.Unlock()
	}
}

// startSlot starts slot i's agent (addition gen) in its own goroutine:
// once the slot's earlier start or stop is over, it starts the agent,
// waits until serf lists it alive, configures it and waits for its load.
// A start cancelled meanwhile stops the agent again. Called with el.mu
// held.
func (co *coordinator) startSlot(ctx context.Context, i, gen int) {
	el := co.el
	el.turn(i, func() {
		el.mu.Lock()
		current := el.gen[i] == gen && el.state[i] == slotStarting
		el.mu.Unlock()
		if !current || ctx.Err() != nil { // cancelled before its agent started
			co.stopNow(i, false)
			return
		}
		begin := co.clock.now()
		rpc, err := co.cfg.startAgent(i)
		if err == nil {
			err = co.join(ctx, i, rpc)
		}
		el.mu.Lock()
		stop := false
		switch {
		case err != nil && ctx.Err() == nil:
			if el.err == nil {
				el.err = fmt.Errorf("elastic: starting agent %s: %w", slotName(i), err)
			}
			if el.gen[i] == gen {
				el.state[i] = slotLeaving
			}
			stop = true
		case err != nil: // the point is over
		case el.gen[i] != gen || el.state[i] != slotStarting: // cancelled while starting
			stop = true
		default:
			el.joined[i] = true
			el.joins = append(el.joins, co.clock.now()-begin)
		}
		el.mu.Unlock()
		if stop {
			co.stopNow(i, false)
		}
	})
}

// join waits until serf lists slot i's agent, the one listening at rpc,
// alive, configures it for the point and waits for its load to arrive
// through serf. The slot's earlier agent, which had the same name, is
// not taken for it: news of its leave can reach this member late.
func (co *coordinator) join(ctx context.Context, i int, rpc string) error {
	this := func() (gossip.Member, bool) {
		m, ok := co.view.peers.get(policy.NodeID(i))
		return m, ok && m.Tags[tagRPC] == rpc
	}
	for {
		if _, ok := this(); ok {
			break
		}
		if err := sleepCtx(ctx, 5*time.Millisecond); err != nil {
			return err
		}
	}
	if _, err := co.ctl.call(ctx, i, control{Op: opConfigure, Setup: co.setup(i)}); err != nil {
		return err
	}
	for {
		if m, ok := this(); ok && m.HasLoad {
			return nil
		}
		if err := sleepCtx(ctx, 5*time.Millisecond); err != nil {
			return err
		}
	}
}

// settle puts in service the starting slots that have joined and whose
// start-up time is over, and lets the draining slots that hold no job
// leave.
func (co *coordinator) settle(now, startup float64) {
	el := co.el
	el.mu.Lock()
	defer el.mu.Unlock()
	changed := false
	for i, s := range el.state {
		switch {
		case s == slotStarting && el.joined[i] && now >= el.asked[i]+startup:
			el.state[i], changed = slotIn, true
		case s == slotDraining && el.deciding.Load() == 0 && co.book.holding(i) == 0:
			el.state[i] = slotLeaving
			co.stopSlot(i, true)
		}
	}
	if changed {
		co.reveal()
	}
}

// stopSlot stops slot i's agent in its own goroutine (stopNow), once
// the slot's earlier start or stop is over. Called with el.mu held.
func (co *coordinator) stopSlot(i int, collect bool) {
	co.el.turn(i, func() { co.stopNow(i, collect) })
}

// turn runs f, a start or stop of slot i, in its own goroutine once the
// slot's start or stop queued before is over: they run one at a time, in
// the order queued. Called with el.mu held.
func (el *elastic) turn(i int, f func()) {
	prev, done := el.last[i], make(chan struct{})
	el.last[i] = done
	el.wg.Go(func() {
		defer close(done)
		if prev != nil {
			<-prev
		}
		f()
	})
}

// stopNow stops slot i's agent, if it runs, gracefully: first its
// counters (if collect; Close then ends its point, and a drained agent
// fails no job doing so), then it leaves serf and stops. The slot is no
// longer present from then, and off if nothing started it again. Called
// as slot i's turn.
func (co *coordinator) stopNow(i int, collect bool) {
	el := co.el
	if collect {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		reply, err := co.ctl.call(ctx, i, control{Op: opStats})
		cancel()
		el.mu.Lock()
		if err == nil && reply.Stats != nil {
			el.lives[i] = append(el.lives[i], *reply.Stats)
		}
		el.mu.Unlock()
	}
	err := co.cfg.stopAgent(i)
	co.left(slotName(i))
	el.mu.Lock()
	defer el.mu.Unlock()
	if err != nil && !errors.Is(err, context.Canceled) && el.err == nil {
		el.err = fmt.Errorf("elastic: stopping agent %s: %w", slotName(i), err)
	}
	el.member(co.clock.now()-co.book.origin(), -1)
	if el.state[i] == slotLeaving {
		el.state[i] = slotOff
	}
}

// left waits, up to leaveWait, until this member's serf no longer lists
// the agent named name alive: its leave has reached the coordinator, so
// the slot's next agent, which takes the same name, is not mistaken for
// it, nor the old one's leave for the new one's (the watcher would fail
// the new agent's jobs as gone).
func (co *coordinator) left(name string) {
	deadline := time.Now().Add(leaveWait)
	for time.Now().Before(deadline) {
		if m, ok := co.g.Member(name); !ok || m.Status != serf.StatusAlive {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// leaveWait bounds how long a stop waits for its agent's leave to reach
// the coordinator; serf's own leave propagation waits up to 5 s.
const leaveWait = 10 * time.Second

// observe counts the agents serf lists alive, for tests (onMembers).
func (co *coordinator) observe() {
	if co.cfg.onMembers == nil {
		return
	}
	n := 0
	for _, m := range co.g.Members() {
		if m.Tags[tagRole] == "agent" && m.Status == serf.StatusAlive {
			n++
		}
	}
	el := co.el
	el.mu.Lock()
	changed := n != el.seen
	el.seen = n
	el.mu.Unlock()
	if changed {
		co.cfg.onMembers(n)
	}
}

// sampleBusy adds the busy servers of the nodes in service, as gossip
// shows them, to the autoscaler's average.
func (co *coordinator) sampleBusy() {
	el := co.el
	el.mu.Lock()
	v := el.visible
	el.mu.Unlock()
	busy := 0
	for i := range v {
		if m, ok := co.view.peers.get(policy.NodeID(i)); ok {
			busy += min(m.Load.Running, co.cfg.Servers)
		}
	}
	el.mu.Lock()
	el.busy += float64(busy)
	el.samples++
	el.mu.Unlock()
}

// membersNow is what the autoscaler sees at model time now: the loads
// of the nodes in service as gossip has them, and the busy servers
// averaged over the samples since the last decision.
func (co *coordinator) membersNow(now float64) *policy.Members {
	el := co.el
	el.mu.Lock()
	defer el.mu.Unlock()
	m := &policy.Members{Now: now, Slots: len(el.state), Servers: co.cfg.Servers}
	if el.samples > 0 {
		m.Busy = el.busy / float64(el.samples)
	}
	el.busy, el.samples = 0, 0
	for i := range el.visible {
		g, _ := co.view.peers.get(policy.NodeID(i))
		m.Loads = append(m.Loads, g.Load)
	}
	for i := el.visible; i < len(el.state); i++ {
		switch el.state[i] {
		case slotStarting, slotIn:
			m.Starting++
		case slotDraining:
			m.Draining++
		}
	}
	return m
}

// inService maps node n, which a dispatch strategy picked, to a node in
// service: n itself, or if n is out of service the one of least gossiped
// queue in service (redirected).
func (co *coordinator) inService(n policy.NodeID) (policy.NodeID, bool) {
	el := co.el
	el.mu.Lock()
	v := el.visible
	el.mu.Unlock()
	if int(n) < v || v == 0 {
		return n, false
	}
	best, bestQ := policy.NodeID(0), -1
	for i := range v {
		if m, ok := co.view.peers.get(policy.NodeID(i)); ok && (bestQ < 0 || m.Load.Queue < bestQ) {
			best, bestQ = policy.NodeID(i), m.Load.Queue
		}
	}
	return best, true
}

// members returns the nodes present over time (times from the arrivals'
// origin) up to end, the mean join time measured (model units) and the
// first start or stop that failed.
func (el *elastic) members(end float64) (steps []ledger.MemberStep, join float64, err error) {
	el.mu.Lock()
	defer el.mu.Unlock()
	for _, s := range el.steps {
		if s.T <= end {
			steps = append(steps, s)
		}
	}
	for _, j := range el.joins {
		join += j / float64(len(el.joins))
	}
	return steps, join, el.err
}

// holding is the jobs node n holds that have not ended, dispatched to it
// (their submission may be on its way) or moved there: elastic clusters
// only (book.held).
func (b *book) holding(n int) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.held[n]
}

// hold counts delta more jobs held by node h, if the book counts them
// and h is a node. Called with b.mu held.
func (b *book) hold(h int32, delta int) {
	if b.held != nil && h >= 0 && int(h) < len(b.held) {
		b.held[h] += delta
	}
}
