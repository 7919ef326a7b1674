package policy

import (
	"math"

	"github.com/loadlab/loadlab/param"
)

// An Admitter is a node's admission policy: it decides, at the node, which
// jobs may stay. A backend asks Arrive when a job reaches the node (before
// it joins the waiting line) and Start when a waiting job is about to
// start service (FCFS nodes; a job that starts at once on an idle server
// is asked too, with sojourn 0). A job either call refuses fails, with
// AdmitSpec.Reason. It is handed the time and the node's state and keeps
// its own state: one instance per node per run, never called concurrently.
type Admitter interface {
	// Arrive reports whether a job arriving at now may join the node,
	// where waiting jobs wait already (not counting those in service).
	Arrive(now float64, waiting int) bool
	// Start reports whether a job about to start service at now, after
	// waiting sojourn, may start; behind jobs wait after it.
	Start(now, sojourn float64, behind int) bool
}

// AdmitBuilder builds a fresh Admitter for one node of a run.
type AdmitBuilder func() Admitter

// An AdmitFactory validates parameters and returns a builder.
type AdmitFactory func(p param.Values) (AdmitBuilder, error)

// AddAdmit registers an admission policy. It panics on a duplicate name.
func (r *Registry) AddAdmit(info Info, f AdmitFactory) {
	info.Kind = Admit
	r.add(entry{info: info, admit: f})
}

// AdmitSpec is a parsed, validated admission policy.
type AdmitSpec struct {
	Info      Info
	canonical string
	build     AdmitBuilder
}

// New builds a fresh instance for one node.
func (s *AdmitSpec) New() Admitter { return s.build() }

// String is the canonical spec with every parameter; "" for nil (none).
func (s *AdmitSpec) String() string {
	if s == nil {
		return ""
	}
	return s.canonical
}

// Admits reports whether s lets every job in (nil or none): a backend
// may then skip it.
func (s *AdmitSpec) Admits() bool { return s == nil || s.Info.Name == admitNoneInfo.Name }

// Reason is why a job fails that s drops, on every backend:
// "shed: admission codel(target=0.5, interval=5)".
func (s *AdmitSpec) Reason() string { return "shed: admission " + s.canonical }

// Admit parses and validates an admission spec such as "queue(k=10)".
func (r *Registry) Admit(spec string) (*AdmitSpec, error) {
	e, v, err := r.lookup(Admit, spec)
	if err != nil {
		return nil, err
	}
	b, err := e.admit(v)
	if err != nil {
		return nil, err
	}
	return &AdmitSpec{Info: e.info, canonical: v.Canonical(e.info.Params), build: b}, nil
}

// addAdmitters registers the admission policies loadlab ships.
func addAdmitters(r *Registry) {
	r.AddAdmit(admitNoneInfo, func(param.Values) (AdmitBuilder, error) {
		return func() Admitter { return admitAll{} }, nil
	})
	r.AddAdmit(admitQueueInfo, newAdmitQueue)
	r.AddAdmit(codelInfo, newCodel)
	r.AddAdmit(timeoutInfo, newTimeout)
}

var admitNoneInfo = Info{Name: "none", Doc: "admit every job (the queue is bounded only by queue: K, if set)", Ref: "baseline"}

type admitAll struct{}

func (admitAll) Arrive(float64, int) bool         { return true }
func (admitAll) Start(float64, float64, int) bool { return true }

var admitQueueInfo = Info{
	Name: "queue",
	Params: param.Schema{
		{Name: "k", Kind: param.Int, Default: "10", Doc: "most jobs waiting (not in service), >= 0"},
	},
	Doc: "tail drop: an arriving job that finds k jobs waiting is dropped (the same as queue: K with K = k + servers)",
	Ref: "drop-tail queue; M/M/c/K (Kleinrock 1975)",
}

// admitQueue drops at arrival when k jobs wait already.
type admitQueue struct{ k int }

func newAdmitQueue(p param.Values) (AdmitBuilder, error) {
	if err := atLeast(p, "k", 0); err != nil {
		return nil, err
	}
	k := p.Int("k")
	return func() Admitter { return admitQueue{k: k} }, nil
}

