package workload

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestUnitConfigDefaults(t *testing.T) {
	for _, c := range []UnitConfig{{}, DefaultUnitConfig()} {
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		u, err := NewUnits(c, []string{"default"})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := u.Unit(0), (Unit{Code: CodeSegment{Kernel: "default", Version: "1"}}); got.Code != want.Code || got.Exec != want.Exec || len(got.Resources) != 0 {
			t.Errorf("unit %+v, want %+v", got, want)
		}
		if got := u.Paradigm().String(); got != "mobile-agent(hops=0)" {
			t.Errorf("paradigm %s", got)
		}
		if got := u.Mobility(); got != DefaultMobility() {
			t.Errorf("mobility %+v, want %+v", got, DefaultMobility())
		}
		// Today's behaviour: a move costs the latency only, running or not,
		// and a running unit keeps its progress.
		for _, progress := range []float64{0, 3} {
			cost, plan, err := u.Migrate(Migration{Progress: progress, Link: Link{Bandwidth: 10, Latency: 0.25}})
			if err != nil {
				t.Fatal(err)
			}
			if cost.Delay != 0.25 || cost.Bytes != 0 || cost.Redo != 0 || plan.RemoteTime != 0 {
				t.Errorf("progress %v: %+v %+v, want a delay of 0.25 and nothing else", progress, cost, plan)
			}
		}
	}
}

func TestUnitConfigErrors(t *testing.T) {
	db := Resource{Name: "db", Binding: ByIdentifier, Attachment: Fastened}
	for _, c := range []struct {
		edit func(*UnitConfig)
		want string
	}{
		{func(c *UnitConfig) { c.Code.Bytes = -1 }, "units: code.bytes: must be a finite number ≥ 0, got -1"},
		{func(c *UnitConfig) { c.Code.Kernel = " k" }, `units: code.kernel " k": remove the spaces`},
		{func(c *UnitConfig) { c.Code.Version = "2 " }, `units: code.version "2 ": remove the spaces`},
		{func(c *UnitConfig) { c.Resources = []Resource{{Binding: ByValue, Attachment: Fixed}} }, "units: resources[0].name: required"},
		{func(c *UnitConfig) { c.Resources = []Resource{db, db} }, "units: resources[1] (db).name: used twice"},
		{func(c *UnitConfig) { c.Resources = []Resource{{Name: "db", Binding: "name", Attachment: Fixed}} }, `units: resources[0] (db).binding: want identifier, value or type, got "name"`},
		{func(c *UnitConfig) { c.Resources = []Resource{{Name: "db", Binding: ByType}} }, `units: resources[0] (db).attachment: want unattached, fastened or fixed, got ""`},
		{func(c *UnitConfig) {
			c.Resources = []Resource{{Name: "db", Binding: ByType, Attachment: Fixed, Bytes: -5}}
		}, "units: resources[0] (db).bytes: must be"},
		{func(c *UnitConfig) {
			c.Resources = []Resource{{Name: "db", Binding: ByType, Attachment: Fixed, Uses: math.NaN()}}
		}, "units: resources[0] (db).uses: must be"},
		{func(c *UnitConfig) {
			c.Resources = []Resource{{Name: "db", Binding: ByType, Attachment: Fixed, UseBytes: math.Inf(1)}}
		}, "units: resources[0] (db).use_bytes: must be"},
		{func(c *UnitConfig) { c.Exec.State = math.NaN() }, "units: exec.state: must be"},
		{func(c *UnitConfig) { c.Exec.Growth = math.Inf(1) }, "units: exec.growth: must be"},
		{func(c *UnitConfig) { c.Exec.Dirty = -1 }, "units: exec.dirty: must be"},
		{func(c *UnitConfig) { c.Exec.Context = -1 }, "units: exec.context: must be"},
		{func(c *UnitConfig) { c.Classes = []ClassUnit{{}} }, "units: classes[0].class: required"},
		{func(c *UnitConfig) { c.Classes = []ClassUnit{{Class: "web"}, {Class: "web"}} }, "units: classes[1] (web).class: used twice"},
		{func(c *UnitConfig) { c.Classes = []ClassUnit{{Class: "web", Code: &CodeSegment{Bytes: -1}}} }, "units: classes[0] (web): code.bytes: must be"},
		{func(c *UnitConfig) {
			c.Classes = []ClassUnit{{Class: "web", Resources: []Resource{{Name: "x", Binding: "v"}}}}
		}, "units: classes[0] (web): resources[0] (x).binding"},
		{func(c *UnitConfig) { c.Classes = []ClassUnit{{Class: "web", Exec: &ExecSegment{Dirty: -1}}} }, "units: classes[0] (web): exec.dirty: must be"},
		{func(c *UnitConfig) { c.Actions = ActionOverrides{ByIdentifier: {Fixed: Move}} }, `units: actions: by identifier, fixed: action "move" is not allowed: want global-reference (default)`},
		{func(c *UnitConfig) { c.Mobility.Method = "live" }, `units: mobility.method: want weak`},
		{func(c *UnitConfig) { c.Mobility.MaxRounds = -1 }, "units: mobility.max_rounds: must be"},
		{func(c *UnitConfig) { c.Paradigm = "peer-to-peer" }, `units: paradigm: unknown paradigm "peer-to-peer"`},
		{func(c *UnitConfig) { c.Paradigm = "mobile-agent(hops=-1)" }, "units: paradigm: mobile-agent: parameter hops"},
		{func(c *UnitConfig) { c.Platforms.Interpreter = 2 }, "units: platforms.interpreter: must be"},
		{func(c *UnitConfig) { c.Platforms.Builds = []Build{{}} }, "units: platforms.builds[0].kernel: required"},
	} {
		cfg := DefaultUnitConfig()
		c.edit(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("error %v, want one starting %q", err, c.want)
		}
		if _, err := NewUnits(cfg, []string{"web"}); err == nil {
			t.Errorf("NewUnits accepted what Validate refused (%s)", c.want)
		}
	}
	for _, c := range []struct {
		classes []string
		want    string
	}{
		{[]string{"batch"}, `units: classes[0].class: unknown class "web": the workload's classes are batch`},
		{nil, "units: need at least one class"},
	} {
		cfg := UnitConfig{Classes: []ClassUnit{{Class: "web"}}}
		if _, err := NewUnits(cfg, c.classes); err == nil || err.Error() != c.want {
			t.Errorf("classes %v: error %v, want %q", c.classes, err, c.want)
		}
	}
}

