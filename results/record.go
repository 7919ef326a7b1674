package results

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/loadlab/loadlab/fault"
)

// Point says what was run: enough to run it again and get the same Result.
type Point struct {
	Key         string  `json:"key"`                   // hash of everything below except Replication-independent labels; unique per point in a spec
	Spec        string  `json:"spec"`                  // hash of the sweep spec the point came from ("" for a single run)
	Policy      string  `json:"policy"`                // label of the policy combination, e.g. "sender.threshold"
	Dispatch    string  `json:"dispatch"`              // canonical dispatch strategy, e.g. "pod(d=2)"
	Migrate     string  `json:"migrate"`               // canonical migration policy, e.g. "sender.threshold(T=2, probes=3)"
	Workload    string  `json:"workload"`              // label of the workload
	Arrival     string  `json:"arrival"`               // canonical arrival process
	Size        string  `json:"size"`                  // canonical job-size distribution
	SizeMean    float64 `json:"size_mean"`             // mean of the size distribution (over classes)
	SizeSCV     float64 `json:"size_scv"`              // squared coefficient of variation of sizes
	Speeds      string  `json:"speeds"`                // node speeds spec ("1" for a homogeneous cluster)
	Distances   string  `json:"distances,omitempty"`   // dispatcher-to-node delays spec (empty: none)
	Load        float64 `json:"load"`                  // offered load per server, ρ
	Nodes       int     `json:"nodes"`                 // cluster size N
	Servers     int     `json:"servers"`               // servers per node c
	Queue       int     `json:"queue,omitempty"`       // jobs a node holds at most (empty: unbounded)
	PowerModel  string  `json:"power_model,omitempty"` // power model, canonical (empty: none)
	Elastic     string  `json:"elastic,omitempty"`     // elastic cluster's plan, canonical (package scale; empty: fixed)
	Scale       string  `json:"scale,omitempty"`       // autoscaling policy, canonical (empty: none)
	Discipline  string  `json:"discipline"`            // fcfs or ps
	Server      string  `json:"server,omitempty"`      // server architecture, canonical (empty: none: plain servers)
	Client      string  `json:"client,omitempty"`      // client policy, canonical (empty: none)
	Admit       string  `json:"admit,omitempty"`       // each node's admission policy, canonical (empty: none)
	Tasks       int     `json:"tasks,omitempty"`       // tasks per request (fork-join; empty: 1)
	Front       string  `json:"front,omitempty"`       // front end, canonical (empty: none: a dispatcher of infinite capacity)
	Response    string  `json:"response,omitempty"`    // canonical distribution of response sizes in bytes (empty: none)
	Cache       string  `json:"cache,omitempty"`       // each node's cache of keys, canonical (empty: none)
	Hit         string  `json:"hit,omitempty"`         // canonical size distribution of a request that hits its node's cache (empty: none)
	State       string  `json:"state,omitempty"`       // servers' per-client state, canonical (empty: none)
	Topology    string  `json:"topology,omitempty"`    // sites and client regions, canonical (empty: none)
	Regions     string  `json:"regions,omitempty"`     // share of requests from each client region: "0.5,0.3,0.2" (empty: one region)
	Tiers       string  `json:"tiers,omitempty"`       // shared tiers the jobs call, canonical, joined by "; " (empty: none)
	Jobs        int     `json:"jobs"`                  // jobs issued
	Warmup      int     `json:"warmup"`                // first jobs (by arrival) left out of the statistics
	WarmStart   string  `json:"warm_start,omitempty"`  // how full the nodes started (scenario.WarmStart; empty: empty)
	Replication int     `json:"replication"`           // 0-based replication index
	Seed        uint64  `json:"seed"`                  // root seed of the point's random streams
	Backend     string  `json:"backend"`               // sim, local or testbed
	Costs       string  `json:"costs"`                 // canonical cost model
	Gossip      float64 `json:"gossip"`                // gossip period in model units (0: exact information)
	GossipMode  string  `json:"gossip_mode,omitempty"` // periodic (also when empty), individual or delayed
	TimeUnit    string  `json:"time_unit,omitempty"`   // real backends: wall time of one model unit, e.g. "10ms"
	Kernel      string  `json:"kernel,omitempty"`      // real backends: how work is done (sleep, hash, matmul)
	Dispatchers int     `json:"dispatchers,omitempty"` // real backends: concurrent dispatcher instances (0 or 1: one)
	Units       string  `json:"units,omitempty"`       // work units of code migration: the canonical workload.UnitConfig as one-line JSON (empty: no units, transfers cost job_bytes)
	Platforms   string  `json:"platforms,omitempty"`   // each node's platform, cycled: "x86_64,arm64" (empty: none)
	Faults      string  `json:"faults,omitempty"`      // faults injected: their canonical forms (Fault.String) joined by "; " (empty: none)
	Axis        string  `json:"axis,omitempty"`        // the sweep's axis other than load, e.g. "probes" or "costs.latency" (empty: none)
	X           float64 `json:"x,omitempty"`           // the point's value on Axis
}

