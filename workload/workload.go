// Package workload generates the jobs of an experiment: arrival processes,
// job-size distributions, classes, content keys and node speeds, all from
// named seeded random streams.
package workload

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Job is one unit of work as issued.
type Job struct {
	ID      int64   // 0, 1, ... in arrival order
	Arrival float64 // scheduled arrival time, model units
	Size    float64 // service demand: time on a speed-1 server
	Class   int32   // index into the workload's classes (0 when there are none)
	Key     int32   // content key, 0..n-1, Zipf-popular (0 when there are no keys)
	Task    int32   // with Config.Tasks k > 1: which of its request's k tasks this is (the k share ID, Arrival, Class and Key)
	Region  int32   // client region it comes from (Config.Regions; 0 when there is one)
	// Phases, for a job that blocks, alternate CPU bursts and waits:
	// [cpu₀, wait₀, cpu₁, …, cpuₖ], Size the sum of the bursts (see
	// IOConfig). nil for a plain job: one burst of Size.
	Phases []float64
}

// Blocked returns the job's total waiting time: the sum of its waits.
func (j *Job) Blocked() float64 {
	s := 0.0
	for i := 1; i < len(j.Phases); i += 2 {
		s += j.Phases[i]
	}
	return s
}

// Stream returns the random stream called name of the run seeded by seed:
// rand.New(rand.NewPCG(seed, fnv-1a-64(name))). Same seed and name, same numbers.
func Stream(seed uint64, name string) *rand.Rand {
	h := uint64(14695981039346656037) // FNV-1a 64-bit offset basis
	for i := 0; i < len(name); i++ {
		h ^= uint64(name[i])
		h *= 1099511628211 // FNV-1a 64-bit prime
	}
	return rand.New(rand.NewPCG(seed, h))
}

// ClassConfig is one class of jobs.
type ClassConfig struct {
	Name   string  `yaml:"name"`   // "" = "class<i>"
	Weight float64 `yaml:"weight"` // relative share of jobs, >= 0; 0 (omitted) = 1
	Size   string  `yaml:"size"`   // "" = the workload's size distribution (and phases)
	Phases string  `yaml:"phases"` // instead of size: this class's phases, e.g. "cpu(exp(mean=0.2)), io(det(value=1))"
}

// Config of a workload; zero values take the documented defaults.
type Config struct {
	Arrival string        `yaml:"arrival"` // default "poisson"
	Size    string        `yaml:"size"`    // default "exp(mean=1)"
	Classes []ClassConfig `yaml:"classes"` // default: one class called "default"
	Keys    string        `yaml:"keys"`    // "" (no keys) or "zipf(n=1000, s=1.1)"
	// Phases, instead of size, makes jobs alternate CPU bursts and
	// blocking waits, each phase with its own distribution:
	// "cpu(exp(mean=0.2)), io(det(value=1)), cpu(exp(mean=0.3))".
	Phases string `yaml:"phases"`
	// IO, beside size, cuts each job's CPU demand into bursts with
	// blocking waits between them that make up IO.Share of its time.
	// Default: none (jobs never block).
	IO *IOConfig `yaml:"io"`
	// Tasks is the number of tasks a request fans out into (a fork-join
	// request: a multithreaded client): each task is placed on its own
	// and has its own size; the request completes when all have.
	// Default 1. Load counts the work of all tasks.
	Tasks int `yaml:"tasks"`
	// Response is the distribution of a response's size in bytes, which
	// a relaying front end passes back (front.Front). Default: none (0
	// bytes).
	Response string `yaml:"response"`
	// Hit is the size distribution of a request whose key is warm in its
	// node's cache (scenario.Model.Cache); size is then a miss's. Default:
	// none (a cache needs it).
	Hit string `yaml:"hit"`
	// Regions is the share of requests from each client region (a
	// topology's regions, scenario.Model.Topology), e.g. [0.5, 0.3, 0.2];
	// normalised to sum 1. Default: one region.
	Regions []float64 `yaml:"regions"`
	// Users, when set, makes the workload closed: that many users, each
	// issuing one request, waiting for it to end (completed or failed),
	// thinking for a time drawn from Think, and issuing the next. With
	// arrival left out there is no open stream, and a point's load does
	// not set the rate (the users and their think time do); with an
	// arrival, an open stream at the load's rate runs beside the users (a
	// mixed population). Default 0: open arrivals.
	Users int    `yaml:"users"`
	Think string `yaml:"think"` // with users: the think-time distribution (required), e.g. exp(mean=5)
	// Dir is the directory a trace's files are relative to (a spec's
	// own); "" is the working directory. Not part of the workload's
	// description: the same trace from two places is the same workload.
	Dir string `yaml:"-"`
}