func TestNewUnitsOverrides(t *testing.T) {
	db := Resource{Name: "db", Binding: ByIdentifier, Attachment: Fastened, Bytes: 1e6}
	cfg := UnitConfig{
		Unit: Unit{
			Code:      CodeSegment{Bytes: 100},
			Resources: []Resource{db},
			Exec:      ExecSegment{State: 10, Growth: 1},
		},
		Classes: []ClassUnit{
			{Class: "batch", Code: &CodeSegment{Kernel: "matmul", Version: "2", Bytes: 5000}, Exec: &ExecSegment{State: 1e6, Dirty: 7}},
			{Class: "cron", Resources: []Resource{}},
		},
	}
	u, err := NewUnits(cfg, []string{"web", "batch", "cron"})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []Unit{
		{Code: CodeSegment{Kernel: "web", Version: "1", Bytes: 100}, Resources: []Resource{db}, Exec: ExecSegment{State: 10, Growth: 1}},
		{Code: CodeSegment{Kernel: "matmul", Version: "2", Bytes: 5000}, Resources: []Resource{db}, Exec: ExecSegment{State: 1e6, Dirty: 7}},
		{Code: CodeSegment{Kernel: "cron", Version: "1", Bytes: 100}, Exec: ExecSegment{State: 10, Growth: 1}},
	} {
		got := u.Unit(int32(i))
		if got.Code != want.Code || got.Exec != want.Exec || !slices.Equal(got.Resources, want.Resources) {
			t.Errorf("class %d: %+v, want %+v", i, got, want)
		}
	}
	// The resolved units do not share the config's resources.
	cfg.Resources[0].Bytes = 1
	if u.Unit(0).Resources[0].Bytes != 1e6 {
		t.Error("a unit shares its resources with the config")
	}
}

