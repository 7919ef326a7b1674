package workload

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The work-unit model of code migration follows Fuggetta, Picco & Vigna,
// "Understanding code mobility", IEEE TSE 24(5), 1998: a unit has a code
// segment (what it runs), a resource segment (what it uses) and an execution
// segment (where it is in its run). Migrating it costs bytes and time that
// depend on which segments move and how.

// DefaultVersion is the version of a code segment or build that names none.
const DefaultVersion = "1"

// CodeSegment is the code a unit runs: a kernel, its version and its size.
type CodeSegment struct {
	Kernel  string  `yaml:"kernel"`  // kernel name; "" = the unit's class name
	Version string  `yaml:"version"` // "" = DefaultVersion
	Bytes   float64 `yaml:"bytes"`   // size of the code, ≥ 0; default 0
}

// Key returns the code's identity in a code cache.
func (c CodeSegment) Key() CodeKey { return CodeKey{Kernel: c.Kernel, Version: versionOr(c.Version)} }

// Resource is one entry of a unit's resource segment: a resource the unit
// uses, how it refers to it (binding) and how the resource is tied to its
// node (attachment). The pair picks the action a migration applies (see
// RuleFor).
type Resource struct {
	Name       string     `yaml:"name"`       // unique within the unit; also the type a rebind looks for
	Binding    Binding    `yaml:"binding"`    // identifier, value or type (required)
	Attachment Attachment `yaml:"attachment"` // unattached, fastened or fixed (required)
	Bytes      float64    `yaml:"bytes"`      // size: what a move or a copy sends; default 0
	// Uses is how many times the unit uses the resource per unit of
	// progress. It costs nothing while the resource is local; reached by
	// global reference, each use is a remote access (a round trip plus
	// UseBytes). Default 0.
	Uses     float64 `yaml:"uses"`
	UseBytes float64 `yaml:"use_bytes"` // bytes one remote use transfers; default 0
	// Home is the node the resource lives at: "" or "dispatch" (the
	// default: the node its unit was first dispatched to, where the unit
	// starts with it), "key" (node Job.Key mod nodes: data partitioned by
	// key) or a node's index ("3"). A resource with another home than
	// dispatch stays there, reached by global reference (its binding-table
	// action must be global-reference): a unit away from it pays per use
	// a round trip on the path to the home plus UseBytes (HomeTime); at
	// the home it pays nothing.
	Home Home `yaml:"home" json:",omitempty"`
}

// Home is where a resource lives (Resource.Home).
type Home string

// Homes other than a node's index.
const (
	HomeDispatch Home = "dispatch" // the node the unit was first dispatched to ("" too)
	HomeKey      Home = "key"      // node Job.Key mod nodes
)

// Homed reports whether the resource stays at a home of its own rather
// than starting with its unit (a home other than "" and dispatch).
func (h Home) Homed() bool { return h != "" && h != HomeDispatch }

// Node is the home's node in a cluster of n nodes, for a job of the given
// key: -1 for a home at dispatch. A node index must be below n (checked
// by scenario validation).
func (h Home) Node(key int32, n int) int {
	switch h {
	case "", HomeDispatch:
		return -1
	case HomeKey:
		return int(key) % n
	}
	i, _ := strconv.Atoi(string(h)) // checked by validate
	return i
}

// validate checks that h is a home: "", dispatch, key or a node index.
func (h Home) validate() error {
	if !h.Homed() || h == HomeKey {
		return nil
	}
	if i, err := strconv.Atoi(string(h)); err != nil || i < 0 {
		return fmt.Errorf("want dispatch, key or a node's index (0, 1, …), got %q", string(h))
	}
	return nil
}

// Homes reports whether some resource has a home of its own (Homed) and
// the largest node index a home names (-1: none names one).
func (u *Units) Homes() (homed bool, most int) {
	most = -1
	for _, unit := range u.units {
		for _, r := range unit.Resources {
			homed = homed || r.Home.Homed()
			if r.Home.Homed() && r.Home != HomeKey {
				most = max(most, r.Home.Node(0, 1))
			}
		}
	}
	return homed, most
}

