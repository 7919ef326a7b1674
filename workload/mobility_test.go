package workload

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// checkCost compares every field of got with want, to 1e-12 relative.
func checkCost(t *testing.T, name string, got, want Cost) {
	t.Helper()
	for _, f := range []struct {
		field     string
		got, want float64
	}{
		{"Total", got.Total, want.Total},
		{"Downtime", got.Downtime, want.Downtime},
		{"Delay", got.Delay, want.Delay},
		{"Redo", got.Redo, want.Redo},
		{"Bytes", got.Bytes, want.Bytes},
		{"CodeBytes", got.CodeBytes, want.CodeBytes},
		{"ResourceBytes", got.ResourceBytes, want.ResourceBytes},
		{"StateBytes", got.StateBytes, want.StateBytes},
		{"Slowed", got.Slowed, want.Slowed},
	} {
		if !near(f.got, f.want) {
			t.Errorf("%s: %s = %v, want %v", name, f.field, f.got, f.want)
		}
	}
	if got.Method != want.Method || got.Rounds != want.Rounds || got.Converged != want.Converged {
		t.Errorf("%s: method %s, %d rounds, converged %v; want %s, %d, %v",
			name, got.Method, got.Rounds, got.Converged, want.Method, want.Rounds, want.Converged)
	}
}

// Every case below is computed by hand on a link of 100 bytes per unit and
// a one-way latency of 0.5.
var link = Link{Bandwidth: 100, Latency: 0.5}

func TestWeakAndStopAndCopy(t *testing.T) {
	p := Payload{Code: 200, Resources: 100, State: 700, Progress: 3, Context: 50, Dirty: 1e6}
	// 1000 bytes: 0.5 + 1000/100 = 10.5.
	checkCost(t, "weak", WeakCost(link, p), Cost{Method: Weak, Total: 10.5, Downtime: 10.5, Delay: 13.5, Redo: 3,
		Bytes: 1000, CodeBytes: 200, ResourceBytes: 100, StateBytes: 700, Converged: true})
	checkCost(t, "stop-and-copy", StopAndCopyCost(link, p), Cost{Method: StopAndCopy, Total: 10.5, Downtime: 10.5, Delay: 10.5,
		Bytes: 1000, CodeBytes: 200, ResourceBytes: 100, StateBytes: 700, Converged: true})
	// Nothing to send: the latency only, as a transfer cost before units existed.
	checkCost(t, "empty", StopAndCopyCost(link, Payload{}), Cost{Method: StopAndCopy, Total: 0.5, Downtime: 0.5, Delay: 0.5, Converged: true})
	// Infinite bandwidth: the latency only, whatever the bytes.
	checkCost(t, "infinite bandwidth", WeakCost(Link{Latency: 0.2}, Payload{State: 1e9}),
		Cost{Method: Weak, Total: 0.2, Downtime: 0.2, Delay: 0.2, Bytes: 1e9, StateBytes: 1e9, Converged: true})
}

func TestPreCopy(t *testing.T) {
	for _, c := range []struct {
		name      string
		p         Payload
		threshold float64
		max       int
		want      Cost
	}{
		{
			// Code first (1 unit), then rounds of 1000, 500, 250, 125 bytes
			// (r/B = 1/2) taking 10, 5, 2.5, 1.25; 62.5 left ≤ 100: stop and
			// send it: downtime 0.5 + 0.625.
			"converges", Payload{Code: 100, State: 1000, Dirty: 50}, 100, 29,
			Cost{Method: PreCopy, Total: 1 + 18.75 + 1.125, Downtime: 1.125, Delay: 1.125,
				Bytes: 100 + 1937.5, CodeBytes: 100, StateBytes: 1937.5, Rounds: 4, Converged: true},
		},
		{
			// The same stopped by the cap after 2 rounds: 250 left.
			"capped", Payload{Code: 100, State: 1000, Dirty: 50}, 1, 2,
			Cost{Method: PreCopy, Total: 1 + 15 + 3, Downtime: 3, Delay: 3,
				Bytes: 100 + 1750, CodeBytes: 100, StateBytes: 1750, Rounds: 2},
		},
		{
			// Dirty rate = bandwidth: every round resends the whole state.
			"r = B never converges", Payload{Resources: 100, State: 1000, Dirty: 100}, 100, 5,
			Cost{Method: PreCopy, Total: 1 + 50 + 10.5, Downtime: 10.5, Delay: 10.5,
				Bytes: 100 + 6000, ResourceBytes: 100, StateBytes: 6000, Rounds: 5},
		},
		{
			// Dirty rate above bandwidth: no more than the whole state is dirty.
			"r > B never converges", Payload{State: 1000, Dirty: 300}, 100, 3,
			Cost{Method: PreCopy, Total: 30 + 10.5, Downtime: 10.5, Delay: 10.5,
				Bytes: 4000, StateBytes: 4000, Rounds: 3},
		},
		{
			// A unit that writes nothing: one round, then a stop with nothing left.
			"clean", Payload{State: 1000}, 0, 29,
			Cost{Method: PreCopy, Total: 10 + 0.5, Downtime: 0.5, Delay: 0.5,
				Bytes: 1000, StateBytes: 1000, Rounds: 1, Converged: true},
		},
		{
			// A state under the threshold: one round all the same.
			"small state", Payload{State: 50, Dirty: 50}, 100, 29,
			Cost{Method: PreCopy, Total: 0.5 + 0.5 + 0.25, Downtime: 0.75, Delay: 0.75,
				Bytes: 75, StateBytes: 75, Rounds: 1, Converged: true},
		},
	} {
		checkCost(t, c.name, PreCopyCost(link, c.p, c.threshold, c.max), c.want)
	}
}

