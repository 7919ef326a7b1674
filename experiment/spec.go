// Package experiment turns a sweep spec into points, runs them on a backend
// in parallel, and stores every result so that a killed sweep resumes where
// it stopped.
package experiment

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/loadlab/loadlab/cache"
	"github.com/loadlab/loadlab/client"
	"github.com/loadlab/loadlab/energy"
	"github.com/loadlab/loadlab/external"
	"github.com/loadlab/loadlab/fault"
	"github.com/loadlab/loadlab/front"
	"github.com/loadlab/loadlab/node"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/scale"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/server"
	"github.com/loadlab/loadlab/session"
	"github.com/loadlab/loadlab/sim"
	"github.com/loadlab/loadlab/stats"
	"github.com/loadlab/loadlab/tier"
	"github.com/loadlab/loadlab/topology"
	"github.com/loadlab/loadlab/workload"
)

// Spec is a sweep: policies × workloads × loads × replications on one
// cluster and backend. Zero values take the defaults in DefaultSpec.
type Spec struct {
	Name         string        `yaml:"name"`             // names the output directory out/NAME (default: the file's base name)
	Backend      string        `yaml:"backend"`          // sim (default), local (real agents started on 127.0.0.1) or testbed (agents already running)
	Backends     []string      `yaml:"backends"`         // several backends on the same points, e.g. [sim, local]: every policy once per backend
	TimeUnit     string        `yaml:"time_unit"`        // real backends: wall time of one model unit (default 10ms); the simulator holds a request at most 1 s of it (faults)
	Kernel       string        `yaml:"kernel"`           // real backends: sleep (default), hash or matmul
	Dispatchers  int           `yaml:"dispatchers"`      // real backends: concurrent dispatcher instances (default 1)
	Calibrate    bool          `yaml:"calibrate"`        // with backends [sim, local|testbed]: simulate each point with the network costs measured on its real run (those the spec leaves at 0)
	Join         string        `yaml:"join"`             // testbed: gossip address (host:port) of any running agent
	Label        string        `yaml:"label"`            // testbed: the agents' cluster label (default loadlab)
	FindTimeout  string        `yaml:"find_timeout"`     // local, testbed: how long a point waits for its agents to be found (default 30s)
	Seed         uint64        `yaml:"seed"`             // root seed (default 1)
	Replications int           `yaml:"replications"`     // independent runs per point (default 3)
	Precision    float64       `yaml:"precision"`        // simulator: add replications until each mean's 95% half-width is within this fraction of it (0: off)
	MaxReps      int           `yaml:"max_replications"` // with precision: at most this many replications per point (default 50)
	Jobs         int           `yaml:"jobs"`             // jobs per run (default 100000)
	Warmup       int           `yaml:"warmup"`           // first jobs left out of the statistics (default jobs/10)
	WarmStart    string        `yaml:"warm_start"`       // simulator: how full the nodes start, meanfield(d=2) or tail(at_least=[…]) (default empty; see scenario.WarmStart)
	Nodes        int           `yaml:"nodes"`            // cluster size (default 16)
	Servers      int           `yaml:"servers"`          // servers per node (default 1)
	Discipline   string        `yaml:"discipline"`       // fcfs (default) or ps
	Admit        string        `yaml:"admit"`            // each node's admission policy: queue(k=…), codel(target=…, interval=…) (default none, see `loadlab policies`)
	Client       string        `yaml:"client"`           // client policy of every request: hedge(after=…), redundant(d=…), retry(…), joined by + (default none, see package client)
	Front        string        `yaml:"front"`            // the cluster's front end: relay(…) or handoff(…) (default none: a dispatcher of infinite capacity, see package front)
	Cache        string        `yaml:"cache"`            // each node's cache of keys: lru(entries=…) or lfu(entries=…) (default none, see package cache); workloads then need keys and hit
	State        string        `yaml:"state"`            // servers' per-client state: stateless(fetch=…) or stateful(transfer=…, rebuild=…) (default none, see package session); workloads then need keys, one a client
	Topology     string        `yaml:"topology"`         // sites and client regions: lan, sites(latency=[…]), ring(n=…), torus(x=…, y=…), hypercube(d=…), fattree(k=…) (default none, see package topology); workloads then give regions
	Tiers        []tier.Tier   `yaml:"tiers"`            // shared tiers the jobs' call phases call: [{name: db, servers: 2, discipline: fcfs, speed: 1}] (default none, see package tier); the simulator only
	Server       string        `yaml:"server"`           // server architecture of every node: iterative, pool(n=…), thread-per-request, process-per-request, event-loop; servers are then cores (default: none, see package server)
	Speeds       string        `yaml:"speeds"`           // node speeds: "1" (default), "1,2" cycled, or a distribution
	Distances    string        `yaml:"distances"`        // one-way delay from the dispatcher to each node: "0.01,0.2" cycled, or a distribution (default none)
	Gossip       float64       `yaml:"gossip"`           // load publication period (or delay); 0: exact views (default)
	GossipMode   string        `yaml:"gossip_mode"`      // periodic (default), individual or delayed: see sim.GossipPeriodic
	Batches      int           `yaml:"batches"`          // batch means per run for its own CI (default 30)
	Energy       *energy.Power `yaml:"energy"`           // power model of the nodes and network: {idle: 100, busy: 200, alpha: 3, speed: 1, byte: 0, message: 0}, sleep states with sleep: W, wake: D, after: T (default none, see package energy); records then carry energy
	Queue        int           `yaml:"queue"`            // jobs a node holds at most, waiting and in service: one more fails as "shed: queue full" (default 0: unbounded)
	Elastic      *scale.Config `yaml:"elastic"`          // nodes joining and leaving: {initial: 4, startup: 20, schedule: [{at: 500, add: 2}, {at: 1500, remove: 2}]}; nodes are then the most the cluster has (default none: fixed, see package scale)
	Loads        []float64     `yaml:"loads"`            // offered loads per server, each in (0, 1)
	Costs        sim.Costs     `yaml:"costs"`            // probe, transfer and message costs (default: free)
	Workloads    []Workload    `yaml:"workloads"`        // default: one Poisson/exponential workload
	Policies     []PolicyRow   `yaml:"policies"`         // at least one

	// Units are the work units of code migration (Fuggetta, Picco & Vigna
	// 1998): their code, resource and execution segments, the binding
	// table's overrides, the mobility method and the paradigm; see
	// workload.UnitConfig. With units every migration costs what the model
	// says over a link of costs.bandwidth and costs.latency (job_bytes is
	// not used). Absent: no units. The local and testbed backends move
	// real bytes by the same model, timing the moves for real.
	Units *workload.UnitConfig `yaml:"units"`
	// Platforms names each node's platform, cycled over the nodes like
	// speeds: [x86_64, arm64] makes nodes 0, 2, 4… x86_64. With
	// units.platforms.builds a unit runs only where its kernel has a build
	// (or on the interpreter tier). Default: none.
	Platforms []string `yaml:"platforms"`
	// HitBin is the model time per bin of the code caches' hit rate over
	// time (results: code_hits), with units. Default: a run's expected
	// length over 20.
	HitBin float64 `yaml:"hit_bin"`

	// Faults are injected into every point at their model time (from the
	// first arrival): kill, pause, slow, partition, cut, drop, delay; see
	// fault.Fault and docs/faults.md. The simulator models them all, with
	// the agents' semantics (sim/gate.go), and evacuate, which agents do not
	// run yet; a testbed does not run kill. A fault holds a request at most
	// one second of the agents' wall time: the simulator takes it as
	// 1 s / time_unit model units (100 at the default 10ms).
	Faults []fault.Fault `yaml:"faults"`
	// FaultBin is the model time per bin of the response time over time
	// (results: response_over_time) of points with faults. Default: a
	// run's expected length over 40.
	FaultBin float64 `yaml:"fault_bin"`

	// Axis sweeps a numeric setting or policy parameter over a list of
	// values, crossed with loads; the figures put it on x (see Axis).
	// Default: none (load is the x axis).
	Axis *Axis `yaml:"axis"`
	// Metrics are the y metrics of the figures along an axis, by the
	// names of stats.Metrics. Default: mean and p99 response time, and
	// the overheads any policy has.
	Metrics []string `yaml:"metrics"`

	file string     // where the spec came from, for error messages
	root *yaml.Node // the parsed document, for line numbers
	hash string
	raw  []byte
	// flags names the settings of a spec built from command-line flags
	// (OnePoint): setting → the flag as given, e.g. "servers" → "--servers 0".
	flags map[string]string
	// single: the spec of one point whose seed is Seed itself (OnePoint).
	single bool
	exp    *expansion // what every point is built from; set by validate
	// variants are the spec at each value of its axis (nil without one).
	variants []*Spec
}

