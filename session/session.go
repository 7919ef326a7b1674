// Package session models per-client state at the servers of a cluster
// (Tanenbaum & van Steen, ch. 3: stateless and stateful servers). A
// request belongs to a client (its key, workload.Config.Keys); what the
// server must know about the client to serve it is the client's state.
//
//   - stateless(fetch): no server keeps state between requests; every
//     request fetches its client's state from a shared store, which costs
//     fetch. A crash loses nothing.
//   - stateful(transfer, rebuild, entries): the server that last served a
//     client keeps its state, up to entries clients a node (least recently
//     served evicted first). A request served where its state is costs
//     nothing more; one sent elsewhere (the dispatch broke affinity) has
//     the state moved from the node that holds it (transfer); one whose
//     state is gone (evicted, or its node crashed) rebuilds it (rebuild).
//     A client's first request creates its state at no cost.
//
// The costs are work at the serving node, in size units, added to the
// request's size; offered load counts sizes without them, so a design's
// state costs show as the load it adds.
package session

import (
	"fmt"
	"math"
	"strconv"

	"github.com/loadlab/loadlab/cache"
	"github.com/loadlab/loadlab/param"
)

// Config is a design of server state and its costs.
type Config struct {
	Kind     string  // stateless or stateful
	Fetch    float64 // stateless: work to fetch a request's state from the store
	Transfer float64 // stateful: work to move a client's state from the node that holds it
	Rebuild  float64 // stateful: work to rebuild a client's lost state
	Entries  int     // stateful: clients whose state a node keeps
	spec     string  // canonical form
}

// MaxEntries bounds the state a node keeps (memory: about 40 bytes a client).
const MaxEntries = cache.MaxEntries

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

var kinds = param.Registry[*Config]{
	{Name: "stateful", Doc: "the node that last served a client keeps its state: a request sent elsewhere moves it (transfer), one whose state is lost rebuilds it",
		Schema: param.Schema{
			{Name: "transfer", Kind: param.Float, Doc: "work to move a client's state from the node that holds it, size units, >= 0"},
			{Name: "rebuild", Kind: param.Float, Doc: "work to rebuild a lost state (evicted, or its node crashed), size units, >= 0"},
			{Name: "entries", Kind: param.Int, Default: "100000", Doc: "clients whose state a node keeps (least recently served evicted), >= 1"},
		},
		Build: func(v param.Values) (*Config, error) {
			c := &Config{Kind: "stateful", Transfer: v.Float("transfer"), Rebuild: v.Float("rebuild"), Entries: v.Int("entries")}
			if c.Entries < 1 || c.Entries > MaxEntries {
				return nil, v.Errorf("entries", "must be between 1 and %d, got %d", MaxEntries, c.Entries)
			}
			return c, check(v, "transfer", c.Transfer, "rebuild", c.Rebuild)
		}},
	{Name: "stateless", Doc: "no node keeps state: every request fetches its client's state from a shared store (fetch); a crash loses nothing",
		Schema: param.Schema{{Name: "fetch", Kind: param.Float, Doc: "work to fetch a request's state, size units, >= 0"}},
		Build: func(v param.Values) (*Config, error) {
			c := &Config{Kind: "stateless", Fetch: v.Float("fetch")}
			return c, check(v, "fetch", c.Fetch)
		}},
}

// check reports the first of the named costs (name, value pairs) that is
// negative or not finite.
func check(v param.Values, costs ...any) error {
	for i := 0; i < len(costs); i += 2 {
		name, x := costs[i].(string), costs[i+1].(float64)
		if !(x >= 0) || math.IsInf(x, 0) {
			return v.Errorf(name, "must be a finite number >= 0, got %v", x)
		}
	}
	return nil
}

// Parse parses a design: "stateless(fetch=0.1)",
// "stateful(transfer=0.05, rebuild=0.5, entries=1000)". The empty string
// is none (nil): requests carry no state.
func Parse(s string) (*Config, error) {
	if s == "" {
		return nil, nil
	}
	c, spec, err := kinds.ParseCanonical("state", s)
	if err != nil {
		return nil, err
	}
	c.spec = spec
	return c, nil
}

// Entries lists the designs for `loadlab policies`.
func Entries() []param.Entry { return kinds.Entries() }

// String is the canonical form.
func (c *Config) String() string {
	if c == nil {
		return ""
	}
	return c.spec
}

// Outcome is what serving a request did with its client's state.
type Outcome uint8

// Outcomes.
const (
	New     Outcome = iota // the client's first request: its state is created where it is served
	Local                  // served where its state was (affinity kept)
	Moved                  // served elsewhere: the state moved from the node that held it
	Lost                   // its state was gone (evicted, or its node crashed) and was rebuilt
	Fetched                // stateless: fetched from the store
)

var outcomes = [...]string{New: "new", Local: "local", Moved: "moved", Lost: "lost", Fetched: "fetched"}

func (o Outcome) String() string {
	if int(o) < len(outcomes) {
		return outcomes[o]
	}
	return "outcome(" + strconv.Itoa(int(o)) + ")"
}

// Store is where the clients' states are in a cluster: pure bookkeeping
// that the simulator (and an agents' coordinator) drives. Memory is
// bounded: a node keeps at most Entries clients, and the store one owner
// entry per client.
type Store struct {
	cfg   *Config
	owner []int32      // client → node that last served it; -1: never served
	held  []*cache.LRU // node → the clients whose state it holds; nil when stateless
}

// NewStore makes the store of a cluster of nodes serving clients
// (keys 0 … clients−1).
func (c *Config) NewStore(nodes, clients int) *Store {
	s := &Store{cfg: c}
	if c.Kind != "stateful" {
		return s
	}
	s.owner = make([]int32, clients)
	for i := range s.owner {
		s.owner[i] = -1
	}
	s.held = make([]*cache.LRU, nodes)
	for i := range s.held {
		s.held[i] = cache.NewLRU(min(c.Entries, clients))
	}
	return s
}

// Serve records that node serves a request of client and reports what
// became of the client's state and the work that costs node.
func (s *Store) Serve(node, client int32) (Outcome, float64) {
	if s.held == nil {
		return Fetched, s.cfg.Fetch
	}
	if client < 0 || int(client) >= len(s.owner) {
		panic(fmt.Sprintf("session: client %d out of range [0, %d)", client, len(s.owner)))
	}
	o := s.owner[client]
	out, cost := New, 0.0
	switch {
	case o == node && s.held[node].Has(client):
		out = Local
	case o >= 0 && s.held[o].Has(client):
		s.held[o].Remove(client)
		out, cost = Moved, s.cfg.Transfer
	case o >= 0:
		out, cost = Lost, s.cfg.Rebuild
	}
	s.held[node].Request(client)
	s.owner[client] = node
	return out, cost
}

// Crash drops every state node holds: its clients' next requests rebuild.
func (s *Store) Crash(node int32) {
	if s.held != nil {
		s.held[node].Clear()
	}
}

// Holds reports how many clients' state node holds.
func (s *Store) Holds(node int32) int {
	if s.held == nil {
		return 0
	}
	return s.held[node].Len()
}
