package experiment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/loadlab/loadlab/node"
	"github.com/loadlab/loadlab/node/wire"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/sim"
	"github.com/loadlab/loadlab/workload"
)

// Point is one run: what it is (results.Point) and what it needs to run.
type Point struct {
	results.Point
	Jobs           *workload.Workload // builds the point's jobs
	DispatchPolicy *policy.DispatchSpec
	MigratePolicy  *policy.MigrateSpec
	NodeSpeeds     []float64 // nil when homogeneous
	NodeDistances  []float64 // dispatcher-to-node delays; nil when none
	CostModel      sim.Costs
	Batches        int
	UnitModel      *workload.Units      // work units of code migration; nil when none
	UnitConfig     *workload.UnitConfig // what UnitModel was resolved from, for the agents
	NodePlatforms  []string             // each node's platform; nil when none
	HitBin         float64              // model units per bin of the code hit rate over time; 0: no series
	FaultList      []results.Fault      // faults injected; nil: none
	FaultBin       float64              // model units per bin of the response over time, with faults
	Join, Label    string               // testbed: a member's gossip address and the cluster label
	Bind           string               // testbed: the coordinator's address, reachable from the agents (default 127.0.0.1)
	Security       *wire.Security       // local, testbed: the cluster's secret (mutual TLS); nil: plaintext
	GossipKeys     [][]byte             // local, testbed: the cluster's gossip keyring; nil: unencrypted
}

// PointSeed derives the seed of a point from the sweep's root seed. It does
// not depend on the policy: every policy of a (workload, load, replication)
// sees the same jobs (common random numbers), so differences between
// policies are not noise in the arrivals.
func PointSeed(root uint64, workloadName string, load float64, replication int) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s/%g/%d", root, workloadName, load, replication)
	return h.Sum64()
}

// NewPoint builds a runnable point from its description; it fills Key.
func NewPoint(p results.Point, w *workload.Workload, d *policy.DispatchSpec, m *policy.MigrateSpec, speeds []float64, costs sim.Costs, batches int) Point {
	p.Dispatch, p.Migrate = d.String(), m.String()
	p.Arrival, p.Size = w.Arrival().String(), w.SizeString()
	p.SizeMean, p.SizeSCV = w.MeanSize(), w.SizeSCV()
	p.Costs = costs.String()
	p.Key = PointKey(p)
	return Point{Point: p, Jobs: w, DispatchPolicy: d, MigratePolicy: m, NodeSpeeds: speeds, CostModel: costs, Batches: batches}
}