// Workload is a named workload of a spec.
type Workload struct {
	Name            string `yaml:"name"`
	workload.Config `yaml:",inline"`
}

// PolicyRow is a named combination of a dispatch strategy and a migration
// policy: one line in every figure.
type PolicyRow struct {
	Name     string `yaml:"name"`     // label (default: the migration policy, or the dispatch strategy if it does not migrate)
	Dispatch string `yaml:"dispatch"` // default random
	Migrate  string `yaml:"migrate"`  // default none
	Server   string `yaml:"server"`   // server architecture of this row, overriding the spec's
	Admit    string `yaml:"admit"`    // admission policy of this row, overriding the spec's
	Client   string `yaml:"client"`   // client policy of this row, overriding the spec's
	Front    string `yaml:"front"`    // front end of this row, overriding the spec's
	State    string `yaml:"state"`    // per-client state of this row, overriding the spec's
	// Tiers of this row, replacing the spec's (an empty list: none).
	Tiers *[]tier.Tier `yaml:"tiers"`

	// Information policy and costs of this row, overriding the spec's.
	Gossip     *float64           `yaml:"gossip"`
	GossipMode string             `yaml:"gossip_mode"`
	Costs      map[string]float64 `yaml:"costs"` // e.g. {transfer_cpu: 0.2}: only the costs named change

	// Work units of this row, overriding the spec's units (which default
	// to workload.DefaultUnitConfig when only a row sets these): how
	// running units move, e.g. {method: pre-copy}, and the paradigm, e.g.
	// code-on-demand(cache=1e6).
	Mobility *workload.Mobility `yaml:"mobility"`
	Paradigm string             `yaml:"paradigm"`

	// Faults of this row, replacing the spec's (an empty list: none).
	Faults *[]fault.Fault `yaml:"faults"`

	// Elastic is this row's elastic plan, replacing the spec's, and
	// Scale its autoscaling policy, e.g. target(util=0.7, period=50)
	// (default none; see package scale and `loadlab policies`).
	Elastic *scale.Config `yaml:"elastic"`
	Scale   string        `yaml:"scale"`
}

