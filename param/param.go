// Package param parses and validates the call syntax that specs use for
// policies and distributions: name(key=value, key=[v1,v2], ...).
//
// A component declares its parameters as a Schema; Bind checks a parsed Call
// against it (unknown keys, wrong types, missing required values) and fills
// in defaults, so every error names the parameter and what is allowed.
package param

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Kind is the type of a parameter's value.
type Kind int

// Parameter kinds.
const (
	Float  Kind = iota // a number
	Int                // a whole number
	Floats             // a list of numbers: [0.5, 2]
	Word               // a bare word: fcfs
)

func (k Kind) String() string {
	switch k {
	case Float:
		return "number"
	case Int:
		return "whole number"
	case Floats:
		return "list of numbers"
	default:
		return "word"
	}
}

// Param describes one parameter.
type Param struct {
	Name    string
	Kind    Kind
	Default string // "" means required
	Doc     string
	// Later marks a parameter added after its component first shipped: at
	// its default it is left out of the canonical form, so points stored
	// before it existed keep their keys and labels.
	Later bool
}

// Schema is the ordered list of a component's parameters.
type Schema []Param

// Usage renders the schema as "a=1, b=[required]" for listings.
func (s Schema) Usage() string {
	parts := make([]string, len(s))
	for i, p := range s {
		d := p.Default
		if d == "" {
			d = "<" + p.Kind.String() + ">"
		}
		parts[i] = p.Name + "=" + d
	}
	return strings.Join(parts, ", ")
}

// Call is a parsed "name(k=v, ...)" expression.
type Call struct {
	Name string
	Args map[string]string // raw values, lists with their brackets
	Keys []string          // keys in the order written
}

// String renders the call canonically: keys sorted, spaces removed.
func (c Call) String() string {
	if len(c.Args) == 0 {
		return c.Name
	}
	keys := make([]string, 0, len(c.Args))
	for k := range c.Args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + c.Args[k]
	}
	return c.Name + "(" + strings.Join(parts, ", ") + ")"
}

// Parse reads "name", "name()" or "name(k=v, k=[a,b])".
func Parse(s string) (Call, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Call{}, fmt.Errorf("empty expression: want name or name(key=value, ...)")
	}
	c := Call{Args: map[string]string{}}
	open := strings.IndexByte(s, '(')
	if open < 0 {
		c.Name = s
		if err := checkName(s); err != nil {
			return Call{}, err
		}
		return c, nil
	}
	c.Name = strings.TrimSpace(s[:open])
	if err := checkName(c.Name); err != nil {
		return Call{}, err
	}
	if !strings.HasSuffix(s, ")") {
		return Call{}, fmt.Errorf("%q: missing closing parenthesis", s)
	}
	body := s[open+1 : len(s)-1]
	args, err := splitArgs(body)
	if err != nil {
		return Call{}, fmt.Errorf("%q: %w", s, err)
	}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return Call{}, fmt.Errorf("%q: argument %q is not key=value", s, a)
		}
		if _, dup := c.Args[k]; dup {
			return Call{}, fmt.Errorf("%q: parameter %s given twice", s, k)
		}
		c.Args[k] = v
		c.Keys = append(c.Keys, k)
	}
	return c, nil
}

func checkName(s string) error {
	if s == "" {
		return fmt.Errorf("missing name before '('")
	}
	for i, r := range s {
		ok := r == '_' || r == '.' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return fmt.Errorf("%q is not a name: use letters, digits, '.', '_' or '-'", s)
		}
	}
	return nil
}