// PointKey hashes everything that determines a point's result (not the
// spec hash), so the same point in two sweeps has the same key.
func PointKey(p results.Point) string {
	p.Key, p.Spec = "", ""
	b, _ := json.Marshal(p) // a struct of plain fields: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// Points expands the spec in the order replication, load, workload,
// policy, so the first replication of every point finishes first.
func (s *Spec) Points() ([]Point, error) { return s.pointsOf(0, s.Replications) }

// pointsOf expands the spec's points of replications from..to-1.
func (s *Spec) pointsOf(from, to int) ([]Point, error) {
	reg := policy.Builtin()
	speeds, err := workload.Speeds(s.Speeds, s.Nodes, s.Seed)
	if err != nil {
		return nil, err
	}
	homogeneous := true
	for _, v := range speeds {
		homogeneous = homogeneous && v == 1
	}
	speedSpec := s.Speeds
	if homogeneous {
		speeds, speedSpec = nil, "1"
	}
	var distances []float64
	if s.Distances != "" {
		if distances, err = workload.Distances(s.Distances, s.Nodes, s.Seed); err != nil {
			return nil, err
		}
	}
	type row struct {
		name   string
		d      *policy.DispatchSpec
		m      *policy.MigrateSpec
		gossip float64
		mode   string
		costs  sim.Costs
		units  *workload.UnitConfig
		faults []results.Fault
	}
	var rows []row
	for _, p := range s.Policies {
		d, err := reg.Dispatch(p.Dispatch)
		if err != nil {
			return nil, err
		}
		m, err := reg.Migrate(p.Migrate)
		if err != nil {
			return nil, err
		}
		g, mode := p.gossip(s)
		if mode == sim.GossipPeriodic {
			mode = "" // the default: keeps the keys of points that never set it
		}
		c, err := p.costs(s)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row{p.Name, d, m, g, mode, c, p.units(s), p.faults(s)})
	}
	works := make([]*workload.Workload, len(s.Workloads))
	for i, w := range s.Workloads {
		if works[i], err = workload.New(w.Config); err != nil {
			return nil, err
		}
	}
	var out []Point
	for rep := from; rep < to; rep++ {
		for _, load := range s.Loads {
			for wi, w := range s.Workloads {
				for _, r := range rows {
					for _, backend := range s.Backends {
						p := results.Point{Spec: s.hash, Policy: s.label(r.name, backend), Workload: w.Name, Load: load,
							Nodes: s.Nodes, Servers: s.Servers, Discipline: s.Discipline, Jobs: s.Jobs, Warmup: s.Warmup,
							Replication: rep, Seed: PointSeed(s.Seed, w.Name, load, rep), Backend: backend,
							Speeds: speedSpec, Distances: s.Distances, Gossip: r.gossip, GossipMode: r.mode, Faults: canonicalFaults(r.faults)}
						if backend != "sim" {
							p.TimeUnit, p.Kernel, p.Dispatchers = s.TimeUnit, s.Kernel, s.Dispatchers
						}
						var units *workload.Units
						if r.units != nil {
							p.Units, p.Platforms = canonicalUnits(*r.units), strings.Join(s.Platforms, ",")
							if units, err = workload.NewUnits(*r.units, works[wi].Classes()); err != nil {
								return nil, err
							}
						}
						pt := NewPoint(p, works[wi], r.d, r.m, speeds, r.costs, s.Batches)
						if units != nil {
							pt.UnitModel, pt.UnitConfig, pt.NodePlatforms = units, r.units, nodePlatforms(s.Platforms, s.Nodes)
							pt.HitBin = s.hitBin(works[wi], load, speeds)
						}
						pt.NodeDistances = distances
						if len(r.faults) > 0 {
							pt.FaultList = r.faults
							pt.FaultBin = s.FaultBin
							if pt.FaultBin == 0 {
								pt.FaultBin = s.runLength(works[wi], load, speeds) / faultBins
							}
						}
						pt.Join, pt.Label = s.Join, s.Label
						out = append(out, pt)
					}
				}
			}
		}
	}
	return out, nil
}

// label names a policy row in records and figures: with several backends
// each row appears once per backend.
func (s *Spec) label(policy, backend string) string {
	if len(s.Backends) > 1 {
		return policy + " (" + backend + ")"
	}
	return policy
}

// Labels returns the policy labels of the spec's points in the spec's order,
// the order of lines and colours in every figure.
func (s *Spec) Labels() []string {
	var out []string
	for _, p := range s.Policies {
		for _, b := range s.Backends {
			out = append(out, s.label(p.Name, b))
		}
	}
	return out
}

// Run runs one point on its backend and returns its record.
func Run(ctx context.Context, p Point) (results.Record, error) {
	start := time.Now()
	var res results.Result
	var err error
	switch p.Backend {
	case "sim":
		res, err = runSim(ctx, p)
	case "local", "testbed":
		res, err = runReal(ctx, p)
	default:
		err = fmt.Errorf("backend %s is not available in this version", p.Backend)
	}
	if err != nil {
		return results.Record{}, fmt.Errorf("point %s/%s/load=%g/rep=%d: %w", p.Point.Workload, p.Policy, p.Load, p.Replication, err)
	}
	env := HostEnv()
	env.Start = start.UTC().Truncate(time.Millisecond)
	env.Seconds = time.Since(start).Seconds()
	return results.Record{Point: p.Point, Result: res, Env: env}, nil
}

