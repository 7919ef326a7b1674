package policy

import (
	"math/rand/v2"

	"github.com/loadlab/loadlab/load"
	"github.com/loadlab/loadlab/workload"
)

// NodeID names a node of the cluster: 0 .. Nodes-1. None means no node.
type NodeID int32

// None is the NodeID of no node (a dispatcher's Self).
const None NodeID = -1

// Load is the state a node reports about itself (its own package, so that
// the executor and gossip need not import the policies).
type Load = load.State

// Job is a job as a policy sees it.
type Job struct {
	workload.Job
	Hops   int32  // transfers so far; 0 for a job fresh from the dispatcher
	Origin NodeID // node the dispatcher sent it to
}

// JobInfo is a job present at the calling node, as View.Jobs lists it.
type JobInfo struct {
	Job
	Running bool    // in service
	Done    float64 // work received so far, in size units: its age in service
	Since   float64 // time it joined this node's queue
}

// View is what a decision may use. Implementations belong to the backends.
// Methods are called only from within a policy call, never concurrently.
type View interface {
	// Now is the current time in model units.
	Now() float64
	// Self is the calling node, or None in a dispatcher.
	Self() NodeID
	// Nodes is the cluster size.
	Nodes() int
	// Local is the calling node's own state, exact.
	Local() Load
	// Gossip is the last load that node n published and its age (now minus
	// the time it was published). It is not updated by dispatches.
	Gossip(n NodeID) (l Load, age float64)
	// Probe asks each node in nodes for its current load, in parallel, and
	// writes the answers to out (len(out) ≥ len(nodes)). Each call costs one
	// round trip and each probed node a probe's CPU cost.
	Probe(nodes []NodeID, out []Load)
	// ProbeLater asks each node in nodes for its load without waiting: the
	// answers reach the caller's Replied (a ReplyWatcher) one round trip
	// later, and the decision in progress is not delayed. Each node probed
	// costs what a Probe of it costs.
	ProbeLater(nodes []NodeID)
	// Jobs returns the jobs present at the calling node, appended to
	// out[:0]: those in service first, then the waiting ones in FCFS order.
	// Indexes into it name jobs in Action.Job and Requested. A
	// dispatcher's list is empty.
	Jobs(out []JobInfo) []JobInfo
	// Send queues a policy message to node to (delivered after the network
	// latency, to its Migrator.Message).
	Send(to NodeID, m Message)
	// Rand is the caller's seeded random source.
	Rand() *rand.Rand
}

// Message is a small policy-defined message between nodes.
type Message struct {
	Kind  uint8   // meaning defined by the policy
	Value float64 // payload
}

// Verb says what to do after a migration-policy call.
type Verb uint8

// Verbs.
const (
	Keep     Verb = iota // nothing to do: the arriving job stays here
	Transfer             // send the arriving job to Action.Node (valid from Arrived only)
	Request              // ask Action.Node for work (receiver-initiated): its Requested decides
	Push                 // send job Action.Job of View.Jobs to Action.Node; a running job moves with its progress (strong mobility)
)

func (v Verb) String() string {
	switch v {
	case Transfer:
		return "transfer"
	case Request:
		return "request"
	case Push:
		return "push"
	default:
		return "keep"
	}
}

// Action is a migration policy's answer.
type Action struct {
	Verb Verb
	Node NodeID  // destination of a Transfer or Push, or the node asked by a Request
	Job  int     // Push: index of the job in View.Jobs
	Wake float64 // when > 0: call Timer at this model time (replaces any earlier wake-up)
}

// Dispatcher places newly arriving jobs.
type Dispatcher interface {
	// Pick returns the node that runs j.
	Pick(v View, j *Job) NodeID
}

// IdleWatcher is a Dispatcher that wants to know when a node has an idle
// server and nothing waiting (join-idle-queue).
type IdleWatcher interface {
	Idle(v View, n NodeID)
}

// DoneWatcher is a Dispatcher that wants to know when a job it placed has
// completed (wherever it ran), to count requests in flight per node.
type DoneWatcher interface {
	Done(v View, j *Job)
}

// BoardWatcher is a Dispatcher that keeps its own index of the loads
// View.Gossip reports, so that it need not read every node's entry for
// every job (jsq on a million nodes). A backend that supports it calls
// Posted for every node before the first Pick, and again whenever what
// Gossip would report for a node changes, with that load. A backend that
// cannot see every such change never calls it, and the dispatcher reads
// Gossip as it would without an index: it must decide the same either way
// (the same choice, or the same distribution over choices).
type BoardWatcher interface {
	Posted(id NodeID, l Load)
}