// TestPreCopySeries checks the rounds against the geometric series: with
// dirty rate r and bandwidth B, round k sends S·q^k, q = r/B, and the rounds
// stop at the first n with S·q^n ≤ threshold (or at the cap).
func TestPreCopySeries(t *testing.T) {
	const S, B, L, threshold, maxRounds = 1e6, 1e4, 0.01, 1500.0, 29
	for _, hand := range []struct {
		q         float64
		rounds    int // the first n with S·q^n ≤ 1500, by hand
		converged bool
	}{
		{0, 1, true}, {0.1, 3, true}, {0.3, 6, true}, {0.5, 10, true},
		{0.8, 29, false}, // 0.8^29·S = 1547 > 1500
		{0.9, 29, false}, {0.99, 29, false}, {1, 29, false}, {1.5, 29, false},
	} {
		q := hand.q
		c := PreCopyCost(Link{Bandwidth: B, Latency: L}, Payload{State: S, Dirty: q * B}, threshold, maxRounds)
		n, sent, time := 0, 0.0, 0.0
		left := S
		for {
			sent += left
			time += left / B
			n++
			left = S * math.Pow(math.Min(q, 1), float64(n))
			if left <= threshold || n == maxRounds {
				break
			}
		}
		want := Cost{Method: PreCopy, Rounds: n, Converged: left <= threshold,
			StateBytes: sent + left, Bytes: sent + left,
			Downtime: L + left/B, Delay: L + left/B, Total: time + L + left/B}
		checkCost(t, fmt.Sprintf("q=%v", q), c, want)
		if q < 1 && n < maxRounds {
			// Closed form of the series: S(1 − q^(n+1))/(1 − q).
			if sum := S * (1 - math.Pow(q, float64(n+1))) / (1 - q); !nearTol(c.StateBytes, sum, 1e-9) {
				t.Errorf("q=%v: state bytes %v, series %v", q, c.StateBytes, sum)
			}
		}
		if c.Rounds != hand.rounds || c.Converged != hand.converged {
			t.Errorf("q=%v: %d rounds, converged %v; by hand %d, %v", q, c.Rounds, c.Converged, hand.rounds, hand.converged)
		}
	}
}

func TestPostCopy(t *testing.T) {
	for _, c := range []struct {
		name     string
		p        Payload
		slowdown float64
		want     Cost
	}{
		{
			// Stop for code, resources and context (300 bytes): 0.5 + 3;
			// pull the other 900 bytes: 9 units at a quarter speed.
			"slowed", Payload{Code: 100, Resources: 100, State: 1000, Context: 100}, 4,
			Cost{Method: PostCopy, Downtime: 3.5, Slowed: 9, Total: 12.5, Delay: 3.5 + 9*0.75,
				Bytes: 1200, CodeBytes: 100, ResourceBytes: 100, StateBytes: 1000, Converged: true},
		},
		{
			"no penalty", Payload{Code: 100, Resources: 100, State: 1000, Context: 100}, 1,
			Cost{Method: PostCopy, Downtime: 3.5, Slowed: 9, Total: 12.5, Delay: 3.5,
				Bytes: 1200, CodeBytes: 100, ResourceBytes: 100, StateBytes: 1000, Converged: true},
		},
		{
			// A context larger than the state is the state: stop-and-copy.
			"context ≥ state", Payload{Code: 100, Resources: 100, State: 1000, Context: 5000}, 4,
			Cost{Method: PostCopy, Downtime: 12.5, Total: 12.5, Delay: 12.5,
				Bytes: 1200, CodeBytes: 100, ResourceBytes: 100, StateBytes: 1000, Converged: true},
		},
		{
			"no context", Payload{State: 1000}, 2,
			Cost{Method: PostCopy, Downtime: 0.5, Slowed: 10, Total: 10.5, Delay: 5.5,
				Bytes: 1000, StateBytes: 1000, Converged: true},
		},
	} {
		got := PostCopyCost(link, c.p, c.slowdown)
		checkCost(t, c.name, got, c.want)
		// Post-copy sends every byte once: its total is stop-and-copy's.
		if sc := StopAndCopyCost(link, c.p); !near(got.Total, sc.Total) || got.Bytes != sc.Bytes {
			t.Errorf("%s: total %v and bytes %v, stop-and-copy %v and %v", c.name, got.Total, got.Bytes, sc.Total, sc.Bytes)
		}
	}
}

