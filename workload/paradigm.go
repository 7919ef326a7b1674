package workload

import (
	"errors"
	"fmt"

	"github.com/loadlab/loadlab/param"
)

// CodeTransport is how a unit's code reaches the node it moves to.
type CodeTransport string

// Code transports.
const (
	CodeStays CodeTransport = "none" // code never moves: units go only where their code already is
	CodePush  CodeTransport = "push" // the sender ships the code with the unit, every time
	CodePull  CodeTransport = "pull" // the receiver fetches the code it lacks and caches it
)

// Paradigm is a design paradigm of mobile code (Carzaniga, Picco & Vigna,
// "Designing distributed applications with mobile code paradigms", ICSE
// 1997; Fuggetta, Picco & Vigna 1998) as the settings a simulator or an
// agent applies when a unit moves. Build one with ParseParadigm.
type Paradigm struct {
	Name  string        // preset name, e.g. "code-on-demand"
	Code  CodeTransport // how code reaches the destination
	Cache float64       // with CodePull, each node's code cache in bytes; 0 = unbounded
	// State is true when a running unit moves with its state (strong
	// mobility); false when it restarts from the beginning (weak).
	State   bool
	MaxHops int // moves a unit may make after its dispatch; 0 = no limit
}

// String returns the canonical spec with every parameter: "mobile-agent(hops=3)".
func (p Paradigm) String() string {
	if p.Code == CodePull {
		return fmt.Sprintf("%s(cache=%v, hops=%d)", p.Name, p.Cache, p.MaxHops)
	}
	return fmt.Sprintf("%s(hops=%d)", p.Name, p.MaxHops)
}

// Errors of CanMove, for callers that branch on them.
var (
	ErrNoCode   = errors.New("the destination lacks the unit's code and the paradigm moves no code")
	ErrHopLimit = errors.New("the unit has made its last allowed hop")
)

// CanMove reports whether a unit that has moved hops times may move to a
// node that holds its code (hasCode) or not: nil, or an error wrapping
// ErrHopLimit or ErrNoCode.
func (p Paradigm) CanMove(hops int, hasCode bool) error {
	if p.MaxHops > 0 && hops >= p.MaxHops {
		return fmt.Errorf("%s(hops=%d), %d made: %w", p.Name, p.MaxHops, hops, ErrHopLimit)
	}
	if p.Code == CodeStays && !hasCode {
		return fmt.Errorf("%s: %w", p.Name, ErrNoCode)
	}
	return nil
}

// NewCache returns an empty code cache of the paradigm's capacity
// (unbounded when Cache is 0).
func (p Paradigm) NewCache() *CodeCache {
	if p.Cache == 0 {
		return NewCodeCache(unbounded)
	}
	return NewCodeCache(p.Cache)
}

// Validate reports settings that contradict each other or are out of range.
func (p Paradigm) Validate() error {
	switch p.Code {
	case CodeStays, CodePush, CodePull:
	default:
		return fmt.Errorf("paradigm %s: code: want none, push or pull, got %q", p.Name, p.Code)
	}
	if err := bytesField("paradigm "+p.Name+": cache", p.Cache); err != nil {
		return err
	}
	if p.Cache != 0 && p.Code != CodePull {
		return fmt.Errorf("paradigm %s: cache: only a paradigm that pulls code caches it, got cache=%v with code %s", p.Name, p.Cache, p.Code)
	}
	if p.MaxHops < 0 {
		return fmt.Errorf("paradigm %s: hops: must be ≥ 0 (0 = no limit), got %d", p.Name, p.MaxHops)
	}
	return nil
}

var hopsParam = param.Param{Name: "hops", Kind: param.Int, Default: "0", Doc: "most moves after dispatch, >= 0; 0 = no limit"}

// paradigmDefs is the registry of paradigm presets, sorted by name.
var paradigmDefs = param.Registry[Paradigm]{
	{Name: "client-server", Doc: "no code moves: a unit runs or moves only where its code already is", Schema: param.Schema{hopsParam},
		Build: preset(Paradigm{Name: "client-server", Code: CodeStays})},
	{Name: "code-on-demand", Doc: "the receiver fetches code it lacks and caches it (LRU); running units restart", Schema: param.Schema{
		{Name: "cache", Kind: param.Float, Default: "0", Doc: "each node's code cache in bytes, >= 0; 0 = unbounded"},
		hopsParam,
	}, Build: preset(Paradigm{Name: "code-on-demand", Code: CodePull})},
	{Name: "mobile-agent", Doc: "the unit carries its code and state and may hop again, up to hops times", Schema: param.Schema{hopsParam},
		Build: preset(Paradigm{Name: "mobile-agent", Code: CodePush, State: true})},
	{Name: "remote-evaluation", Doc: "the sender ships the code with the unit; running units restart", Schema: param.Schema{hopsParam},
		Build: preset(Paradigm{Name: "remote-evaluation", Code: CodePush})},
}

// preset returns the builder of a paradigm with the fixed settings of p.
// Each call builds its own copy: the builder is shared by every parse, and
// parses may run concurrently (two agents of one process configuring).
func preset(fixed Paradigm) func(v param.Values) (Paradigm, error) {
	return func(v param.Values) (Paradigm, error) {
		p := fixed
		p.MaxHops = v.Int("hops")
		if p.MaxHops < 0 {
			return Paradigm{}, v.Errorf("hops", "must be ≥ 0 (0 = no limit), got %d", p.MaxHops)
		}
		if p.Code == CodePull {
			c := v.Float("cache")
			if c < 0 {
				return Paradigm{}, v.Errorf("cache", "must be ≥ 0 bytes (0 = unbounded), got %v", c)
			}
			p.Cache = c
		}
		return p, nil
	}
}

// ParseParadigm parses a paradigm preset such as "mobile-agent(hops=3)" or
// "code-on-demand(cache=1e6)" and validates its parameters.
func ParseParadigm(s string) (Paradigm, error) { return paradigmDefs.Parse("paradigm", s) }

// ParadigmEntries lists the paradigm presets, sorted by name.
func ParadigmEntries() []Entry { return paradigmDefs.Entries() }
