package experiment

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/loadlab/loadlab/external"
	"github.com/loadlab/loadlab/param"
	"github.com/loadlab/loadlab/policy"
)

// Axis is a dimension of a sweep other than load: a numeric setting of the
// spec or a numeric parameter of its policies, swept over Values and
// crossed with the other dimensions as loads are. The figures put it on
// their x axis.
//
// Name is a setting by its YAML path ("nodes", "gossip", "costs.latency",
// "units.exec.dirty", "faults.0.duration"; time_unit in milliseconds) or a
// policy parameter ("probes", "T", "d"; "dispatch.d" or "migrate.T" when a
// row's two policies share the name). A policy parameter must belong to
// every row's dispatch strategy or migration policy.
type Axis struct {
	Name   string    `yaml:"name"`
	Values []float64 `yaml:"values"`
}

// notAxes are settings that are not dimensions of a point's model.
var notAxes = map[string]string{
	"load":             "loads are the default axis: list them under loads",
	"loads":            "loads are the default axis: list them under loads",
	"seed":             "the seed is not a setting to compare",
	"replications":     "replications are repetitions, not a setting",
	"max_replications": "replications are repetitions, not a setting",
	"precision":        "precision decides replications, not the model",
	"batches":          "batches shape a run's own interval, not the model",
	"hit_bin":          "bins shape a series over time, not the model",
	"fault_bin":        "bins shape a series over time, not the model",
}

// axisTarget is where an axis sets its values.
type axisTarget struct {
	setting []string // YAML path of a spec setting; nil for a policy parameter
	integer bool     // the setting or parameter takes whole numbers
	millis  bool     // a duration setting given in milliseconds
	param   string   // the policy parameter
	kind    string   // "dispatch", "migrate" or "" (either)
}

// buildAxis checks the spec's axis and builds one spec per value, each the
// spec with that value set, validated as a spec file is. The base spec s
// must be validated.
func (s *Spec) buildAxis() error {
	a := s.Axis
	at := func(path ...string) []string { return append([]string{"axis"}, path...) }
	if strings.TrimSpace(a.Name) == "" {
		return s.errAt(at("name"), "name the setting or policy parameter to sweep, e.g. axis: {name: probes, values: [1, 2, 3]}")
	}
	if len(a.Values) == 0 {
		return s.errAt(at("values"), "give at least one value, e.g. values: [1, 2, 3]")
	}
	for i, v := range a.Values {
		if j := slices.Index(a.Values, v); j < i {
			return s.errAt(at("values", strconv.Itoa(i)), "%g is listed twice (also axis.values[%d]): give each value once", v, j)
		}
	}
	t, err := s.axisTarget()
	if err != nil {
		return err
	}
	s.variants = nil
	for i, v := range a.Values {
		path := at("values", strconv.Itoa(i))
		if t.integer && v != float64(int64(v)) {
			return s.errAt(path, "%s takes whole numbers, got %g", a.Name, v)
		}
		root, err := s.axisDocument(t, v)
		if err != nil {
			return s.errAt(path, "%v", err)
		}
		vs, err := decodeSpec(s.file, root)
		if err != nil {
			return s.errAt(path, "%s = %g: %v", a.Name, v, err)
		}
		if vs.Axis != nil {
			return fmt.Errorf("experiment: an axis variant kept its axis") // a programmer error
		}
		s.variants = append(s.variants, vs)
	}
	// The rows' labels are the variants' (a row named after its policy
	// leaves out the parameter the axis varies).
	for i := range s.Policies {
		s.Policies[i].Name = s.variants[0].Policies[i].Name
	}
	s.exp.labelAt = s.variants[0].exp.labelAt
	return nil
}