func TestMobilityCost(t *testing.T) {
	p := Payload{Code: 100, State: 1e6, Dirty: 50, Context: 100, Progress: 2}
	for _, c := range []struct {
		m    Mobility
		want Cost
	}{
		{Mobility{}, StopAndCopyCost(link, p)},
		{DefaultMobility(), StopAndCopyCost(link, p)},
		{Mobility{Method: Weak}, WeakCost(link, p)},
		{Mobility{Method: PreCopy}, PreCopyCost(link, p, DefaultThreshold, DefaultMaxRounds)},
		{Mobility{Method: PreCopy, Threshold: 10, MaxRounds: 3}, PreCopyCost(link, p, 10, 3)},
		{Mobility{Method: PostCopy}, PostCopyCost(link, p, 1)},
		{Mobility{Method: PostCopy, Slowdown: 3}, PostCopyCost(link, p, 3)},
	} {
		checkCost(t, string(c.m.Method), c.m.Cost(link, p), c.want)
	}
}

func TestMobilityValidate(t *testing.T) {
	for _, m := range []Mobility{{}, DefaultMobility(), {Method: PreCopy, Threshold: 1, MaxRounds: 1000}, {Method: PostCopy, Slowdown: 1.5}, {Method: Weak}} {
		if err := m.Validate(); err != nil {
			t.Errorf("%+v: %v", m, err)
		}
	}
	for _, c := range []struct {
		m    Mobility
		want string
	}{
		{Mobility{Method: "live"}, `method: want weak, stop-and-copy, pre-copy or post-copy, got "live"`},
		{Mobility{Threshold: -1}, "threshold: must be a finite number ≥ 0, got -1"},
		{Mobility{Threshold: math.NaN()}, "threshold: must be"},
		{Mobility{MaxRounds: -1}, "max_rounds: must be between 1 and 1000 (0 = 29), got -1"},
		{Mobility{MaxRounds: 1001}, "max_rounds: must be between 1 and 1000"},
		{Mobility{Slowdown: 0.5}, "slowdown: must be a finite number ≥ 1 (0 = 1), got 0.5"},
		{Mobility{Slowdown: math.Inf(1)}, "slowdown: must be"},
	} {
		err := c.m.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.m, err, c.want)
		}
	}
}

func TestLink(t *testing.T) {
	for _, c := range []struct {
		l     Link
		bytes float64
		want  float64
	}{
		{Link{Bandwidth: 100}, 250, 2.5},
		{Link{Bandwidth: 100, Latency: 7}, 250, 2.5}, // latency not included
		{Link{}, 1e12, 0},                            // infinite bandwidth
	} {
		if got := c.l.Transmit(c.bytes); got != c.want {
			t.Errorf("%+v.Transmit(%v) = %v, want %v", c.l, c.bytes, got, c.want)
		}
	}
	if err := (Link{Bandwidth: 1, Latency: 0}).Validate(); err != nil {
		t.Error(err)
	}
	for _, c := range []struct {
		l    Link
		want string
	}{
		{Link{Bandwidth: -1}, "bandwidth: must be a finite number ≥ 0"},
		{Link{Latency: math.Inf(1)}, "latency: must be a finite number ≥ 0"},
	} {
		if err := c.l.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.l, err, c.want)
		}
	}
}

// nearTol reports whether a and b agree to tol, relative to the larger or 1.
func nearTol(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*max(math.Abs(a), math.Abs(b), 1)
}
