package workload

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// cells is the binding table as the lecture gives it (Tanenbaum & van
// Steen, Distributed Systems, ch. 3, after Fuggetta, Picco & Vigna 1998),
// written out again by hand: the default, then the alternatives. By
// identifier: unattached MV (or GR), fastened GR (or MV), fixed GR. By
// value: unattached CP (or MV, GR), fastened GR (or CP), fixed GR. By type:
// unattached RB (or MV, CP), fastened RB (or GR, CP), fixed RB (or GR).
var cells = []struct {
	b    Binding
	a    Attachment
	def  Action
	alts []Action
}{
	{ByIdentifier, Unattached, Move, []Action{Reference}},
	{ByIdentifier, Fastened, Reference, []Action{Move}},
	{ByIdentifier, Fixed, Reference, nil},
	{ByValue, Unattached, Copy, []Action{Move, Reference}},
	{ByValue, Fastened, Reference, []Action{Copy}},
	{ByValue, Fixed, Reference, nil},
	{ByType, Unattached, Rebind, []Action{Move, Copy}},
	{ByType, Fastened, Rebind, []Action{Reference, Copy}},
	{ByType, Fixed, Rebind, []Action{Reference}},
}

var allActions = []Action{Move, Copy, Reference, Rebind}

func TestRuleFor(t *testing.T) {
	for _, c := range cells {
		r, ok := RuleFor(c.b, c.a)
		if !ok {
			t.Fatalf("RuleFor(%s, %s): no cell", c.b, c.a)
		}
		if r.Default != c.def || !slices.Equal(r.Alternatives, c.alts) {
			t.Errorf("RuleFor(%s, %s) = %v %v, want %v %v", c.b, c.a, r.Default, r.Alternatives, c.def, c.alts)
		}
		for _, act := range allActions {
			want := act == c.def || slices.Contains(c.alts, act)
			if got := r.Allows(act); got != want {
				t.Errorf("(%s, %s).Allows(%s) = %v, want %v", c.b, c.a, act, got, want)
			}
		}
		// A fixed resource never moves nor is copied.
		if c.a == Fixed && (r.Allows(Move) || r.Allows(Copy)) {
			t.Errorf("(%s, fixed) allows moving or copying", c.b)
		}
	}
	for _, bad := range []struct {
		b Binding
		a Attachment
	}{{"name", Fixed}, {ByValue, "glued"}, {"", ""}} {
		if _, ok := RuleFor(bad.b, bad.a); ok {
			t.Errorf("RuleFor(%q, %q) found a cell", bad.b, bad.a)
		}
	}
}

func TestRuleString(t *testing.T) {
	for _, c := range []struct {
		b    Binding
		a    Attachment
		want string
	}{
		{ByIdentifier, Fixed, "global-reference (default)"},
		{ByIdentifier, Unattached, "move (default) or global-reference"},
		{ByValue, Unattached, "copy (default), move or global-reference"},
	} {
		r, _ := RuleFor(c.b, c.a)
		if got := r.String(); got != c.want {
			t.Errorf("(%s, %s): %q, want %q", c.b, c.a, got, c.want)
		}
	}
}

// TestActionOverrides tries every action in every cell: the allowed ones
// are accepted and become the cell's action; the others are refused with
// an error naming the cell.
func TestActionOverrides(t *testing.T) {
	for _, c := range cells {
		for _, act := range allActions {
			o := ActionOverrides{c.b: {c.a: act}}
			err := o.Validate()
			allowed := act == c.def || slices.Contains(c.alts, act)
			if allowed {
				if err != nil {
					t.Errorf("(%s, %s) → %s: %v", c.b, c.a, act, err)
				}
				if got := o.Action(c.b, c.a); got != act {
					t.Errorf("(%s, %s) overridden to %s: Action = %s", c.b, c.a, act, got)
				}
				continue
			}
			want := "by " + string(c.b) + ", " + string(c.a) + `: action "` + string(act) + `" is not allowed: want ` + string(c.def) + " (default)"
			if err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("(%s, %s) → %s: error %v, want one starting %q", c.b, c.a, act, err, want)
			}
		}
	}
}

func TestActionOverridesDefaults(t *testing.T) {
	o := ActionOverrides{ByIdentifier: {Fastened: Move}}
	for _, c := range cells {
		want := c.def
		if c.b == ByIdentifier && c.a == Fastened {
			want = Move
		}
		if got := o.Action(c.b, c.a); got != want {
			t.Errorf("Action(%s, %s) = %s, want %s", c.b, c.a, got, want)
		}
		if got := ActionOverrides(nil).Action(c.b, c.a); got != c.def {
			t.Errorf("nil overrides: Action(%s, %s) = %s, want %s", c.b, c.a, got, c.def)
		}
	}
	if err := ActionOverrides(nil).Validate(); err != nil {
		t.Error(err)
	}
}