func TestUnitConfigYAML(t *testing.T) {
	const doc = `
code: {kernel: matmul, bytes: 2e6}
resources:
  - {name: db, binding: identifier, attachment: fastened, bytes: 1e9, uses: 10, use_bytes: 512}
  - {name: printer, binding: type, attachment: fixed}
exec: {state: 1e6, growth: 1e5, dirty: 5e5, context: 4096}
classes:
  - class: batch
    exec: {state: 1e8}
actions:
  identifier: {fastened: move}
mobility: {method: pre-copy, threshold: 1e4, max_rounds: 10}
paradigm: code-on-demand(cache=1e7)
platforms:
  builds: [{kernel: matmul, platforms: [x86_64]}]
  interpreter: 0.2
`
	var c UnitConfig
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	u, err := NewUnits(c, []string{"default", "batch"})
	if err != nil {
		t.Fatal(err)
	}
	want := Unit{
		Code: CodeSegment{Kernel: "matmul", Version: "1", Bytes: 2e6},
		Resources: []Resource{
			{Name: "db", Binding: ByIdentifier, Attachment: Fastened, Bytes: 1e9, Uses: 10, UseBytes: 512},
			{Name: "printer", Binding: ByType, Attachment: Fixed},
		},
		Exec: ExecSegment{State: 1e6, Growth: 1e5, Dirty: 5e5, Context: 4096},
	}
	if got := u.Unit(0); got.Code != want.Code || got.Exec != want.Exec || !slices.Equal(got.Resources, want.Resources) {
		t.Errorf("unit\n got %+v\nwant %+v", got, want)
	}
	if got := u.Unit(1).Exec; got != (ExecSegment{State: 1e8}) {
		t.Errorf("batch exec %+v", got)
	}
	if got := u.Actions().Action(ByIdentifier, Fastened); got != Move {
		t.Errorf("identifier/fastened: %s, want move", got)
	}
	if got := u.Mobility(); got != (Mobility{Method: PreCopy, Threshold: 1e4, MaxRounds: 10, Slowdown: 1}) {
		t.Errorf("mobility %+v", got)
	}
	if got := u.Paradigm(); got.Code != CodePull || got.Cache != 1e7 {
		t.Errorf("paradigm %+v", got)
	}
	if f, ok := u.Platforms().Speed(u.Unit(0).Code, "arm64"); f != 0.2 || !ok {
		t.Errorf("matmul on arm64: %v, %v; want the interpreter's 0.2", f, ok)
	}

	var bad UnitConfig
	dec = yaml.NewDecoder(strings.NewReader("exec: {size: 1}\n"))
	dec.KnownFields(true)
	if err := dec.Decode(&bad); err == nil || !strings.Contains(err.Error(), "field size not found") {
		t.Errorf("unknown field: %v", err)
	}
}

