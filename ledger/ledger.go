// Package ledger measures a point. Both backends tell a Ledger what
// happened, with model timestamps: a job arrived, a node's busy servers or
// jobs present changed, a job completed or failed (and why), and how many
// probes, migrations, messages and bytes the point cost. The Ledger turns
// that into a Result's measurements with one definition each, so the
// simulator and the agents cannot measure the same thing two ways.
//
// The simulator feeds a Ledger as it runs. The real backends collect the
// same events (the coordinator sees arrivals and ends; each agent logs its
// node's changes) into a Log and Replay it at the end of the point: the
// Ledger that replays a simulator's recorded Log gives the very same
// Result as the simulator's own (TestReplaySimulator in package sim).
//
// The measurement window opens at the arrival of the first measured job
// (job Warmup) and closes at the arrival of the last job (job Jobs−1),
// both on the model clock: [arrival(Warmup), arrival(Jobs−1)). The empty
// start (before the queues fill) and the draining end (after the last
// arrival, when load can only fall) are left out, so a time average over
// the window (utilisation, TLP, number in system, wait while idle)
// estimates the steady state, and the window is known from the arrival
// schedule alone, whatever the policy does. Response times count the jobs
// from job Warmup on, whenever they end; throughput is those jobs'
// completions over the time from the window's opening to the last
// completion.
//
// Before this package the agents measured their time averages from the
// first arrival to the last completion, warm-up and drain included, which
// biased their utilisation low.
//
// A Ledger is not safe for concurrent use.
package ledger

import (
	"fmt"
	"math"
	"slices"

	"github.com/loadlab/loadlab/energy"
	"github.com/loadlab/loadlab/latency"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/session"
	"github.com/loadlab/loadlab/tier"
)

// Config says what a Ledger measures.
type Config struct {
	Nodes   int     // nodes in the cluster; 0: one for each entry of Servers
	Servers []int   // servers of each node, or one entry: the servers of every node (a large cluster then keeps no list)
	Jobs    int     // jobs in the point, IDs 0 to Jobs−1
	Warmup  int     // the first Warmup jobs are left out of the statistics; job Warmup opens the window
	Batches int     // batches of the response time's batch-means interval (results.NewResponses); default 30
	Bin     float64 // model time per bin of Result.ResponseOverTime and FailedOverTime; 0: no series
	Fronts  int     // front ends in front of the nodes (front.Front.N); 0: none
	// Tiers are the shared tiers the nodes call (package tier), whose
	// utilisation and time per call are measured (Tier, TierTime).
	Tiers []tier.Tier
	// Power, when set, turns the nodes' utilisation and the network's
	// counts into energy (package energy). nil: none measured.
	Power *energy.Power
}

// energy fills r's energy over the window of st by power model p: each
// node's from its utilisation (and sleep states), the network's from the
// counts of the run, in the share of the run's jobs the window measured;
// and node 0's with the network's as the client's (results.Result.ClientEnergy).
func (l *Ledger) energy(r *results.Result, st Stats, p energy.Power) {
	span := st.End - st.Start
	e, net := 0.0, 0.0
	for i, u := range st.NodeUtilization {
		use := energy.Usage{Util: u}
		if st.NodeAsleep != nil {
			use.Asleep, use.Waking = st.NodeAsleep[i], st.NodeWaking[i]
		}
		n := p.Node(use, span)
		if i == 0 {
			r.ClientEnergy = n
		}
		e += n
	}
	if l.issued > 0 {
		net = p.Network(l.Counts.Bytes, l.Counts.Messages+l.Counts.Probes) * float64(r.JobsMeasured) / float64(l.issued)
	}
	e += net
	r.ClientEnergy += net
	r.Energy, r.Power = e, e/span
	if r.JobsMeasured > 0 {
		r.EnergyPerJob = e / float64(r.JobsMeasured)
	}
}

