// Package scenario is the one description of a point that every backend
// runs: the cluster, the offered load, the jobs, the policies and the
// faults. The simulator's sim.Config and the agents' node.PointConfig both
// embed a Model and add only what is theirs (the simulator's cost model
// and gossip modes; the agents' wall-clock unit, kernel and cluster
// settings), so a setting both backends share is declared, defaulted and
// validated once, here. experiment builds a Model once per point, from a
// spec or from `loadlab run`'s flags alike, and hands the same value to
// whichever backend runs the point.
package scenario

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/loadlab/loadlab/cache"
	"github.com/loadlab/loadlab/client"
	"github.com/loadlab/loadlab/energy"
	"github.com/loadlab/loadlab/fault"
	"github.com/loadlab/loadlab/front"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/scale"
	"github.com/loadlab/loadlab/server"
	"github.com/loadlab/loadlab/session"
	"github.com/loadlab/loadlab/tier"
	"github.com/loadlab/loadlab/topology"
	"github.com/loadlab/loadlab/workload"
)

// Model is one point as every backend runs it. Zero values take the
// defaults Fill documents.
type Model struct {
	Nodes   int // nodes N (required: at least 1)
	Servers int // servers per node c (default 1)
	// Queue bounds the jobs a node holds, waiting and in service (a
	// finite queue with tail drop: one more fails as "shed: queue full",
	// as on agents). 0: unbounded.
	Queue      int
	Discipline string // "fcfs" (default) or "ps" (processor sharing)
	// Admit is each node's admission policy (policy.Admitter): at a job's
	// arrival and as it is about to start service it may drop the job,
	// which fails with Admit.Reason(). nil or none: every job is admitted.
	Admit *policy.AdmitSpec
	// Server is how every node constructs its server (package server):
	// threads, blocking or not, their costs; Servers is then the cores
	// per node. nil: each of the Servers serves one job at a time
	// (Discipline). Jobs with phases need one.
	Server *server.Arch
	// Client is what the client stub does with each request (package
	// client): send copies, hedge, retry. nil: one copy, no retry.
	Client *client.Policy
	// Front is the cluster's front end (package front): a queue every
	// request passes before it is dispatched and, relayed, every response
	// on its way back. nil: a dispatcher of infinite capacity.
	Front *front.Front
	// Cache is each node's cache of keys (package cache): a request whose
	// key is warm at its node takes a size from the workload's hit
	// distribution. nil: no caches.
	Cache *cache.Config
	// State is the servers' per-client state (package session): the
	// workload's keys are the clients. nil: requests carry no state.
	State *session.Config
	// Topology is where the nodes and the clients are (package
	// topology): nodes belong to sites, a job reaches its node after the
	// latency from its client region (Workload.Regions) to the node's
	// site, and a migration crosses the path between the two nodes'
	// sites. nil: every node as far from every other as Costs.Latency
	// says, and from the dispatcher as Distances.
	Topology *topology.Topology
	// Power is the nodes' and the network's power model (package energy):
	// records then carry energy, and the nodes run at its DVFS Speed. nil:
	// no energy measured, nominal speeds.
	Power *energy.Power
	// Tiers are the cluster's shared tiers (package tier), which the
	// jobs' call phases call by name. nil: none.
	Tiers  []tier.Tier
	Speeds []float64 // speed of each node; nil means all 1
	// Distances is the one-way delay from the dispatcher to each node, in
	// model units: a job to node n arrives Distances[n] late, and dispatch
	// strategies see the distances (policy.Env). nil: none in the
	// simulator; on agents, the strategies see the distances measured at
	// the start of the point.
	Distances []float64
	Platforms []string // each node's platform, for work units; nil means every node has the platform ""

	Load   float64 // offered load per server ρ, 0 < ρ < 1
	Jobs   int     // jobs issued (required: at least 1)
	Warmup int     // first jobs, by arrival, left out of the statistics: 0 ≤ Warmup < Jobs
	// WarmStart is how full the nodes are at time 0 (the simulator only;
	// see WarmStart). nil: empty.
	WarmStart *WarmStart
	Seed      uint64 // root seed of every random stream
	Batches   int    // batches of the response time's batch-means interval (default 30)

	Workload *workload.Workload   // builds the point's jobs (required)
	Dispatch *policy.DispatchSpec // the dispatch strategy (required)
	Migrate  *policy.MigrateSpec  // the migration policy (required; "none" for none)

	// HitBin is the model time per bin of Result.CodeHits, the code
	// caches' hit rate over time (with work units); 0: no series.
	HitBin float64
	// Faults are injected at their model times from the first arrival;
	// FaultBin is the model time per bin of Result.ResponseOverTime and
	// FailedOverTime, and with a server architecture of ThreadsOverTime
	// and ExecutingOverTime (0: no series).
	Faults   []fault.Fault
	FaultBin float64

	// Elastic is the plan of an elastic cluster (package scale): Nodes
	// are then its slots, the most nodes it can have, of which
	// Elastic.Initial are in service at the start and a schedule adds and
	// removes some. Scale, an autoscaling policy, adds and removes nodes
	// as it sees the load; alone it runs on the default plan (every node
	// in service at the start, none starting slowly). Records then carry
	// node-seconds and the nodes over time (FaultBin). nil, nil: a fixed
	// cluster.
	Elastic *scale.Config
	Scale   *policy.ScaleSpec
}

