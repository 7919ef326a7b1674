package experiment

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/loadlab/loadlab/fault"
	"github.com/loadlab/loadlab/workload"
)

// faultBins is how many bins the response time over time has by default
// in points with faults.
const faultBins = 40

// faults is the row's fault list: its own if it sets one, else the spec's.
func (p PolicyRow) faults(s *Spec) []fault.Fault {
	if p.Faults != nil {
		return *p.Faults
	}
	return s.Faults
}

// validateFaults checks the spec's faults and each policy row's own list,
// naming the setting's file:line.
func (s *Spec) validateFaults() error {
	if !(s.FaultBin >= 0) || math.IsInf(s.FaultBin, 0) {
		return s.errAt([]string{"fault_bin"}, "want a finite number of model units ≥ 0 (0 = a run's length / %d), got %v", faultBins, s.FaultBin)
	}
	if err := s.checkFaults([]string{"faults"}, s.Faults); err != nil {
		return err
	}
	for i, p := range s.Policies {
		path := []string{"faults"}
		if p.Faults != nil {
			path = []string{"policies", strconv.Itoa(i), "faults"}
			if err := s.checkFaults(path, *p.Faults); err != nil {
				return err
			}
		}
		// An evacuation moves work units; with them, no other fault is modelled.
		fs := p.faults(s)
		k := slices.IndexFunc(fs, func(f fault.Fault) bool { return f.Kind == fault.Evacuate })
		if k < 0 {
			continue
		}
		at := append(slices.Clone(path), strconv.Itoa(k), "kind")
		if p.units(s) == nil {
			return s.errAt(at, "policies[%d] (%s): an evacuation moves work units: give the spec units (e.g. units: {exec: {state: 1e7}})", i, p.Name)
		}
		if j := slices.IndexFunc(fs, func(f fault.Fault) bool { return f.Kind != fault.Evacuate }); j >= 0 {
			return s.errAt(append(slices.Clone(path), strconv.Itoa(j), "kind"), "%s is not modelled together with work units (evacuate is): give it its own policy row without units", fs[j].Kind)
		}
	}
	return nil
}

// checkFaults validates one fault list found at path.
func (s *Spec) checkFaults(path []string, fs []fault.Fault) error {
	killed := map[int]bool{}
	for i, f := range fs {
		at := func(field string) []string { return append(slices.Clone(path), strconv.Itoa(i), field) }
		if !slices.Contains(fault.Kinds, f.Kind) {
			return s.errAt(at("kind"), "unknown fault %q: allowed are %s", f.Kind, strings.Join(fault.Kinds, ", "))
		}
		if !(f.At >= 0) || math.IsInf(f.At, 0) {
			return s.errAt(at("at"), "want a model time ≥ 0 (from the first arrival), got %v", f.At)
		}
		if err := s.checkNodes(at("nodes"), f.Nodes); err != nil {
			return err
		}
		if err := s.checkNodes(at("peers"), f.Peers); err != nil {
			return err
		}
		for _, n := range f.Peers {
			if slices.Contains(f.Nodes, n) {
				return s.errAt(at("peers"), "node %d is on both sides", n)
			}
		}
		if len(f.Nodes) == 0 {
			return s.errAt(at("nodes"), "give the node ids the fault hits, e.g. nodes: [3]")
		}
		switch f.Kind {
		case fault.Cut:
			if len(f.Nodes) != 1 || len(f.Peers) != 1 {
				return s.errAt(at("nodes"), "a cut is one link: one node and one peer, e.g. {nodes: [0], peers: [1]}")
			}
		case fault.Partition:
		default:
			if len(f.Peers) > 0 {
				return s.errAt(at("peers"), "only partition and cut take peers")
			}
		}
		// The parameters each kind takes, and their ranges.
		needs := map[string]bool{}
		switch f.Kind {
		case fault.Kill:
		case fault.Slow:
			needs["factor"] = true
			if !(f.Factor > 1) || math.IsInf(f.Factor, 0) {
				return s.errAt(at("factor"), "slow divides the speed by factor: want a finite number > 1, got %v", f.Factor)
			}
		case fault.Drop, fault.Delay:
			needs["fraction"] = true
			if !(f.Fraction > 0 && f.Fraction <= 1) {
				return s.errAt(at("fraction"), "want the share of messages affected, in (0, 1], got %v", f.Fraction)
			}
			if f.Kind == fault.Delay {
				needs["delay"] = true
				if !(f.Delay > 0) || math.IsInf(f.Delay, 0) {
					return s.errAt(at("delay"), "want the model time each affected message is held, > 0, got %v", f.Delay)
				}
			}
		}
		switch f.Kind {
		case fault.Kill:
		case fault.Slow, fault.Evacuate:
			needs["duration"] = true
			if !(f.Duration >= 0) || math.IsInf(f.Duration, 0) {
				return s.errAt(at("duration"), "want a model time ≥ 0 (0: to the end of the run), got %v", f.Duration)
			}
		default:
			needs["duration"] = true
			if !(f.Duration > 0) || math.IsInf(f.Duration, 0) {
				return s.errAt(at("duration"), "%s needs a duration in model units > 0, got %v", f.Kind, f.Duration)
			}
		}
		for field, v := range map[string]float64{"duration": f.Duration, "factor": f.Factor, "fraction": f.Fraction, "delay": f.Delay} {
			if v != 0 && !needs[field] {
				return s.errAt(at(field), "%s takes no %s", f.Kind, field)
			}
		}
		switch {
		case f.Method != "" && f.Kind != fault.Evacuate:
			return s.errAt(at("method"), "%s takes no method (evacuate does)", f.Kind)
		case f.Kind == fault.Evacuate:
			if err := (workload.Mobility{Method: workload.Method(f.Method)}).Validate(); err != nil {
				return s.errAt(at("method"), "%v (empty: the units' own mobility)", err)
			}
		}
		if f.Kind == fault.Kill {
			for _, n := range f.Nodes {
				killed[n] = true
			}
			if len(killed) >= s.Nodes {
				return s.errAt(at("nodes"), "every node would be killed: leave at least one")
			}
		}
		for _, b := range s.Backends {
			switch {
			case IsReal(b) && f.Kind == fault.Evacuate:
				return s.errAt(at("kind"), "backend %s: a planned evacuation runs in the simulator only so far (agents move single units, not a node's work at once): use backend sim", b)
			case IsTestbed(b) && f.Kind == fault.Kill:
				return s.errAt(at("kind"), "kill needs the agent's process, which a testbed coordinator does not own: use backend local, or pause with a long duration")
			case IsReal(b) && (f.Kind == fault.Slow || f.Kind == fault.Pause) && (s.Kernel != "sleep" || s.Discipline == "ps"):
				return s.errAt(at("kind"), "%s changes the speed of emulated work: it needs kernel sleep and discipline fcfs", f.Kind)
			}
		}
	}
	return nil
}

// checkNodes checks that ids are distinct node ids of the cluster.
func (s *Spec) checkNodes(path []string, ids []int) error {
	seen := map[int]bool{}
	for _, n := range ids {
		if n < 0 || n >= s.Nodes {
			return s.errAt(path, "node %d is not in the cluster: ids go from 0 to %d", n, s.Nodes-1)
		}
		if seen[n] {
			return s.errAt(path, "node %d listed twice", n)
		}
		seen[n] = true
	}
	return nil
}

// canonicalFaults is a fault list as Point.Faults records it.
func canonicalFaults(fs []fault.Fault) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.String()
	}
	return strings.Join(parts, "; ")
}