// PortablePoint is a Point as loadlab writes it for other programs (run
// --json, sweep --json): its seed as a decimal string, because JavaScript,
// R and most JSON libraries read a JSON number as a double, exact only up
// to 2^53, and seeds use all 64 bits. Stores keep the seed a number: Go
// reads it exactly, and point keys depend on the stored form.
type PortablePoint struct {
	Point
	Seed string `json:"seed"`
}

// Portable returns p as written for other programs.
func (p Point) Portable() PortablePoint {
	return PortablePoint{Point: p, Seed: strconv.FormatUint(p.Seed, 10)}
}

// Result is what a point measured. Times are in model units (a job of size
// 1 takes 1 unit on a speed-1 server).
type Result struct {
	MeanResponse  float64 `json:"mean_response"`
	P50Response   float64 `json:"p50_response"`
	P95Response   float64 `json:"p95_response"`
	P99Response   float64 `json:"p99_response"`
	P999Response  float64 `json:"p999_response"`
	CI95HalfWidth float64 `json:"ci95_halfwidth"` // of MeanResponse, from batch means within the run
	Batches       int     `json:"batches"`        // batches behind CI95HalfWidth
	MeanWait      float64 `json:"mean_wait"`      // response minus the job's own service time and waits: time queued for a thread or a core
	MeanCPU       float64 `json:"mean_cpu"`       // the job's own service time: its CPU demand at its node's speed
	MeanIO        float64 `json:"mean_io"`        // time the job spent blocked in its waits (jobs with phases; 0 otherwise)
	MeanSlowdown  float64 `json:"mean_slowdown"`  // response divided by size
	MeanSize      float64 `json:"mean_size"`      // measured mean job size

	JobsIssued    int64 `json:"jobs_issued"`
	JobsCompleted int64 `json:"jobs_completed"`
	JobsFailed    int64 `json:"jobs_failed"`
	JobsMeasured  int64 `json:"jobs_measured"` // completed jobs after the warm-up
	// SteadyFrom is the first job, by arrival, of the steady state that
	// MSER finds in the responses of the whole run, warm-up included
	// (package ledger); SteadyFound is false where it finds none within
	// the first half of the run. SteadyFrom above the point's warmup
	// means the warm-up was too short: the statistics hold some of the
	// transient (TransientBias says how much; report.Warnings warns).
	SteadyFrom  int64 `json:"steady_from"`
	SteadyFound bool  `json:"steady_found"`
	// TransientBias is how much of the transient the measured mean
	// response holds: the mean over the measured jobs less the mean over
	// those from SteadyFrom on (0 when SteadyFrom is within the warm-up).
	// Larger than the interval's half-width, the warm-up was too short
	// for the precision the interval claims.
	TransientBias float64 `json:"transient_bias"`

	Throughput   float64 `json:"throughput"`     // measured jobs per model unit
	MeanInSystem float64 `json:"mean_in_system"` // time-average number of jobs in the system (Little's L)
	// WaitWhileIdle is the fraction of the measurement window during which
	// a job waited at some node (more jobs there than servers) while a
	// server of another node was idle (Livny & Melman 1982): what load
	// sharing could still gain. See package ledger. Real backends: -1
	// when an agent's occupancy log is missing (it died, or the log grew
	// beyond about 700,000 jobs at one agent).
	WaitWhileIdle float64 `json:"wait_while_idle"`
	ArrivalRate   float64 `json:"arrival_rate"` // jobs issued per model unit

	Migrations       int64   `json:"migrations"`
	Preemptions      int64   `json:"preemptions"` // migrations of running jobs (strong mobility)
	Probes           int64   `json:"probes"`
	Messages         int64   `json:"messages"` // policy messages other than probes and transfers
	BytesMoved       float64 `json:"bytes_moved"`
	MigrationsPerJob float64 `json:"migrations_per_job"`
	ProbesPerJob     float64 `json:"probes_per_job"`
	BytesPerJob      float64 `json:"bytes_per_job"`

	// Client policies and fork-join requests (package client): zero otherwise.
	Copies           int64   `json:"copies"`             // copies sent beyond one per task and attempt (redundant, hedge)
	CopiesPerJob     float64 `json:"copies_per_job"`     //
	Retries          int64   `json:"retries"`            // attempts after a failed or timed-out one
	RetriesPerJob    float64 `json:"retries_per_job"`    //
	Cancels          int64   `json:"cancels"`            // copies cancelled
	WastedWork       float64 `json:"wasted_work"`        // work (size units) done by copies that did not complete a task
	Goodput          float64 `json:"goodput"`            // fraction of the work done that completed a task (0 when no request has copies or tasks)
	TaskMeanResponse float64 `json:"task_mean_response"` // fork-join: mean response time of the tasks (the requests' is mean_response)
	TaskP99Response  float64 `json:"task_p99_response"`  //

	// Work units (the simulator with units set; zero otherwise): what the
	// migrations carried out moved and cost under the code-migration model
	// of workload.Units (Fuggetta, Picco & Vigna 1998).
	CodeBytes         float64 `json:"code_bytes"`          // code-segment bytes sent, code-on-demand fetches included
	StateBytes        float64 `json:"state_bytes"`         // execution-state bytes sent, pre-copy resends included
	ResourceBytes     float64 `json:"resource_bytes"`      // resource bytes moved or copied
	MeanMigrationTime float64 `json:"mean_migration_time"` // mean over migrations of the time from start until the unit runs at the destination with all its state
	MeanDowntime      float64 `json:"mean_downtime"`       // mean over migrations of the time the unit made no progress
	CodeHitRate       float64 `json:"code_hit_rate"`       // fraction of migrations whose destination already held the unit's code (code on demand: the caches' hit rate)
	RefusedMoves      int64   `json:"refused_moves"`       // moves the paradigm (no code, hop limit), the destination's platform or an unfinished pre-copy refused: the unit stayed
	RedirectedJobs    int64   `json:"redirected_jobs"`     // jobs dispatched to a node whose platform cannot run them, placed on the next node that can; on an elastic cluster, jobs that reached a node out of service, placed on the least loaded in service
	// CodeHits is the code caches' hit rate over time: per bin of
	// CodeHitBin model units from the start, the fraction of lookups at
	// move destinations that hit (NaN-free: a bin without lookups is -1).
	CodeHits   []float64 `json:"code_hits,omitempty"`
	CodeHitBin float64   `json:"code_hit_bin"`
	RemoteUses int64     `json:"remote_uses"` // uses of resources reached by global reference

	Utilization      float64   `json:"utilization"`                 // mean over nodes of busy-server fraction
	NodeUtilization  []float64 `json:"node_utilization"`            // per node
	TLP              float64   `json:"tlp"`                         // mean over nodes of thread-level parallelism
	Threads          float64   `json:"threads"`                     // server architectures: mean over nodes of the threads alive (time average); 0 otherwise
	FrontUtilization float64   `json:"front_utilization,omitempty"` // front end: mean busy fraction of the front ends (empty without one)
	FrontTime        float64   `json:"front_time,omitempty"`        // front end: mean time a request spent there, queued and served, in and (relayed) out
	CacheHitRate     float64   `json:"cache_hit_rate,omitempty"`    // caches: the fraction of requests whose key was warm at their node (empty without caches)
	// Per-client state (stateful servers): of the measured requests whose
	// client had state somewhere (StateReturning), the fraction served
	// where it was (affinity kept) and the fraction whose state was lost
	// (evicted, or its node crashed); the rest had it moved.
	StateReturning int64 `json:"state_returning,omitempty"`
	// Energy (a power model, package energy): joules over the measurement
	// window (watts × model units), their mean rate and their share per
	// measured job. Empty without a power model.
	Energy       float64 `json:"energy,omitempty"`
	Power        float64 `json:"power,omitempty"`
	EnergyPerJob float64 `json:"energy_per_job,omitempty"`
	// ClientEnergy is node 0's joules with the network's, over the same
	// window: the energy of a client node that offloads work (every move
	// and message counted as its own, as when node 0 alone moves jobs).
	ClientEnergy float64 `json:"client_energy,omitempty"`
	// Sleep states (energy.Power.Sleep): the mean fraction of the window
	// the nodes slept, and the wake-ups they began in it. Empty without.
	Asleep        float64 `json:"asleep,omitempty"`
	Wakeups       int64   `json:"wakeups,omitempty"`
	StateAffinity float64 `json:"state_affinity,omitempty"`
	StateLost     float64 `json:"state_lost,omitempty"`
	// Elastic clusters (package scale): the integral over the run, from
	// time 0 to the last completion, of the nodes present (starting,
	// in service or draining), in node × model units; and the mean nodes
	// present per bin of ResponseBin. Empty on a fixed cluster.
	NodeSeconds   float64   `json:"node_seconds,omitempty"`
	NodesOverTime []float64 `json:"nodes_over_time,omitempty"`
	// JoinTime is, on agents, the mean time measured from a node's
	// addition to its agent joined: listed alive by serf, configured and
	// its load arrived through serf (model units). Empty in the simulator.
	JoinTime float64 `json:"join_time,omitempty"`
	// TierStats are the shared tiers' measurements, in the order of
	// Point.Tiers (empty without tiers). The CSV export has two columns a
	// tier: tier_utilization.NAME and tier_time.NAME.
	TierStats []TierStat `json:"tier_stats,omitempty"`
	// Server architectures, per bin of ResponseBin model units from the
	// start: threads in use and threads executing, per node.
	ThreadsOverTime   []float64 `json:"threads_over_time,omitempty"`
	ExecutingOverTime []float64 `json:"executing_over_time,omitempty"`
	NodeTLP           []float64 `json:"node_tlp"`   // per node: Σ i·cᵢ / (1 − c₀)
	GossipAge         float64   `json:"gossip_age"` // mean age of the gossiped load a decision read

	// Real backends only (zero in the simulator): what the run itself cost.
	GossipAgeP50   float64          `json:"gossip_age_p50"`     // age of gossiped load when a decision read it
	GossipAgeP99   float64          `json:"gossip_age_p99"`     //
	ProbeRTT       float64          `json:"probe_rtt"`          // mean of a round of parallel probes
	ProbeRTTP50    float64          `json:"probe_rtt_p50"`      //
	ProbeRTTP99    float64          `json:"probe_rtt_p99"`      //
	TransferRTTP50 float64          `json:"transfer_rtt_p50"`   // pushing a job to another agent, acknowledged
	TransferRTTP99 float64          `json:"transfer_rtt_p99"`   //
	ScheduleLagP99 float64          `json:"schedule_lag_p99"`   // dispatch time minus scheduled arrival: checks the generator
	DispatchDelay  float64          `json:"dispatch_delay"`     // mean time from a job's scheduled arrival to its arrival at an agent, leaving out submissions a fault held (fault.Fault.Holds)
	Failures       map[string]int64 `json:"failures,omitempty"` // failed jobs by reason
	ProcessCPU     float64          `json:"process_cpu"`        // CPU seconds the coordinator's process used during the run (local: agents included)
	// CPUSeconds is the CPU time the agents' processes used over the
	// point, each process once (a local cluster's agents share one),
	// the measured proxy of their energy; RAPLJoules what the RAPL
	// counters of their machines counted meanwhile, each machine once,
	// where readable. Real backends only.
	CPUSeconds   float64 `json:"cpu_seconds,omitempty"`
	RAPLJoules   float64 `json:"rapl_joules,omitempty"`
	ServiceError float64 `json:"service_error"`     // measured service time ÷ ideal (size ÷ speed) − 1, over measured jobs (CPU kernels: how well calibrated)
	EmulationLag float64 `json:"emulation_lag_p99"` // how late an executor noticed the end of emulated work, p99 of the worst agent: completions are reported that late
	SerfHealth   int     `json:"serf_health"`       // worst memberlist health score an agent reported (0 is healthy)
	// ServerCosts is what a server architecture's threads cost on the
	// agents (real backends with a server architecture; nil otherwise):
	// calibrate gives the simulator the costs its model has.
	ServerCosts *ServerCosts `json:"server_costs,omitempty"`

	// Fault injection (points with Point.Faults): what each fault did and
	// what it cost. Times are model units from the point's first arrival.
	FaultLog      []FaultEvent `json:"fault_log,omitempty"`
	DetectionTime float64      `json:"detection_time"` // mean over killed nodes of the time from the kill until gossip marked the member failed (0: no kill detected)
	TransferFails int64        `json:"transfer_fails"` // transfers that failed, the job kept and run by its sender instead (real backends; the simulator's refused by faults)
	// ResponseOverTime is the mean response time of the jobs that arrived
	// in each bin of ResponseBin model units from the first arrival (-1: no
	// job of that bin completed), and FailedOverTime how many of them
	// failed: how each policy coped around the faults. Points with faults
	// only.
	ResponseBin      float64   `json:"response_bin"`
	ResponseOverTime []float64 `json:"response_over_time,omitempty"`
	FailedOverTime   []int64   `json:"failed_over_time,omitempty"`
	// InSystemOverTime is the time-average number of jobs in the system
	// (waiting and in service, all nodes) in each bin of ResponseBin model
	// units: the queue over time, where the load varies or faults strike.
	InSystemOverTime []float64 `json:"in_system_over_time,omitempty"`

	SimTime   float64 `json:"sim_time"`            // model time at the last completion
	Events    int64   `json:"events"`              // events processed (simulator)
	Histogram string  `json:"histogram,omitempty"` // response times, latency.Histogram.Encode form
}