func runSim(ctx context.Context, p Point) (results.Result, error) {
	cfg := sim.Config{Nodes: p.Nodes, Servers: p.Servers, Discipline: p.Discipline, Speeds: p.NodeSpeeds, Distances: p.NodeDistances, Load: p.Load,
		Jobs: p.Point.Jobs, Warmup: p.Warmup, Seed: p.Seed, Gossip: p.Gossip, GossipMode: p.GossipMode, Batches: p.Batches, Costs: p.CostModel,
		Workload: p.Jobs, Dispatch: p.DispatchPolicy, Migrate: p.MigratePolicy, Units: p.UnitModel, Platforms: p.NodePlatforms, HitBin: p.HitBin,
		Faults: p.FaultList, FaultBin: p.FaultBin}
	return sim.Run(ctx, cfg)
}

// runReal runs the point on real agents: a cluster started for it on
// 127.0.0.1 (local), or agents already running (testbed).
func runReal(ctx context.Context, p Point) (results.Result, error) {
	unit, err := time.ParseDuration(p.TimeUnit)
	if err != nil {
		return results.Result{}, err
	}
	cfg := node.PointConfig{Nodes: p.Nodes, Servers: p.Servers, Speeds: p.NodeSpeeds, Distances: p.NodeDistances, Load: p.Load, Jobs: p.Point.Jobs,
		Warmup: p.Warmup, Seed: p.Seed, Batches: p.Batches, TimeUnit: unit, Kernel: p.Kernel, Discipline: p.Discipline,
		Workload: p.Jobs, Dispatch: p.DispatchPolicy, Migrate: p.MigratePolicy, Dispatchers: p.Dispatchers,
		Units: p.UnitConfig, Platforms: p.NodePlatforms, HitBin: p.HitBin, Faults: p.FaultList, FaultBin: p.FaultBin,
		Security: p.Security, GossipKeys: p.GossipKeys}
	if p.Gossip > 0 {
		cfg.Gossip = time.Duration(p.Gossip * float64(unit))
	}
	if p.Backend == "testbed" {
		bind := p.Bind
		if bind == "" {
			bind = "127.0.0.1"
		}
		return node.RunTestbed(ctx, cfg, p.Join, bind, p.Label)
	}
	return node.RunLocal(ctx, cfg)
}

// CheckReal validates the settings of the real backends.
func CheckReal(timeUnit, kernel string) error {
	d, err := time.ParseDuration(timeUnit)
	if err != nil || d < 100*time.Microsecond {
		return fmt.Errorf("time_unit %q: want a duration of at least 100µs, such as 10ms", timeUnit)
	}
	switch kernel {
	case "sleep", "hash", "matmul":
		return nil
	}
	return fmt.Errorf("kernel %q: allowed are sleep, hash, matmul", kernel)
}

// Version is loadlab's version, recorded with every result.
const Version = "0.1.0"

var hostEnv = func() results.Env {
	e := results.Env{Version: Version, GoVersion: runtime.Version(), Commit: "unknown"}
	e.Host, _ = os.Hostname()
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				e.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if e.CPU == "" {
		e.CPU = runtime.GOARCH
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				e.Commit = s.Value
			}
		}
	}
	if e.Commit == "unknown" { // builds here carry no VCS stamp: ask git
		if out, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
			e.Commit = strings.TrimSpace(string(out))
		}
	}
	return e
}()

// HostEnv says where this process runs.
func HostEnv() results.Env { return hostEnv }

// hitBins is how many bins the code hit rate over time has by default.
const hitBins = 20

// runLength is the expected model time of a run of w at load: its jobs
// over their arrival rate.
func (s *Spec) runLength(w *workload.Workload, load float64, speeds []float64) float64 {
	mean := 1.0
	if len(speeds) > 0 {
		mean = 0
		for _, v := range speeds {
			mean += v / float64(len(speeds))
		}
	}
	return float64(s.Jobs) / w.RateFor(load, s.Nodes*max(s.Servers, 1), mean)
}

// hitBin is the model time per bin of the code hit rate over time: the
// spec's hit_bin, or else the expected length of a run of w at load over
// hitBins.
func (s *Spec) hitBin(w *workload.Workload, load float64, speeds []float64) float64 {
	if s.HitBin > 0 {
		return s.HitBin
	}
	mean := 1.0
	if len(speeds) > 0 {
		mean = 0
		for _, v := range speeds {
			mean += v / float64(len(speeds))
		}
	}
	return float64(s.Jobs) / w.RateFor(load, s.Nodes*max(s.Servers, 1), mean) / hitBins
}