// splitArgs splits on commas that are not inside brackets or a quoted
// word ("…", which may hold commas, parentheses and spaces).
func splitArgs(body string) ([]string, error) {
	var out []string
	depth, start, quoted := 0, 0, false
	for i, r := range body {
		if r == '"' {
			quoted = !quoted
		}
		if quoted {
			continue
		}
		switch r {
		case '[':
			depth++
			if depth > 1 {
				return nil, fmt.Errorf("nested lists are not allowed")
			}
		case ']':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("']' without '['")
			}
		case '(', ')':
			return nil, fmt.Errorf("unexpected %q inside the argument list", r)
		case ',':
			if depth == 0 {
				out = append(out, body[start:i])
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("'[' without ']'")
	}
	if quoted {
		return nil, fmt.Errorf("'\"' without its closing '\"'")
	}
	if rest := strings.TrimSpace(body[start:]); rest != "" || len(out) > 0 {
		out = append(out, body[start:])
	}
	return out, nil
}

// Values holds a call's arguments checked against a schema, defaults filled.
type Values struct {
	call    string
	floats  map[string]float64
	lists   map[string][]float64
	words   map[string]string
	entries map[string]string
}

// Bind checks c against s. The error names the call, the parameter and what
// is allowed.
func Bind(c Call, s Schema) (Values, error) {
	v := Values{call: c.Name, floats: map[string]float64{}, lists: map[string][]float64{}, words: map[string]string{}, entries: map[string]string{}}
	known := map[string]bool{}
	for _, p := range s {
		known[p.Name] = true
	}
	for _, k := range c.Keys {
		if !known[k] {
			if len(s) == 0 {
				return v, fmt.Errorf("%s: unknown parameter %s: %s takes no parameters", c.Name, k, c.Name)
			}
			return v, fmt.Errorf("%s: unknown parameter %s: allowed are %s", c.Name, k, s.Usage())
		}
	}
	for _, p := range s {
		raw, given := c.Args[p.Name]
		if !given {
			if p.Default == "" {
				return v, fmt.Errorf("%s: parameter %s (%s) is required: %s(%s)", c.Name, p.Name, p.Doc, c.Name, s.Usage())
			}
			raw = p.Default
		}
		switch p.Kind {
		case Float, Int:
			f, err := strconv.ParseFloat(raw, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return v, fmt.Errorf("%s: parameter %s: want a %s, got %q", c.Name, p.Name, p.Kind, raw)
			}
			if p.Kind == Int && f != float64(int64(f)) {
				return v, fmt.Errorf("%s: parameter %s: want a whole number, got %q", c.Name, p.Name, raw)
			}
			v.floats[p.Name] = f
			if p.Kind == Int {
				v.entries[p.Name] = strconv.FormatInt(int64(f), 10)
			} else {
				v.entries[p.Name] = formatFloat(f)
			}
		case Floats:
			if !strings.HasPrefix(raw, "[") || !strings.HasSuffix(raw, "]") {
				return v, fmt.Errorf("%s: parameter %s: want a list like [0.5, 2], got %q", c.Name, p.Name, raw)
			}
			inner := strings.TrimSpace(raw[1 : len(raw)-1])
			var list []float64
			var texts []string
			if inner != "" {
				for _, e := range strings.Split(inner, ",") {
					f, err := strconv.ParseFloat(strings.TrimSpace(e), 64)
					if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
						return v, fmt.Errorf("%s: parameter %s: list element %q is not a number", c.Name, p.Name, strings.TrimSpace(e))
					}
					list = append(list, f)
					texts = append(texts, formatFloat(f))
				}
			}
			v.lists[p.Name] = list
			v.entries[p.Name] = "[" + strings.Join(texts, ",") + "]"
		case Word:
			if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' {
				// a quoted word keeps its spaces (a command line): stored
				// without the quotes, written back with them
				v.words[p.Name] = raw[1 : len(raw)-1]
				v.entries[p.Name] = raw
				break
			}
			v.words[p.Name] = raw
			v.entries[p.Name] = strings.ReplaceAll(raw, " ", "")
		}
	}
	return v, nil
}

// Float returns a Float or Int parameter.
func (v Values) Float(name string) float64 {
	f, ok := v.floats[name]
	if !ok {
		panic("param: " + v.call + " has no numeric parameter " + name)
	}
	return f
}

// Int returns an Int parameter.
func (v Values) Int(name string) int { return int(v.Float(name)) }

// Floats returns a Floats parameter.
func (v Values) Floats(name string) []float64 {
	l, ok := v.lists[name]
	if !ok {
		panic("param: " + v.call + " has no list parameter " + name)
	}
	return l
}

// Word returns a Word parameter.
func (v Values) Word(name string) string {
	w, ok := v.words[name]
	if !ok {
		panic("param: " + v.call + " has no word parameter " + name)
	}
	return w
}

// Canonical renders the call with every parameter, defaults included, in
// schema order: the form stored in results so a record says exactly what ran.
// Numbers are written by value (2.50 as 2.5, 1e3 as 1000, 2.0 as 2 for an
// Int), so equal calls have one canonical form.
func (v Values) Canonical(s Schema) string {
	if len(s) == 0 {
		return v.call
	}
	parts := make([]string, 0, len(s))
	for _, p := range s {
		val := v.entries[p.Name]
		if p.Later && val == defaultEntry(p) {
			continue
		}
		parts = append(parts, p.Name+"="+val)
	}
	if len(parts) == 0 {
		return v.call
	}
	return v.call + "(" + strings.Join(parts, ", ") + ")"
}

// defaultEntry is the canonical text of p's default value.
func defaultEntry(p Param) string {
	d, err := Bind(Call{Name: "default", Args: map[string]string{p.Name: p.Default}, Keys: []string{p.Name}}, Schema{p})
	if err != nil {
		return p.Default // a default that does not bind: never equal to a bound value's text
	}
	return d.entries[p.Name]
}

// formatFloat writes f as %v does: the shortest form that reads back exactly.
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// Errorf makes a validation error in the same form as Bind's.
func (v Values) Errorf(name, format string, args ...any) error {
	return fmt.Errorf("%s: parameter %s: %s", v.call, name, fmt.Sprintf(format, args...))
}
