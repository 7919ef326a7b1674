package workload

import (
	"fmt"
	"maps"
	"slices"
)

// Binding is how a unit refers to a resource (Fuggetta, Picco & Vigna,
// "Understanding code mobility", IEEE TSE 24(5), 1998).
type Binding string

// Bindings, strongest first.
const (
	ByIdentifier Binding = "identifier" // this very resource: a given file, a given database
	ByValue      Binding = "value"      // its content now: any resource with the same value will do
	ByType       Binding = "type"       // any resource of its type: a printer, a local cache
)

// Attachment is how a resource is tied to its node.
type Attachment string

// Attachments, loosest first.
const (
	Unattached Attachment = "unattached" // moves freely: a data file
	Fastened   Attachment = "fastened"   // can move, at a cost and rarely: a database, a web site
	Fixed      Attachment = "fixed"      // never moves: a device, a local port
)

// Action is what a migration does to one binding.
type Action string

// Actions of the binding table.
const (
	Move      Action = "move"             // the resource goes with the unit; its bytes cross the wire and the source loses it
	Copy      Action = "copy"             // a copy goes with the unit; the original stays
	Reference Action = "global-reference" // the resource stays; every use is a remote access
	Rebind    Action = "rebind"           // the unit binds to a resource of the same type at the destination
)

var (
	bindings    = []Binding{ByIdentifier, ByValue, ByType}
	attachments = []Attachment{Unattached, Fastened, Fixed}
)

// Rule is one cell of the binding table: the default action and the other
// actions allowed there.
type Rule struct {
	Default      Action
	Alternatives []Action
}

// Allows reports whether a is the cell's default or one of its alternatives.
func (r Rule) Allows(a Action) bool { return a == r.Default || slices.Contains(r.Alternatives, a) }

// String lists the allowed actions: "move (default) or global-reference".
func (r Rule) String() string {
	s := string(r.Default) + " (default)"
	for i, a := range r.Alternatives {
		if i == len(r.Alternatives)-1 {
			s += " or " + string(a)
		} else {
			s += ", " + string(a)
		}
	}
	return s
}

// table is Fuggetta, Picco & Vigna's table of bindings, resources and
// migration as Tanenbaum & van Steen give it (Distributed Systems, ch. 3):
// table[binding][attachment]. A fixed resource never moves nor is copied;
// a resource bound by identifier cannot be replaced by another; one bound
// by type is rebound at the destination, or, when it is unattached, may go
// with the unit (moved or copied).
var table = map[Binding]map[Attachment]Rule{
	ByIdentifier: {
		Unattached: {Move, []Action{Reference}},
		Fastened:   {Reference, []Action{Move}},
		Fixed:      {Reference, nil},
	},
	ByValue: {
		Unattached: {Copy, []Action{Move, Reference}},
		Fastened:   {Reference, []Action{Copy}},
		Fixed:      {Reference, nil},
	},
	ByType: {
		Unattached: {Rebind, []Action{Move, Copy}},
		Fastened:   {Rebind, []Action{Reference, Copy}},
		Fixed:      {Rebind, []Action{Reference}},
	},
}

// RuleFor returns the cell of the binding table for (b, a); ok is false
// when b or a is not one of the constants.
func RuleFor(b Binding, a Attachment) (r Rule, ok bool) {
	r, ok = table[b][a]
	r.Alternatives = slices.Clone(r.Alternatives)
	return r, ok
}

// ActionOverrides replaces the default action of some cells of the binding
// table: o[binding][attachment] = action, in YAML
// {identifier: {fastened: move}, value: {unattached: global-reference}}.
// Each action must be one the cell allows.
type ActionOverrides map[Binding]map[Attachment]Action

// Validate reports the first override (in table order) that names an
// unknown binding or attachment or an action its cell does not allow.
func (o ActionOverrides) Validate() error {
	for _, b := range slices.Sorted(maps.Keys(o)) {
		if !slices.Contains(bindings, b) {
			return fmt.Errorf("unknown binding %q: want identifier, value or type", b)
		}
	}
	for _, b := range bindings {
		row := o[b]
		for _, a := range slices.Sorted(maps.Keys(row)) {
			if !slices.Contains(attachments, a) {
				return fmt.Errorf("by %s: unknown attachment %q: want unattached, fastened or fixed", b, a)
			}
		}
		for _, a := range attachments {
			act, ok := row[a]
			if !ok {
				continue
			}
			if r := table[b][a]; !r.Allows(act) {
				return fmt.Errorf("by %s, %s: action %q is not allowed: want %s", b, a, act, r)
			}
		}
	}
	return nil
}

// Action returns the action for (b, a): the override if there is one,
// else the table's default ("" for an unknown cell).
func (o ActionOverrides) Action(b Binding, a Attachment) Action {
	if act, ok := o[b][a]; ok {
		return act
	}
	return table[b][a].Default
}

// ResourceMove is what one migration does to one resource.
type ResourceMove struct {
	Name    string
	Action  Action
	Bytes   float64 // bytes that cross the wire: the resource's size for a move or a copy, else 0
	Remote  bool    // a global reference remains: the resource stays behind and every use is a remote access
	UseCost float64 // with Remote, the time of one use: a round trip plus UseBytes over the link (0 for a resource with a home: Units.HomeTime)
	Rebound bool    // bound anew to a resource of the same type at the destination (assumed to exist there)
}

// ResourcePlan is what one migration does to a unit's resources.
type ResourcePlan struct {
	Moves []ResourceMove // one per resource, in the unit's order
	Bytes float64        // bytes moved or copied, all resources together
	// RemoteTime is the time the unit spends in remote accesses per unit of
	// progress at the destination: Σ Uses·UseCost over global references
	// (those to resources with a home: Units.HomeTime).
	// At speed s a unit of progress then takes 1/s + RemoteTime.
	RemoteTime float64
}

// PlanResources applies the binding table, with o's overrides, to each
// resource of a unit migrating over l. A fixed resource bound by
// identifier always stays behind, reached by global reference (that cell
// allows nothing else). It returns an error for a resource whose binding
// or attachment is unknown (UnitConfig.Validate reports those first).
func PlanResources(rs []Resource, o ActionOverrides, l Link) (ResourcePlan, error) {
	var p ResourcePlan
	if len(rs) == 0 {
		return p, nil
	}
	p.Moves = make([]ResourceMove, len(rs))
	for i, r := range rs {
		act := o.Action(r.Binding, r.Attachment)
		if act == "" {
			return ResourcePlan{}, fmt.Errorf("resource %s: no action for binding %q and attachment %q", r.Name, r.Binding, r.Attachment)
		}
		m := ResourceMove{Name: r.Name, Action: act}
		switch act {
		case Move, Copy:
			m.Bytes = r.Bytes
		case Reference:
			m.Remote = true
			if r.Home.Homed() {
				break // it stays at its home: Units.HomeTime
			}
			m.UseCost = r.useCost(l)
			p.RemoteTime += r.Uses * m.UseCost
		case Rebind:
			m.Rebound = true
		}
		p.Bytes += m.Bytes
		p.Moves[i] = m
	}
	return p, nil
}
