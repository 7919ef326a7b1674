package sim

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/loadlab/loadlab/fault"
	"github.com/loadlab/loadlab/policy"
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
}

// FieldError is an invalid setting: Field names it as a spec does
// ("nodes", "costs.latency", "faults"), Err says what is wrong with it.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// fieldErr makes a FieldError for field with a formatted message.
func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// Validate reports the first cost that is negative or not a number.
func (c Costs) Validate() error {
	for _, f := range c.fields() {
		if !(f.v >= 0) || math.IsInf(f.v, 1) {
			return fieldErr("costs."+f.name, "must be a finite number ≥ 0, got %g", f.v)
		}
	}
	return nil
}

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
	if len(parts) == 0 {
		return "free"
	}
	return strings.Join(parts, ", ")
}

// Config is one simulated point. Zero values take the defaults that
// DefaultConfig documents, except Workload, Dispatch and Migrate, which
// Run requires.
type Config struct {
	Nodes      int       // nodes N (default 1)
	Servers    int       // servers per node c (default 1)
	Discipline string    // "fcfs" (default) or "ps" (processor sharing)
	Speeds     []float64 // speed of each node; nil means all 1
	Distances  []float64 // one-way delay from the dispatcher to each node, added to Costs.Dispatch; nil means 0
	Load       float64   // offered load per server ρ, 0 < ρ < 1
	Jobs       int       // jobs issued (default 100,000)
	Warmup     int       // first jobs, by arrival, left out of the statistics (default Jobs/10)
	Seed       uint64    // root seed of every random stream
	Gossip     float64   // period (or delay) of load publication; 0 means every view is exact
	GossipMode string    // how loads are published when Gossip > 0: GossipPeriodic (default), GossipIndividual or GossipDelayed
	Batches    int       // batches for the batch-means interval (default 30)
	Costs      Costs

	// Units, when set, makes every migration cost what the code-migration
	// model says (workload.Units.Migrate over a link of Costs.Bandwidth and
	// Costs.Latency) instead of Costs.JobBytes: see migrate.go. It must be
	// resolved for Workload's classes. nil: no units.
	Units *workload.Units
	// Platforms names each node's platform, one per node, for
	// Units.Platforms; nil means every node has the platform "".
	Platforms []string
	// HitBin is the model time per bin of Result.CodeHits, the code
	// caches' hit rate over time (with Units); 0: no series.
	HitBin float64

	// Faults are injected at their model times: kill and slow (fault.go);
	// FaultBin is the model time per bin of Result.ResponseOverTime (0: no
	// series).
	Faults   []fault.Fault
	FaultBin float64

	Workload *workload.Workload
	Dispatch *policy.DispatchSpec
	Migrate  *policy.MigrateSpec
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
	return Config{Nodes: 1, Servers: 1, Discipline: "fcfs", Load: 0.5, Jobs: 100000, Warmup: 10000, Batches: 30,
		Workload: w, Dispatch: d, Migrate: m}
}

func (c *Config) fillDefaults() {
	if c.Nodes == 0 {
		c.Nodes = 1
	}
	if c.Servers == 0 {
		c.Servers = 1
	}
	if c.Discipline == "" {
		c.Discipline = "fcfs"
	}
	if c.Jobs == 0 {
		c.Jobs = 100000
	}
	if c.Batches == 0 {
		c.Batches = 30
	}
	if c.GossipMode == "" {
		c.GossipMode = GossipPeriodic
	}
}

// Validate reports the first setting that is out of range or missing.
func (c Config) Validate() error {
	if c.Workload == nil || c.Dispatch == nil || c.Migrate == nil {
		return fmt.Errorf("workload, dispatch and migrate policies are required")
	}
	return c.ValidateSettings()
}

// ValidateSettings checks everything but the workload and policies. Each
// error starts with the setting's name.
func (c Config) ValidateSettings() error {
	c.fillDefaults()
	switch {
	case c.Nodes < 1:
		return fieldErr("nodes", "must be at least 1, got %d", c.Nodes)
	case c.Servers < 1:
		return fieldErr("servers", "must be at least 1, got %d", c.Servers)
	case c.Discipline != "fcfs" && c.Discipline != "ps":
		return fieldErr("discipline", "must be fcfs or ps, got %q", c.Discipline)
	case !(c.Load > 0 && c.Load < 1):
		return fieldErr("load", "must be between 0 and 1 (exclusive), got %g", c.Load)
	case c.Jobs < 1:
		return fieldErr("jobs", "must be at least 1, got %d", c.Jobs)
	case c.Warmup < 0 || c.Warmup >= c.Jobs:
		return fieldErr("warmup", "must be at least 0 and less than jobs (%d), got %d", c.Jobs, c.Warmup)
	case !(c.Gossip >= 0) || math.IsInf(c.Gossip, 1):
		return fieldErr("gossip", "period must be a finite number ≥ 0, got %g", c.Gossip)
	case c.GossipMode != GossipPeriodic && c.GossipMode != GossipIndividual && c.GossipMode != GossipDelayed:
		return fieldErr("gossip_mode", "must be %s, %s or %s, got %q", GossipPeriodic, GossipIndividual, GossipDelayed, c.GossipMode)
	case c.Batches < 2:
		return fieldErr("batches", "must be at least 2, got %d", c.Batches)
	case c.Speeds != nil && len(c.Speeds) != c.Nodes:
		return fieldErr("speeds", "want one per node (%d), got %d", c.Nodes, len(c.Speeds))
	}
	if c.Platforms != nil && len(c.Platforms) != c.Nodes {
		return fieldErr("platforms", "want one per node (%d), got %d", c.Nodes, len(c.Platforms))
	}
	if c.Distances != nil && len(c.Distances) != c.Nodes {
		return fieldErr("distances", "want one per node (%d), got %d", c.Nodes, len(c.Distances))
	}
	for i, d := range c.Distances {
		if !(d >= 0) || math.IsInf(d, 1) {
			return fieldErr("distances", "node %d has distance %g, want a finite number ≥ 0", i, d)
		}
	}
	for i, s := range c.Speeds {
		if !(s > 0) || math.IsInf(s, 1) {
			return fieldErr("speeds", "node %d has speed %g, want a finite number > 0", i, s)
		}
	}
	if !(c.HitBin >= 0) || math.IsInf(c.HitBin, 0) {
		return fieldErr("hit_bin", "want a finite number ≥ 0, got %v", c.HitBin)
	}
	if err := c.checkFaults(); err != nil {
		return err
	}
	return c.Costs.Validate()
}
