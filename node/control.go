package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/loadlab/loadlab/node/wire"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/workload"
)

// Control operations the coordinator sends to agents (wire.TypeControl,
// JSON in Data).
const (
	opConfigure = "configure" // set the agent up for a point
	opStats     = "stats"     // report counters
	opEnd       = "end"       // finish the point: fail what is left, drop the point's state
	opPing      = "ping"      // answer at once: the coordinator times it to measure distances
	opMoved     = "moved"     // agent → coordinator, one-way: a job changed hands
	opFault     = "fault"     // start or end an injected fault (fault.go)
)

// control is the JSON body of a control message and of its reply.
type control struct {
	Op    string      `json:"op"`
	Setup *Setup      `json:"setup,omitempty"`
	Stats *AgentStats `json:"stats,omitempty"`
	Moved *moved      `json:"moved,omitempty"`
	Fault *faultOp    `json:"fault,omitempty"`
	Error string      `json:"error,omitempty"`
}

// moved tells the coordinator where a job went, so that it knows which
// jobs an agent that dies was holding.
type moved struct {
	Job int64 `json:"job"`
	To  int32 `json:"to"`
	// Hops is the job's hop count at To: both ends of a transfer send a
	// note (the sender's is lost if it dies), and a note of an earlier hop
	// arriving late is ignored.
	Hops int32 `json:"hops"`
}

// Setup is what an agent needs to run a point; the coordinator sends one
// to each agent.
type Setup struct {
	Run        string        `json:"run"`             // run label, for logs
	ID         int32         `json:"id"`              // this agent's node id
	Roster     []string      `json:"roster"`          // gossip member name of every node id
	Migrate    string        `json:"migrate"`         // migration policy spec
	Servers    int           `json:"servers"`         // servers of this agent
	Speed      float64       `json:"speed"`           // speed of this agent
	Speeds     []float64     `json:"speeds"`          // every node's speed (nil: all 1), for the policy's Env
	Classes    []float64     `json:"classes"`         // class weights, for the policy's Env
	TimeUnit   time.Duration `json:"time_unit"`       // wall time of a model unit
	Kernel     string        `json:"kernel"`          // sleep, hash or matmul
	Discipline string        `json:"discipline"`      // fcfs or ps
	Queue      int           `json:"queue,omitempty"` // jobs held at most for this point (scenario.Model.Queue; 0: the agent's own bound only)
	Admit      string        `json:"admit,omitempty"` // each node's admission policy, canonical (scenario.Model.Admit; empty: none)
	Seed       uint64        `json:"seed"`
	EpochNano  int64         `json:"epoch"` // model time 0, Unix nanoseconds
	// Units are the work units of the point (nil: none), ClassNames the
	// workload's classes they are resolved for, Platforms every node's
	// platform (nil: one platform), and HitBin the model time per bin of
	// the code cache's hit series (0: none). See unit.go.
	Units      *workload.UnitConfig `json:"units,omitempty"`
	ClassNames []string             `json:"class_names,omitempty"`
	Platforms  []string             `json:"platforms,omitempty"`
	HitBin     float64              `json:"hit_bin,omitempty"`
	// Publish is the shortest interval between two load publications,
	// chosen by the coordinator to keep serf within its budget (PublishInterval).
	Publish time.Duration `json:"publish"`
	// Sizes are each class's size distribution as its spec
	// (workload.ParseDist reads it back) and Distances the one-way delay
	// from the dispatcher to every node, model units, that the dispatcher
	// uses: both for the policy's Env. nil (from an older coordinator): unknown.
	Sizes     []string  `json:"sizes,omitempty"`
	Distances []float64 `json:"distances,omitempty"`
	// Server is the point's server architecture in its canonical form
	// (server.Parse reads it back); "" for plain servers (server.go).
	Server string `json:"server,omitempty"`
	// Cache is the node's cache of keys in its canonical form (cache.Parse
	// reads it back); "" for none (content.go).
	Cache string `json:"cache,omitempty"`
	// Topology is the point's topology in its canonical form
	// (topology.Parse reads it back; "": none): the agent emulates the
	// paths to its peers (place.go).
	Topology string `json:"topology,omitempty"`
}