// Counts are the costs of a point the backends count as they go: the
// Ledger only turns them into a Result's totals and per-job figures.
type Counts struct {
	Probes      int64   // load queries
	Migrations  int64   // jobs moved between nodes
	Preemptions int64   // moves of running jobs (strong mobility)
	Messages    int64   // policy messages other than probes and transfers
	Bytes       float64 // bytes moved by transfers
	// Client policies and fork-join requests (package client).
	Copies  int64   // copies sent beyond one per task and attempt (redundant, hedge)
	Retries int64   // attempts after a failed or timed-out one
	Cancels int64   // copies cancelled
	Useful  float64 // work (size units) of the copies that completed a task
	Wasted  float64 // work done by copies that did not: cancelled, late, or on a request that failed
}

// add adds o to c.
func (c *Counts) add(o Counts) {
	c.Probes += o.Probes
	c.Migrations += o.Migrations
	c.Preemptions += o.Preemptions
	c.Messages += o.Messages
	c.Bytes += o.Bytes
	c.Copies += o.Copies
	c.Retries += o.Retries
	c.Cancels += o.Cancels
	c.Useful += o.Useful
	c.Wasted += o.Wasted
}

// End is a job leaving the system at T: completed if Reason is empty,
// else failed for that reason. A failed job with T = +Inf never left (it
// was still held somewhere when the point ended).
type End struct {
	T       float64 `json:"t"`
	ID      int64   `json:"id"`
	Arrival float64 `json:"arrival"`
	Service float64 `json:"service,omitempty"` // its own service time (completed jobs)
	Blocked float64 `json:"blocked,omitempty"` // time it spent blocked in waits (completed jobs with phases)
	Size    float64 `json:"size,omitempty"`    // its size (completed jobs)
	Front   float64 `json:"front,omitempty"`   // its time at the front end, in and out (completed jobs, with Config.Fronts)
	Reason  string  `json:"reason,omitempty"`
}

// FrontStep is a change at T of the front ends busy by Delta (Ledger.Front).
type FrontStep struct {
	T     float64 `json:"t"`
	Delta int     `json:"delta"`
}

// Lookup is a request's lookup of its key in its node's cache
// (Ledger.Lookup).
type Lookup struct {
	ID  int64 `json:"id"`
	Hit bool  `json:"hit"`
}

// Log is a point's events as the backends saw them: each node's changes
// in time order, each job's arrival (by ID), the jobs' ends in the order
// they were seen, the changes of the threads alive (server
// architectures), the counts, the completions of fork-join requests'
// tasks (T, ID and Arrival of each; Ledger.Task), the changes of the
// front ends busy, and the requests' cache lookups.
type Log struct {
	Nodes    [][]Change
	Arrivals []float64
	Ends     []End
	Threads  []ThreadStep
	Counts   Counts
	Tasks    []End
	Fronts   []FrontStep
	Lookups  []Lookup
	Members  []MemberStep // an elastic cluster's nodes present (Ledger.Members); nil: a fixed cluster
}

// MemberStep is that from T, N nodes are present (Ledger.Members).
type MemberStep struct {
	T float64
	N int
}

// ThreadStep is a change at T of the threads held by Held and of those
// executing by Executing (Ledger.Threads).
type ThreadStep struct {
	T         float64 `json:"t"`
	Held      int     `json:"held"`
	Executing int     `json:"executing"`
}