// MaxTasks is the most tasks a request may fan out into.
const MaxTasks = 100_000

// DefaultConfig returns the default workload: Poisson arrivals, exp(mean=1) sizes, one class, no keys.
func DefaultConfig() Config {
	return Config{Arrival: "poisson", Size: "exp(mean=1)"}
}

// Validate reports whether New would accept c.
func (c Config) Validate() error {
	_, err := New(c)
	return err
}

// Workload is a parsed and validated Config.
type Workload struct {
	arrival ArrivalSpec
	size    Dist      // the workload's own size distribution
	names   []string  // class names
	weights []float64 // class weights, sum 1
	sizes   []Dist    // size (CPU demand) distribution per class
	plans   []*plan   // phases per class; nil entries for plain jobs, nil when no class has phases
	keyN    int       // number of keys, 0 when there are none
	keyS    float64   // Zipf exponent
	keySpec string    // canonical key spec, "" when there are none
	tasks   int       // tasks per request (1: plain requests)
	resp    Dist      // response size in bytes; nil: none
	hit     Dist      // size of a request that hits its node's cache; nil: none
	regions []float64 // share of requests per client region, sum 1; nil: one region
	replay  *replay   // a trace replayed (arrival: trace(…)); nil: jobs are drawn
	users   int       // closed users (Config.Users); 0: open arrivals
	think   Dist      // with users: think times
}

