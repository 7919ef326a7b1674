// Package external runs a dispatch strategy or a migration policy written
// in any language as a separate process (a migration policy: one per
// node) that speaks a line-delimited JSON protocol over its standard input
// and output (the specification is in docs/writing-a-policy-in-python.md).
// It is the one place that spawns processes for policies: policy/ stays
// pure.
package external

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/loadlab/loadlab/param"
	"github.com/loadlab/loadlab/policy"
)

// Protocol is the protocol version sent in init; a process may refuse
// a version it does not speak.
const Protocol = 1

// startAllowance is the time init may take beyond the per-call timeout:
// an interpreter's start-up and the policy's imports.
const startAllowance = 30 * time.Second

// maxProbeRounds bounds the probe requests within one call, so that a
// process that probes forever fails its run instead of hanging it.
const maxProbeRounds = 16

var dispatchInfo = policy.Info{
	Name: "external",
	Params: param.Schema{
		{Name: "cmd", Kind: param.Word, Default: "", Doc: `command that runs the policy, quoted: cmd="python3 python/examples/random_policy.py" (split on spaces, no shell)`},
		{Name: "timeout", Kind: param.Float, Default: "5", Doc: "wall-clock seconds a call may take before the run fails"},
		{Name: "view", Kind: param.Int, Default: "1", Doc: "1: send every node's gossiped load with each call; 0: send none (a policy that only probes)"},
		{Name: "probes", Kind: param.Int, Default: "-1", Doc: "most nodes one call may probe, in all its probe requests; -1: no limit"},
	},
	Doc: "a dispatch strategy in another process (any language), one JSON line per call over stdin/stdout",
	Ref: "loadlab's external policy protocol, docs/writing-a-policy-in-python.md",
}

// migrateInfo is the migration policy's: the same parameters, one process
// per node.
var migrateInfo = policy.Info{
	Name:   "external",
	Params: dispatchInfo.Params,
	Doc:    "a migration policy in another process (any language), one process per node, one JSON line per call over stdin/stdout",
	Ref:    dispatchInfo.Ref,
}

// The kinds of policy, as init names them.
const (
	kindDispatch = "dispatch"
	kindMigrate  = "migrate"
)

// Register adds the external dispatch strategy and migration policy to r.
func Register(r *policy.Registry) {
	r.AddDispatch(dispatchInfo, newDispatch)
	r.AddMigrate(migrateInfo, newMigrate)
}

// Refuse adds to r an external migration policy that every spec fails
// with why: a registry that knows the name and says what to do, rather
// than calling it unknown (a testbed agent not allowed to run commands a
// coordinator names).
func Refuse(r *policy.Registry, why string) {
	r.AddMigrate(migrateInfo, func(param.Values) (policy.MigrateBuilder, error) {
		return nil, errors.New(why)
	})
}

// Builtin returns policy.Builtin with the external policies added: the
// registry the sweep runner and the CLI use.
func Builtin() *policy.Registry {
	r := policy.Builtin()
	Register(r)
	return r
}

// Config is one external policy's settings, from its spec.
type Config struct {
	Cmd     []string      // the program and its arguments
	Timeout time.Duration // per call, wall clock (default 5 s)
	View    bool          // send the gossiped loads with each pick or migration call (default true)
	Probes  int           // most nodes one call may probe; -1: no limit (default)
}

func atLeast(p param.Values, name string, min int) error {
	if p.Int(name) < min {
		return p.Errorf(name, "must be at least %d, got %d", min, p.Int(name))
	}
	return nil
}

// config reads and checks an external policy's parameters (both kinds
// share them).
func config(p param.Values) (Config, error) {
	cmd := strings.Fields(p.Word("cmd"))
	if len(cmd) == 0 {
		return Config{}, p.Errorf("cmd", "is empty: give the command that runs the policy, e.g. cmd=\"python3 python/examples/random_policy.py\"")
	}
	if t := p.Float("timeout"); !(t > 0) {
		return Config{}, p.Errorf("timeout", "must be positive seconds, got %g", t)
	}
	if v := p.Int("view"); v != 0 && v != 1 {
		return Config{}, p.Errorf("view", "must be 0 or 1, got %d", v)
	}
	if err := atLeast(p, "probes", -1); err != nil {
		return Config{}, err
	}
	return Config{Cmd: cmd, Timeout: time.Duration(p.Float("timeout") * float64(time.Second)), View: p.Int("view") == 1, Probes: p.Int("probes")}, nil
}