// HomeTime is the time a unit of class spends per unit of progress at
// node at reaching its resources that have a home, for a job of the given
// key in a cluster of n nodes: Σ Uses·(2·latency + UseBytes/bandwidth)
// over those whose home is not at, with link(at, home) the path there. 0
// when the class has none.
func (u *Units) HomeTime(class, key int32, at, n int, link func(from, to int) Link) float64 {
	t := 0.0
	for _, r := range u.units[class].Resources {
		if h := r.Home.Node(key, n); r.Home.Homed() && h != at {
			t += r.Uses * r.useCost(link(at, h))
		}
	}
	return t
}

// useCost is the time of one remote use of r over l: a round trip plus
// UseBytes.
func (r Resource) useCost(l Link) float64 { return 2*l.Latency + l.Transmit(r.UseBytes) }

// ExecSegment is a unit's execution state: its data at the start and how the
// state grows and changes as the unit runs.
type ExecSegment struct {
	State  float64 `yaml:"state"`  // state bytes at progress 0 (the unit's initial data); default 0
	Growth float64 `yaml:"growth"` // bytes the state grows per unit of progress; default 0
	// Dirty is the rate at which the running unit writes its state, in
	// bytes per model unit: pre-copy resends what was written during a
	// round. Default 0.
	Dirty float64 `yaml:"dirty"`
	// Context is the execution context (registers, stack, the pages in use
	// now): the part of the state post-copy moves before the unit resumes;
	// capped at the state's size. Default 0.
	Context float64 `yaml:"context"`
}

// Bytes returns the size of the state after progress units of work.
func (e ExecSegment) Bytes(progress float64) float64 { return e.State + e.Growth*progress }

// Unit is a work unit as it migrates: its code, resource and execution
// segments. All bytes are zero by default: migrating such a unit costs
// only the network latency, as a job did before units existed.
type Unit struct {
	Code      CodeSegment `yaml:"code"`
	Resources []Resource  `yaml:"resources"`
	Exec      ExecSegment `yaml:"exec"`
}

// Validate reports the first invalid field, named by its YAML path.
func (u Unit) Validate() error {
	if err := u.Code.validate(); err != nil {
		return err
	}
	if err := validateResources(u.Resources); err != nil {
		return err
	}
	return u.Exec.validate()
}

func (c CodeSegment) validate() error {
	if c.Kernel != strings.TrimSpace(c.Kernel) {
		return fmt.Errorf("code.kernel %q: remove the spaces around it", c.Kernel)
	}
	if c.Version != strings.TrimSpace(c.Version) {
		return fmt.Errorf("code.version %q: remove the spaces around it", c.Version)
	}
	return bytesField("code.bytes", c.Bytes)
}

func (e ExecSegment) validate() error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"exec.state", e.State}, {"exec.growth", e.Growth}, {"exec.dirty", e.Dirty}, {"exec.context", e.Context}} {
		if err := bytesField(f.name, f.v); err != nil {
			return err
		}
	}
	return nil
}

func validateResources(rs []Resource) error {
	seen := map[string]bool{}
	for i, r := range rs {
		at := fmt.Sprintf("resources[%d]", i)
		if strings.TrimSpace(r.Name) == "" {
			return fmt.Errorf("%s.name: required", at)
		}
		at = fmt.Sprintf("resources[%d] (%s)", i, r.Name)
		if seen[r.Name] {
			return fmt.Errorf("%s.name: used twice", at)
		}
		seen[r.Name] = true
		if !slices.Contains(bindings, r.Binding) {
			return fmt.Errorf("%s.binding: want identifier, value or type, got %q", at, r.Binding)
		}
		if !slices.Contains(attachments, r.Attachment) {
			return fmt.Errorf("%s.attachment: want unattached, fastened or fixed, got %q", at, r.Attachment)
		}
		if err := r.Home.validate(); err != nil {
			return fmt.Errorf("%s.home: %w", at, err)
		}
		for _, f := range []struct {
			name string
			v    float64
		}{{"bytes", r.Bytes}, {"uses", r.Uses}, {"use_bytes", r.UseBytes}} {
			if err := bytesField(at+"."+f.name, f.v); err != nil {
				return err
			}
		}
	}
	return nil
}

