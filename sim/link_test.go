package sim

import (
	"math"
	"testing"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/scenario"
)

// TestLinksOccupy checks the shared links' reservations: a transfer
// starts when every link it needs is free of those reserved before it,
// in order of reservation (no overtaking), and holds them all for its
// time on the wire.
func TestLinksOccupy(t *testing.T) {
	out0, in1, in2, out3 := linkID{linkOut, 0}, linkID{linkIn, 1}, linkID{linkIn, 2}, linkID{linkOut, 3}
	l := &links{free: map[linkID]float64{}}
	for _, tc := range []struct {
		name        string
		ready, busy float64
		ids         []linkID
		start       float64
	}{
		{"0→1 on free links", 0, 2, []linkID{out0, in1}, 0},
		{"0→2 waits for 0's outgoing side", 1, 3, []linkID{out0, in2}, 2},
		{"3→1 waits for 1's incoming side only", 0, 1, []linkID{out3, in1}, 2},
		{"3→2 waits for both", 0, 1, []linkID{out3, in2}, 5},
		{"0→1 ready later than both are free", 9, 1, []linkID{out0, in1}, 9},
	} {
		if got := l.occupy(tc.ready, tc.busy, tc.ids...); got != tc.start {
			t.Errorf("%s: start %g, want %g", tc.name, got, tc.start)
		}
	}
	if l.free[out0] != 10 || l.free[in2] != 6 || len(l.free) != 4 {
		t.Errorf("free times %v: want out0 at 10, in2 at 6, four links", l.free)
	}
}

// TestSharedLinkTransfers: plain transfers (Costs.JobBytes, no units)
// share node 0's outgoing side with links: nic. Jobs of size 0.5 arrive at
// node 0 every 0.28 units and each goes on to node 1 with 1 MB at 1 MB per
// unit: on a shared interface transfer i leaves when transfer i−1 is off
// the wire, on dedicated links at once; node 1 serves them FCFS, so every
// response is predicted exactly.
func TestSharedLinkTransfers(t *testing.T) {
	const k, size, lat, wire = 6, 0.5, 0.01, 1.0
	base := Config{Model: scenario.Model{Nodes: 2, Load: 0.9, Jobs: k, Batches: 2, Seed: 1, Workload: detWorkload(t, "det(value=0.5)")},
		Costs: Costs{Latency: lat, Bandwidth: 1e6, JobBytes: 1e6}}
	var arrived []float64
	on := func(policy.Env) policy.Migrator { return sendOn{to: 1} }
	run(t, base, func(policy.Env) policy.Dispatcher { return arrivalsTo0{&arrived} }, on)
	if len(arrived) != k || arrived[1]-arrived[0] >= wire {
		t.Fatalf("set-up: arrivals %v: want %d closer than %g", arrived, k, wire)
	}
	var means []float64
	for _, links := range []string{"", LinksNIC} {
		cfg := base
		cfg.Costs.Links = links
		r := run(t, cfg, toNode0, on)
		var sum, free, done float64
		for _, a := range arrived {
			start := a
			if links == LinksNIC {
				start = math.Max(a, free)
				free = start + wire
			}
			done = math.Max(start+wire+lat, done) + size // node 1, FCFS
			sum += done - a
		}
		if r.Migrations != k || !closeTo(r.MeanResponse, sum/k) {
			t.Errorf("links=%q: %d transfers, mean response %.12g; want %d, %.12g", links, r.Migrations, r.MeanResponse, k, sum/k)
		}
		means = append(means, r.MeanResponse)
	}
	if !(means[1] > means[0]+1) {
		t.Errorf("mean response %g shared, %g dedicated: want the shared interface to make transfers wait", means[1], means[0])
	}
}
