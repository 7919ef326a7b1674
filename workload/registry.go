package workload

import (
	"fmt"
	"sort"
	"strings"

	"github.com/loadlab/loadlab/param"
)

// Entry describes one registered name for listings.
type Entry struct {
	Name   string // spec name, e.g. "exp"
	Params string // param.Schema.Usage() of its parameters
	Doc    string // one line
}

// def is one registered name: a distribution or an arrival process.
type def[T any] struct {
	name   string
	doc    string
	schema param.Schema
	build  func(v param.Values) (T, error)
}

// defs is a registry of one kind of thing, named kind in errors.
type defs[T any] []def[T]

// parse reads spec, finds its definition, checks its parameters and builds it.
func (ds defs[T]) parse(kind, spec string) (T, error) {
	var zero T
	c, err := param.Parse(spec)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", kind, err)
	}
	for _, d := range ds {
		if d.name == c.Name {
			v, err := param.Bind(c, d.schema)
			if err != nil {
				return zero, err
			}
			return d.build(v)
		}
	}
	return zero, fmt.Errorf("unknown %s %q: known are %s", kind, c.Name, strings.Join(ds.names(), ", "))
}

// names returns the registered names, sorted.
func (ds defs[T]) names() []string {
	names := make([]string, len(ds))
	for i, d := range ds {
		names[i] = d.name
	}
	sort.Strings(names)
	return names
}

// entries lists the definitions, sorted by name.
func (ds defs[T]) entries() []Entry {
	out := make([]Entry, len(ds))
	for i, d := range ds {
		out[i] = Entry{Name: d.name, Params: d.schema.Usage(), Doc: d.doc}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