func newDispatch(p param.Values) (policy.DispatchBuilder, error) {
	cfg, err := config(p)
	if err != nil {
		return nil, err
	}
	return func(env policy.Env) policy.Dispatcher {
		return &Dispatcher{client: client{cfg: cfg, env: env, kind: kindDispatch}}
	}, nil
}

func newMigrate(p param.Values) (policy.MigrateBuilder, error) {
	cfg, err := config(p)
	if err != nil {
		return nil, err
	}
	return func(env policy.Env) policy.Migrator {
		return &Migrator{client: client{cfg: cfg, env: env, kind: kindMigrate}}
	}, nil
}

// loads is a list of node loads in columns, as the protocol sends them.
type loads struct {
	Queue   []int     `json:"queue"`
	Running []int     `json:"running"`
	Work    []float64 `json:"work"`
	Servers []int     `json:"servers"`
	Speed   []float64 `json:"speed"`
	Age     []float64 `json:"age,omitempty"`
}

func (l *loads) reset() {
	l.Queue, l.Running, l.Work, l.Servers, l.Speed, l.Age = l.Queue[:0], l.Running[:0], l.Work[:0], l.Servers[:0], l.Speed[:0], l.Age[:0]
}

func (l *loads) add(s policy.Load) {
	l.Queue = append(l.Queue, s.Queue)
	l.Running = append(l.Running, s.Running)
	l.Work = append(l.Work, s.Work)
	l.Servers = append(l.Servers, s.Servers)
	l.Speed = append(l.Speed, s.Speed)
}

type jobMsg struct {
	ID    int64   `json:"id"`
	Size  float64 `json:"size"`
	Class int32   `json:"class"`
	Key   int32   `json:"key"`
	Hops  int32   `json:"hops"`
}

type initMsg struct {
	Call     string    `json:"call"`
	Protocol int       `json:"protocol"`
	Kind     string    `json:"kind"`
	Seed     uint64    `json:"seed"`
	Nodes    int       `json:"nodes"`
	Servers  int       `json:"servers"`
	Speeds   []float64 `json:"speeds,omitempty"`
	Node     *int32    `json:"node,omitempty"` // migrate: the node the policy runs on
}

type pickMsg struct {
	Call  string  `json:"call"`
	Now   float64 `json:"now"`
	Job   jobMsg  `json:"job"`
	Loads *loads  `json:"loads,omitempty"`
}

type probedMsg struct {
	Call  string `json:"call"`
	Loads *loads `json:"loads"`
}

// reply is every answer a process may give; which fields count depends on
// the call.
type reply struct {
	OK    *bool   `json:"ok"`
	Node  *int64  `json:"node"`
	Probe []int64 `json:"probe"`
	Error string  `json:"error"`
	// init of a migration policy
	Calls []string `json:"calls"`
	Jobs  bool     `json:"jobs"`
	// migration calls
	Verb       string    `json:"verb"`
	Job        *int      `json:"job"`
	Wake       float64   `json:"wake"`
	First      int       `json:"first"`
	N          int       `json:"n"`
	Send       []sendMsg `json:"send"`
	ProbeLater []int64   `json:"probe_later"`
}

// client is what the two kinds of external policy share: the process,
// its first failure, and the probe requests within a call. It is a
// policy.Ender.
type client struct {
	cfg    Config
	env    policy.Env
	kind   string // "dispatch" or "migrate", as init names it
	proc   *process
	err    error
	ids    []policy.NodeID
	out    []policy.Load
	seen   []uint64 // per node, the last call (calls) that probed it
	calls  uint64
	probed int   // nodes the last call probed
	wants  uint8 // migrate: the calls the process asked for in init (a bit per call)
	jobs   bool  // migrate: the process asked for the jobs list with each call
}

// Start runs the process and sends init, before the run's first decision.
func (c *client) Start(v policy.View) error {
	if c.proc == nil && c.err == nil {
		_ = c.start(v)
	}
	return c.err
}

// Err is the first failure of the process, nil while it works.
func (c *client) Err() error { return c.err }

// End closes the process's input and waits for it to exit (killing it
// after the timeout).
func (c *client) End() error {
	if c.proc == nil {
		return nil
	}
	err := c.proc.end()
	c.proc = nil
	if err != nil {
		return c.fail("end", err)
	}
	return nil
}

// fail records the first failure, naming the policy and the call, and
// kills the process: no call reaches it any more.
func (c *client) fail(call string, err error) error {
	e := fmt.Errorf("external policy %q: call %s: %w", strings.Join(c.cfg.Cmd, " "), call, err)
	if c.err == nil {
		c.err = e
	}
	if c.proc != nil {
		c.proc.kill()
	}
	return e
}

