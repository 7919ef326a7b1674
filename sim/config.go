package sim

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/workload"
)

// Costs is the cost model of the simulated cluster: what probes, transfers
// and messages cost in time and CPU. All times are in model units (a job
// of mean size 1 takes 1 unit on a speed-1 server); zero means free.
type Costs struct {
	// Latency is the one-way network delay. A probe round takes 2·Latency,
	// a message Latency, a transfer Latency + JobBytes/Bandwidth.
	Latency float64 `yaml:"latency" json:"latency"`
	// Dispatch is the one-way delay from the dispatcher to a node: every
	// job arrives at its node this long after it entered the system (on
	// top of any probe rounds). Calibration sets it to the delay measured
	// on real agents.
	Dispatch float64 `yaml:"dispatch" json:"dispatch"`
	// Bandwidth in bytes per model unit; 0 means infinite.
	Bandwidth float64 `yaml:"bandwidth" json:"bandwidth"`
	// JobBytes is what a transfer moves per job (code, data and state).
	JobBytes float64 `yaml:"job_bytes" json:"job_bytes"`
	// ProbeCPU is the CPU time a probe costs at the probed node and at the
	// probing node (a dispatcher's own CPU is not modelled).
	ProbeCPU float64 `yaml:"probe_cpu" json:"probe_cpu"`
	// TransferCPU is the CPU time a transfer costs at the sending node,
	// whichever side initiated it (Eager, Lazowska & Zahorjan's cost).
	TransferCPU float64 `yaml:"transfer_cpu" json:"transfer_cpu"`
	// ReceiveCPU is the CPU time a transfer costs at the receiving node.
	ReceiveCPU float64 `yaml:"receive_cpu" json:"receive_cpu"`
	// PreemptCPU is the CPU time moving a running job costs the sender on
	// top of TransferCPU: checkpointing its state (strong mobility).
	PreemptCPU float64 `yaml:"preempt_cpu" json:"preempt_cpu"`
	// Links is the network moves cross: LinksDedicated ("", the default)
	// gives every move the whole Bandwidth; LinksNIC makes concurrent
	// moves share each node's interface, first come first served (see
	// link.go).
	Links string `yaml:"links" json:"links,omitempty"`
}

// Values of Costs.Links.
const (
	LinksDedicated = "dedicated" // every move has Bandwidth to itself
	LinksNIC       = "nic"       // a node's outgoing and incoming sides are links the moves through them share
)

// fieldErr makes a scenario.FieldError for field with a formatted message.
var fieldErr = scenario.Errorf

// Validate reports the first cost that is negative or not a number.
func (c Costs) Validate() error {
	for _, f := range c.fields() {
		if !(f.v >= 0) || math.IsInf(f.v, 1) {
			return fieldErr("costs."+f.name, "must be a finite number ≥ 0, got %g", f.v)
		}
	}
	if c.Links != "" && c.Links != LinksDedicated && c.Links != LinksNIC {
		return fieldErr("costs.links", "want %s (default: each move has the whole bandwidth) or %s (moves share each node's interface), got %q", LinksDedicated, LinksNIC, c.Links)
	}
	return nil
}

// shared reports whether moves share links (Links is LinksNIC).
func (c Costs) shared() bool { return c.Links == LinksNIC }

type costField struct {
	name string
	v    float64
}

func (c Costs) fields() []costField {
	return []costField{{"latency", c.Latency}, {"dispatch", c.Dispatch}, {"bandwidth", c.Bandwidth}, {"job_bytes", c.JobBytes},
		{"probe_cpu", c.ProbeCPU}, {"transfer_cpu", c.TransferCPU}, {"receive_cpu", c.ReceiveCPU}, {"preempt_cpu", c.PreemptCPU}}
}

// Set sets the cost called name (as in a spec: "transfer_cpu") to v.
func (c *Costs) Set(name string, v float64) error {
	ptrs := map[string]*float64{"latency": &c.Latency, "dispatch": &c.Dispatch, "bandwidth": &c.Bandwidth, "job_bytes": &c.JobBytes,
		"probe_cpu": &c.ProbeCPU, "transfer_cpu": &c.TransferCPU, "receive_cpu": &c.ReceiveCPU, "preempt_cpu": &c.PreemptCPU}
	p, ok := ptrs[name]
	if !ok {
		var names []string
		for _, f := range c.fields() {
			names = append(names, f.name)
		}
		return fmt.Errorf("unknown cost %q: known are %s", name, strings.Join(names, ", "))
	}
	*p = v
	return c.Validate()
}

// String renders the non-zero costs as "latency=0.01, transfer_cpu=0.1",
// or "free".
func (c Costs) String() string {
	var parts []string
	for _, f := range c.fields() {
		if f.v != 0 {
			parts = append(parts, f.name+"="+strconv.FormatFloat(f.v, 'g', -1, 64))
		}
	}
	if c.shared() {
		parts = append(parts, "links="+c.Links)
	}
	if len(parts) == 0 {
		return "free"
	}
	return strings.Join(parts, ", ")
}