// bytesField checks that a size, rate or count is finite and ≥ 0.
func bytesField(name string, v float64) error {
	if !(v >= 0) || math.IsInf(v, 0) {
		return fmt.Errorf("%s: must be a finite number ≥ 0, got %v", name, v)
	}
	return nil
}

// versionOr returns v, or DefaultVersion when v is "".
func versionOr(v string) string {
	if v == "" {
		return DefaultVersion
	}
	return v
}

// ClassUnit overrides the default unit for one class of jobs. A segment
// left out (nil) is the default unit's; resources: [] means none.
type ClassUnit struct {
	Class     string       `yaml:"class"` // a class name of the workload
	Code      *CodeSegment `yaml:"code"`
	Resources []Resource   `yaml:"resources"`
	Exec      *ExecSegment `yaml:"exec"`
}

// UnitConfig describes the work units of a workload and how they migrate.
// Its zero value is the behaviour before units existed: no bytes in any
// segment, no resources, code sent with the unit, running units moved with
// their progress by stop-and-copy, no hop limit, every kernel on every node.
type UnitConfig struct {
	Unit      `yaml:",inline"` // the unit of every class without an override
	Classes   []ClassUnit      `yaml:"classes"`   // per-class overrides
	Actions   ActionOverrides  `yaml:"actions"`   // binding-table cells whose default action is replaced, e.g. {identifier: {fastened: move}}
	Mobility  Mobility         `yaml:"mobility"`  // how running units move; see Mobility
	Paradigm  string           `yaml:"paradigm"`  // a preset of ParadigmEntries; default "mobile-agent" (no constraint)
	Platforms Platforms        `yaml:"platforms"` // where kernels run natively; default: everywhere
}

// DefaultParadigm is the paradigm of a UnitConfig that names none: units
// carry their code and state and may move any number of times.
const DefaultParadigm = "mobile-agent"

// DefaultUnitConfig returns the zero UnitConfig with its defaults written out.
func DefaultUnitConfig() UnitConfig {
	return UnitConfig{Mobility: DefaultMobility(), Paradigm: DefaultParadigm}
}

// Validate reports the first invalid field, named by its YAML path under
// "units:". Class names are checked against a workload by NewUnits.
func (c UnitConfig) Validate() error {
	if err := c.validate(); err != nil {
		return fmt.Errorf("units: %w", err)
	}
	return nil
}

