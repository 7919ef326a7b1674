// Package scale is an elastic cluster's plan: how many of its nodes are
// in service at the start, how long an added node takes to start, and a
// schedule of nodes added and removed during a run. An autoscaling policy
// (policy.Scaler) may add and remove nodes as well.
//
// The cluster's Nodes are its slots: the most nodes it can have. A point's
// load is offered relative to all of them, so rows with different plans
// see the same jobs. Slots are used in index order: adding takes the
// lowest slots not in service, removing the highest in service, so the
// nodes in service are, but for a moment, nodes 0…k−1 and dispatch
// strategies see exactly those (policy.View.Nodes is k).
//
// A node added starts: for Startup model units it takes no work, yet it
// is present and counts in the node-seconds (a cloud bills a booting
// machine). A node removed drains: it takes no new work, hands what waits
// there to the nodes in service if the point migrates (its migration
// policy is not none), finishes what it runs, then leaves. A removal of a
// node still starting cancels it at once. No job is lost either way.
package scale

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Config is an elastic cluster's plan. The zero value is a fixed cluster
// of all its nodes.
type Config struct {
	// Initial is the nodes in service at time 0 (default: all the
	// cluster's nodes).
	Initial int `yaml:"initial" json:"initial"`
	// Startup is the model time from a node's addition to its first job
	// (default 0). The node is present, and counted, meanwhile.
	Startup float64 `yaml:"startup" json:"startup"`
	// Schedule adds and removes nodes at given times, in order.
	Schedule []Step `yaml:"schedule" json:"schedule"`
}

// Step is a change of the schedule: at model time At, Add nodes join
// (they start) or Remove leave (they drain). One of the two per step.
type Step struct {
	At     float64 `yaml:"at" json:"at"`
	Add    int     `yaml:"add" json:"add,omitempty"`
	Remove int     `yaml:"remove" json:"remove,omitempty"`
}

// Delta is the step's change in nodes: +Add or −Remove.
func (s Step) Delta() int { return s.Add - s.Remove }

// Start is the nodes in service at time 0 on a cluster of nodes slots.
func (c Config) Start(nodes int) int {
	if c.Initial == 0 {
		return nodes
	}
	return c.Initial
}

// Validate checks the plan for a cluster of nodes slots, with defaults
// filled in: the field that is wrong and what it wants.
func (c Config) Validate(nodes int) error {
	switch {
	case c.Initial < 0 || c.Initial > nodes:
		return fmt.Errorf("initial: want nodes in service at the start, 1 to nodes (%d), got %d", nodes, c.Initial)
	case !(c.Startup >= 0) || math.IsInf(c.Startup, 0):
		return fmt.Errorf("startup: want a finite start-up time ≥ 0 in model units, got %v", c.Startup)
	}
	last := math.Inf(-1)
	for i, s := range c.Schedule {
		switch {
		case !(s.At >= 0) || math.IsInf(s.At, 0):
			return fmt.Errorf("schedule[%d]: at: want a finite model time ≥ 0, got %v", i, s.At)
		case s.At < last:
			return fmt.Errorf("schedule[%d]: at: want times in increasing order, got %v after %v", i, s.At, last)
		case s.Add < 0 || s.Remove < 0 || (s.Add == 0) == (s.Remove == 0):
			return fmt.Errorf("schedule[%d]: want one of add or remove, a count > 0 (got add %d, remove %d)", i, s.Add, s.Remove)
		}
		last = s.At
	}
	return nil
}

// String is the canonical form: "initial=4, startup=20,
// schedule=[+2@500, -2@1500]" (initial all: every node); empty for nil.
func (c *Config) String() string {
	if c == nil {
		return ""
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	steps := make([]string, len(c.Schedule))
	for i, s := range c.Schedule {
		steps[i] = fmt.Sprintf("%+d@%s", s.Delta(), f(s.At))
	}
	initial := "all"
	if c.Initial > 0 {
		initial = strconv.Itoa(c.Initial)
	}
	return "initial=" + initial + ", startup=" + f(c.Startup) + ", schedule=[" + strings.Join(steps, ", ") + "]"
}