// Ender is a policy that holds something outside the model, such as an
// external process (package external). A backend calls Start with the
// policy's view before the run's first decision and off its clock (an
// interpreter's start-up must not delay the first jobs), checks Err
// between decisions, and calls End once when the run ends, however it
// ends. An error from any of them fails the run.
type Ender interface {
	Start(v View) error
	Err() error
	End() error
}

// ReplyWatcher receives the answers to View.ProbeLater, one per node.
type ReplyWatcher interface {
	Replied(v View, n NodeID, l Load)
}

// PollWatcher is a Migrator that learns from being probed: the probe
// carries the prober's load (from is None for a dispatcher's probe), as
// the polls of the stable symmetric policies do.
type PollWatcher interface {
	Polled(v View, from NodeID, l Load)
}

// Migrator is the migration policy of one node.
type Migrator interface {
	// Arrived is called when j reaches this node, before it queues.
	// Local().Queue does not include j yet. Keep queues it here; Transfer
	// sends it to Action.Node.
	Arrived(v View, j *Job) Action
	// Departed is called after a job completed here.
	Departed(v View) Action
	// Timer is called when a wake-up set by Action.Wake comes due.
	Timer(v View) Action
	// Requested is called when node from asks for work. It returns the
	// jobs to hand over, View.Jobs[first:first+n]; n = 0 refuses. Running
	// jobs among them move with their progress (strong mobility).
	Requested(v View, from NodeID) (first, n int)
	// Message is called for a policy message from another node.
	Message(v View, from NodeID, m Message) Action
}

// Env describes the cluster an instance is built for. Backends make it
// with NewEnv, so that a policy sees the same Env on every backend.
type Env struct {
	Nodes        int             // cluster size
	Servers      int             // servers per node
	Speeds       []float64       // per node; nil means all 1
	ClassWeights []float64       // job classes' weights (service types), summing to 1; nil means one class
	ClassSizes   []workload.Dist // each class's size distribution, for size-aware policies (sita, class); nil if unknown
	Distances    []float64       // one-way network delay from the dispatcher to each node, model units; nil if unknown
	// Regions is the one-way delay from each client region to each node
	// (Job.Region; Regions[region][node]), model units; Sites the site of
	// each node. Both nil without a topology (scenario.Model.Topology).
	Regions [][]float64
	Sites   []int
	Node    NodeID // the node a Migrator runs on (None for a Dispatcher)
	Tasks   int    // tasks per request (fork-join; their Job.Task is 0..Tasks−1, placed one after another); 0 or 1: plain requests
	// Runs says where each class of jobs can run when nodes differ in
	// platform (work units with builds per platform): Runs[class][node].
	// nil means every node runs every class. A backend moves a job placed
	// where it cannot run to the next node that can, and refuses a move
	// there; policies that honour Runs (random, jsq, lwl, pod) never ask.
	Runs [][]bool
	// Energy is the power model, for policies that weigh joules (energy
	// offloading); nil without one (scenario.Model.Power).
	Energy *Energy
}

// CanRun reports whether node n runs jobs of class (always, without Runs).
func (e Env) CanRun(class int32, n NodeID) bool {
	if e.Runs == nil {
		return true
	}
	if class < 0 || int(class) >= len(e.Runs) || n < 0 || int(n) >= len(e.Runs[class]) {
		return false
	}
	return e.Runs[class][n]
}

// runnable lists, per class, the nodes that can run it; nil without Runs.
func (e Env) runnable() [][]NodeID {
	if e.Runs == nil {
		return nil
	}
	out := make([][]NodeID, len(e.Runs))
	for k, row := range e.Runs {
		for n, ok := range row {
			if ok {
				out[k] = append(out[k], NodeID(n))
			}
		}
	}
	return out
}

// Speed returns node n's speed.
func (e Env) Speed(n NodeID) float64 {
	if e.Speeds == nil {
		return 1
	}
	return e.Speeds[n]
}

// Base gives a Migrator's optional calls their do-nothing defaults, so a
// policy implements only the events it reacts to.
type Base struct{}

// Arrived keeps the job.
func (Base) Arrived(View, *Job) Action { return Action{} }

// Departed does nothing.
func (Base) Departed(View) Action { return Action{} }

// Timer does nothing.
func (Base) Timer(View) Action { return Action{} }

// Requested refuses.
func (Base) Requested(View, NodeID) (first, n int) { return 0, 0 }

// Message ignores the message.
func (Base) Message(View, NodeID, Message) Action { return Action{} }