// units is the row's unit configuration: the spec's with the row's
// overrides; nil when neither sets units.
func (p PolicyRow) units(s *Spec) *workload.UnitConfig {
	if s.Units == nil && p.Mobility == nil && p.Paradigm == "" {
		return nil
	}
	c := workload.UnitConfig{}
	if s.Units != nil {
		c = *s.Units
	}
	if p.Mobility != nil {
		c.Mobility = *p.Mobility
	}
	if p.Paradigm != "" {
		c.Paradigm = p.Paradigm
	}
	return &c
}

// gossip is the row's gossip period and mode.
func (p PolicyRow) gossip(s *Spec) (float64, string) {
	g, mode := s.Gossip, s.GossipMode
	if p.Gossip != nil {
		g = *p.Gossip
	}
	if p.GossipMode != "" {
		mode = p.GossipMode
	}
	return g, mode
}

// costs is the spec's cost model with the row's overrides.
func (p PolicyRow) costs(s *Spec) (sim.Costs, error) {
	c := s.Costs
	names := make([]string, 0, len(p.Costs))
	for k := range p.Costs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if err := c.Set(k, p.Costs[k]); err != nil {
			return c, err
		}
	}
	return c, nil
}

// DefaultSpec documents the defaults.
func DefaultSpec() Spec {
	return Spec{Backend: "sim", Seed: 1, Replications: 3, Jobs: 100000, Warmup: -1, Nodes: 16, Servers: 1,
		Discipline: "fcfs", Speeds: "1", Batches: 30}
}

// InputError is bad input from the user: a spec, a flag or a file. The
// command line reports it and exits with status 2.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// IsInput reports whether err is bad input.
func IsInput(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

// LoadSpec reads and validates a spec file.
func LoadSpec(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &InputError{fmt.Errorf("read spec: %w", err)}
	}
	return ParseSpec(path, data)
}

// ParseSpec parses and validates a spec; file names it in errors.
func ParseSpec(file string, data []byte) (*Spec, error) {
	s := DefaultSpec()
	s.file, s.raw = file, data
	if err := checkText(file, data); err != nil {
		return nil, &InputError{err}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &InputError{fmt.Errorf("%s", yamlMessage(file, err, nil))}
	}
	if len(root.Content) == 0 {
		return nil, &InputError{fmt.Errorf("%s: empty spec: it needs at least loads and policies (see examples/quick.yaml)", file)}
	}
	s.root = &root
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, &InputError{fmt.Errorf("%s", yamlMessage(file, err, &root))}
	}
	s.resolveFiles()
	if err := s.validate(); err != nil {
		return nil, &InputError{err}
	}
	if s.Axis != nil {
		if err := s.buildAxis(); err != nil {
			return nil, &InputError{err}
		}
	}
	sum := sha256.Sum256(data)
	s.hash = hex.EncodeToString(sum[:8])
	for _, v := range s.variants {
		v.hash, v.raw, v.Name = s.hash, s.raw, s.Name
	}
	return &s, nil
}

// resolveFiles makes the files the spec names (traces) relative to the
// spec's own directory.
func (s *Spec) resolveFiles() {
	for i := range s.Workloads {
		s.Workloads[i].Config.Dir = filepath.Dir(s.file)
	}
}

// decodeSpec decodes and validates the spec of a document already checked
// for unknown settings: a spec at one value of an axis.
func decodeSpec(file string, root *yaml.Node) (*Spec, error) {
	s := DefaultSpec()
	s.file, s.root = file, root
	if err := root.Content[0].Decode(&s); err != nil {
		return nil, fmt.Errorf("%s", yamlMessage(file, err, root))
	}
	s.resolveFiles()
	if err := s.validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// OnePoint validates a spec of one point built in Go, such as the one
// `loadlab run` builds from its flags, exactly as ParseSpec validates a
// spec file, and returns its point. flags names each setting as the user
// gave it, e.g. "servers" → "--servers 0", so that errors read "--servers
// 0: must be at least 1". The point's seed is s.Seed itself, not one
// derived from it, so that a seed copied from any record reruns that
// point. A policy row without a name is named after its policies.
func OnePoint(s Spec, flags map[string]string) (Point, error) {
	if len(s.Loads) != 1 || len(s.Policies) != 1 || len(s.Workloads) > 1 || len(s.Backends) > 1 || s.Replications != 1 || s.Precision != 0 {
		return Point{}, errors.New("experiment: OnePoint needs one load, policy, workload, backend and replication")
	}
	s.flags, s.single = flags, true
	if s.flags == nil {
		s.flags = map[string]string{}
	}
	if s.Name == "" {
		s.Name = "run"
	}
	s.Policies = slices.Clone(s.Policies)
	s.Workloads = slices.Clone(s.Workloads)
	if err := s.validate(); err != nil {
		return Point{}, &InputError{err}
	}
	return s.point(0), nil
}

// yamlMessage turns yaml.v3's "yaml: line 3: field foo not found in type
// experiment.Spec" into "spec.yaml:3: foo is not a setting here ...", and
// "line 2: cannot unmarshal !!float `0.5` into []float64" into
// "spec.yaml:2: loads: want a list, e.g. loads: [0.5]" (the key found in
// root, when given).
func yamlMessage(file string, err error, root *yaml.Node) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
	var lines []string
	for _, l := range strings.Split(msg, "\n") {
		l = strings.TrimSpace(l)
		if i := strings.Index(l, " not found in type "); i >= 0 {
			l = strings.Replace(l[:i], "field ", "", 1) + " is not a setting here (check the spelling; see examples/quick.yaml)"
		}
		if rest, ok := strings.CutPrefix(l, "line "); ok {
			if n, msg, ok := strings.Cut(rest, ": "); ok {
				if m := scalarForList.FindStringSubmatch(msg); m != nil {
					line, _ := strconv.Atoi(n)
					if key := keyAt(root, line, m[1]); key != "" {
						msg = fmt.Sprintf("%s: want a list, e.g. %s: [%s]", key, key, m[1])
					}
				}
				l = file + ":" + n + ": " + msg
			}
		} else {
			l = file + ": " + l
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "; ")
}

// scalarForList matches yaml.v3's error for one value where a list belongs.
var scalarForList = regexp.MustCompile("^cannot unmarshal !!\\w+ `(.*)` into \\[\\]")

// keyAt finds the key whose scalar value is value on line, anywhere in the
// document under n; "" when there is none.
func keyAt(n *yaml.Node, line int, value string) string {
	if n == nil {
		return ""
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind == yaml.ScalarNode && v.Line == line && v.Value == value {
				return k.Value
			}
		}
	}
	for _, c := range n.Content {
		if k := keyAt(c, line, value); k != "" {
			return k
		}
	}
	return ""
}

