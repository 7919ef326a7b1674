package experiment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"iter"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/loadlab/loadlab/cache"
	"github.com/loadlab/loadlab/client"
	"github.com/loadlab/loadlab/external"
	"github.com/loadlab/loadlab/fault"
	"github.com/loadlab/loadlab/front"
	"github.com/loadlab/loadlab/node"
	"github.com/loadlab/loadlab/node/wire"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/scale"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/server"
	"github.com/loadlab/loadlab/session"
	"github.com/loadlab/loadlab/sim"
	"github.com/loadlab/loadlab/tier"
	"github.com/loadlab/loadlab/topology"
	"github.com/loadlab/loadlab/workload"
)

// Point is one run: what it is (results.Point, its stored description,
// key and seed) and what runs: the Model every backend takes, and each
// backend's own settings. NewPoint derives the description's copy of the
// Model's settings from the Model, so the two cannot disagree.
type Point struct {
	results.Point
	Model       scenario.Model
	CostModel   sim.Costs            // the simulator's cost model
	UnitModel   *workload.Units      // work units of code migration, resolved for the simulator; nil when none
	UnitConfig  *workload.UnitConfig // what UnitModel was resolved from, for the agents
	Join, Label string               // testbed: a member's gossip address and the cluster label
	FindTimeout string               // local, testbed: how long to wait for the agents ("": node.DefaultFindTimeout)
	HoldLimit   float64              // sim: the longest a fault holds a request, in model units (sim.Config.HoldLimit; 0: its default)
	Bind        string               // testbed: the coordinator's address, reachable from the agents (default 127.0.0.1)
	Security    *wire.Security       // local, testbed: the cluster's secret (mutual TLS); nil: plaintext
	GossipKeys  [][]byte             // local, testbed: the cluster's gossip keyring; nil: unencrypted
	Metrics     *node.Metrics        // local, testbed: where the point shows its metrics as it runs (node.PointConfig.Metrics); nil: nowhere
	// OnIssue, if set, is called with each job as the backend issues it,
	// in issue order, as the workload drew it (sim.Config.OnIssue,
	// node.PointConfig.OnIssue): the point's job list. It must be quick.
	OnIssue func(workload.Job)
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

// NewPoint builds a runnable point from its Model, its cost model and the
// rest of its description (names, backend, settings given as text): it
// fills the description's copy of the Model's settings, and Key.
func NewPoint(p results.Point, m scenario.Model, costs sim.Costs) Point {
	p.Nodes, p.Servers, p.Queue, p.Discipline, p.Load = m.Nodes, m.Servers, m.Queue, m.Discipline, m.Load
	p.PowerModel = m.Power.String()
	p.Elastic, p.Scale = m.Elastic.String(), m.Scale.String()
	p.Jobs, p.Warmup, p.Seed = m.Jobs, m.Warmup, m.Seed
	p.WarmStart = m.WarmStart.String()
	p.Dispatch, p.Migrate = m.Dispatch.String(), m.Migrate.String()
	p.Arrival, p.Size = m.Workload.Arrival().String(), m.Workload.SizeString()
	p.SizeMean, p.SizeSCV = m.Workload.MeanSize(), m.Workload.SizeSCV()
	p.Faults = canonicalFaults(m.Faults)
	p.Server, p.Client, p.Admit, p.Tasks = serverString(m.Server), clientString(m.Client), m.Admit.String(), m.Workload.Tasks()
	if p.Tasks == 1 {
		p.Tasks = 0 // the default: keeps the keys of points stored before tasks
	}
	p.Front, p.Cache, p.State = m.Front.String(), m.Cache.String(), m.State.String()
	p.Topology, p.Regions = m.Topology.String(), m.Workload.RegionString()
	p.Tiers = tier.Canonical(m.Tiers)
	if d := m.Workload.Hit(); d != nil {
		p.Hit = d.String()
	}
	if d := m.Workload.Response(); d != nil {
		p.Response = d.String()
	}
	p.Costs = costs.String()
	p.Key = PointKey(p)
	return Point{Point: p, Model: m, CostModel: costs}
}

// PointKey hashes everything that determines a point's result (not the
// spec hash), so the same point in two sweeps has the same key. The key is
// a point's configuration identity: resume, the reuse of stored points by
// an extended spec and merge all compare keys, and Spec.check names the
// fields (the same ones, by JSON name) that differ.
func PointKey(p results.Point) string {
	p.Key, p.Spec = "", ""
	b, _ := json.Marshal(p) // a struct of plain fields: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// row is a policy row resolved: its policies, information policy, costs,
// units and faults.
type row struct {
	name   string
	d      *policy.DispatchSpec
	m      *policy.MigrateSpec
	gossip float64
	mode   string
	costs  sim.Costs
	units  *workload.UnitConfig
	models []*workload.Units // units resolved for each workload; nil without units
	faults []fault.Fault
	server *server.Arch      // nil: none
	client *client.Policy    // nil: none
	admit  *policy.AdmitSpec // nil: none
	front  *front.Front      // nil: none
	state  *session.Config   // nil: none
	tiers  []tier.Tier       // nil: none
	plan   *scale.Config     // elastic plan; nil: none
	scaler *policy.ScaleSpec // autoscaler; nil: none
	config string            // what the row's points record of it, for finding rows that differ only in name
}

// expansion is what every point of a spec is built from, resolved once:
// a point is then a cheap function of its index (Spec.point), so a sweep
// streams its points instead of holding them all.
type expansion struct {
	speeds    []float64 // nil when homogeneous
	speedSpec string
	distances []float64
	rows      []row
	works     []*workload.Workload
	cache     *cache.Config       // each node's cache of keys; nil: none
	warm      *scenario.WarmStart // how full the nodes start; nil: empty
	topology  *topology.Topology  // sites and client regions; nil: none
	// Where each coordinate of a stored point is in the spec.
	loadAt  map[float64]int
	workAt  map[string]int
	labelAt map[string][2]int // policy label → row, backend
}

// expand resolves the spec's rows, workloads, speeds and distances.
func (s *Spec) expand() (*expansion, error) {
	reg := external.Builtin()
	e := &expansion{speedSpec: s.Speeds, loadAt: map[float64]int{}, workAt: map[string]int{}, labelAt: map[string][2]int{}}
	var err error
	if v, same := workload.Constant(s.Speeds); !same || v != 1 {
		if e.speeds, err = workload.Speeds(s.Speeds, s.Nodes, s.Seed); err != nil {
			return nil, err
		}
	}
	homogeneous := true
	for _, v := range e.speeds {
		homogeneous = homogeneous && v == 1
	}
	if homogeneous {
		e.speeds, e.speedSpec = nil, "1"
	}
	if s.Distances != "" {
		if e.distances, err = workload.Distances(s.Distances, s.Nodes, s.Seed); err != nil {
			return nil, err
		}
	}
	if e.cache, err = cache.Parse(s.Cache); err != nil {
		return nil, err
	}
	if e.warm, err = scenario.ParseWarmStart(s.WarmStart); err != nil {
		return nil, err
	}
	if e.topology, err = topology.Parse(s.Topology); err != nil {
		return nil, err
	}
	for i, w := range s.Workloads {
		wl, err := workload.New(w.Config)
		if err != nil {
			return nil, err
		}
		e.works = append(e.works, wl)
		e.workAt[w.Name] = i
	}
	for i, l := range s.Loads {
		e.loadAt[l] = i
	}
	for i, p := range s.Policies {
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
		arch, err := p.server(s)
		if err != nil {
			return nil, err
		}
		cp, err := p.client(s)
		if err != nil {
			return nil, err
		}
		ad, err := p.admit(s)
		if err != nil {
			return nil, err
		}
		fe, err := p.front(s)
		if err != nil {
			return nil, err
		}
		st, err := p.state(s)
		if err != nil {
			return nil, err
		}
		ts, err := p.tiers(s)
		if err != nil {
			return nil, err
		}
		sc, err := p.scaler()
		if err != nil {
			return nil, err
		}
		r := row{name: p.Name, d: d, m: m, gossip: g, mode: mode, costs: c, units: p.units(s), faults: p.faults(s), server: arch, client: cp, admit: ad, front: fe, state: st, tiers: ts,
			plan: p.elastic(s), scaler: sc}
		units := ""
		if r.units != nil {
			units = canonicalUnits(*r.units)
			for _, w := range e.works {
				u, err := workload.NewUnits(*r.units, w.Classes())
				if err != nil {
					return nil, err
				}
				r.models = append(r.models, u)
			}
		}
		r.config = strings.Join([]string{d.String(), m.String(), strconv.FormatFloat(g, 'g', -1, 64), mode, c.String(), units, canonicalFaults(r.faults), serverString(arch), clientString(cp), fe.String(), st.String(), tier.Canonical(ts), r.plan.String(), sc.String()}, "\x00")
		if ad != nil {
			r.config += "\x00" + ad.String() // appended: rows without one keep their config
		}
		e.rows = append(e.rows, r)
		for b, backend := range s.Backends {
			e.labelAt[s.label(p.Name, backend)] = [2]int{i, b}
		}
	}
	return e, nil
}

// expansion returns what the spec's points are built from.
func (s *Spec) expansion() *expansion {
	if s.exp == nil {
		panic("experiment: a Spec must come from ParseSpec or OnePoint") // a programmer error
	}
	return s.exp
}

// perReplication is the number of points of one replication.
func (s *Spec) perReplication() int {
	return len(s.Loads) * s.axisCount() * len(s.Workloads) * len(s.Policies) * len(s.Backends)
}

// Count is the number of points of the spec (without the replications
// that precision may add).
func (s *Spec) Count() int { return s.perReplication() * s.Replications }

// point builds the spec's point of index i. Points are numbered in the
// order replication, load, axis value, workload, policy, backend (the last
// varying fastest), so the first replication of every point finishes first
// and a policy's backends are neighbours; i may go past Count, into the
// replications that precision adds.
func (s *Spec) point(i int) Point { return s.pointAt(s.coords(i)) }

// coords splits a point's index into its replication and the indices of
// its load, axis value, workload, policy row and backend.
func (s *Spec) coords(i int) (rep, li, ai, wi, ri, bi int) {
	bi = i % len(s.Backends)
	i /= len(s.Backends)
	ri = i % len(s.Policies)
	i /= len(s.Policies)
	wi = i % len(s.Workloads)
	i /= len(s.Workloads)
	ai = i % s.axisCount()
	i /= s.axisCount()
	li = i % len(s.Loads)
	rep = i / len(s.Loads)
	return rep, li, ai, wi, ri, bi
}

// shardOf returns the shard (0 to n-1) of the point of index i: a hash of
// its policy row's name, workload, load, axis value and replication. A
// row's backends share a shard, so a calibrated twin stays with its real
// run; and a point keeps its shard when the spec gains policies, loads,
// workloads, axis values or replications, so each shard's directory reuses
// what it stored.
func (s *Spec) shardOf(i, n int) int {
	rep, li, ai, wi, ri, _ := s.coords(i)
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00%g\x00%d", s.Policies[ri].Name, s.Workloads[wi].Name, s.Loads[li], rep)
	if s.Axis != nil {
		fmt.Fprintf(h, "\x00%s=%g", s.Axis.Name, s.Axis.Values[ai])
	}
	return int(h.Sum64() % uint64(n))
}

// pointAt builds the point of replication rep, load li, axis value ai,
// workload wi, row ri and backend bi. A point on an axis is its value's
// spec's point, with the axis and its value (X) recorded.
func (s *Spec) pointAt(rep, li, ai, wi, ri, bi int) Point {
	if s.variants != nil {
		pt := s.variants[ai].pointAt(rep, li, 0, wi, ri, bi)
		pt.Point.Spec = s.hash
		pt.Point.Axis, pt.Point.X = s.Axis.Name, s.Axis.Values[ai]
		pt.Point.Key = PointKey(pt.Point)
		return pt
	}
	e := s.expansion()
	r, w, load, backend := e.rows[ri], s.Workloads[wi], s.Loads[li], s.Backends[bi]
	seed := PointSeed(s.Seed, w.Name, load, rep)
	if s.single {
		seed = s.Seed
	}
	m := scenario.Model{Nodes: s.Nodes, Servers: s.Servers, Queue: s.Queue, Power: s.Energy, Discipline: s.Discipline, Speeds: e.speeds, Distances: e.distances,
		Load: load, Jobs: s.Jobs, Warmup: s.Warmup, Seed: seed, Batches: s.Batches, Workload: e.works[wi], Dispatch: r.d, Migrate: r.m, Server: r.server, Client: r.client, Admit: r.admit, Front: r.front, Cache: e.cache, State: r.state, Topology: e.topology, Tiers: r.tiers,
		Elastic: r.plan, Scale: r.scaler, WarmStart: e.warm}
	if r.units != nil {
		m.Platforms, m.HitBin = nodePlatforms(s.Platforms, s.Nodes), s.hitBin(e.works[wi], load, e.speeds)
	}
	if len(r.faults) > 0 || r.server != nil || workload.IsVarying(e.works[wi].Arrival()) || m.IsElastic() { // series over time: around faults, of threads, as the load changes, of the nodes
		m.Faults, m.FaultBin = r.faults, s.FaultBin
		if m.FaultBin == 0 {
			m.FaultBin = s.runLength(e.works[wi], load, e.speeds) / faultBins
		}
	}
	p := results.Point{Spec: s.hash, Policy: s.label(r.name, backend), Workload: w.Name, Replication: rep, Backend: backend,
		Speeds: e.speedSpec, Distances: s.Distances, Gossip: r.gossip, GossipMode: r.mode}
	if IsReal(backend) {
		p.TimeUnit, p.Kernel, p.Dispatchers = s.TimeUnit, s.Kernel, s.Dispatchers
	}
	if r.units != nil {
		p.Units, p.Platforms = canonicalUnits(*r.units), strings.Join(s.Platforms, ",")
	}
	pt := NewPoint(p, m, r.costs)
	if r.units != nil {
		pt.UnitModel, pt.UnitConfig = r.models[wi], r.units
	}
	pt.Join, pt.Label, pt.FindTimeout = s.Join, s.Label, s.FindTimeout
	if d, err := time.ParseDuration(s.TimeUnit); err == nil && d > 0 && len(m.Faults) > 0 {
		pt.HoldLimit = float64(time.Second) / float64(d) // the agents' maxHold, in model units
	}
	return pt
}

// All yields the spec's points of replications from..to-1 with their
// indices, in index order (see point). It builds each point when it is
// asked for, so it holds one point at a time, and it stops early when ctx
// is done.
func (s *Spec) All(ctx context.Context, from, to int) iter.Seq2[int, Point] {
	return func(yield func(int, Point) bool) {
		n := s.perReplication()
		for i := from * n; i < to*n; i++ {
			if ctx.Err() != nil || !yield(i, s.point(i)) {
				return
			}
		}
	}
}

// Points returns the spec's points in index order (see point).
func (s *Spec) Points() ([]Point, error) {
	out := make([]Point, 0, s.Count())
	for _, p := range s.All(context.Background(), 0, s.Replications) {
		out = append(out, p)
	}
	return out, nil
}

// find returns the index of the spec's point with the coordinates of p
// (policy label, workload, load, axis value, replication, backend), replications that
// precision may add included; ok is false when the spec has no such point.
func (s *Spec) find(p results.Point) (i int, ok bool) {
	e := s.expansion()
	rb, ok1 := e.labelAt[p.Policy]
	wi, ok2 := e.workAt[p.Workload]
	li, ok3 := e.loadAt[p.Load]
	ai, ok4 := s.axisIndex(p.Axis, p.X)
	reps := s.Replications
	if s.Precision > 0 {
		reps = max(reps, s.MaxReps)
	}
	if !ok1 || !ok2 || !ok3 || !ok4 || s.Backends[rb[1]] != p.Backend || p.Replication < 0 || p.Replication >= reps {
		return 0, false
	}
	return ((((p.Replication*len(s.Loads)+li)*s.axisCount()+ai)*len(s.Workloads)+wi)*len(s.Policies)+rb[0])*len(s.Backends) + rb[1], true
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
	b, ok := BackendNamed(p.Backend)
	if !ok {
		return results.Record{}, unknownBackend(p.Backend)
	}
	res, err := b.Run(ctx, p)
	if err != nil {
		return results.Record{}, fmt.Errorf("point %s/%s/load=%g/rep=%d: %w", p.Point.Workload, p.Policy, p.Load, p.Replication, err)
	}
	env := HostEnv()
	env.Start = start.UTC().Truncate(time.Millisecond)
	env.Seconds = time.Since(start).Seconds()
	return results.Record{Point: p.Point, Result: res, Env: env}, nil
}

// Version is loadlab's version, recorded with every result.
const Version = "0.1.0"

// Unknown is what Env records of the build's revision, and of whether its
// tree was modified, when the build carries no VCS stamp (go run, go test,
// -buildvcs=false): no guess from the working directory, which may be
// another repository.
const Unknown = "unknown"

// BuildVCS returns the revision the binary was built from and whether its
// tree had local changes ("true" or "false"), from the build's VCS stamp;
// each is Unknown when the build has none.
func BuildVCS(bi *debug.BuildInfo) (revision, modified string) {
	revision, modified = Unknown, Unknown
	if bi == nil {
		return revision, modified
	}
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision" && s.Value != "":
			revision = s.Value
		case s.Key == "vcs.modified" && s.Value != "":
			modified = s.Value
		}
	}
	return revision, modified
}

// hostEnv is computed at the first record, not at start-up: reading
// /proc and the build info costs nothing to a command that runs no point.
var hostEnv = sync.OnceValue(func() results.Env {
	e := results.Env{Version: Version, GoVersion: runtime.Version()}
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
	bi, _ := debug.ReadBuildInfo()
	e.Commit, e.Modified = BuildVCS(bi)
	return e
})

// HostEnv says where this process runs and which build it is.
func HostEnv() results.Env { return hostEnv() }

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

// serverString is the canonical form of a server architecture, "" for none.
func serverString(a *server.Arch) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// clientString is the canonical form of a client policy, "" for none.
func clientString(p *client.Policy) string {
	if p == nil {
		return ""
	}
	return p.String()
}