func (c UnitConfig) validate() error {
	if err := c.Unit.Validate(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, cu := range c.Classes {
		at := fmt.Sprintf("classes[%d]", i)
		if strings.TrimSpace(cu.Class) == "" {
			return fmt.Errorf("%s.class: required", at)
		}
		at = fmt.Sprintf("classes[%d] (%s)", i, cu.Class)
		if seen[cu.Class] {
			return fmt.Errorf("%s.class: used twice", at)
		}
		seen[cu.Class] = true
		var err error
		if cu.Code != nil {
			err = cu.Code.validate()
		}
		if err == nil {
			err = validateResources(cu.Resources)
		}
		if err == nil && cu.Exec != nil {
			err = cu.Exec.validate()
		}
		if err != nil {
			return fmt.Errorf("%s: %w", at, err)
		}
	}
	if err := c.Actions.Validate(); err != nil {
		return fmt.Errorf("actions: %w", err)
	}
	if err := c.validateHomes(); err != nil {
		return err
	}
	if err := c.Mobility.Validate(); err != nil {
		return fmt.Errorf("mobility.%w", err)
	}
	if _, err := ParseParadigm(c.paradigm()); err != nil {
		return fmt.Errorf("paradigm: %w", err)
	}
	if err := c.Platforms.Validate(); err != nil {
		return fmt.Errorf("platforms.%w", err)
	}
	return nil
}

// validateHomes checks that every resource with a home of its own is
// reached by global reference: it stays at its home.
func (c UnitConfig) validateHomes() error {
	check := func(at string, rs []Resource) error {
		for i, r := range rs {
			if act := c.Actions.Action(r.Binding, r.Attachment); r.Home.Homed() && act != Reference {
				return fmt.Errorf("%sresources[%d] (%s).home: a resource with a home stays there, reached by global reference, but by %s, %s the action is %s: make it fastened or fixed, or override the action (actions: {%s: {%s: global-reference}})",
					at, i, r.Name, r.Binding, r.Attachment, act, r.Binding, r.Attachment)
			}
		}
		return nil
	}
	if err := check("", c.Resources); err != nil {
		return err
	}
	for i, cu := range c.Classes {
		if err := check(fmt.Sprintf("classes[%d] (%s).", i, cu.Class), cu.Resources); err != nil {
			return err
		}
	}
	return nil
}

func (c UnitConfig) paradigm() string {
	if strings.TrimSpace(c.Paradigm) == "" {
		return DefaultParadigm
	}
	return c.Paradigm
}

// Units is a validated UnitConfig resolved for the classes of a workload.
type Units struct {
	units     []Unit // per class, defaults filled in
	actions   ActionOverrides
	mobility  Mobility // defaults filled in
	paradigm  Paradigm
	platforms Platforms
}

// NewUnits validates c and resolves it for a workload's classes (as
// Workload.Classes returns them): each class gets the default unit with its
// override applied, a kernel named after the class when none is given and
// version DefaultVersion when none is given.
func NewUnits(c UnitConfig, classes []string) (*Units, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if len(classes) == 0 {
		return nil, errors.New("units: need at least one class")
	}
	over := map[string]ClassUnit{}
	for i, cu := range c.Classes {
		if !slices.Contains(classes, cu.Class) {
			return nil, fmt.Errorf("units: classes[%d].class: unknown class %q: the workload's classes are %s", i, cu.Class, strings.Join(classes, ", "))
		}
		over[cu.Class] = cu
	}
	u := &Units{actions: c.Actions, mobility: c.Mobility.WithDefaults(), platforms: c.Platforms}
	u.paradigm, _ = ParseParadigm(c.paradigm()) // checked by Validate
	for _, name := range classes {
		unit := c.Unit
		unit.Resources = slices.Clone(c.Resources)
		if cu, ok := over[name]; ok {
			if cu.Code != nil {
				unit.Code = *cu.Code
			}
			if cu.Resources != nil {
				unit.Resources = slices.Clone(cu.Resources)
			}
			if cu.Exec != nil {
				unit.Exec = *cu.Exec
			}
		}
		if unit.Code.Kernel == "" {
			unit.Code.Kernel = name
		}
		unit.Code.Version = versionOr(unit.Code.Version)
		u.units = append(u.units, unit)
	}
	return u, nil
}

// Unit returns the unit of class (Job.Class). Its Resources are shared:
// do not modify them.
func (u *Units) Unit(class int32) Unit { return u.units[class] }

// Classes returns the number of classes, as NewUnits resolved them.
func (u *Units) Classes() int { return len(u.units) }

// CanRun reports whether a unit of class runs on a node of platform
// (platforms[node]; a nil platforms means one platform, ""), natively or
// on the interpreter tier.
func (u *Units) CanRun(class int32, node int, platforms []string) bool {
	if class < 0 || int(class) >= len(u.units) {
		return false
	}
	platform := ""
	if platforms != nil {
		platform = platforms[node]
	}
	_, ok := u.platforms.Speed(u.units[class].Code, platform)
	return ok
}

// Runs says, for n nodes of the given platforms (nil: one platform),
// which nodes can run each class: Runs[class][node], as policy.Env.Runs
// wants it; nil when every node can run every class.
func (u *Units) Runs(n int, platforms []string) [][]bool {
	var runs [][]bool
	all := true
	for k := range u.units {
		row := make([]bool, n)
		for i := range row {
			row[i] = u.CanRun(int32(k), i, platforms)
			all = all && row[i]
		}
		runs = append(runs, row)
	}
	if all {
		return nil
	}
	return runs
}

// Place returns the node, of len(platforms) nodes, where a unit of class
// dispatched to target runs: target if it can run the unit there, else
// the next node in index order that can (redirected true). With nil
// platforms every node runs every unit.
func (u *Units) Place(class int32, target int, platforms []string) (node int, redirected bool) {
	if u.CanRun(class, target, platforms) {
		return target, false
	}
	for k := 1; k < len(platforms); k++ {
		if n := (target + k) % len(platforms); u.CanRun(class, n, platforms) {
			return n, true
		}
	}
	return target, true
}

// Paradigm returns the paradigm the units follow.
func (u *Units) Paradigm() Paradigm { return u.paradigm }

// Mobility returns how running units move, defaults filled in.
func (u *Units) Mobility() Mobility { return u.mobility }

// WithMethod returns units that move by method m (the other mobility
// parameters kept), e.g. a planned evacuation's; "" returns u.
func (u *Units) WithMethod(m Method) *Units {
	if m == "" || m == u.mobility.Method {
		return u
	}
	v := *u
	v.mobility.Method = m
	return &v
}

// Actions returns the overrides of the binding table.
func (u *Units) Actions() ActionOverrides { return u.actions }

// Platforms returns where kernels run.
func (u *Units) Platforms() Platforms { return u.platforms }

// Migration is one move of a unit, about to happen.
type Migration struct {
	Class    int32   // the unit's class (Job.Class)
	Progress float64 // work done so far, model units on a speed-1 server; 0 = not started
	Hops     int     // moves the unit made before this one (its dispatch not counted)
	HasCode  bool    // the destination holds the unit's code (kernel and version), e.g. CodeCache.Has
	Link     Link    // the path from source to destination
}

// Migrate returns what moving a unit costs under the paradigm, the mobility
// method and the binding table, and what happens to each of its resources.
// It returns an error wrapping ErrHopLimit or ErrNoCode when the paradigm
// forbids the move.
//
// A running unit (Progress > 0) moves with its state (strong mobility, by
// the Mobility method) when the paradigm moves state and the method is not
// weak; otherwise the unit moves weakly: its code and initial state, and it
// restarts from the beginning (Cost.Redo = Progress). A paradigm that pushes
// code sends it with the unit every time; one that pulls code adds, when the
// destination lacks it, a fetch after the unit arrives (a round trip plus the
// code's bytes) to the downtime.
func (u *Units) Migrate(m Migration) (Cost, ResourcePlan, error) {
	if m.Class < 0 || int(m.Class) >= len(u.units) {
		return Cost{}, ResourcePlan{}, fmt.Errorf("units: class %d out of range [0, %d)", m.Class, len(u.units))
	}
	if err := u.paradigm.CanMove(m.Hops, m.HasCode); err != nil {
		return Cost{}, ResourcePlan{}, err
	}
	unit := u.units[m.Class]
	plan, err := PlanResources(unit.Resources, u.actions, m.Link)
	if err != nil {
		return Cost{}, ResourcePlan{}, err
	}
	p := Payload{
		Resources: plan.Bytes,
		State:     unit.Exec.State,
		Context:   unit.Exec.Context,
		Dirty:     unit.Exec.Dirty,
		Progress:  m.Progress,
	}
	if u.paradigm.Code == CodePush {
		p.Code = unit.Code.Bytes
	}
	var cost Cost
	if u.paradigm.State && u.mobility.Method != Weak && m.Progress > 0 {
		p.State = unit.Exec.Bytes(m.Progress)
		cost = u.mobility.Cost(m.Link, p)
	} else {
		cost = WeakCost(m.Link, p)
	}
	if u.paradigm.Code == CodePull && !m.HasCode {
		fetch := 2*m.Link.Latency + m.Link.Transmit(unit.Code.Bytes)
		cost.Total += fetch
		cost.Downtime += fetch
		cost.Delay += fetch
		cost.CodeBytes += unit.Code.Bytes
		cost.Bytes += unit.Code.Bytes
	}
	return cost, plan, nil
}