func TestActionOverridesErrors(t *testing.T) {
	for _, c := range []struct {
		o    ActionOverrides
		want string
	}{
		{ActionOverrides{"name": {Fixed: Reference}}, `unknown binding "name": want identifier, value or type`},
		{ActionOverrides{ByValue: {"glued": Copy}}, `by value: unknown attachment "glued"`},
		{ActionOverrides{ByValue: {Unattached: "teleport"}}, `by value, unattached: action "teleport" is not allowed: want copy (default), move or global-reference`},
		{ActionOverrides{ByIdentifier: {Fixed: Move}}, `by identifier, fixed: action "move" is not allowed: want global-reference (default)`},
		// The first error in table order, whatever the map's order.
		{ActionOverrides{ByType: {Fixed: Copy}, ByValue: {Fixed: Copy}}, "by value, fixed"},
	} {
		err := c.o.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one containing %q", c.o, err, c.want)
		}
	}
}

// TestPlanResourcesCells migrates a unit with one resource of each cell,
// under the default action and under each alternative.
func TestPlanResourcesCells(t *testing.T) {
	l := Link{Bandwidth: 100, Latency: 0.5}
	for _, c := range cells {
		for _, act := range append([]Action{c.def}, c.alts...) {
			r := Resource{Name: "r", Binding: c.b, Attachment: c.a, Bytes: 300, Uses: 2, UseBytes: 50}
			p, err := PlanResources([]Resource{r}, ActionOverrides{c.b: {c.a: act}}, l)
			if err != nil {
				t.Fatal(err)
			}
			want := ResourceMove{Name: "r", Action: act}
			wantRemote := 0.0
			switch act {
			case Move, Copy:
				want.Bytes = 300
			case Reference:
				want.Remote = true
				want.UseCost = 2*0.5 + 50.0/100 // a round trip plus 50 bytes
				wantRemote = 2 * 1.5
			case Rebind:
				want.Rebound = true
			}
			if len(p.Moves) != 1 || p.Moves[0] != want {
				t.Errorf("(%s, %s) by %s: %+v, want %+v", c.b, c.a, act, p.Moves, want)
			}
			if p.Bytes != want.Bytes || p.RemoteTime != wantRemote {
				t.Errorf("(%s, %s) by %s: Bytes %v RemoteTime %v, want %v %v", c.b, c.a, act, p.Bytes, p.RemoteTime, want.Bytes, wantRemote)
			}
		}
	}
}

func TestPlanResources(t *testing.T) {
	rs := []Resource{
		{Name: "file", Binding: ByIdentifier, Attachment: Unattached, Bytes: 1000},
		{Name: "db", Binding: ByIdentifier, Attachment: Fastened, Bytes: 1e9, Uses: 4, UseBytes: 200},
		{Name: "gpu", Binding: ByIdentifier, Attachment: Fixed, Bytes: 5, Uses: 1},
		{Name: "table", Binding: ByValue, Attachment: Unattached, Bytes: 20},
		{Name: "printer", Binding: ByType, Attachment: Fixed},
	}
	l := Link{Bandwidth: 1000, Latency: 0.01}
	p, err := PlanResources(rs, nil, l)
	if err != nil {
		t.Fatal(err)
	}
	want := []ResourceMove{
		{Name: "file", Action: Move, Bytes: 1000},
		{Name: "db", Action: Reference, Remote: true, UseCost: 0.02 + 0.2},
		{Name: "gpu", Action: Reference, Remote: true, UseCost: 0.02}, // fixed by identifier stays behind
		{Name: "table", Action: Copy, Bytes: 20},
		{Name: "printer", Action: Rebind, Rebound: true},
	}
	if !slices.Equal(p.Moves, want) {
		t.Errorf("moves\n got %+v\nwant %+v", p.Moves, want)
	}
	if p.Bytes != 1020 {
		t.Errorf("Bytes = %v, want 1020", p.Bytes)
	}
	if wantRT := 4*0.22 + 1*0.02; !near(p.RemoteTime, wantRT) {
		t.Errorf("RemoteTime = %v, want %v", p.RemoteTime, wantRT)
	}

	// Moving the database instead sends its bytes and leaves no remote use.
	p, _ = PlanResources(rs, ActionOverrides{ByIdentifier: {Fastened: Move}}, l)
	if p.Bytes != 1e9+1020 || !near(p.RemoteTime, 0.02) {
		t.Errorf("db moved: Bytes %v RemoteTime %v, want %v 0.02", p.Bytes, p.RemoteTime, 1e9+1020)
	}

	if p, err := PlanResources(nil, nil, l); err != nil || p.Moves != nil || p.Bytes != 0 {
		t.Errorf("no resources: %+v, %v", p, err)
	}
	if _, err := PlanResources([]Resource{{Name: "x", Binding: "name", Attachment: Fixed}}, nil, l); err == nil || !strings.Contains(err.Error(), "resource x") {
		t.Errorf("unknown binding: error %v", err)
	}
}

// near reports whether a and b agree to 1e-12, relative to the larger or 1.
func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-12*max(math.Abs(a), math.Abs(b), 1)
}