// TierStat is what one shared tier (package tier) measured.
type TierStat struct {
	Name        string  `json:"name"`
	Utilization float64 `json:"utilization"` // mean busy fraction of its servers over the window
	Time        float64 `json:"time"`        // mean time a call of a measured request spent there, queued and served
}

// ServerCosts are what a server architecture's threads cost on real
// agents, in model units: means over the requests of all agents.
type ServerCosts struct {
	// Create is what a request paid for its own thread or process before
	// its first burst: from a goroutine's creation to its first
	// instruction (thread-per-request), or the CPU of creating a process
	// measured on the agents and charged on the request's core
	// (process-per-request); 0 where threads are made in advance.
	Create float64 `json:"create"`
	// Switch is the CPU a time slice costs when more threads are runnable
	// than there are cores: 0, as the agents' emulated cores share time
	// without switching.
	Switch float64 `json:"switch"`
	// Event is, for an event loop, the time from a wait's completion to a
	// loop taking its event, beyond waiting for a loop to be free.
	Event float64 `json:"event"`
	// Handoff is the time from a request's arrival to an idle thread (or
	// loop) taking it; Resume the time a thread blocked in a wait takes to
	// run again once the wait is over. The simulator's model has no
	// parameter for either: they are the requests' own time on the agents.
	Handoff float64 `json:"handoff"`
	Resume  float64 `json:"resume"`
}