// sizeSpecs is the setup form of the classes' size distributions. A
// trace's sizes (their text, "trace", does not carry the values, which
// stay with the coordinator) go as a distribution of the same mean, and
// of the same SCV when it is at least 1 (hyperexp; exp below): the
// agents' migration policies read the mean of the sizes
// (policy.Env.meanSize), and the dispatch strategies, in the
// coordinator, see the trace's own.
func sizeSpecs(sizes []workload.Dist) []string {
	var specs []string
	for _, d := range sizes {
		spec := d.String()
		if _, err := workload.ParseDist(spec); err != nil {
			m := d.Mean()
			if !(m > 0) {
				m = 1 // a class without jobs (a window of a trace): never drawn
			}
			spec = fmt.Sprintf("exp(mean=%v)", m)
			if c2 := d.SCV(); c2 > 1 && !math.IsInf(c2, 0) {
				spec = fmt.Sprintf("hyperexp(mean=%v, scv=%v)", m, c2)
			}
		}
		specs = append(specs, spec)
	}
	return specs
}

// cluster is what the agent's migration policy is built for, read from the
// setup, with the point's work units (nil: none). A setup that does not
// describe a cluster is an error, never a policy indexing past a list.
func (s *Setup) cluster(units *workload.Units) (policy.Cluster, error) {
	c := policy.Cluster{Nodes: len(s.Roster), Servers: s.Servers, Speeds: s.Speeds, ClassWeights: s.Classes,
		Distances: s.Distances, Units: units, Platforms: s.Platforms}
	for i, spec := range s.Sizes {
		d, err := workload.ParseDist(spec)
		if err != nil {
			return policy.Cluster{}, fmt.Errorf("setup: size of class %d: %w", i, err)
		}
		c.ClassSizes = append(c.ClassSizes, d)
	}
	if err := c.Validate(); err != nil {
		return policy.Cluster{}, fmt.Errorf("setup: %w", err)
	}
	return c, nil
}

// GossipBudget is how many load deliveries per second a point lets serf
// make in all: N agents publishing every T cost N·(N−1)/T deliveries at
// about 0.19 ms of CPU each (../shared/notes/serf.md), so 2,000 per second
// keep gossip under 40% of one core.
const GossipBudget = 2000

// PublishInterval is the shortest interval between load publications for a
// cluster of n agents: 50 ms up to 10 agents, 0.5 s for 32, 2 s for 64.
func PublishInterval(n int) time.Duration {
	d := time.Duration(float64(n*(n-1)) / GossipBudget * float64(time.Second))
	return max(d, 50*time.Millisecond)
}

// agents is the coordinator's control client: it calls the point's
// agents by node id, at the RPC address each one gossips.
type agents struct {
	pool   *wire.Pool
	peers  *peers
	roster []string // gossip names of the agents, by node id
}

// errNotListed is the error of a call to an agent that serf does not list alive.
var errNotListed = errors.New("serf does not list it alive")

// call sends req to node i and returns its answer.
func (a *agents) call(ctx context.Context, i int, req control) (control, error) {
	m, ok := a.peers.get(policy.NodeID(i))
	if !ok {
		return control{}, fmt.Errorf("agent %s: %w", a.roster[i], errNotListed)
	}
	return call(ctx, a.pool, m.Tags[tagRPC], req)
}

// call sends a control operation to the agent at addr and decodes its reply.
func call(ctx context.Context, pool *wire.Pool, addr string, req control) (control, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return control{}, err
	}
	c, err := pool.Get(ctx, addr)
	if err != nil {
		return control{}, err
	}
	r, err := c.Call(ctx, &wire.Msg{Type: wire.TypeControl, From: -1, Data: body})
	if err != nil {
		return control{}, fmt.Errorf("%s at %s: %w", req.Op, addr, err)
	}
	var out control
	if err := json.Unmarshal(r.Data, &out); err != nil {
		return control{}, fmt.Errorf("%s at %s: bad reply: %w", req.Op, addr, err)
	}
	if out.Error != "" {
		return out, fmt.Errorf("%s at %s: %s", req.Op, addr, out.Error)
	}
	return out, nil
}