// checkText refuses a spec that is not UTF-8 text, naming the line and
// column (and byte offset) of the first byte that is not: YAML's own error
// has no position. Files that start with a UTF-16 or UTF-32 byte-order mark
// are left to the YAML parser, which reads them.
func checkText(file string, data []byte) error {
	if bytes.HasPrefix(data, []byte{0xfe, 0xff}) || bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0, 0, 0xfe, 0xff}) {
		return nil
	}
	line, col := 1, 1
	for off := 0; off < len(data); {
		r, size := utf8.DecodeRune(data[off:])
		switch {
		case r == utf8.RuneError && size == 1:
			return fmt.Errorf("%s:%d:%d: byte 0x%02x (offset %d) is not UTF-8: save the spec as UTF-8 text", file, line, col, data[off], off)
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r', r == 0x7f, r >= 0x80 && r <= 0x9f && r != 0x85, r == 0xfffe, r == 0xffff:
			what := fmt.Sprintf("byte 0x%02x", data[off])
			if size > 1 {
				what = fmt.Sprintf("character %U", r)
			}
			return fmt.Errorf("%s:%d:%d: %s (offset %d) is not text: a spec is a YAML text file (is this the right file?)", file, line, col, what, off)
		case r == '\n':
			line, col = line+1, 0
		}
		off += size
		col++
	}
	return nil
}

// Hash identifies the spec's content.
func (s *Spec) Hash() string { return s.hash }

// Raw returns the spec's bytes as read.
func (s *Spec) Raw() []byte { return s.raw }

// File is where the spec came from.
func (s *Spec) File() string { return s.file }

// line finds the line of a path of keys and list indices in the document,
// e.g. line("policies", "2", "migrate"); the deepest node found counts.
func (s *Spec) line(path ...string) int {
	if s.root == nil || len(s.root.Content) == 0 {
		return 0
	}
	n := s.root.Content[0]
	ln := n.Line
	for _, p := range path {
		var next *yaml.Node
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == p {
					ln = n.Content[i].Line
					next = n.Content[i+1]
				}
			}
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(p); err == nil && i < len(n.Content) {
				next = n.Content[i]
				ln = next.Line
			}
		}
		if next == nil {
			break
		}
		n = next
	}
	return ln
}

// errAt makes an error that names the file, line and setting, or, in a
// spec built from flags, the flag.
func (s *Spec) errAt(path []string, format string, args ...any) error {
	name := settingName(path)
	msg := fmt.Sprintf(format, args...)
	if s.flags != nil {
		if f, ok := s.flags[name]; ok {
			return fmt.Errorf("%s: %s", f, msg)
		}
		return fmt.Errorf("%s: %s", name, msg)
	}
	return fmt.Errorf("%s:%d: %s: %s", s.file, s.line(path...), name, msg)
}

