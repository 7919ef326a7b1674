// Package fault describes the faults a point injects: an input of a
// point, as its workload and policies are. What each fault did is an
// output: results.FaultEvent.
package fault

import (
	"math"
	"strconv"
	"strings"
)

// Kinds of fault.
const (
	Kill      = "kill"      // the node stops abruptly: no goodbye, its jobs lost (they fail), it receives nothing more
	Pause     = "pause"     // the node stops serving and answering for Duration, then goes on
	Slow      = "slow"      // the node's service speed is divided by Factor for Duration (0: to the end)
	Partition = "partition" // messages between Nodes and Peers (default: every other node) are lost both ways for Duration
	Cut       = "cut"       // a partition of one link: Nodes and Peers one node each
	Drop      = "drop"      // a Fraction of the messages to or from Nodes are lost, for Duration
	Delay     = "delay"     // a Fraction of the messages to or from Nodes are held Delay model units, for Duration
	Evacuate  = "evacuate"  // planned: every unit at Nodes moves to other nodes by Method; they take no work for Duration (0: for good)
)

// Kinds lists the kinds of fault, in the order of the docs.
var Kinds = []string{Kill, Pause, Slow, Partition, Cut, Drop, Delay, Evacuate}

// Fault is one fault injected into a point: at model time At (from the
// point's first arrival), Kind happens to Nodes (node ids). Which other
// fields apply depends on Kind; see the kinds above and docs/faults.md.
type Fault struct {
	At       float64 `json:"at" yaml:"at"`
	Kind     string  `json:"kind" yaml:"kind"`
	Nodes    []int   `json:"nodes" yaml:"nodes"`
	Peers    []int   `json:"peers,omitempty" yaml:"peers"`       // partition, cut: the other side
	Duration float64 `json:"duration,omitempty" yaml:"duration"` // pause, partition, cut, drop, delay (required); slow (0: to the end)
	Factor   float64 `json:"factor,omitempty" yaml:"factor"`     // slow: speed divided by this (> 1)
	Fraction float64 `json:"fraction,omitempty" yaml:"fraction"` // drop, delay: share of messages affected, in (0, 1]
	Delay    float64 `json:"delay,omitempty" yaml:"delay"`       // delay: model units each affected message is held
	// Method, evacuate: how running units move, stop-and-copy, pre-copy
	// or post-copy (workload.Method); "" = the units' own mobility.
	Method string `json:"method,omitempty" yaml:"method"`
}

// String is the fault's canonical form, e.g. "slow(at=100, nodes=1, factor=4)"
// or "partition(at=50, nodes=0+1, peers=2+3, duration=20)".
func (f Fault) String() string {
	ids := func(ns []int) string {
		parts := make([]string, len(ns))
		for i, n := range ns {
			parts[i] = strconv.Itoa(n)
		}
		return strings.Join(parts, "+")
	}
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	parts := []string{"at=" + num(f.At), "nodes=" + ids(f.Nodes)}
	if len(f.Peers) > 0 {
		parts = append(parts, "peers="+ids(f.Peers))
	}
	for _, kv := range []struct {
		k string
		v float64
	}{{"duration", f.Duration}, {"factor", f.Factor}, {"fraction", f.Fraction}, {"delay", f.Delay}} {
		if kv.v != 0 {
			parts = append(parts, kv.k+"="+num(kv.v))
		}
	}
	if f.Method != "" {
		parts = append(parts, "method="+f.Method)
	}
	return f.Kind + "(" + strings.Join(parts, ", ") + ")"
}

// End is when the fault stops (+Inf for a kill, a slow to the end or an
// evacuation for good).
func (f Fault) End() float64 {
	if f.Kind == Kill || f.Duration == 0 {
		return inf
	}
	return f.At + f.Duration
}

var inf = math.Inf(1)

// Holds says whether f holds or refuses the messages node receives at
// some time in [from, to]: a pause, a drop or a delay of that node. A
// delay measured across one is the fault's doing, which the simulator
// models itself, not a cost of the path.
func (f Fault) Holds(node int, from, to float64) bool {
	switch f.Kind {
	case Pause, Drop, Delay:
	default:
		return false
	}
	if to < f.At || from > f.End() {
		return false
	}
	for _, n := range f.Nodes {
		if n == node {
			return true
		}
	}
	return false
}