// New parses and validates c, filling in defaults.
func New(c Config) (*Workload, error) {
	d := DefaultConfig()
	traced := IsTrace(c.Arrival)
	open := strings.TrimSpace(c.Arrival) != "" // an open stream given (beside closed users: a mixed population)
	if traced && (strings.TrimSpace(c.Size) != "" || strings.TrimSpace(c.Phases) != "" || c.IO != nil || len(c.Classes) > 0 || strings.TrimSpace(c.Keys) != "" || c.Tasks > 1) {
		return nil, fmt.Errorf("workload: a trace gives the jobs' arrivals, sizes, classes and keys: leave size, phases, io, classes, keys and tasks out")
	}
	if strings.TrimSpace(c.Arrival) == "" {
		c.Arrival = d.Arrival
	}
	phased := strings.TrimSpace(c.Phases) != ""
	switch {
	case phased && strings.TrimSpace(c.Size) != "":
		return nil, fmt.Errorf("workload: give size or phases, not both (phases set the CPU demand)")
	case phased && c.IO != nil:
		return nil, fmt.Errorf("workload: give io or phases, not both (io cuts size into bursts; phases list them)")
	case strings.TrimSpace(c.Size) == "":
		c.Size = d.Size
	}
	w := &Workload{tasks: max(c.Tasks, 1)}
	if c.Tasks < 0 || c.Tasks > MaxTasks {
		return nil, fmt.Errorf("workload tasks: must be between 1 and %d (0 means 1), got %d", MaxTasks, c.Tasks)
	}
	var err error
	if strings.TrimSpace(c.Hit) != "" {
		if w.hit, err = ParseDist(c.Hit); err != nil {
			return nil, fmt.Errorf("workload hit: %w", err)
		}
	}
	if strings.TrimSpace(c.Response) != "" {
		if w.resp, err = ParseDist(c.Response); err != nil {
			return nil, fmt.Errorf("workload response: %w", err)
		}
	}
	if traced {
		return w.fromTrace(c)
	}
	if c.Arrival, err = inlinePiecewise(c.Arrival, c.Dir); err != nil {
		return nil, fmt.Errorf("workload arrival: %w", err)
	}
	if w.arrival, err = ParseArrival(c.Arrival); err != nil {
		return nil, fmt.Errorf("workload arrival: %w", err)
	}
	if err := w.closed(c, open); err != nil {
		return nil, err
	}
	var own *plan // the workload's own phases
	if phased {
		if own, w.size, err = parsePhases(c.Phases); err != nil {
			return nil, fmt.Errorf("workload phases: %w", err)
		}
	} else if w.size, err = ParseDist(c.Size); err != nil {
		return nil, fmt.Errorf("workload size: %w", err)
	}
	// shape is the plan of a class of the given size: the workload's io
	// applied to it.
	shape := func(size Dist) (*plan, error) {
		if c.IO == nil {
			return nil, nil
		}
		return ioPlan(*c.IO, size)
	}
	if !phased {
		if own, err = shape(w.size); err != nil {
			return nil, fmt.Errorf("workload %w", err)
		}
	}
	if len(c.Classes) == 0 {
		w.names, w.weights, w.sizes, w.plans = []string{"default"}, []float64{1}, []Dist{w.size}, []*plan{own}
	}
	if len(c.Classes) > math.MaxInt32 {
		return nil, fmt.Errorf("workload: too many classes (%d)", len(c.Classes))
	}
	seen := map[string]bool{}
	total := 0.0
	for i, cc := range c.Classes {
		name := strings.TrimSpace(cc.Name)
		if name == "" {
			name = "class" + strconv.Itoa(i)
		}
		if seen[name] {
			return nil, fmt.Errorf("workload class %d: name %q used twice", i, name)
		}
		seen[name] = true
		wt := cc.Weight
		if !(wt >= 0) || math.IsInf(wt, 0) {
			return nil, fmt.Errorf("workload class %q: weight must be a finite number >= 0 (0 or omitted means 1), got %v", name, wt)
		}
		if wt == 0 {
			wt = 1
		}
		size, pl := w.size, own
		switch {
		case strings.TrimSpace(cc.Size) != "" && strings.TrimSpace(cc.Phases) != "":
			return nil, fmt.Errorf("workload class %q: give size or phases, not both", name)
		case strings.TrimSpace(cc.Phases) != "":
			if pl, size, err = parsePhases(cc.Phases); err != nil {
				return nil, fmt.Errorf("workload class %q phases: %w", name, err)
			}
		case strings.TrimSpace(cc.Size) != "":
			if size, err = ParseDist(cc.Size); err != nil {
				return nil, fmt.Errorf("workload class %q size: %w", name, err)
			}
			if pl, err = shape(size); err != nil {
				return nil, fmt.Errorf("workload class %q %w", name, err)
			}
		}
		w.names = append(w.names, name)
		w.weights = append(w.weights, wt)
		w.sizes = append(w.sizes, size)
		w.plans = append(w.plans, pl)
		total += wt
	}
	if len(c.Classes) > 0 {
		for i := range w.weights {
			w.weights[i] /= total
		}
	}
	if !slices.ContainsFunc(w.plans, func(p *plan) bool { return p != nil }) {
		w.plans = nil
	}
	if len(c.Regions) > 0 {
		if w.regions, err = shares(c.Regions); err != nil {
			return nil, fmt.Errorf("workload regions: %w", err)
		}
	}
	if strings.TrimSpace(c.Keys) != "" {
		if w.keyN, w.keyS, err = parseKeys(c.Keys); err != nil {
			return nil, fmt.Errorf("workload keys: %w", err)
		}
		w.keySpec = fmt.Sprintf("zipf(n=%d, s=%v)", w.keyN, w.keyS)
	}
	return w, nil
}

// MaxRegions is the most client regions a workload may name.
const MaxRegions = 1024

// shares checks a list of shares (finite, ≥ 0, summing to more than 0)
// and normalises it to sum 1.
func shares(xs []float64) ([]float64, error) {
	if len(xs) > MaxRegions {
		return nil, fmt.Errorf("at most %d, got %d", MaxRegions, len(xs))
	}
	sum := 0.0
	for i, x := range xs {
		if !(x >= 0) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("region %d has share %v, want a finite number ≥ 0", i, x)
		}
		sum += x
	}
	if !(sum > 0) {
		return nil, fmt.Errorf("the shares sum to 0: give some region a share > 0")
	}
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = x / sum
	}
	return out, nil
}

// Regions returns the share of requests from each client region, summing
// to 1; nil when there is one region.
func (w *Workload) Regions() []float64 { return slices.Clone(w.regions) }