// axisTarget resolves the axis name to a setting or a policy parameter.
func (s *Spec) axisTarget() (axisTarget, error) {
	name := s.Axis.Name
	at := []string{"axis", "name"}
	if why, ok := notAxes[name]; ok {
		return axisTarget{}, s.errAt(at, "%s cannot be an axis: %s", name, why)
	}
	path := strings.Split(name, ".")
	if path[0] != "dispatch" && path[0] != "migrate" && path[0] != "policies" {
		if kind, ok := settingKind(reflect.TypeOf(Spec{}), path); ok {
			switch kind {
			case reflect.Int, reflect.Int64, reflect.Uint64:
				return axisTarget{setting: path, integer: true}, s.rowsLeave(path)
			case reflect.Float64:
				return axisTarget{setting: path}, s.rowsLeave(path)
			case reflect.String:
				if name == "time_unit" {
					return axisTarget{setting: path, millis: true}, nil
				}
			}
			return axisTarget{}, s.errAt(at, "%s is not a numeric setting: an axis sweeps numbers", name)
		}
	}
	t := axisTarget{param: name}
	if k, p, ok := strings.Cut(name, "."); ok && (k == "dispatch" || k == "migrate") {
		t.kind, t.param = k, p
	}
	reg := external.Builtin()
	missing := -1 // the first row without the parameter
	found := false
	for i, row := range s.Policies {
		var has []string
		for _, k := range []string{"dispatch", "migrate"} {
			if t.kind != "" && t.kind != k {
				continue
			}
			spec := row.Dispatch
			if k == "migrate" {
				spec = row.Migrate
			}
			p, ok := policyParam(reg, k, spec, t.param)
			if !ok {
				continue
			}
			if p.Kind != param.Float && p.Kind != param.Int {
				return axisTarget{}, s.errAt(at, "parameter %s of %s is a %s, not a number: an axis sweeps numbers", t.param, spec, p.Kind)
			}
			t.integer = t.integer || p.Kind == param.Int
			has = append(has, k)
		}
		switch {
		case len(has) > 1:
			return axisTarget{}, s.errAt(at, "both policies of policies[%d] have a parameter %s: write dispatch.%s or migrate.%s", i, t.param, t.param, t.param)
		case len(has) == 0 && missing < 0:
			missing = i
		case len(has) == 1:
			found = true
		}
	}
	if !found {
		return axisTarget{}, s.errAt(at, "%s is neither a numeric setting of the spec (nodes, servers, gossip, costs.latency, …) nor a parameter of its policies (%s)", name, s.policyParams(reg))
	}
	if missing >= 0 {
		row := s.Policies[missing]
		return axisTarget{}, s.errAt([]string{"policies", strconv.Itoa(missing)}, "%s: neither dispatch %s nor migrate %s has a parameter %s, which axis.name sweeps; an axis over a policy parameter needs it in every row",
			row.Name, row.Dispatch, row.Migrate, t.param)
	}
	return t, nil
}

// policyParams lists the numeric parameters of the spec's policies, for
// an error message.
func (s *Spec) policyParams(reg *policy.Registry) string {
	var names []string
	for _, row := range s.Policies {
		for _, k := range []string{"dispatch", "migrate"} {
			spec := row.Dispatch
			if k == "migrate" {
				spec = row.Migrate
			}
			for _, p := range schemaOf(reg, k, spec) {
				if (p.Kind == param.Float || p.Kind == param.Int) && !slices.Contains(names, p.Name) {
					names = append(names, p.Name)
				}
			}
		}
	}
	if len(names) == 0 {
		return "they have no numeric parameters"
	}
	return "they have " + strings.Join(names, ", ")
}

// schemaOf returns the parameters of a validated policy spec of kind k.
func schemaOf(reg *policy.Registry, k, spec string) param.Schema {
	if k == "dispatch" {
		if d, err := reg.Dispatch(spec); err == nil {
			return d.Info.Params
		}
		return nil
	}
	if m, err := reg.Migrate(spec); err == nil {
		return m.Info.Params
	}
	return nil
}

// policyParam returns the parameter name of the policy spec of kind k.
func policyParam(reg *policy.Registry, k, spec, name string) (param.Param, bool) {
	for _, p := range schemaOf(reg, k, spec) {
		if p.Name == name {
			return p, true
		}
	}
	return param.Param{}, false
}

// rowsLeave reports a policy row that sets the setting at path itself, so
// that an axis over the spec's setting would not reach it.
func (s *Spec) rowsLeave(path []string) error {
	for i := range s.Policies {
		rp := append([]string{"policies", strconv.Itoa(i)}, path...)
		if n := s.node(rp...); n != nil {
			return s.errAt(rp, "this row sets %s itself, so the axis over %s would not reach it: remove it here", settingName(path), settingName(path))
		}
	}
	return nil
}

// settingKind follows a YAML path through the spec's types and returns the
// kind of the value at its end; ok is false when no setting has the path.
func settingKind(t reflect.Type, path []string) (reflect.Kind, bool) {
	for _, key := range path {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Struct:
			f, ok := yamlField(t, key)
			if !ok {
				return 0, false
			}
			t = f.Type
		case reflect.Slice:
			if _, err := strconv.Atoi(key); err != nil {
				return 0, false
			}
			t = t.Elem()
		case reflect.Map:
			if t.Key().Kind() != reflect.String {
				return 0, false
			}
			t = t.Elem()
		default:
			return 0, false
		}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind(), true
}