// settingName writes a path of keys and indices as "policies[1].migrate".
func settingName(path []string) string {
	var b strings.Builder
	for i, p := range path {
		if _, err := strconv.Atoi(p); err == nil {
			b.WriteString("[" + p + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

// Upper bounds of a spec's sizes.
const (
	maxNodes   = 1_000_000
	maxServers = 10_000
	maxBatches = 100_000
	// MaxPoints bounds the points of a spec: policies × workloads × loads
	// × replications (max_replications with precision) × backends. Each
	// point is a run and a record; a bigger sweep is a typo, or one to
	// split into several specs.
	MaxPoints = 1_000_000
)

func (s *Spec) validate() error {
	if s.Warmup == -1 {
		s.Warmup = s.Jobs / 10
	}
	// The upper bounds keep a typo from allocating memory the machine does
	// not have (per-node and per-batch arrays) instead of reporting it.
	for _, f := range []struct {
		name           string
		v, least, most int
	}{{"nodes", s.Nodes, 1, maxNodes}, {"servers", s.Servers, 1, maxServers}, {"jobs", s.Jobs, 1, math.MaxInt}, {"batches", s.Batches, 2, maxBatches}} {
		if f.v < f.least {
			return s.errAt([]string{f.name}, "must be at least %d, got %d", f.least, f.v)
		}
		if f.v > f.most {
			return s.errAt([]string{f.name}, "at most %d, got %d", f.most, f.v)
		}
	}
	if s.Name == "" {
		base := s.file[strings.LastIndexAny(s.file, `/\`)+1:]
		s.Name = strings.TrimSuffix(strings.TrimSuffix(base, ".yaml"), ".yml")
	}
	if strings.ContainsAny(s.Name, `/\ `) || s.Name == "." || s.Name == ".." {
		return s.errAt([]string{"name"}, "%q cannot name a directory: use letters, digits, '-', '_' or '.'", s.Name)
	}
	if len(s.Backends) == 0 {
		s.Backends = []string{s.Backend}
	}
	anyReal := false
	seenBackend := map[string]bool{}
	for i, b := range s.Backends {
		path := []string{"backend"}
		if len(s.Backends) > 1 || s.Backends[0] != s.Backend {
			path = []string{"backends", strconv.Itoa(i)}
		}
		if seenBackend[b] {
			return s.errAt(path, "backend %s listed twice", b)
		}
		seenBackend[b] = true
		if _, ok := BackendNamed(b); !ok {
			return s.errAt(path, "%v", unknownBackend(b))
		}
		anyReal = anyReal || IsReal(b)
		if _, _, err := net.SplitHostPort(s.Join); IsTestbed(b) && err != nil {
			return s.errAt([]string{"join"}, "testbed needs join: host:port of a running agent's gossip address (`loadlab cluster` prints it), got %q", s.Join)
		}
	}
	if s.FindTimeout != "" {
		if d, err := time.ParseDuration(s.FindTimeout); err != nil || d <= 0 {
			return s.errAt([]string{"find_timeout"}, "want a positive duration such as 30s or 2m, got %q", s.FindTimeout)
		}
	}
	if s.Calibrate && (!slices.ContainsFunc(s.Backends, func(b string) bool { return !IsReal(b) }) || !anyReal) {
		return s.errAt([]string{"calibrate"}, "needs backends with sim and a real backend, e.g. backends: [sim, local]")
	}
	if s.Dispatchers < 0 || s.Dispatchers > 64 {
		return s.errAt([]string{"dispatchers"}, "want 1 to 64, got %d", s.Dispatchers)
	}
	if anyReal {
		if s.TimeUnit == "" {
			s.TimeUnit = "10ms"
		}
		if s.Kernel == "" {
			s.Kernel = "sleep"
		}
		if d, err := time.ParseDuration(s.TimeUnit); err != nil || d < 100*time.Microsecond {
			return s.errAt([]string{"time_unit"}, "want a duration of at least 100µs, such as 10ms, got %q", s.TimeUnit)
		}
		if !slices.Contains(kernels, s.Kernel) {
			return s.errAt([]string{"kernel"}, "allowed are %s, got %q", strings.Join(kernels, ", "), s.Kernel)
		}
	} else if d, err := time.ParseDuration(s.TimeUnit); s.TimeUnit != "" && (err != nil || d <= 0) {
		return s.errAt([]string{"time_unit"}, "want a positive duration, such as 10ms (the simulator holds a request at most 1 s of it), got %q", s.TimeUnit)
	}
	if s.Replications < 1 {
		return s.errAt([]string{"replications"}, "must be at least 1, got %d", s.Replications)
	}
	if s.Precision != 0 {
		switch {
		case !(s.Precision > 0 && s.Precision < 1):
			return s.errAt([]string{"precision"}, "want a relative half-width between 0 and 1, such as 0.02, got %g", s.Precision)
		case anyReal:
			return s.errAt([]string{"precision"}, "adding replications until a precision is met works on the simulator only for now")
		}
		if s.MaxReps == 0 {
			s.MaxReps = 50
		}
		if s.MaxReps < s.Replications {
			return s.errAt([]string{"max_replications"}, "must be at least replications (%d), got %d", s.Replications, s.MaxReps)
		}
	}
	if len(s.Loads) == 0 {
		return s.errAt([]string{"loads"}, "give at least one load, e.g. loads: [0.5, 0.7, 0.9]")
	}
	for i, l := range s.Loads {
		if !(l > 0 && l < 1) {
			return s.errAt([]string{"loads", strconv.Itoa(i)}, "%g is not a load: each must be between 0 and 1 (exclusive)", l)
		}
		if j := slices.Index(s.Loads, l); j < i {
			return s.errAt([]string{"loads", strconv.Itoa(i)}, "%g is listed twice (also loads[%d]): give each load once", l, j)
		}
	}
	if len(s.Workloads) == 0 {
		s.Workloads = []Workload{{Name: "exp", Config: workload.DefaultConfig()}}
	}
	seen := map[string]bool{}
	for i, w := range s.Workloads {
		path := []string{"workloads", strconv.Itoa(i)}
		if w.Name == "" {
			s.Workloads[i].Name = fmt.Sprintf("w%d", i)
		}
		if seen[s.Workloads[i].Name] {
			return s.errAt(append(path, "name"), "workload name %q used twice", w.Name)
		}
		seen[s.Workloads[i].Name] = true
		if w.Arrival != "" {
			_, err := workload.ParseArrival(w.Arrival)
			if workload.ReadsFile(w.Arrival) {
				_, err = workload.New(w.Config)
			}
			if err != nil {
				return s.errAt(append(path, "arrival"), "%v", err)
			}
		}
		if w.Size != "" {
			if _, err := workload.ParseDist(w.Size); err != nil {
				return s.errAt(append(path, "size"), "%v", err)
			}
		}
		if _, err := workload.New(w.Config); err != nil {
			return s.errAt(path, "%v", err)
		}
	}
	if len(s.Policies) == 0 {
		return s.errAt([]string{"policies"}, "give at least one policy, e.g. - {dispatch: random, migrate: none}")
	}
	reg := external.Builtin()
	seen = map[string]bool{}
	unnamed := make([]bool, len(s.Policies)) // rows named after their policies
	for i := range s.Policies {
		p := &s.Policies[i]
		path := []string{"policies", strconv.Itoa(i)}
		unnamed[i] = p.Name == ""
		if p.Dispatch == "" {
			p.Dispatch = "random"
		}
		if p.Migrate == "" {
			p.Migrate = "none"
		}
		d, err := reg.Dispatch(p.Dispatch)
		if err != nil {
			return s.errAt(append(path, "dispatch"), "%v", err)
		}
		m, err := reg.Migrate(p.Migrate)
		if err != nil {
			return s.errAt(append(path, "migrate"), "%v", err)
		}
		arch, err := p.server(s)
		if err != nil {
			return s.errAt(settingAt(path, "server", p.Server), "%v", err)
		}
		switch {
		case p.Name != "":
		case s.single: // loadlab run: both policies, as the registry writes them
			p.Name = d.String()
			if m.String() != "none" {
				p.Name += " + " + m.String()
			}
		case p.Migrate == "none":
			p.Name = p.Dispatch
		default:
			p.Name = p.Migrate
		}
		cp, err := p.client(s)
		if err != nil {
			return s.errAt(settingAt(path, "client", p.Client), "%v", err)
		}
		if unnamed[i] && p.Client != "" { // the row's own client policy tells it apart
			p.Name += " + " + cp.String()
		}
		ad, err := p.admit(s)
		if err != nil {
			return s.errAt(settingAt(path, "admit", p.Admit), "%v", err)
		}
		if unnamed[i] && p.Admit != "" { // the row's own admission policy tells it apart
			p.Name += " admit " + ad.String()
		}
		fe, err := p.front(s)
		if err != nil {
			return s.errAt(settingAt(path, "front", p.Front), "%v", err)
		}
		if unnamed[i] && p.Front != "" { // the row's own front end tells it apart
			p.Name += " via " + fe.String()
		}
		st, err := p.state(s)
		if err != nil {
			return s.errAt(settingAt(path, "state", p.State), "%v", err)
		}
		if unnamed[i] && p.State != "" { // the row's own state tells it apart
			p.Name += " " + st.Kind
		}
		ts, err := p.tiers(s)
		if err != nil {
			return s.errAt(tiersAt(path, *p), "%v", err)
		}
		if unnamed[i] && p.Tiers != nil { // the row's own tiers tell it apart
			p.Name += " with " + tier.Canonical(ts)
		}
		if unnamed[i] && p.Server != "" { // the row's own architecture tells it apart
			if p.Name == "random" {
				p.Name = arch.String()
			} else {
				p.Name += " @ " + arch.String()
			}
		}
		if seen[p.Name] {
			return s.errAt(append(path, "name"), "policy name %q used twice: give each row its own name", p.Name)
		}
		seen[p.Name] = true
	}
	if _, err := workload.Speeds(s.Speeds, checked(s.Speeds, s.Nodes), s.Seed); err != nil {
		return s.errAt([]string{"speeds"}, "%v", err)
	}
	if s.Distances != "" {
		if _, err := workload.Distances(s.Distances, checked(s.Distances, s.Nodes), s.Seed); err != nil {
			return s.errAt([]string{"distances"}, "%v", err)
		}
	}
	if err := s.validateUnits(); err != nil {
		return err
	}
	if err := s.validateFaults(); err != nil {
		return err
	}
	if _, err := cache.Parse(s.Cache); err != nil {
		return s.errAt([]string{"cache"}, "%v", err)
	}
	if w, err := scenario.ParseWarmStart(s.WarmStart); err != nil {
		return s.errAt([]string{"warm_start"}, "%v", err)
	} else if w != nil && slices.ContainsFunc(s.Backends, IsReal) {
		return s.errAt([]string{"warm_start"}, "backend %s: a warm start runs in the simulator only (agents start empty): leave it out, or use backend sim", s.Backends[slices.IndexFunc(s.Backends, IsReal)])
	}
	if s.Costs.Links != "" && s.Costs.Links != sim.LinksDedicated && slices.ContainsFunc(s.Backends, IsReal) {
		return s.errAt([]string{"costs", "links"}, "backend %s: shared links (%s) run in the simulator only so far (agents' moves share their real network): use backend sim", s.Backends[slices.IndexFunc(s.Backends, IsReal)], s.Costs.Links)
	}
	if s.Energy.Sleeps() && slices.ContainsFunc(s.Backends, IsReal) {
		return s.errAt([]string{"energy", "sleep"}, "backend %s: sleep states run in the simulator only so far (an agent cannot sleep its machine): leave out sleep, wake and after, or use backend sim", s.Backends[slices.IndexFunc(s.Backends, IsReal)])
	}
	top, err := topology.Parse(s.Topology)
	if err != nil {
		return s.errAt([]string{"topology"}, "%v", err)
	}
	if top != nil && slices.ContainsFunc(s.Backends, IsReal) && slices.ContainsFunc(s.Workloads, func(w Workload) bool { return w.Tasks > 1 }) {
		return s.errAt([]string{"topology"}, "backend %s: requests with tasks run with a topology in the simulator only so far (agents emulate the paths for plain jobs; see docs/clusters.md): use backend sim, or tasks: 1", s.Backends[slices.IndexFunc(s.Backends, IsReal)])
	}
	probe := sim.Config{Model: scenario.Model{Nodes: s.Nodes, Servers: s.Servers, Queue: s.Queue, Power: s.Energy, Discipline: s.Discipline, Load: s.Loads[0], Jobs: s.Jobs, Warmup: s.Warmup, Batches: s.Batches, Topology: top}, Gossip: s.Gossip, GossipMode: s.GossipMode, Costs: s.Costs}
	if s.Distances != "" && top != nil { // a probe without distances: say it here
		return s.errAt([]string{"distances"}, "a topology gives the distance from each client region to each node: leave distances out with topology %s", top)
	}
	if err := s.checkSettings(nil, probe); err != nil {
		return err
	}
	for i, p := range s.Policies {
		path := []string{"policies", strconv.Itoa(i)}
		if err := s.checkElastic(i, p); err != nil {
			return err
		}
		c, err := p.costs(s)
		if err != nil {
			return s.errAt(append(path, "costs"), "%v", err)
		}
		probe.Gossip, probe.GossipMode = p.gossip(s)
		probe.Costs = c
		if err := s.checkSettings(path, probe); err != nil {
			return err
		}
		if err := s.checkServer(path, p, probe); err != nil {
			return err
		}
		real := slices.IndexFunc(s.Backends, IsReal)
		if arch, _ := p.server(s); arch != nil && real >= 0 {
			if !node.RunsArch(arch.Name) {
				return s.errAt(append(path, "server"), "backend %s: %s runs in the simulator only so far (agents run iterative, pool, thread-per-request, process-per-request and event-loop): use backend sim", s.Backends[real], arch.Name)
			}
			if s.Kernel != "sleep" {
				return s.errAt([]string{"kernel"}, "backend %s: server architectures (%s) run on agents with the sleep kernel only so far (their cores are emulated): use kernel: sleep", s.Backends[real], arch)
			}
		}
		if d, err := external.Builtin().Dispatch(p.Dispatch); err == nil && policy.Reserves(d) && real >= 0 {
			return s.errAt(append(path, "dispatch"), "backend %s: %s binds tasks late, which runs in the simulator only so far: use backend sim, or binding=early", s.Backends[real], d)
		}
		if st, _ := p.state(s); st != nil && real >= 0 {
			return s.errAt(settingAt(path, "state", p.State), "backend %s: per-client state runs in the simulator only so far: use backend sim", s.Backends[real])
		}
		if ts, _ := p.tiers(s); ts != nil && real >= 0 {
			return s.errAt(tiersAt(path, p), "backend %s: tiers run in the simulator only so far (an agent's call phase would need a tier of agents to call): use backend sim", s.Backends[real])
		}
		if cp, _ := p.client(s); cp != nil && top != nil && real >= 0 {
			return s.errAt(settingAt(path, "client", p.Client), "backend %s: a client policy runs with a topology in the simulator only so far (agents emulate the paths for plain jobs; see docs/clusters.md): use backend sim", s.Backends[real])
		}
	}
	if err := s.checkSize(); err != nil {
		return err
	}
	for i, m := range s.Metrics {
		if err := stats.CheckMetrics([]string{m}); err != nil {
			return s.errAt([]string{"metrics", strconv.Itoa(i)}, "%v", err)
		}
	}
	e, err := s.expand()
	if err != nil {
		return fmt.Errorf("%s: %w", s.file, err) // each part was checked above: not expected
	}
	// A row without a name that repeats another row's configuration is the
	// same policy written twice (pod and pod(d=2)): it would run the same
	// points again. Rows named apart are kept: a named row may equal a
	// baseline in one sweep and differ in another it is compared with.
	for i, r := range e.rows {
		for j := range i {
			if unnamed[i] && e.rows[j].config == r.config {
				return s.errAt([]string{"policies", strconv.Itoa(i)}, "%q is the same as policies[%d] (%q): give each policy once, or name both rows to run it twice", r.name, j, e.rows[j].name)
			}
		}
	}
	s.exp = e
	return nil
}

// kernels are the ways real agents do work.
var kernels = []string{"sleep", "hash", "matmul"}

// checkSize refuses a spec of more than MaxPoints points, naming each
// factor, at the line of the largest.
func (s *Spec) checkSize() error {
	reps, repName := s.Replications, "replications"
	if s.Precision > 0 && s.MaxReps > reps {
		reps, repName = s.MaxReps, "max_replications"
	}
	factors := []struct {
		name string
		n    int
	}{{"policies", len(s.Policies)}, {"workloads", len(s.Workloads)}, {"loads", len(s.Loads)}, {repName, reps}, {"backends", len(s.Backends)}}
	if s.Axis != nil {
		factors = append(factors, struct {
			name string
			n    int
		}{"axis", s.axisCount()})
	}
	total := big.NewInt(1)
	largest := 0
	var parts []string
	for i, f := range factors {
		total.Mul(total, big.NewInt(int64(f.n)))
		parts = append(parts, fmt.Sprintf("%s %d", f.name, f.n))
		if f.n > factors[largest].n {
			largest = i
		}
	}
	if total.Cmp(big.NewInt(MaxPoints)) <= 0 {
		return nil
	}
	key := factors[largest].name
	if key == "backends" && len(s.Backends) == 1 {
		key = "backend"
	}
	return s.errAt([]string{key}, "%s = %s points, more than the limit of %d: run fewer, or split the sweep into several specs",
		strings.Join(parts, " × "), total, MaxPoints)
}

// checkSettings validates the simulator settings of the spec, or of the
// policy row at path, and names the setting at fault.
func (s *Spec) checkSettings(path []string, c sim.Config) error {
	err := c.ValidateSettings()
	var fe *scenario.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	return s.errAt(append(path, strings.Split(fe.Field, ".")...), "%v", fe.Err)
}

// server is the row's server architecture: its own or the spec's; nil
// when neither sets one.
func (p PolicyRow) server(s *Spec) (*server.Arch, error) {
	spec := p.Server
	if spec == "" {
		spec = s.Server
	}
	if spec == "" {
		return nil, nil
	}
	return server.Parse(spec)
}

// checkServer checks the row's server architecture against each workload
// and the row's policies, faults and units (scenario.Model.ValidateSettings).
func (s *Spec) checkServer(path []string, p PolicyRow, probe sim.Config) error {
	arch, _ := p.server(s) // parsed once already
	probe.Server = arch
	probe.Client, _ = p.client(s)
	probe.Admit, _ = p.admit(s)
	probe.Front, _ = p.front(s)
	probe.Tiers, _ = p.tiers(s)
	probe.Cache, _ = cache.Parse(s.Cache)
	probe.WarmStart, _ = scenario.ParseWarmStart(s.WarmStart)
	probe.State, _ = p.state(s)
	probe.Topology, _ = topology.Parse(s.Topology)
	if d, err := external.Builtin().Dispatch(p.Dispatch); err == nil && policy.Reserves(d) {
		probe.Dispatch = d // late binding: what goes with it is checked with it
	}
	tasks := slices.ContainsFunc(s.Workloads, func(w Workload) bool { return w.Tasks > 1 })
	if arch != nil || probe.Client != nil || tasks || probe.Dispatch != nil { // what goes with an architecture, a client policy, tasks or late binding (without them, these were checked above)
		probe.Faults = p.faults(s)
		probe.Migrate, _ = external.Builtin().Migrate(p.Migrate)
	}
	if (arch != nil || probe.Dispatch != nil) && p.units(s) != nil {
		probe.Platforms = nodePlatforms(s.Platforms, max(s.Nodes, 1))
		if probe.Platforms == nil {
			probe.Platforms = []string{""}
		}
	}
	for wi, w := range s.Workloads {
		wl, err := workload.New(w.Config)
		if err != nil {
			return nil // reported where workloads are checked
		}
		probe.Workload = wl
		err = probe.ValidateSettings()
		if err == nil {
			continue
		}
		var fe *scenario.FieldError
		if !errors.As(err, &fe) {
			return err
		}
		where := []string{fe.Field} // a setting of the spec's, such as discipline
		if fe.Field == "server" && p.Server != "" {
			where = append(path, "server")
		}
		if fe.Field == "server" && p.Server == "" && s.Server == "" {
			where = path // the row runs jobs with phases on plain servers
		}
		if fe.Field == "dispatch" {
			where = append(path, "dispatch")
		}
		if fe.Field == "cache" {
			where = []string{"cache"}
		}
		if fe.Field == "regions" { // the workload's shares, or the topology that wants them
			where = []string{"topology"}
			if len(w.Regions) > 0 {
				where = []string{"workloads", strconv.Itoa(wi), "regions"}
			}
		}
		if fe.Field == "front" {
			where = settingAt(path, "front", p.Front)
		}
		if fe.Field == "admit" {
			where = settingAt(path, "admit", p.Admit)
		}
		if fe.Field == "state" {
			where = settingAt(path, "state", p.State)
		}
		if fe.Field == "tiers" {
			where = tiersAt(path, p)
		}
		return s.errAt(where, "%v", fe.Err)
	}
	return nil
}

// client is the row's client policy: its own or the spec's; nil when
// neither sets one.
func (p PolicyRow) client(s *Spec) (*client.Policy, error) {
	spec := p.Client
	if spec == "" {
		spec = s.Client
	}
	return client.Parse(spec)
}

// admit is the row's admission policy: its own or the spec's; nil when
// neither sets one.
func (p PolicyRow) admit(s *Spec) (*policy.AdmitSpec, error) {
	spec := p.Admit
	if spec == "" {
		spec = s.Admit
	}
	if spec == "" {
		return nil, nil
	}
	return external.Builtin().Admit(spec)
}

// front is the row's front end: its own or the spec's; nil when neither
// sets one.
func (p PolicyRow) front(s *Spec) (*front.Front, error) {
	spec := p.Front
	if spec == "" {
		spec = s.Front
	}
	return front.Parse(spec)
}

// state is the row's per-client state: its own or the spec's; nil when
// neither sets one.
func (p PolicyRow) state(s *Spec) (*session.Config, error) {
	spec := p.State
	if spec == "" {
		spec = s.State
	}
	return session.Parse(spec)
}

// tiers is the row's tiers, defaults filled in: its own or the spec's;
// nil when neither has any.
func (p PolicyRow) tiers(s *Spec) ([]tier.Tier, error) {
	ts := s.Tiers
	if p.Tiers != nil {
		ts = *p.Tiers
	}
	return tier.Check(ts)
}

// tiersAt is where the tiers of row p (at path) were given.
func tiersAt(path []string, p PolicyRow) []string {
	if p.Tiers != nil {
		return append(path, "tiers")
	}
	return []string{"tiers"}
}

// settingAt is where a row's setting field was given: the row's own
// (value not empty) at path, or else the spec's.
func settingAt(path []string, field, value string) []string {
	if value == "" {
		return []string{field}
	}
	return append(path, field)
}

// checked is how many nodes' values of a speeds or distances spec
// validation draws: all nodes', unless every node has the same value (a
// million nodes then build no list to throw away).
func checked(spec string, nodes int) int {
	if _, same := workload.Constant(spec); same {
		return 1
	}
	return max(nodes, 1)
}