// Ledger accumulates a point's measurements. Feed it, in non-decreasing
// model time: Node after every change of a node's busy servers or jobs
// present, Arrive when a job enters the system, and Complete or Fail when
// it leaves. The system count is fed apart from the nodes because a job in
// flight (being dispatched or transferred) is in the system but at no
// node. Add to Counts as costs are incurred.
//
// The simulator calls it a few times per job, so it does O(1) work per
// call and allocates nothing (unless recording): a node's integrals move
// only when that node changes, the number in system only when it changes,
// and wait while idle only when it turns on or off.
type Ledger struct {
	Counts Counts

	// Fields every job touches come first, to share cache lines.
	t                         float64 // latest time fed
	inSystem                  int
	sysT                      float64 // time inSystemArea was advanced to
	inSystemArea              float64 // ∫ jobs in system dt since time 0, up to sysT
	first, last               int64   // IDs of the arrivals that open and close the window
	issued, completed, failed int64
	lastCompletion            float64
	resp                      *results.Responses
	record                    bool
	on                        bool    // a job waits while another node's server is idle, since onSince
	flagged                   [4]int  // nodes by their flags (waiting, idle, both or neither)
	onSince                   float64 //
	wwi                       float64 // time wait while idle held, up to its last turning off
	nodes                     []node
	active                    []float64 // ∫ [busy > 0] dt of each node; nil until a node has two servers busy (node)
	steady                    steady    // where the responses settle (steady.go)

	threads             int
	threadT, threadArea float64
	executing           int                // threads executing, with Threads
	threadsOver         results.TimeSeries // threads in use over time (server architectures, with bins)
	inSystemOver        results.TimeSeries // jobs in system over time (with bins)
	execOver            results.TimeSeries // threads executing over time
	taskHist            *latency.Histogram // response times of tasks (Task); nil until one
	taskSum             float64
	lookups, hits       int64     // measured requests looked up in their node's cache, and hits (Lookup)
	stateN              [5]int64  // measured requests by what became of their client's state (State), by session.Outcome
	front               station   // the front ends (Front, FrontTime)
	tiers               []station // by Config.Tiers (Tier, TierTime)
	taskN               int64     // threads alive, time and ∫ threads dt up to then (Threads)
	series              results.OverTime
	members             members          // elastic clusters (members.go)
	reasons             map[string]int64 // failed jobs by reason
	cfg                 Config
	open, close         snapshot
	sleep               sleeps // the nodes' sleep states (Sleep); empty until one changes
	opened, closed      bool
	rec                 Log
}

// New returns a Ledger for c. All nodes start empty at time 0.
func New(c Config) *Ledger {
	if c.Batches <= 0 {
		c.Batches = 30
	}
	if c.Nodes == 0 {
		c.Nodes = len(c.Servers)
	}
	l := &Ledger{cfg: c, nodes: make([]node, c.Nodes), first: int64(c.Warmup), last: int64(c.Jobs - 1),
		reasons: map[string]int64{}, resp: results.NewResponses(int64(c.Jobs-c.Warmup), c.Batches), series: results.OverTime{Bin: c.Bin},
		threadsOver: results.TimeSeries{Bin: c.Bin}, inSystemOver: results.TimeSeries{Bin: c.Bin}, execOver: results.TimeSeries{Bin: c.Bin}, members: members{over: results.TimeSeries{Bin: c.Bin}}}
	for i := range l.nodes {
		l.flagged[flagsOf(l.servers(i), 0, 0)]++
	}
	l.steady = newSteady(c.Jobs)
	l.tiers = make([]station, len(c.Tiers))
	for _, s := range []*snapshot{&l.open, &l.close} {
		s.busyArea = make([]float64, c.Nodes)
		s.tiers = make([]float64, len(c.Tiers))
	}
	return l
}

// Config is the Config the Ledger was made for, defaults filled in.
func (l *Ledger) Config() Config { return l.cfg }

// Record makes the Ledger keep what it is fed (Log), to replay it
// elsewhere; recording allocates as it goes.
func (l *Ledger) Record() {
	l.record = true
	l.rec.Nodes = make([][]Change, len(l.nodes))
}

// Log returns what a recording Ledger was fed, Counts included.
func (l *Ledger) Log() Log {
	out := l.rec
	out.Counts = l.Counts
	return out
}

// Arrive records that job id entered the system at time t. The arrivals
// of jobs Warmup and Jobs−1 open and close the window.
func (l *Ledger) Arrive(t float64, id int64) {
	t = l.now(t)
	l.issued++
	if id == l.first && !l.opened {
		l.take(&l.open, t)
		l.opened = true
	}
	l.count(t, 1)
	if id == l.last && !l.closed {
		l.take(&l.close, t)
		l.closed = true
	}
	if l.record {
		if int(id) >= len(l.rec.Arrivals) {
			l.rec.Arrivals = append(l.rec.Arrivals, make([]float64, int(id)+1-len(l.rec.Arrivals))...)
		}
		l.rec.Arrivals[id] = t
	}
}

// Complete records that job id, which arrived at arrival, completed at t
// after service time units of its own service and blocked time units in
// waits; size is its size.
func (l *Ledger) Complete(t float64, id int64, arrival, service, blocked, size float64) {
	t = l.now(t)
	l.count(t, -1)
	l.completed++
	l.lastCompletion = t
	l.series.Completed(arrival, t-arrival)
	l.steady.add(id, t-arrival)
	if id >= l.first {
		l.resp.Add(id-l.first, t-arrival, service, blocked, size)
	}
	if l.record {
		l.rec.Ends = append(l.rec.Ends, End{T: t, ID: id, Arrival: arrival, Service: service, Blocked: blocked, Size: size})
	}
}

