package sim

import (
	"context"
	"math"
	"testing"

	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/workload"
)

// TestStepInLoad: a step of the load from ρ = 0.6 to 0.9 at t = 2000 and
// back at 4000 shows in the response over time at its time. Random
// dispatch makes each node an M/M/1 queue: 2.5 before the step; at 0.9
// the queues grow towards 10 (a relaxation time of hundreds of units),
// and after the step back they drain. Held: the bins before the step
// average within 15% of 2.5; the first bin above twice that is the
// step's or the next; the last 1000 units before the step back average
// above 5; the bins from 6000 on are back within 15% of 2.5.
func TestStepInLoad(t *testing.T) {
	w, err := workload.New(workload.Config{Size: "exp(mean=1)", Arrival: "step(at=[2000, 4000], to=[1.5, 1])"})
	if err != nil {
		t.Fatal(err)
	}
	const bin = 100.0
	over := make([]float64, 0)
	const reps = 5
	for seed := range reps {
		cfg := config(t, Config{Model: scenario.Model{Nodes: 8, Load: 0.6, Jobs: 60_000, Warmup: 1, Seed: uint64(seed + 1), Workload: w, FaultBin: bin}}, "random", "none", "")
		r, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if r.ResponseBin != bin || len(r.ResponseOverTime) < 80 {
			t.Fatalf("response over time: bin %v, %d bins, want bins of %v over the run", r.ResponseBin, len(r.ResponseOverTime), bin)
		}
		for i, v := range r.ResponseOverTime {
			if i >= len(over) {
				over = append(over, 0)
			}
			over[i] += v / reps
		}
	}
	mean := func(from, to float64) float64 {
		s, n := 0.0, 0
		for i := int(from / bin); i < int(to/bin) && i < len(over); i++ {
			s += over[i]
			n++
		}
		return s / float64(n)
	}
	before, high, after := mean(0, 2000), mean(3000, 4000), mean(6000, 8000)
	first := -1.0
	for i, v := range over {
		if v > 2*before {
			first = float64(i) * bin
			break
		}
	}
	t.Logf("mean response before the step %.3f (M/M/1 2.5), at 3000–4000 %.3f, from 6000 %.3f; first bin above twice the level starts at %v", before, high, after, first)
	if math.Abs(before-2.5) > 0.15*2.5 || math.Abs(after-2.5) > 0.15*2.5 || high < 5 || first < 2000 || first > 2000+bin {
		t.Errorf("the step does not show at its time: before %.3f, high %.3f, after %.3f, first rise at %v", before, high, after, first)
	}
}

// TestInSystemOverTime: jobs of size 1 arriving every 2 units at one node
// (the first at t = 2) keep one job in the system half of the time, so
// every whole bin of 10 units holds 0.5 on average, exactly, but the
// first, which holds 4 units of work: 0.4.
func TestInSystemOverTime(t *testing.T) {
	w, err := workload.New(workload.Config{Size: "det(value=1)", Arrival: "det"})
	if err != nil {
		t.Fatal(err)
	}
	const bin = 10.0
	cfg := config(t, Config{Model: scenario.Model{Nodes: 1, Load: 0.5, Jobs: 1000, Warmup: 1, Seed: 1, Workload: w, FaultBin: bin}}, "random", "none", "")
	r, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	over := r.InSystemOverTime
	if len(over) < 190 {
		t.Fatalf("%d bins of jobs in system over a run of %v units, want about 200", len(over), r.SimTime)
	}
	for i, v := range over[:len(over)-1] {
		want := 0.5
		if i == 0 {
			want = 0.4
		}
		if math.Abs(v-want) > 1e-9 {
			t.Fatalf("bin %d: %v jobs in system on average, want %v", i, v, want)
		}
	}
	mean := 0.0
	for _, v := range over {
		mean += v * bin
	}
	if mean /= r.SimTime; math.Abs(mean-0.5) > 0.5*bin/r.SimTime {
		t.Errorf("time average of the series %v, want 0.5 (the last bin is partial)", mean)
	}
}