// TestMigrate covers the paradigms and methods on one unit, over a link of
// 100 bytes per unit and latency 0.5. The unit has 200 bytes of code, a
// database reached by global reference (one use per unit of progress, a
// round trip each) and a 100-byte file copied by value, and a state of
// 500 + 100·progress bytes with a 50-byte context.
func TestMigrate(t *testing.T) {
	base := UnitConfig{Unit: Unit{
		Code: CodeSegment{Kernel: "k", Bytes: 200},
		Resources: []Resource{
			{Name: "db", Binding: ByIdentifier, Attachment: Fastened, Bytes: 1e4, Uses: 1},
			{Name: "file", Binding: ByValue, Attachment: Unattached, Bytes: 100},
		},
		Exec: ExecSegment{State: 500, Growth: 100, Context: 50},
	}}
	l := Link{Bandwidth: 100, Latency: 0.5}
	for _, c := range []struct {
		name     string
		paradigm string
		mobility Mobility
		m        Migration
		want     Cost
		err      error
	}{
		{
			// 200 + 100 + 700 bytes: 0.5 + 10.
			"strong", "mobile-agent", Mobility{}, Migration{Progress: 2, HasCode: true},
			Cost{Method: StopAndCopy, Total: 10.5, Downtime: 10.5, Delay: 10.5,
				Bytes: 1000, CodeBytes: 200, ResourceBytes: 100, StateBytes: 700, Converged: true}, nil,
		},
		{
			// Not started: code, resources and the initial 500 bytes.
			"strong, not started", "mobile-agent", Mobility{}, Migration{},
			Cost{Method: Weak, Total: 8.5, Downtime: 8.5, Delay: 8.5,
				Bytes: 800, CodeBytes: 200, ResourceBytes: 100, StateBytes: 500, Converged: true}, nil,
		},
		{
			// Stop for code, resources and context (350 bytes), pull 650.
			"post-copy", "mobile-agent", Mobility{Method: PostCopy, Slowdown: 2}, Migration{Progress: 2},
			Cost{Method: PostCopy, Total: 10.5, Downtime: 4, Delay: 4 + 6.5/2, Slowed: 6.5,
				Bytes: 1000, CodeBytes: 200, ResourceBytes: 100, StateBytes: 700, Converged: true}, nil,
		},
		{
			"weak method", "mobile-agent", Mobility{Method: Weak}, Migration{Progress: 2},
			Cost{Method: Weak, Total: 8.5, Downtime: 8.5, Delay: 10.5, Redo: 2,
				Bytes: 800, CodeBytes: 200, ResourceBytes: 100, StateBytes: 500, Converged: true}, nil,
		},
		{
			// The sender ships code even when the destination has it; the unit restarts.
			"remote evaluation", "remote-evaluation", Mobility{Method: PreCopy}, Migration{Progress: 2, HasCode: true},
			Cost{Method: Weak, Total: 8.5, Downtime: 8.5, Delay: 10.5, Redo: 2,
				Bytes: 800, CodeBytes: 200, ResourceBytes: 100, StateBytes: 500, Converged: true}, nil,
		},
		{
			// 600 bytes without the code (6.5), then a fetch: 2·0.5 + 200/100.
			"code on demand, miss", "code-on-demand", Mobility{}, Migration{Progress: 2},
			Cost{Method: Weak, Total: 9.5, Downtime: 9.5, Delay: 11.5, Redo: 2,
				Bytes: 800, CodeBytes: 200, ResourceBytes: 100, StateBytes: 500, Converged: true}, nil,
		},
		{
			"code on demand, hit", "code-on-demand", Mobility{}, Migration{Progress: 2, HasCode: true},
			Cost{Method: Weak, Total: 6.5, Downtime: 6.5, Delay: 8.5, Redo: 2,
				Bytes: 600, ResourceBytes: 100, StateBytes: 500, Converged: true}, nil,
		},
		{
			"client-server, has code", "client-server", Mobility{}, Migration{Progress: 1, HasCode: true},
			Cost{Method: Weak, Total: 6.5, Downtime: 6.5, Delay: 7.5, Redo: 1,
				Bytes: 600, ResourceBytes: 100, StateBytes: 500, Converged: true}, nil,
		},
		{"client-server, no code", "client-server", Mobility{}, Migration{HasCode: false}, Cost{}, ErrNoCode},
		{"hop limit", "mobile-agent(hops=2)", Mobility{}, Migration{Hops: 2, HasCode: true}, Cost{}, ErrHopLimit},
	} {
		cfg := base
		cfg.Paradigm, cfg.Mobility = c.paradigm, c.mobility
		u, err := NewUnits(cfg, []string{"default"})
		if err != nil {
			t.Fatal(err)
		}
		c.m.Link = l
		cost, plan, err := u.Migrate(c.m)
		if !errors.Is(err, c.err) || (err == nil) != (c.err == nil) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.err)
			continue
		}
		if err != nil {
			continue
		}
		checkCost(t, c.name, cost, c.want)
		// The database stays behind: one round trip per unit of progress.
		if plan.RemoteTime != 1 || plan.Bytes != 100 {
			t.Errorf("%s: plan %+v, want RemoteTime 1 and 100 bytes", c.name, plan)
		}
	}
	u, _ := NewUnits(base, []string{"default"})
	for _, class := range []int32{-1, 1} {
		if _, _, err := u.Migrate(Migration{Class: class}); err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("class %d: error %v", class, err)
		}
	}
}

func TestExecSegmentBytes(t *testing.T) {
	for _, c := range []struct {
		e        ExecSegment
		progress float64
		want     float64
	}{
		{ExecSegment{}, 5, 0},
		{ExecSegment{State: 100}, 5, 100},
		{ExecSegment{State: 100, Growth: 20}, 0, 100},
		{ExecSegment{State: 100, Growth: 20}, 2.5, 150},
	} {
		if got := c.e.Bytes(c.progress); got != c.want {
			t.Errorf("%+v.Bytes(%v) = %v, want %v", c.e, c.progress, got, c.want)
		}
	}
}

// TestWithMethod: units moved by another method keep everything else, and
// the empty method or their own gives them back unchanged.
func TestWithMethod(t *testing.T) {
	u, err := NewUnits(UnitConfig{Mobility: Mobility{Method: StopAndCopy, Threshold: 1000, MaxRounds: 3}}, []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		m    Method
		want Method
		same bool
	}{{"", StopAndCopy, true}, {StopAndCopy, StopAndCopy, true}, {PreCopy, PreCopy, false}, {PostCopy, PostCopy, false}} {
		v := u.WithMethod(tc.m)
		if got := v.Mobility(); got.Method != tc.want || got.Threshold != 1000 || got.MaxRounds != 3 || (v == u) != tc.same {
			t.Errorf("WithMethod(%q): mobility %+v, same %v; want method %s, threshold 1000, 3 rounds, same %v", tc.m, got, v == u, tc.want, tc.same)
		}
	}
	if u.Mobility().Method != StopAndCopy {
		t.Errorf("WithMethod changed the original: %s", u.Mobility().Method)
	}
}