// Task records that a task of request id, which arrived at arrival,
// completed at t (fork-join requests: each task, before the request).
func (l *Ledger) Task(t float64, id int64, arrival float64) {
	if id < l.first {
		return
	}
	if l.taskHist == nil {
		l.taskHist = latency.New()
	}
	l.taskHist.Record(t - arrival)
	l.taskSum += t - arrival
	l.taskN++
}

// Fail records that job id, which arrived at arrival, failed for reason
// at t. At t = +Inf the job never left: it counts as failed but stays in
// the system.
func (l *Ledger) Fail(t float64, id int64, arrival float64, reason string) {
	if !math.IsInf(t, 1) {
		t = l.now(t)
		l.count(t, -1)
	}
	l.failed++
	l.reasons[reason]++
	l.series.Failed(arrival)
	if l.record {
		l.rec.Ends = append(l.rec.Ends, End{T: t, ID: id, Arrival: arrival, Reason: reason})
	}
}

// Fill sets r's measurements: jobs issued, completed and failed (an error
// if they do not add up), failures by reason, response times, throughput,
// the counts and their per-job figures, the series over time, and the
// time averages over the window. end is the end of the run, for the time
// averages of a point whose window is empty.
func (l *Ledger) Fill(r *results.Result, end float64) error {
	if l.issued != l.completed+l.failed {
		return fmt.Errorf("conservation check failed: %d jobs issued, %d completed, %d failed", l.issued, l.completed, l.failed)
	}
	r.JobsIssued, r.JobsCompleted, r.JobsFailed = l.issued, l.completed, l.failed
	if len(l.reasons) > 0 {
		r.Failures = make(map[string]int64, len(l.reasons))
		for k, v := range l.reasons {
			r.Failures[k] = v
		}
	}
	err := l.resp.Fill(r)
	r.SteadyFrom, r.SteadyFound = l.steady.from()
	r.TransientBias = l.steady.bias(l.first, r.SteadyFrom)
	if span := l.lastCompletion - l.open.t; l.opened && span > 0 {
		r.Throughput = float64(r.JobsMeasured) / span
	}
	c := l.Counts
	r.Migrations, r.Preemptions, r.Probes, r.Messages, r.BytesMoved = c.Migrations, c.Preemptions, c.Probes, c.Messages, c.Bytes
	if issued := float64(l.issued); issued > 0 {
		r.MigrationsPerJob, r.ProbesPerJob, r.BytesPerJob = float64(c.Migrations)/issued, float64(c.Probes)/issued, c.Bytes/issued
		r.CopiesPerJob, r.RetriesPerJob = float64(c.Copies)/issued, float64(c.Retries)/issued
	}
	r.Copies, r.Retries, r.Cancels, r.WastedWork = c.Copies, c.Retries, c.Cancels, c.Wasted
	if l.lookups > 0 {
		r.CacheHitRate = float64(l.hits) / float64(l.lookups)
	}
	if back := l.stateN[session.Local] + l.stateN[session.Moved] + l.stateN[session.Lost]; back > 0 {
		r.StateReturning = back
		r.StateAffinity = float64(l.stateN[session.Local]) / float64(back)
		r.StateLost = float64(l.stateN[session.Lost]) / float64(back)
	}
	if done := c.Useful + c.Wasted; done > 0 {
		r.Goodput = c.Useful / done
	}
	if l.taskN > 0 {
		r.TaskMeanResponse, r.TaskP99Response = l.taskSum/float64(l.taskN), l.taskHist.Quantile(0.99)
	}
	l.series.Fill(r)

	st := l.Stats(end)
	r.ArrivalRate = st.ArrivalRate
	r.Utilization, r.NodeUtilization = st.Utilization, st.NodeUtilization
	if p := l.cfg.Power; p != nil && st.End > st.Start {
		l.energy(r, st, *p)
	}
	if l.cfg.Power.Sleeps() {
		r.Asleep, r.Wakeups = st.Asleep, st.Wakeups
	}
	r.TLP, r.NodeTLP = st.TLP, st.NodeTLP
	r.Threads = st.Threads
	if l.cfg.Fronts > 0 {
		r.FrontUtilization = st.Front / float64(l.cfg.Fronts)
	}
	r.FrontTime = l.front.mean()
	for k, t := range l.cfg.Tiers {
		r.TierStats = append(r.TierStats, results.TierStat{Name: t.Name, Utilization: st.Tiers[k] / float64(t.Servers), Time: l.tiers[k].mean()})
	}
	if l.threadT > 0 {
		n := float64(len(l.nodes))
		l.threadsOver.Add(l.threadT, end, float64(l.threads))
		l.execOver.Add(l.threadT, end, float64(l.executing))
		r.ThreadsOverTime, r.ExecutingOverTime = l.threadsOver.Means(n), l.execOver.Means(n)
	}
	r.MeanInSystem, r.WaitWhileIdle = st.MeanInSystem, st.WaitWhileIdle
	if l.cfg.Bin > 0 {
		l.inSystemOver.Add(l.sysT, end, float64(l.inSystem))
		r.InSystemOverTime = l.inSystemOver.Means(1)
	}
	l.fillMembers(r, end)
	return err
}