func (a admitQueue) Arrive(_ float64, waiting int) bool { return waiting < a.k }
func (admitQueue) Start(float64, float64, int) bool     { return true }

var codelInfo = Info{
	Name: "codel",
	Params: param.Schema{
		{Name: "target", Kind: param.Float, Default: "0.5", Doc: "acceptable standing sojourn time, model units, > 0"},
		{Name: "interval", Kind: param.Float, Default: "5", Doc: "how long the sojourn must stay above target before dropping starts, model units, > target"},
	},
	Doc: "CoDel on sojourn time: once every job has waited over target for an interval, drop at dequeue, the k-th drop interval/√k after the last",
	Ref: "Nichols & Jacobson, Controlling Queue Delay (ACM Queue 2012); RFC 8289",
}

func newCodel(p param.Values) (AdmitBuilder, error) {
	target, interval := p.Float("target"), p.Float("interval")
	if !(target > 0) || math.IsInf(target, 0) {
		return nil, p.Errorf("target", "must be a finite number > 0, got %v", target)
	}
	if !(interval > target) || math.IsInf(interval, 0) {
		return nil, p.Errorf("interval", "must be a finite number > target (%v), got %v", target, interval)
	}
	return func() Admitter { return &codel{target: target, interval: interval} }, nil
}

// codel is CoDel's state machine (RFC 8289, section 5) with the node's
// waiting line for the packet queue and a job's wait for its sojourn:
// while the sojourn of the jobs leaving the line has stayed at or above
// target for a whole interval, it drops one, then the next after
// interval/√count, count growing with each drop, until a job leaves
// below target (or leaves the line empty). A new dropping state close
// after the last resumes near its count (the RFC's hysteresis).
type codel struct {
	target, interval float64

	firstAbove float64 // when the sojourn will have stayed above target for an interval (0: it is below)
	dropping   bool
	dropNext   float64 // time of the next drop while dropping
	count      int     // drops since dropping began (with the hysteresis)
	lastCount  int     // count when the last dropping state began
}

func (c *codel) Arrive(float64, int) bool { return true }

// okToDrop tracks how long the sojourn has stayed above target; a job
// that leaves the line empty behind it never counts (the RFC's "queue
// below one MTU").
func (c *codel) okToDrop(now, sojourn float64, behind int) bool {
	if sojourn < c.target || behind == 0 {
		c.firstAbove = 0
		return false
	}
	if c.firstAbove == 0 {
		c.firstAbove = now + c.interval
		return false
	}
	return now >= c.firstAbove
}

func (c *codel) Start(now, sojourn float64, behind int) bool {
	ok := c.okToDrop(now, sojourn, behind)
	if c.dropping {
		if !ok {
			c.dropping = false
			return true
		}
		if now >= c.dropNext {
			c.count++
			c.dropNext += c.interval / math.Sqrt(float64(c.count))
			return false
		}
		return true
	}
	if !ok {
		return true
	}
	c.dropping = true
	if delta := c.count - c.lastCount; delta > 1 && now-c.dropNext < 16*c.interval {
		c.count = delta
	} else {
		c.count = 1
	}
	c.lastCount = c.count
	c.dropNext = now + c.interval/math.Sqrt(float64(c.count))
	return false
}

var timeoutInfo = Info{
	Name: "timeout",
	Params: param.Schema{
		{Name: "wait", Kind: param.Float, Doc: "longest wait a job may have had when it would start, model units, > 0"},
	},
	Doc: "drop at dequeue a job that has waited longer than wait: one whose client gave up (its deadline or retry timeout) is not served",
	Ref: "HAProxy's timeout queue; a server-side deadline",
}

// admitTimeout drops at a start a job that waited longer than wait.
type admitTimeout struct{ wait float64 }

func newTimeout(p param.Values) (AdmitBuilder, error) {
	wait := p.Float("wait")
	if !(wait > 0) || math.IsInf(wait, 0) {
		return nil, p.Errorf("wait", "must be a finite number > 0, got %v", wait)
	}
	return func() Admitter { return admitTimeout{wait: wait} }, nil
}

func (admitTimeout) Arrive(float64, int) bool { return true }
func (a admitTimeout) Start(_, sojourn float64, _ int) bool {
	return sojourn <= a.wait
}
