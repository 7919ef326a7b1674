// Package energy is the power model of a cluster's nodes and network, for
// weighing what a policy's choices cost in joules as well as in time.
//
// A node draws Idle watts when none of its servers is busy and Busy when
// all are, linearly in between (power proportional to utilisation, the
// usual server model); at a DVFS speed s its busy power above idle scales
// as s^Alpha (dynamic power ∝ f·V², V ∝ f: Alpha 3), so a slower speed is
// cheaper per unit of time and takes longer. Speed is the DVFS level every
// node runs at, a multiple of its nominal speed, applied after the
// arrival rate is set: a point at load ρ offers the same work at any
// Speed, and its nodes are then busy ρ/Speed of the time. The network
// costs Byte joules per byte moved and Message joules per message or
// probe.
//
// Sleep states (Sleep set): a node idle for After model units goes to
// sleep and draws Sleep watts; the next job to reach it wakes it, which
// takes Wake units at BusyWatts before any job starts there (a setup
// time: jobs that arrive meanwhile wait). After 0 sleeps at once. Only
// the simulator models sleep; the real backends refuse it.
//
// Energy is measured over a point's measurement window from the nodes'
// utilisation, so both backends report it alike (agents also report
// their processes' CPU time, the measured proxy, and RAPL's joules where
// a machine's counters are readable).
package energy

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Power is a cluster's power model. Times are model units and powers
// watts; joules are watts × model units (a model unit is a second if the
// caller says so).
type Power struct {
	Idle    float64 `yaml:"idle" json:"idle"`       // watts of an idle node (default 0)
	Busy    float64 `yaml:"busy" json:"busy"`       // watts of a node whose servers are all busy, at its nominal speed (required, ≥ idle)
	Alpha   float64 `yaml:"alpha" json:"alpha"`     // exponent of busy power in speed (default 3)
	Speed   float64 `yaml:"speed" json:"speed"`     // DVFS level, a multiple of each node's nominal speed, > 0 (default 1)
	Byte    float64 `yaml:"byte" json:"byte"`       // joules per byte moved between nodes (default 0)
	Message float64 `yaml:"message" json:"message"` // joules per message or probe (default 0)
	// Sleep states: nil Sleep, none (a node idles at Idle watts).
	Sleep *float64 `yaml:"sleep" json:"sleep,omitempty"` // watts of a sleeping node, ≤ idle
	Wake  float64  `yaml:"wake" json:"wake,omitempty"`   // model units a sleeping node takes to wake, drawing BusyWatts (default 0)
	After float64  `yaml:"after" json:"after,omitempty"` // model units a node stays idle before it sleeps (default 0: at once)
}

// Sleeps says whether nodes have a sleep state.
func (p *Power) Sleeps() bool { return p != nil && p.Sleep != nil }

// State is what a node with sleep states is doing, as far as its power
// goes.
type State int8

// A node's states: awake (its power then depends on its utilisation),
// asleep, or waking up.
const (
	Awake State = iota
	Asleep
	Waking
)

// Usage is how a node spent a span of time, as fractions of it: its
// servers' utilisation, and the time asleep and waking.
type Usage struct {
	Util, Asleep, Waking float64
}

// Fill sets the defaults of zero fields: alpha 3, speed 1.
func (p *Power) Fill() {
	if p.Alpha == 0 {
		p.Alpha = 3
	}
	if p.Speed == 0 {
		p.Speed = 1
	}
}

// Validate reports the first field out of range, defaults filled in.
func (p Power) Validate() error {
	p.Fill()
	finite := func(x float64) bool { return x >= 0 && !math.IsInf(x, 0) }
	switch {
	case !finite(p.Idle):
		return fmt.Errorf("idle: want finite watts ≥ 0, got %v", p.Idle)
	case !finite(p.Busy) || p.Busy < p.Idle || p.Busy == 0:
		return fmt.Errorf("busy: want finite watts > 0 and ≥ idle (%v), got %v", p.Idle, p.Busy)
	case !finite(p.Alpha) || p.Alpha < 1:
		return fmt.Errorf("alpha: want a finite exponent ≥ 1, got %v", p.Alpha)
	case !finite(p.Speed) || p.Speed == 0:
		return fmt.Errorf("speed: want a finite DVFS level > 0, got %v", p.Speed)
	case !finite(p.Byte):
		return fmt.Errorf("byte: want finite joules ≥ 0, got %v", p.Byte)
	case !finite(p.Message):
		return fmt.Errorf("message: want finite joules ≥ 0, got %v", p.Message)
	case p.Sleep != nil && (!finite(*p.Sleep) || *p.Sleep > p.Idle):
		return fmt.Errorf("sleep: want finite watts ≥ 0 and ≤ idle (%v), got %v", p.Idle, *p.Sleep)
	case !finite(p.Wake):
		return fmt.Errorf("wake: want a finite delay ≥ 0 in model units, got %v", p.Wake)
	case !finite(p.After):
		return fmt.Errorf("after: want a finite idle time ≥ 0 in model units, got %v", p.After)
	case p.Sleep == nil && (p.Wake != 0 || p.After != 0):
		return fmt.Errorf("wake, after: set sleep (the watts of a sleeping node) too, or leave them out")
	}
	return nil
}

// String is the canonical form: "idle=100, busy=200, alpha=3, speed=1,
// byte=0, message=0", then ", sleep=5, wake=2, after=0" with sleep
// states.
func (p *Power) String() string {
	if p == nil {
		return ""
	}
	q := *p
	q.Fill()
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	parts := []string{"idle=" + f(q.Idle), "busy=" + f(q.Busy), "alpha=" + f(q.Alpha), "speed=" + f(q.Speed), "byte=" + f(q.Byte), "message=" + f(q.Message)}
	if q.Sleep != nil {
		parts = append(parts, "sleep="+f(*q.Sleep), "wake="+f(q.Wake), "after="+f(q.After))
	}
	return strings.Join(parts, ", ")
}

// BusyWatts is the power of a fully busy node at the DVFS level:
// Idle + (Busy − Idle)·Speed^Alpha.
func (p Power) BusyWatts() float64 {
	p.Fill()
	return p.Idle + (p.Busy-p.Idle)*math.Pow(p.Speed, p.Alpha)
}

// Work is the joules one unit of work (a job of size 1) costs a node of
// nominal speed 1 above its idle power at the DVFS level: (BusyWatts −
// Idle)/Speed, what a policy weighing energy compares with a transfer's
// Byte × bytes.
func (p Power) Work() float64 {
	p.Fill()
	return (p.BusyWatts() - p.Idle) / p.Speed
}

// Node is the energy a node draws over span model units that it spent as
// u says: Idle·span + (BusyWatts − Idle)·(Util + Waking)·span +
// (Sleep − Idle)·Asleep·span. Without sleep states (Asleep and Waking 0)
// that is Idle·span + (BusyWatts − Idle)·util·span.
func (p Power) Node(u Usage, span float64) float64 {
	e := p.Idle*span + (p.BusyWatts()-p.Idle)*(u.Util+u.Waking)*span
	if p.Sleep != nil {
		e += (*p.Sleep - p.Idle) * u.Asleep * span
	}
	return e
}

// Network is the energy of moving bytes and sending messages (probes
// included).
func (p Power) Network(bytes float64, messages int64) float64 {
	return p.Byte*bytes + p.Message*float64(messages)
}