// Env says where and when a point ran.
type Env struct {
	Version string `json:"version"`
	// Commit is the VCS revision the binary was built from, and Modified
	// "true" when its tree had local changes, "false" when not; each is
	// "unknown" when the build carries no VCS stamp (go run and go build
	// stamp with -buildvcs=true). Records written before Modified existed
	// lack it.
	Commit    string    `json:"commit"`
	Modified  string    `json:"modified,omitempty"`
	Host      string    `json:"host"`
	CPU       string    `json:"cpu"`
	GoVersion string    `json:"go"`
	Start     time.Time `json:"start"`
	Seconds   float64   `json:"seconds"` // wall time the point took
}

// Record is one line of a store.
type Record struct {
	Point  Point  `json:"point"`
	Result Result `json:"result"`
	Env    Env    `json:"env"`
}

// FaultEvent is what one fault of a point did.
type FaultEvent struct {
	fault.Fault
	Applied float64 `json:"applied"` // model time it took effect, from the first arrival
	// Detected is, for a kill, the model time from the kill until gossip
	// marked the member failed (-1: not within the point).
	Detected float64 `json:"detected,omitempty"`
	// Failed counts the jobs that failed at the fault's nodes (Nodes and
	// Peers) from its start until a later fault of those nodes began.
	Failed int64  `json:"failed"`
	Error  string `json:"error,omitempty"` // why it could not be applied

	// An evacuation's work: the units it moved and those that could not
	// move (they stayed), the jobs that reached its nodes out of service
	// and went on to others, the bytes it sent, the sum and the longest of
	// the units' downtimes, and the migration time: from its start until
	// the last unit ran at its destination with all its state. Model units.
	Moved       int64   `json:"moved,omitempty"`
	Refused     int64   `json:"refused,omitempty"`
	Redirected  int64   `json:"redirected,omitempty"`
	Bytes       float64 `json:"bytes,omitempty"`
	Downtime    float64 `json:"downtime,omitempty"`
	MaxDowntime float64 `json:"max_downtime,omitempty"`
	Migration   float64 `json:"migration,omitempty"`
}

// UnmarshalJSON reads a Result as stored. A record written before a field
// existed leaves that field at its zero value, which would read as a
// measurement; where zero is a real value, the field starts at its
// "not known" value instead: WaitWhileIdle at -1 (records before
// wait_while_idle was measured).
func (r *Result) UnmarshalJSON(b []byte) error {
	type plain Result // without this method
	p := plain{WaitWhileIdle: -1}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*r = Result(p)
	return nil
}
