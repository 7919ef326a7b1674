package param

import (
	"fmt"
	"sort"
	"strings"
)

// Entry describes one registered name for listings.
type Entry struct {
	Name   string // spec name, e.g. "exp"
	Params string // Schema.Usage() of its parameters
	Doc    string // one line
}

// Def is one registered name of a Registry: a distribution, an arrival
// process, a server architecture.
type Def[T any] struct {
	Name   string
	Doc    string
	Schema Schema
	Build  func(v Values) (T, error)
}

// Registry is the registered names of one kind of thing.
type Registry[T any] []Def[T]

// Parse reads spec, finds its definition, checks its parameters and
// builds it; kind names the thing in errors ("distribution").
func (r Registry[T]) Parse(kind, spec string) (T, error) {
	var zero T
	c, err := Parse(spec)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", kind, err)
	}
	for _, d := range r {
		if d.Name == c.Name {
			v, err := Bind(c, d.Schema)
			if err != nil {
				return zero, err
			}
			return d.Build(v)
		}
	}
	return zero, fmt.Errorf("unknown %s %q: known are %s", kind, c.Name, strings.Join(r.Names(), ", "))
}

// ParseCanonical is Parse that also returns spec's canonical form, every
// parameter given (Values.Canonical).
func (r Registry[T]) ParseCanonical(kind, spec string) (T, string, error) {
	t, err := r.Parse(kind, spec)
	if err != nil {
		return t, "", err
	}
	c, _ := Parse(spec) // parsed once already: cannot fail
	for _, d := range r {
		if d.Name == c.Name {
			v, _ := Bind(c, d.Schema)
			return t, v.Canonical(d.Schema), nil
		}
	}
	return t, "", nil
}

// Names returns the registered names, sorted.
func (r Registry[T]) Names() []string {
	names := make([]string, len(r))
	for i, d := range r {
		names[i] = d.Name
	}
	sort.Strings(names)
	return names
}

// Entries lists the definitions, sorted by name.
func (r Registry[T]) Entries() []Entry {
	out := make([]Entry, len(r))
	for i, d := range r {
		out[i] = Entry{Name: d.Name, Params: d.Schema.Usage(), Doc: d.Doc}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