// ready starts the process if it has not started, and reports whether it
// works.
func (c *client) ready(v policy.View) bool {
	if c.err == nil && c.proc == nil {
		_ = c.start(v)
	}
	return c.err == nil
}

// start runs the process and sends init with a seed from the view's
// random source.
func (c *client) start(v policy.View) error {
	p, err := spawn(c.cfg)
	if err != nil {
		return c.fail("start", err)
	}
	c.proc = p
	m := initMsg{Call: "init", Protocol: Protocol, Kind: c.kind, Seed: v.Rand().Uint64(),
		Nodes: v.Nodes(), Servers: c.env.Servers, Speeds: c.env.Speeds}
	if c.kind == kindMigrate {
		self := int32(v.Self())
		m.Node = &self
	}
	r, err := p.callWithin(m, c.cfg.Timeout+startAllowance)
	switch {
	case err != nil:
		return c.fail("init", err)
	case r.Error != "":
		return c.fail("init", fmt.Errorf("the policy refused: %s", r.Error))
	case r.OK == nil || !*r.OK:
		return c.fail("init", errors.New(`answer is not {"ok": true}`))
	}
	if c.kind == kindMigrate {
		wants, err := wantedCalls(r.Calls)
		if err != nil {
			return c.fail("init", err)
		}
		c.wants, c.jobs = wants, r.Jobs
	} else if r.Calls != nil || r.Jobs {
		return c.fail("init", errors.New(`a dispatch strategy's answer is {"ok": true}: "calls" and "jobs" are for migration policies`))
	}
	return nil
}

// ask sends call m (its name, for errors, from name) to the running
// process and serves its probe requests (at most maxProbeRounds, cfg.Probes
// nodes in all, no node twice) until it answers something else. On a
// failure it returns false, the run's error recorded.
func (c *client) ask(v policy.View, m any, name func() string) (reply, bool) {
	c.calls++
	if len(c.seen) != v.Nodes() {
		c.seen = make([]uint64, v.Nodes())
	}
	r, err := c.proc.call(m)
	probed := 0
	for round := 0; err == nil && r.Node == nil && r.Verb == "" && r.Error == "" && len(r.Probe) > 0; round++ {
		if round == maxProbeRounds {
			err = fmt.Errorf("more than %d probe requests in one call", maxProbeRounds)
			break
		}
		if err = c.count(&probed, len(r.Probe)); err != nil {
			break
		}
		c.ids = c.ids[:0]
		for _, id := range r.Probe {
			if id < 0 || id >= int64(v.Nodes()) {
				err = fmt.Errorf("probe of node %d: nodes are 0..%d", id, v.Nodes()-1)
				break
			}
			if c.seen[id] == c.calls {
				err = fmt.Errorf("probed node %d twice in one call", id)
				break
			}
			c.seen[id] = c.calls
			c.ids = append(c.ids, policy.NodeID(id))
		}
		if err != nil {
			break
		}
		if cap(c.out) < len(c.ids) {
			c.out = make([]policy.Load, len(c.ids))
		}
		c.out = c.out[:len(c.ids)]
		v.Probe(c.ids, c.out)
		var l loads
		for _, s := range c.out {
			l.add(s)
		}
		r, err = c.proc.call(probedMsg{Call: "probed", Loads: &l})
	}
	if err == nil && r.Error != "" {
		err = fmt.Errorf("the policy answered an error: %s", r.Error)
	}
	if err != nil {
		_ = c.fail(name(), err)
		return r, false
	}
	c.probed = probed
	return r, true
}

// count adds k nodes to a call's probes, within the limit cfg.Probes.
func (c *client) count(probed *int, k int) error {
	if *probed += k; c.cfg.Probes >= 0 && *probed > c.cfg.Probes {
		return fmt.Errorf("probed %d nodes, more than its limit probes=%d", *probed, c.cfg.Probes)
	}
	return nil
}

// gossip fills l with every node's gossiped load and its age.
func gossip(v policy.View, l *loads) {
	l.reset()
	for i := 0; i < v.Nodes(); i++ {
		s, age := v.Gossip(policy.NodeID(i))
		l.add(s)
		l.Age = append(l.Age, age)
	}
}

// Dispatcher is an external dispatch strategy: a policy.Dispatcher and a
// policy.Ender. Its process starts with Start, or else at the first Pick
// (seeded from the view's random source, so a run is as deterministic as
// the process), and ends with End. After a failure every Pick answers a valid node chosen
// from the view's random source, so the backend's bookkeeping stays whole
// (every job still ends exactly once) while it fails the run with Err.
type Dispatcher struct {
	client
	msg pickMsg
}