// Config is one simulated point: the Model every backend runs, and what
// only the simulator has. Zero values take the defaults that DefaultConfig
// documents, except Workload, Dispatch and Migrate, which Run requires.
type Config struct {
	scenario.Model // Nodes defaults to 1 and Jobs to 100,000 in the simulator

	Gossip     float64 // period (or delay) of load publication; 0 means every view is exact
	GossipMode string  // how loads are published when Gossip > 0: GossipPeriodic (default), GossipIndividual or GossipDelayed
	Costs      Costs

	// Units, when set, makes every migration cost what the code-migration
	// model says (workload.Units.Migrate over a link of Costs.Bandwidth and
	// Costs.Latency, or with a Topology the path between the two nodes'
	// sites: place.go) instead of Costs.JobBytes: see migrate.go. It must be
	// resolved for Workload's classes. nil: no units.
	Units *workload.Units

	// OnIssue, if set, is called with each job as it is issued, in issue
	// order (a request's tasks one by one), as the workload drew it: the
	// point's job list, which node.PointConfig.OnIssue gives on agents
	// too. It must be quick.
	OnIssue func(workload.Job)
	// HoldLimit is the longest a fault (pause, delay) holds a request, in
	// model units: the agents hold one second of wall time at most, so a
	// point compared with agents takes 1 s / their time unit. 0 means
	// DefaultHoldLimit (the agents' default time unit, 10 ms).
	HoldLimit float64
}

// Gossip modes: how the loads a policy reads through View.Gossip are
// published (Mitzenmacher, IEEE TPDS 11(1), 2000).
const (
	// GossipPeriodic refreshes a bulletin board of every node's load each
	// Gossip time units; reads between refreshes see the board.
	GossipPeriodic = "periodic"
	// GossipIndividual has each node refresh its own entry at exponential
	// intervals of mean Gossip, independently.
	GossipIndividual = "individual"
	// GossipDelayed publishes every change of a node's load at once, and
	// every reader sees it Gossip later (state-change broadcast over a
	// link with that delay; Mitzenmacher's continuous update).
	GossipDelayed = "delayed"
)

// DefaultConfig returns a single M/M/1 node at ρ = 0.5 with random dispatch
// and no migration.
func DefaultConfig() Config {
	w, err := workload.New(workload.DefaultConfig())
	if err != nil {
		panic(err) // the default workload is valid by construction
	}
	reg := policy.Builtin()
	d, _ := reg.Dispatch("random")
	m, _ := reg.Migrate("none")
	return Config{Model: scenario.Model{Nodes: 1, Servers: 1, Discipline: "fcfs", Load: 0.5, Jobs: 100000, Warmup: 10000, Batches: 30,
		Workload: w, Dispatch: d, Migrate: m}}
}

func (c *Config) fillDefaults() {
	if c.Nodes == 0 {
		c.Nodes = 1
	}
	if c.Jobs == 0 {
		c.Jobs = 100000
	}
	c.Model.Fill()
	if c.GossipMode == "" {
		c.GossipMode = GossipPeriodic
	}
}

// Validate reports the first setting that is out of range or missing.
func (c Config) Validate() error {
	c.fillDefaults()
	if err := c.Model.Validate(); err != nil {
		return err
	}
	return c.validateOwn()
}

// ValidateSettings checks everything but the workload and policies: the
// Model's settings, then the simulator's own. Each error is a
// scenario.FieldError.
func (c Config) ValidateSettings() error {
	c.fillDefaults()
	if err := c.Model.ValidateSettings(); err != nil {
		return err
	}
	return c.validateOwn()
}

// validateOwn checks the settings only the simulator has.
func (c Config) validateOwn() error {
	switch {
	case !(c.Gossip >= 0) || math.IsInf(c.Gossip, 1):
		return fieldErr("gossip", "period must be a finite number ≥ 0, got %g", c.Gossip)
	case c.GossipMode != GossipPeriodic && c.GossipMode != GossipIndividual && c.GossipMode != GossipDelayed:
		return fieldErr("gossip_mode", "must be %s, %s or %s, got %q", GossipPeriodic, GossipIndividual, GossipDelayed, c.GossipMode)
	}
	if c.Units != nil && c.Server != nil {
		return fieldErr("server", "work units do not yet run on server architectures: leave units out with server %s", c.Server)
	}
	if c.Power.Sleeps() && c.Server != nil {
		return fieldErr("energy", "sleep states are not modelled on server architectures yet: leave out sleep with server %s", c.Server)
	}
	if c.Units != nil {
		if _, most := c.Units.Homes(); most >= c.Nodes {
			return fieldErr("units", "a resource's home is node %d, not in the cluster of %d nodes: name a node below %d, or home: key", most, c.Nodes, c.Nodes)
		}
	}
	if err := c.checkFaults(); err != nil {
		return err
	}
	return c.Costs.Validate()
}

// policyEnergy is the power model as policies see it (policy.Env.Energy):
// nil without one.
func (c Config) policyEnergy() *policy.Energy {
	if c.Power == nil {
		return nil
	}
	return &policy.Energy{Work: c.Power.Work(), Transfer: c.Power.Byte * c.Costs.JobBytes, Message: c.Power.Message}
}