// Replay feeds a new Ledger for c the events of log, in time order, and
// returns it: what the real backends do with what their coordinator and
// agents saw. Where times tie, arrivals come first, then ends (in the
// order the log has them), then node changes, then thread changes, then
// front-end changes; ties change no integral. With front ends (c.Fronts)
// every completion passed one: its End.Front is its time there. Lookups
// carry no time and count in any order.
// Ends at +Inf (jobs that never left) come last.
func Replay(c Config, log Log) *Ledger {
	type ev struct {
		t    float64
		kind int // 0 arrival, 1 end, 2 node change, 3 threads, 4 front ends, 5 members
		i    int // job ID, end or node
		c    Change
	}
	evs := make([]ev, 0, len(log.Arrivals)+len(log.Ends)+len(log.Threads))
	for id, t := range log.Arrivals {
		evs = append(evs, ev{t: t, kind: 0, i: id})
	}
	for k, e := range log.Ends {
		evs = append(evs, ev{t: e.T, kind: 1, i: k})
	}
	for i, nl := range log.Nodes {
		for _, ch := range nl {
			evs = append(evs, ev{t: ch.T, kind: 2, i: i, c: ch})
		}
	}
	for k, st := range log.Threads {
		evs = append(evs, ev{t: st.T, kind: 3, i: k})
	}
	for k, st := range log.Fronts {
		evs = append(evs, ev{t: st.T, kind: 4, i: k})
	}
	for k, st := range log.Members {
		evs = append(evs, ev{t: st.T, kind: 5, i: k})
	}
	slices.SortStableFunc(evs, func(a, b ev) int {
		if a.t != b.t {
			if a.t < b.t {
				return -1
			}
			return 1
		}
		return a.kind - b.kind
	})
	l := New(c)
	l.Counts.add(log.Counts)
	for _, e := range log.Tasks { // their order does not matter
		l.Task(e.T, e.ID, e.Arrival)
	}
	for _, k := range log.Lookups {
		l.Lookup(k.ID, k.Hit)
	}
	for _, e := range evs {
		switch e.kind {
		case 0:
			l.Arrive(e.t, int64(e.i))
		case 1:
			end := log.Ends[e.i]
			if end.Reason == "" {
				l.Complete(end.T, end.ID, end.Arrival, end.Service, end.Blocked, end.Size)
				if c.Fronts > 0 {
					l.FrontTime(end.ID, end.Front)
				}
			} else {
				l.Fail(end.T, end.ID, end.Arrival, end.Reason)
			}
		case 2:
			if e.i < len(l.nodes) {
				l.Node(e.t, e.i, e.c.Busy, e.c.Present)
			}
		case 3:
			st := log.Threads[e.i]
			l.Threads(e.t, st.Held, st.Executing)
		case 4:
			l.Front(e.t, log.Fronts[e.i].Delta)
		default:
			l.Members(e.t, log.Members[e.i].N)
		}
	}
	return l
}