var (
	_ policy.Dispatcher = (*Dispatcher)(nil)
	_ policy.Ender      = (*Dispatcher)(nil)
)

// Pick asks the process for the node that runs j.
func (d *Dispatcher) Pick(v policy.View, j *policy.Job) policy.NodeID {
	if d.ready(v) {
		m := &d.msg
		m.Call, m.Now = "pick", v.Now()
		m.Job = jobMsg{ID: j.ID, Size: j.Size, Class: j.Class, Key: j.Key, Hops: j.Hops}
		if d.cfg.View {
			if m.Loads == nil {
				m.Loads = &loads{}
			}
			gossip(v, m.Loads)
		}
		name := func() string { return pickCall(j) }
		if r, ok := d.ask(v, m, name); ok {
			switch {
			case r.Node == nil:
				_ = d.fail(name(), errors.New(`answer has neither "node" nor "probe": want {"node": n} or {"probe": [ids]}`))
			case *r.Node < 0 || *r.Node >= int64(v.Nodes()):
				_ = d.fail(name(), fmt.Errorf("answered node %d: nodes are 0..%d", *r.Node, v.Nodes()-1))
			case r.Verb != "" || r.Send != nil || r.ProbeLater != nil || r.Job != nil || r.Wake != 0 || r.First != 0 || r.N != 0:
				_ = d.fail(name(), errors.New(`a pick's answer is {"node": n}: verb, job, wake, first, n, send and probe_later are for migration policies`))
			default:
				return policy.NodeID(*r.Node)
			}
		}
	}
	return policy.NodeID(v.Rand().IntN(v.Nodes()))
}

// pickCall names a pick call in errors.
func pickCall(j *policy.Job) string { return fmt.Sprintf("pick (job %d)", j.ID) }

// process is a running policy process: one call at a time.
type process struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	lines   chan []byte // stdout, one line each; closed at EOF
	stderr  *tail
	timeout time.Duration
	enc     *json.Encoder
	waited  chan error
}

func spawn(cfg Config) (*process, error) {
	cmd := exec.CommandContext(context.Background(), cfg.Cmd[0], cfg.Cmd[1:]...)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, in: in, lines: make(chan []byte, 1), stderr: &tail{max: 2048}, timeout: cfg.Timeout, waited: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p.enc = json.NewEncoder(in)
	go func() { // the reader ends at the process's EOF
		s := bufio.NewScanner(out)
		s.Buffer(make([]byte, 64<<10), 16<<20)
		for s.Scan() {
			p.lines <- append([]byte(nil), s.Bytes()...)
		}
		close(p.lines)
	}()
	go func() { p.waited <- cmd.Wait() }()
	return p, nil
}

// call writes one message and reads one answer within the timeout.
func (p *process) call(m any) (reply, error) { return p.callWithin(m, p.timeout) }

func (p *process) callWithin(m any, timeout time.Duration) (reply, error) {
	var r reply
	if err := p.enc.Encode(m); err != nil {
		return r, p.exited(fmt.Errorf("write: %w", err))
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case line, ok := <-p.lines:
		if !ok {
			return r, p.exited(errors.New("the process closed its output"))
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			return r, fmt.Errorf("answer %.80q is not a protocol message: %w", line, err)
		}
		return r, nil
	case <-timer.C:
		return r, fmt.Errorf("no answer within the timeout of %v (timeout=… in the spec)", timeout)
	}
}

// exited adds how the process ended and its last words on stderr.
func (p *process) exited(err error) error {
	select {
	case w := <-p.waited:
		p.waited <- w
		if w != nil {
			err = fmt.Errorf("%w (%v)", err, w)
		}
	case <-time.After(p.timeout):
	}
	if s := strings.TrimSpace(p.stderr.String()); s != "" {
		err = fmt.Errorf("%w; its stderr ends: %s", err, s)
	}
	return err
}

func (p *process) kill() {
	_ = p.cmd.Process.Kill()
}

// end closes the input and waits for the exit; a process that does not
// exit within the timeout is killed.
func (p *process) end() error {
	_ = p.in.Close()
	select {
	case err := <-p.waited:
		if err != nil {
			return fmt.Errorf("exit: %w", err)
		}
		return nil
	case <-time.After(p.timeout):
		p.kill()
		<-p.waited
		return nil // it answered every call; a slow exit is not the run's failure
	}
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