// RegionString is the canonical list of region shares, "0.5,0.3,0.2" ("":
// one region).
func (w *Workload) RegionString() string {
	parts := make([]string, len(w.regions))
	for i, x := range w.regions {
		parts[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

// MaxUsers is the most closed users a workload may have.
const MaxUsers = 10_000_000

// closed reads c's closed users, if any: the arrival process is then the
// users' (its canonical form names them and their think time), beside the
// open stream c.Arrival when open says it was given (a mixed population).
func (w *Workload) closed(c Config, open bool) error {
	switch {
	case c.Users == 0 && strings.TrimSpace(c.Think) == "":
		return nil
	case c.Users < 1 || c.Users > MaxUsers:
		return fmt.Errorf("workload users: want 1 to %d users (or none: open arrivals), got %d", MaxUsers, c.Users)
	case strings.TrimSpace(c.Think) == "":
		return fmt.Errorf("workload think: closed users need a think-time distribution, e.g. think: exp(mean=5)")
	case c.Tasks > 1:
		return fmt.Errorf("workload tasks: closed users do not yet issue requests of several tasks: leave tasks out")
	}
	d, err := ParseDist(c.Think)
	if err != nil {
		return fmt.Errorf("workload think: %w", err)
	}
	w.users, w.think = c.Users, d
	ca := closedArrivals{users: c.Users, think: d}
	if open {
		ca.open = w.arrival
	}
	w.arrival = ca
	return nil
}

// Closed returns the closed users and their think-time distribution; 0
// and nil for open arrivals.
func (w *Workload) Closed() (users int, think Dist) { return w.users, w.think }

// Open reports whether the workload has an open arrival stream: always
// without closed users; beside them when the workload gave an arrival.
func (w *Workload) Open() bool {
	a, ok := w.arrival.(closedArrivals)
	return !ok || a.open != nil
}

// closedArrivals stands for closed users as an arrival process, and for
// the open stream beside them (open; nil: none): their canonical form,
// "closed(users=8, think=exp(mean=5))" or "poisson + closed(…)". The
// simulator issues the users' requests; the open stream's gaps come from
// New, at the load's rate.
type closedArrivals struct {
	users int
	think Dist
	open  ArrivalSpec
}

func (a closedArrivals) New(rate float64) Arrivals {
	if a.open != nil {
		return a.open.New(rate)
	}
	return poissonSpec{}.New(rate)
}

func (a closedArrivals) String() string {
	s := "closed(users=" + strconv.Itoa(a.users) + ", think=" + a.think.String() + ")"
	if a.open != nil {
		s = a.open.String() + " + " + s
	}
	return s
}

func (a closedArrivals) SCV() float64 {
	if a.open != nil {
		return a.open.SCV()
	}
	return a.think.SCV()
}

// fromTrace finishes w, whose jobs replay the trace c.Arrival names.
func (w *Workload) fromTrace(c Config) (*Workload, error) {
	r, err := loadReplay(c.Arrival, c.Dir)
	if err != nil {
		return nil, fmt.Errorf("workload arrival: %w", err)
	}
	if len(c.Regions) > 0 {
		if w.regions, err = shares(c.Regions); err != nil {
			return nil, fmt.Errorf("workload regions: %w", err)
		}
	}
	w.replay, w.arrival, w.names = r, replayArrivals{r}, r.names
	w.sizes, w.weights = r.classSizes()
	if r.keyN > 1 {
		w.keyN, w.keySpec = r.keyN, "trace"
	}
	return w, nil
}

// MeanSize returns the mean job size over classes, weighted.
func (w *Workload) MeanSize() float64 {
	m := 0.0
	for i, d := range w.sizes {
		m += w.weights[i] * d.Mean()
	}
	return m
}

// SizeSCV returns the squared coefficient of variation of the class mixture's
// job size: E[X²] = Σ w_i m_i² (1 + c_i²), math.Inf(1) if any class's is infinite.
func (w *Workload) SizeSCV() float64 {
	m, m2 := 0.0, 0.0
	for i, d := range w.sizes {
		mi := d.Mean()
		m += w.weights[i] * mi
		m2 += w.weights[i] * mi * mi * (1 + d.SCV())
	}
	return m2/(m*m) - 1
}

// Arrival returns the arrival process.
func (w *Workload) Arrival() ArrivalSpec { return w.arrival }

// SizeString returns the canonical size spec: the workload's distribution, or
// when classes override it, the mixture as "mix(0.7*exp(mean=1), 0.3*det(value=5))".
// With phases it is the phases: "cpu(exp(mean=0.5)), io(det(value=1)), cpu(exp(mean=0.5))"
// or "exp(mean=1) with io(share=0.5, calls=1, wait=det)".
func (w *Workload) SizeString() string {
	same := true
	for i := range w.sizes {
		same = same && w.classSize(i) == w.classSize(0)
	}
	if same {
		return w.classSize(0)
	}
	parts := make([]string, len(w.sizes))
	for i := range w.sizes {
		parts[i] = strconv.FormatFloat(w.weights[i], 'g', 4, 64) + "*" + w.classSize(i)
	}
	return "mix(" + strings.Join(parts, ", ") + ")"
}

// classSize is the canonical size (or phases) of class i.
func (w *Workload) classSize(i int) string {
	if w.plans != nil && w.plans[i] != nil {
		return w.plans[i].spec
	}
	return w.sizes[i].String()
}

// Phased reports whether some jobs have phases (block).
func (w *Workload) Phased() bool { return w.plans != nil }

// Calls returns, for the jobs of class i, the tier each of their waits
// calls ("" for a plain I/O wait), by wait: wait k is Job.Phases[2k+1].
// nil when the class calls no tier.
func (w *Workload) Calls(i int) []string {
	if w.plans == nil || w.plans[i] == nil {
		return nil
	}
	return w.plans[i].tiers
}

// Called returns the names of the tiers some class calls, sorted, each
// once (nil: none).
func (w *Workload) Called() []string {
	var out []string
	for i := range w.plans {
		for _, t := range w.Calls(i) {
			if t != "" && !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Classes returns the class names; the index is Job.Class.
func (w *Workload) Classes() []string { return append([]string(nil), w.names...) }

// ClassWeights returns the class weights, normalised to sum 1.
func (w *Workload) ClassWeights() []float64 { return append([]float64(nil), w.weights...) }

// ClassSizes returns the size distribution of each class.
func (w *Workload) ClassSizes() []Dist { return append([]Dist(nil), w.sizes...) }

// Keys returns the number of content keys (0 when there are none) and the canonical key spec.
func (w *Workload) Keys() (n int, spec string) { return w.keyN, w.keySpec }

// RateFor returns the arrival rate giving offered load rho per server on
// servers servers in total whose mean speed is meanSpeed: rho*servers*meanSpeed/MeanSize.
// With tasks, the rate of requests of Tasks() tasks each.
func (w *Workload) RateFor(rho float64, servers int, meanSpeed float64) float64 {
	return rho * float64(servers) * meanSpeed / (w.MeanSize() * float64(w.tasks))
}

// Tasks returns the number of tasks per request (1: plain requests).
func (w *Workload) Tasks() int { return w.tasks }

// Response is the distribution of a response's size in bytes, nil if the
// workload gives none.
func (w *Workload) Response() Dist { return w.resp }

// Hit is the size distribution of a request that hits its node's cache,
// nil if the workload gives none.
func (w *Workload) Hit() Dist { return w.hit }

// KeyPopularity returns each key's probability (nil without keys): key k
// has weight (k+1)^−s, as the generator draws them.
func (w *Workload) KeyPopularity() []float64 {
	if w.keyN == 0 {
		return nil
	}
	if w.replay != nil {
		return w.replay.keyPopularity()
	}
	p := make([]float64, w.keyN)
	sum := 0.0
	for k := range p {
		p[k] = math.Pow(float64(k+1), -w.keyS)
		sum += p[k]
	}
	for k := range p {
		p[k] /= sum
	}
	return p
}

// Generator streams the jobs of a workload.
type Generator struct {
	arr    Arrivals
	ar     *rand.Rand // "arrivals"
	sr     *rand.Rand // "sizes"
	cr     *rand.Rand // "classes"
	sizes  []Dist
	plans  []*plan    // nil when no class has phases
	pr     *rand.Rand // "phases"
	arena  []float64  // where the jobs' Phases are cut from
	cum    []float64  // cumulative class weights; nil with one class
	tasks  int32      // tasks per request
	task   int32      // the next task of the current request; 0: a new request
	last   Job        // the current request's first task
	zipf   *rand.Zipf
	rcum   []float64  // cumulative region shares; nil with one region
	rr     *rand.Rand // "regions"
	replay *replay    // a trace replayed; nil: jobs are drawn
	scale  float64    // with replay: model time per unit of the trace's normalised time
	t      float64
	nextID int64 // ID of the next request
}

// Generator streams jobs at the given rate; same seed → same jobs. It uses
// independent streams named "arrivals", "sizes", "classes", "keys" so that
// changing the class mix does not change arrival times, etc. It panics
// unless rate is finite and > 0.
func (w *Workload) Generator(seed uint64, rate float64) *Generator {
	g := &Generator{
		arr:   w.arrival.New(rate),
		ar:    Stream(seed, "arrivals"),
		sr:    Stream(seed, "sizes"),
		cr:    Stream(seed, "classes"),
		sizes: w.sizes,
		plans: w.plans,
		tasks: int32(w.tasks),
	}
	if w.plans != nil {
		g.pr = Stream(seed, "phases")
	}
	g.cum = Cumulative(w.weights)
	if len(w.regions) > 1 {
		g.rcum, g.rr = Cumulative(w.regions), Stream(seed, "regions")
	}
	if w.replay != nil {
		g.replay, g.scale = w.replay, w.replay.rate()/rate
		return g
	}
	if w.keyN > 0 {
		g.zipf = rand.NewZipf(Stream(seed, "keys"), w.keyS, 1, uint64(w.keyN-1))
	}
	return g
}

// Cumulative is the running sum of weights that sum to 1 (the last
// exactly 1); nil for one weight. Pick draws an index by it.
func Cumulative(weights []float64) []float64 {
	if len(weights) < 2 {
		return nil
	}
	cum := make([]float64, len(weights))
	s := 0.0
	for i, x := range weights {
		s += x
		cum[i] = s
	}
	cum[len(cum)-1] = 1
	return cum
}

// Pick is the index that u, uniform on [0, 1), falls in by cum (from
// Cumulative); 0 for nil cum.
func Pick(cum []float64, u float64) int {
	c := 0
	for c < len(cum)-1 && u >= cum[c] {
		c++
	}
	return c
}

// phases draws job j's phases by plan p, cut from the arena (which
// allocates once per few thousand jobs).
func (g *Generator) phases(j *Job, p *plan) {
	n := p.phases()
	if len(g.arena) < n {
		g.arena = make([]float64, max(4096, n))
	}
	j.Phases, g.arena = g.arena[:n:n], g.arena[n:]
	if p.bursts == nil {
		j.Size = g.sizes[j.Class].Rand(g.sr)
	}
	j.Size = p.draw(j.Phases, j.Size, g.sr, g.pr)
}

// Next returns the next job. It does not allocate for plain jobs.
func (g *Generator) Next() Job {
	var j Job
	g.Fill(&j)
	return j
}

// Fill sets *j to the next job, as Next would return it.
// With tasks, the k tasks of a request come one after the other.
func (g *Generator) Fill(j *Job) {
	if g.task > 0 {
		g.nextTask(j)
		return
	}
	if g.replay != nil {
		*j = g.replay.job(g.nextID, g.scale)
		j.ID = g.nextID
		g.nextID++
		if g.rr != nil { // a trace's requests take their regions from the workload's shares
			j.Region = int32(Pick(g.rcum, g.rr.Float64()))
		}
		return
	}
	g.t += g.arr.Gap(g.ar)
	*j = Job{ID: g.nextID, Arrival: g.t}
	g.nextID++
	c := 0
	if g.cum != nil {
		c = Pick(g.cum, g.cr.Float64())
	}
	j.Class = int32(c)
	if g.plans != nil && g.plans[c] != nil {
		g.phases(j, g.plans[c])
	} else {
		j.Size = g.sizes[c].Rand(g.sr)
	}
	if g.zipf != nil {
		j.Key = int32(g.zipf.Uint64())
	}
	if g.rr != nil {
		j.Region = int32(Pick(g.rcum, g.rr.Float64()))
	}
	if g.tasks > 1 {
		g.task, g.last = 1, *j
	}
}

// nextTask fills j with the next task of the current request: its own
// size (and phases), the rest as the request's first task.
func (g *Generator) nextTask(j *Job) {
	*j = g.last
	j.Task = g.task
	j.Phases = nil
	if g.plans != nil && g.plans[j.Class] != nil {
		g.phases(j, g.plans[j.Class])
	} else {
		j.Size = g.sizes[j.Class].Rand(g.sr)
	}
	if g.task++; g.task == g.tasks {
		g.task = 0
	}
}