// Rate is the arrival rate of requests that offers load Load on the
// cluster: ρ · N · c · mean speed / (mean size · tasks).
// The mean speed is summed node by node, as the simulator always has, so
// that every backend draws the same arrival times to the last bit.
func (m Model) Rate() float64 {
	mean := 0.0
	for i := range m.Nodes {
		s := 1.0
		if m.Speeds != nil {
			s = m.Speeds[i%len(m.Speeds)]
		}
		mean += s / float64(m.Nodes)
	}
	return m.Workload.RateFor(m.Load, m.Nodes*max(m.Servers, 1), mean)
}

// ShedReason is why a job fails that finds its node holding Queue jobs
// already (on agents, their own bound): one reason for both backends.
const ShedReason = "shed: queue full"

// FieldError is an invalid setting: Field names it as a spec does
// ("nodes", "costs.latency", "faults"), Err says what is wrong with it.
// A spec maps Field to the line that set it.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// Errorf makes a FieldError for field with a formatted message.
func Errorf(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// Fill sets the defaults of zero fields: one server per node, fcfs, 30
// batches, and those of the tiers (tier.Check) and the power model.
func (m *Model) Fill() {
	if m.Servers == 0 {
		m.Servers = 1
	}
	if m.Discipline == "" {
		m.Discipline = "fcfs"
	}
	if m.Batches == 0 {
		m.Batches = 30
	}
	if m.Power != nil { // a copy: the caller's model stays as given
		p := *m.Power
		p.Fill()
		m.Power = &p
	}
	if ts, err := tier.Check(m.Tiers); err == nil { // else Validate says what is wrong
		m.Tiers = ts
	}
}

// Validate reports the first setting that is out of range or missing,
// defaults filled in.
func (m Model) Validate() error {
	if m.Workload == nil || m.Dispatch == nil || m.Migrate == nil {
		return errors.New("workload, dispatch and migrate policies are required")
	}
	return m.ValidateSettings()
}

// ValidateSettings checks everything but the workload and policies (which
// a spec checks as it parses them), defaults filled in. Each error is a
// FieldError.
func (m Model) ValidateSettings() error {
	m.Fill()
	if m.WarmStart != nil {
		if err := m.WarmStart.check(m); err != nil {
			return err
		}
	}
	switch {
	case m.Nodes < 1:
		return Errorf("nodes", "must be at least 1, got %d", m.Nodes)
	case m.Servers < 1:
		return Errorf("servers", "must be at least 1, got %d", m.Servers)
	case m.Discipline != "fcfs" && m.Discipline != "ps":
		return Errorf("discipline", "must be fcfs or ps, got %q", m.Discipline)
	case !(m.Load > 0 && m.Load < 1):
		return Errorf("load", "must be between 0 and 1 (exclusive), got %g", m.Load)
	case m.Queue < 0:
		return Errorf("queue", "must be at least 0 (0: unbounded), got %d", m.Queue)
	case m.Queue > 0 && m.Queue < m.Servers:
		return Errorf("queue", "a node holds at least its %d servers' jobs: want queue ≥ servers (or 0: unbounded), got %d", m.Servers, m.Queue)
	case m.Queue > 0 && m.Dispatch != nil && policy.Reserves(m.Dispatch):
		return Errorf("queue", "%s binds tasks late, whose reservations a finite queue does not count yet: leave queue out or use binding=early", m.Dispatch)
	case !m.Admit.Admits() && (m.Discipline == "ps" || m.Server != nil):
		return Errorf("admit", "admission runs on nodes whose servers serve one job at a time from one waiting line (fcfs, no server architecture) so far: leave admit out, or use discipline fcfs without server")
	case m.Jobs < 1:
		return Errorf("jobs", "must be at least 1, got %d", m.Jobs)
	case m.Warmup < 0 || m.Warmup >= m.Jobs:
		return Errorf("warmup", "must be at least 0 and less than jobs (%d), got %d", m.Jobs, m.Warmup)
	case m.Batches < 2:
		return Errorf("batches", "must be at least 2, got %d", m.Batches)
	}
	if list, err := (policy.Cluster{Nodes: m.Nodes, Servers: m.Servers, Speeds: m.Speeds, Distances: m.Distances, Platforms: m.Platforms}).ValidateLists(); err != nil {
		return &FieldError{Field: list, Err: err}
	}
	if err := m.validateServer(); err != nil {
		return err
	}
	if err := m.validateRequests(); err != nil {
		return err
	}
	if err := m.validateLate(); err != nil {
		return err
	}
	if err := m.validateFront(); err != nil {
		return err
	}
	if err := m.validateCache(); err != nil {
		return err
	}
	if err := m.validateState(); err != nil {
		return err
	}
	if err := m.validateTopology(); err != nil {
		return err
	}
	if err := m.validateTiers(); err != nil {
		return err
	}
	if err := m.validateUsers(); err != nil {
		return err
	}
	if err := m.validateElastic(); err != nil {
		return err
	}
	if m.Power != nil {
		if err := m.Power.Validate(); err != nil {
			return &FieldError{Field: "energy", Err: err}
		}
	}
	if !(m.HitBin >= 0) || math.IsInf(m.HitBin, 0) {
		return Errorf("hit_bin", "want a finite number ≥ 0, got %v", m.HitBin)
	}
	for i, f := range m.Faults {
		for _, n := range append(slices.Clone(f.Nodes), f.Peers...) {
			if n < 0 || n >= m.Nodes {
				return Errorf("faults", "fault %d (%s) names node %d, not in the cluster", i, f.Kind, n)
			}
		}
	}
	if !(m.FaultBin >= 0) || math.IsInf(m.FaultBin, 0) {
		return Errorf("fault_bin", "want a finite number ≥ 0, got %v", m.FaultBin)
	}
	return nil
}

// validateServer checks that the server architecture and the jobs'
// phases go together, and with what the model runs them beside.
func (m Model) validateServer() error {
	if m.Server == nil {
		if m.Workload != nil && m.Workload.Phased() {
			return Errorf("server", "jobs with phases (io or phases in the workload) need a server architecture that says what a blocked request holds: set server to iterative, pool(n=…), thread-per-request, process-per-request or event-loop")
		}
		return nil
	}
	switch {
	case m.Discipline != "fcfs":
		return Errorf("discipline", "a server architecture schedules its threads itself (processor sharing among the runnable ones): leave discipline at fcfs with server %s", m.Server)
	case m.Migrate != nil && m.Migrate.String() != "none":
		return Errorf("server", "migration policies do not yet move requests out of a server architecture's threads: use migrate: none with server %s", m.Server)
	case len(m.Faults) > 0:
		return Errorf("server", "faults are not yet modelled for server architectures: leave faults out with server %s", m.Server)
	case len(m.Platforms) > 0:
		return Errorf("server", "work units (platforms) do not yet run on server architectures: leave platforms out with server %s", m.Server)
	}
	return nil
}

// validateLate checks that a dispatch strategy that binds tasks late
// (policy.Reserver) has what its model needs: FCFS servers, no server
// architecture, client policy, faults, work units or migration.
func (m Model) validateLate() error {
	if m.Dispatch == nil || !policy.Reserves(m.Dispatch) {
		return nil
	}
	d := m.Dispatch.String()
	switch {
	case m.Discipline != "fcfs":
		return Errorf("discipline", "%s binds tasks late: a reservation waits its turn in a FCFS queue; use discipline: fcfs", d)
	case m.Server != nil:
		return Errorf("server", "%s binds tasks late, which server architectures do not model yet: leave server out", d)
	case m.Client != nil:
		return Errorf("client", "%s binds tasks late, which client policies do not run beside yet: leave client out", d)
	case len(m.Faults) > 0:
		return Errorf("faults", "%s binds tasks late, which faults do not model yet (a reservation on a dead node): leave faults out", d)
	case len(m.Platforms) > 0:
		return Errorf("dispatch", "%s binds tasks late, which work units do not run beside: leave units out", d)
	case m.Migrate != nil && m.Migrate.String() != "none":
		return Errorf("dispatch", "%s binds tasks late, which migration policies do not run beside: use migrate: none", d)
	}
	return nil
}

// validateFront checks that a front end goes with what the model runs
// beside it.
func (m Model) validateFront() error {
	if m.Front == nil {
		return nil
	}
	switch {
	case m.Client != nil:
		return Errorf("front", "a front end does not yet run beside client policies (whose copies would each pass it): leave front or client out")
	case m.Workload != nil && m.Workload.Tasks() > 1:
		return Errorf("front", "a front end does not yet run with requests of several tasks: leave front out or use tasks: 1")
	case m.Dispatch != nil && policy.Reserves(m.Dispatch):
		return Errorf("front", "a front end does not yet run with late binding (%s): leave front out or use binding=early", m.Dispatch)
	}
	return nil
}

// validateCache checks that caches have keys to keep and a hit size.
func (m Model) validateCache() error {
	if m.Cache == nil || m.Workload == nil {
		return nil
	}
	switch n, _ := m.Workload.Keys(); {
	case n == 0:
		return Errorf("cache", "caches keep keys: give the workload keys (keys: zipf(n=…, s=…))")
	case m.Workload.Hit() == nil:
		return Errorf("cache", "a request that hits its node's cache needs a size of its own: give the workload hit (e.g. hit: exp(mean=0.2)); size is a miss's")
	case m.Workload.Phased():
		return Errorf("cache", "caches do not yet change jobs with phases: leave phases and io out")
	}
	return nil
}

// validateState checks that per-client state has clients (the
// workload's keys) and requests it can add its costs to.
func (m Model) validateState() error {
	if m.State == nil || m.Workload == nil {
		return nil
	}
	switch n, _ := m.Workload.Keys(); {
	case n == 0:
		return Errorf("state", "per-client state needs clients: give the workload keys, one a client (keys: zipf(n=…, s=…))")
	case m.Workload.Phased():
		return Errorf("state", "state costs do not yet apply to jobs with phases: leave phases and io out")
	case m.Client != nil || m.Workload.Tasks() > 1:
		return Errorf("state", "state does not yet go with copies or tasks of one request at several nodes: leave client out and use tasks: 1")
	case m.Dispatch != nil && policy.Reserves(m.Dispatch):
		return Errorf("state", "state does not yet run with late binding (%s): use binding=early", m.Dispatch)
	}
	return nil
}

// validateTopology checks that a topology places the nodes and has a
// region for each of the workload's region shares.
func (m Model) validateTopology() error {
	shares := 0
	if m.Workload != nil {
		shares = len(m.Workload.Regions())
	}
	t := m.Topology
	if t == nil {
		if shares > 1 {
			return Errorf("regions", "client regions (%d shares) need a topology that says how far each is from each site: set topology, or leave regions out", shares)
		}
		return nil
	}
	if m.Distances != nil {
		return Errorf("distances", "a topology gives the distance from each client region to each node: leave distances out with topology %s", t)
	}
	if _, err := t.Place(m.Nodes); err != nil {
		return Errorf("topology", "%v", err)
	}
	if r := t.Regions(); m.Workload != nil && (r > 1 && shares != r || r == 1 && shares > 1) {
		return Errorf("regions", "topology %s has %d client regions: give the workload one share for each (regions: [%s]), got %d", t, r, strings.TrimSuffix(strings.Repeat("1, ", r), ", "), shares)
	}
	return nil
}

// validateTiers checks the tiers and that every tier the jobs call is
// one of them.
func (m Model) validateTiers() error {
	if _, err := tier.Check(m.Tiers); err != nil {
		return &FieldError{Field: "tiers", Err: err}
	}
	if m.Workload == nil {
		return nil
	}
	for _, name := range m.Workload.Called() {
		if len(m.Tiers) == 0 {
			return Errorf("tiers", "the jobs call tier %q, but there are no tiers: add one, e.g. tiers: [{name: %s, servers: 1}]", name, name)
		}
		if tier.Index(m.Tiers, name) < 0 {
			known := make([]string, len(m.Tiers))
			for i, t := range m.Tiers {
				known[i] = t.Name
			}
			return Errorf("tiers", "the jobs call tier %q, which is not among the tiers (%s): add it to tiers, or call one of them", name, strings.Join(known, ", "))
		}
	}
	return nil
}

// validateUsers checks that closed users go with what they run beside:
// requests that are one job at one node, with no front end on the way.
func (m Model) validateUsers() error {
	if m.Workload == nil {
		return nil
	}
	if n, _ := m.Workload.Closed(); n == 0 {
		return nil
	}
	switch {
	case m.Client != nil:
		return Errorf("client", "closed users do not yet run beside client policies: leave client out")
	case m.Front != nil:
		return Errorf("front", "closed users do not yet pass a front end: leave front out")
	case m.Dispatch != nil && policy.Reserves(m.Dispatch):
		return Errorf("dispatch", "closed users do not yet run with late binding (%s): use binding=early", m.Dispatch)
	}
	return nil
}

// validateRequests checks that client policies and fork-join requests go
// with what the model runs them beside.
func (m Model) validateRequests() error {
	tasks := m.Workload != nil && m.Workload.Tasks() > 1
	if m.Client == nil && !tasks {
		return nil
	}
	what := "client policies"
	if m.Client == nil {
		what = "requests with tasks"
	}
	switch {
	case m.Migrate != nil && m.Migrate.String() != "none":
		return Errorf("client", "%s do not yet run beside migration policies (a copy that moves could not be cancelled where it is): use migrate: none", what)
	case len(m.Platforms) > 0:
		return Errorf("client", "%s do not yet run with work units: leave units out", what)
	case m.Client != nil && m.Server != nil:
		return Errorf("client", "client policies cancel copies, which server architectures cannot stop yet: leave server out with client %s", m.Client)
	}
	return nil
}
