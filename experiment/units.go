package experiment

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/loadlab/loadlab/workload"
)

// validateUnits checks the spec's units and platforms, and each policy
// row's overrides, against every workload, naming the setting's file:line.
func (s *Spec) validateUnits() error {
	if !(s.HitBin >= 0) || math.IsInf(s.HitBin, 0) {
		return s.errAt([]string{"hit_bin"}, "want a finite number of model units ≥ 0 (0 = a run's length / 20), got %v", s.HitBin)
	}
	for i, p := range s.Platforms {
		if strings.TrimSpace(p) == "" || strings.ContainsAny(p, ", ") {
			return s.errAt([]string{"platforms", strconv.Itoa(i)}, "%q is not a platform name: use letters, digits, '-', '_' or '.'", p)
		}
	}
	if s.Units != nil {
		if err := s.Units.Validate(); err != nil {
			return s.unitsErr(nil, err)
		}
	}
	for i, p := range s.Policies {
		path := []string{"policies", strconv.Itoa(i)}
		c := p.units(s)
		if c == nil {
			continue
		}
		if p.Mobility != nil {
			if err := p.Mobility.Validate(); err != nil {
				return s.errAt(append(path, "mobility"), "%v", err)
			}
		}
		if p.Paradigm != "" {
			if _, err := workload.ParseParadigm(p.Paradigm); err != nil {
				return s.errAt(append(path, "paradigm"), "%v", err)
			}
		}
		for _, w := range s.Workloads {
			wl, err := workload.New(w.Config)
			if err != nil {
				return err // reported by validate before
			}
			u, err := workload.NewUnits(*c, wl.Classes())
			if err != nil {
				return s.unitsErr(nil, err)
			}
			if err := s.checkRuns(u, wl.Classes()); err != nil {
				return err
			}
			_, most := u.Homes()
			if most >= s.Nodes {
				return s.errAt([]string{"units"}, "a resource's home is node %d, not in the cluster of %d nodes: name a node below %d, or home: key", most, s.Nodes, s.Nodes)
			}
		}
	}
	return nil
}

// checkRuns reports a class that no node's platform can run.
func (s *Spec) checkRuns(u *workload.Units, classes []string) error {
	platforms := s.Platforms
	if len(platforms) == 0 {
		platforms = []string{""}
	}
	for k, name := range classes {
		code := u.Unit(int32(k)).Code
		runs := false
		for _, p := range platforms {
			_, ok := u.Platforms().Speed(code, p)
			runs = runs || ok
		}
		if !runs {
			return s.errAt([]string{"platforms"}, "no node can run class %s: kernel %s has no build for %v and there is no interpreter (units.platforms.interpreter)", name, code.Key(), platforms)
		}
	}
	return nil
}

// unitsErr turns an error of workload.UnitConfig ("units: mobility.method:
// want …") into one at the file:line of that setting under path.
func (s *Spec) unitsErr(path []string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "units: ")
	where, rest, ok := strings.Cut(msg, ": ")
	if !ok || strings.ContainsAny(where, " ") && !strings.Contains(where, " (") {
		return s.errAt(append(path, "units"), "%s", msg)
	}
	p := append(path, "units")
	for _, part := range strings.Split(where, ".") {
		if i := strings.Index(part, " ("); i >= 0 {
			part = part[:i]
		}
		name, idx, indexed := strings.Cut(strings.TrimSuffix(part, "]"), "[")
		p = append(p, name)
		if indexed {
			p = append(p, idx)
		}
	}
	return s.errAt(p, "%s", rest)
}

// canonicalUnits renders a unit configuration as one line of JSON with the
// defaults written out (mobility, paradigm): equal configurations give
// equal strings, so point keys tell units apart.
func canonicalUnits(c workload.UnitConfig) string {
	c.Mobility = c.Mobility.WithDefaults()
	if c.Paradigm == "" {
		c.Paradigm = workload.DefaultParadigm
	}
	if p, err := workload.ParseParadigm(c.Paradigm); err == nil {
		c.Paradigm = p.String()
	}
	b, _ := json.Marshal(c) // plain fields and maps with string keys: cannot fail
	return string(b)
}

// nodePlatforms cycles the spec's platforms over n nodes; nil when none.
func nodePlatforms(platforms []string, n int) []string {
	if len(platforms) == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = platforms[i%len(platforms)]
	}
	return out
}