// yamlField finds the field of struct t that YAML key names, through
// inlined structs.
func yamlField(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if strings.Contains(opts, "inline") {
			if g, ok := yamlField(f.Type, key); ok {
				return g, true
			}
			continue
		}
		if tag == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// node returns the document's node at a path of keys and list indices, or
// nil.
func (s *Spec) node(path ...string) *yaml.Node {
	if s.root == nil || len(s.root.Content) == 0 {
		return nil
	}
	n := s.root.Content[0]
	for _, p := range path {
		n = child(n, p)
		if n == nil {
			return nil
		}
	}
	return n
}

// child returns the value of key p of a mapping, or item p of a sequence.
func child(n *yaml.Node, p string) *yaml.Node {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == p {
				return n.Content[i+1]
			}
		}
	case yaml.SequenceNode:
		if i, err := strconv.Atoi(p); err == nil && i >= 0 && i < len(n.Content) {
			return n.Content[i]
		}
	}
	return nil
}

// axisDocument returns a copy of the spec's document with the axis at
// value v: its setting set (created where the spec leaves it at its
// default), or its parameter set in every row's policy; each row named as
// the base spec names it, so the rows keep their labels along the axis;
// and the axis itself removed.
func (s *Spec) axisDocument(t axisTarget, v float64) (*yaml.Node, error) {
	root := deepCopy(s.root)
	doc := root.Content[0]
	removeKey(doc, "axis")
	num := strconv.FormatFloat(v, 'g', -1, 64)
	policies := child(doc, "policies")
	for i, row := range s.Policies {
		rn := child(policies, strconv.Itoa(i))
		if rn == nil || rn.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("policies[%d] is not a mapping", i)
		}
		if t.param == "" {
			setKey(rn, "name", row.Name, "!!str")
			continue
		}
		reg := external.Builtin()
		name := row.Name
		for _, k := range []string{"dispatch", "migrate"} {
			spec := row.Dispatch
			if k == "migrate" {
				spec = row.Migrate
			}
			if (t.kind != "" && t.kind != k) || func() bool { _, ok := policyParam(reg, k, spec, t.param); return !ok }() {
				continue
			}
			call, err := param.Parse(spec)
			if err != nil {
				return nil, err
			}
			if s.Policies[i].Name == spec && !s.named(i) {
				// A row named after its policy: its label leaves out the
				// parameter the axis varies.
				delete(call.Args, t.param)
				name = call.String()
				call, _ = param.Parse(spec)
			}
			call.Args[t.param] = num
			setKey(rn, k, call.String(), "!!str")
		}
		setKey(rn, "name", name, "!!str")
	}
	if t.setting != nil {
		value := num
		if t.millis {
			value = num + "ms"
		}
		setPath(doc, t.setting, value)
	}
	return root, nil
}

// named reports whether the spec's document names policy row i.
func (s *Spec) named(i int) bool { return s.node("policies", strconv.Itoa(i), "name") != nil }

// setPath sets the scalar at a path of keys and indices under a mapping,
// creating mappings on the way.
func setPath(n *yaml.Node, path []string, value string) {
	for _, p := range path[:len(path)-1] {
		next := child(n, p)
		if next == nil {
			next = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: p}, next)
		}
		n = next
	}
	setKey(n, path[len(path)-1], value, "")
}

// setKey sets key k of mapping n to the scalar value with tag ("": the
// tag YAML resolves), adding it if absent.
func setKey(n *yaml.Node, k, value, tag string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == k {
			line := n.Content[i+1].Line
			n.Content[i+1] = &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value, Line: line}
			return
		}
	}
	n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value})
}

// removeKey removes key k of mapping n.
func removeKey(n *yaml.Node, k string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == k {
			n.Content = append(n.Content[:i:i], n.Content[i+2:]...)
			return
		}
	}
}

// deepCopy copies a YAML node tree.
func deepCopy(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		c.Content[i] = deepCopy(k)
	}
	c.Alias = deepCopy(n.Alias)
	return &c
}

// axisIndex returns the index of the axis value of a stored point, or ok
// false when the point is not on the spec's axis.
func (s *Spec) axisIndex(axis string, x float64) (int, bool) {
	if s.Axis == nil {
		return 0, axis == ""
	}
	if axis != s.Axis.Name {
		return 0, false
	}
	i := slices.Index(s.Axis.Values, x)
	return i, i >= 0
}

// axisCount is the number of axis values (1 without an axis).
func (s *Spec) axisCount() int {
	if s.Axis == nil {
		return 1
	}
	return len(s.Axis.Values)
}
