package occupancy

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// TestReplay checks hand-built timelines of two nodes over a window of 10
// model units whose fractions are known exactly.
func TestReplay(t *testing.T) {
	type c = Change
	tests := []struct {
		name     string
		servers  []int
		nodes    [][]Change
		arrivals []float64 // job 0 opens the window (warmup 0), the last closes it
		departs  []float64
		want     Stats
	}{
		{
			name:    "one waits, the other idle",
			servers: []int{1, 1},
			// node 0: one job in service from 0, a second waits over [2, 6)
			nodes:    [][]Change{{{0, 1, 1}, {2, 1, 2}, {6, 1, 1}, {8, 0, 0}}, nil},
			arrivals: []float64{0, 2, 10},
			departs:  []float64{6, 8},
			want: Stats{Start: 0, End: 10, NodeUtilization: []float64{0.8, 0}, Utilization: 0.4,
				NodeTLP: []float64{1, 0}, TLP: 0.5, MeanInSystem: (6 + 6) / 10.0, WaitWhileIdle: 0.4, ArrivalRate: 0.2},
		},
		{
			name:    "the idle server is the waiting node's own",
			servers: []int{1, 1},
			// node 0 has two jobs but serves none over [2, 3) (between a
			// completion and the next start); node 1 is busy throughout
			nodes:    [][]Change{{{0, 1, 2}, {2, 0, 2}, {3, 1, 2}, {10, 0, 0}}, {{0, 1, 1}}},
			arrivals: []float64{0, 0, 0, 10},
			want: Stats{Start: 0, End: 10, NodeUtilization: []float64{0.9, 1}, Utilization: 0.95,
				NodeTLP: []float64{1, 1}, TLP: 1, MeanInSystem: 3, WaitWhileIdle: 0, ArrivalRate: 0.3},
		},
		{
			name:     "both wait, then one idles",
			servers:  []int{1, 1},
			nodes:    [][]Change{{{0, 1, 3}}, {{0, 1, 2}, {5, 1, 1}, {7, 0, 0}}},
			arrivals: []float64{0, 10},
			want: Stats{Start: 0, End: 10, NodeUtilization: []float64{1, 0.7}, Utilization: 0.85,
				NodeTLP: []float64{1, 1}, TLP: 1, MeanInSystem: 1, WaitWhileIdle: 0.3, ArrivalRate: 0.1},
		},
		{
			name:     "processor sharing: three jobs on one server, two of them wait",
			servers:  []int{1, 1},
			nodes:    [][]Change{{{1, 1, 3}, {6, 1, 1}, {9, 0, 0}}, {{0, 1, 1}, {4, 0, 0}}},
			arrivals: []float64{0, 10},
			want: Stats{Start: 0, End: 10, NodeUtilization: []float64{0.8, 0.4}, Utilization: 0.6,
				NodeTLP: []float64{1, 1}, TLP: 1, MeanInSystem: 1, WaitWhileIdle: 0.2, ArrivalRate: 0.1},
		},
		{
			name:    "two servers: TLP, and one idle server of two counts",
			servers: []int{2, 2},
			// node 0: 1 busy over [0, 2), 2 busy over [2, 4), 2 busy and a third job waiting over [3, 4)
			// node 1: one of its two servers busy over [0, 10)
			nodes:    [][]Change{{{0, 1, 1}, {2, 2, 2}, {3, 2, 3}, {4, 0, 0}}, {{0, 1, 1}}},
			arrivals: []float64{0, 10},
			want: Stats{Start: 0, End: 10, NodeUtilization: []float64{0.3, 0.5}, Utilization: 0.4,
				NodeTLP: []float64{1.5, 1}, TLP: 1.25, MeanInSystem: 1, WaitWhileIdle: 0.1, ArrivalRate: 0.1},
		},
		{
			name:    "warm-up and drain left out",
			servers: []int{1, 1},
			// window [2, 6): node 0 waits with node 1 idle over [0, 4) and [5, 8)
			nodes:    [][]Change{{{0, 1, 2}, {4, 1, 1}, {5, 1, 2}, {8, 0, 0}}, nil},
			arrivals: []float64{0, 0, 2, 6}, // warmup 2
			departs:  []float64{3, 7},
			want: Stats{Start: 2, End: 6, NodeUtilization: []float64{1, 0}, Utilization: 0.5,
				NodeTLP: []float64{1, 0}, TLP: 0.5, MeanInSystem: (3 + 2*3) / 4.0, WaitWhileIdle: 0.75, ArrivalRate: 0.25},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			warmup := 0
			if tt.want.Start > 0 {
				warmup = slices.Index(tt.arrivals, tt.want.Start)
			}
			got := Replay(tt.servers, len(tt.arrivals), warmup, tt.nodes, tt.arrivals, tt.departs, 20)
			check(t, got, tt.want)
		})
	}
}

func check(t *testing.T, got, want Stats) {
	t.Helper()
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
	eq := func(a, b []float64) bool {
		return slices.EqualFunc(a, b, near)
	}
	if !near(got.Start, want.Start) || !near(got.End, want.End) {
		t.Errorf("window [%g, %g), want [%g, %g)", got.Start, got.End, want.Start, want.End)
	}
	if !eq(got.NodeUtilization, want.NodeUtilization) || !near(got.Utilization, want.Utilization) {
		t.Errorf("utilization %v (mean %g), want %v (mean %g)", got.NodeUtilization, got.Utilization, want.NodeUtilization, want.Utilization)
	}
	if !eq(got.NodeTLP, want.NodeTLP) || !near(got.TLP, want.TLP) {
		t.Errorf("TLP %v (mean %g), want %v (mean %g)", got.NodeTLP, got.TLP, want.NodeTLP, want.TLP)
	}
	if !near(got.MeanInSystem, want.MeanInSystem) {
		t.Errorf("mean in system %g, want %g", got.MeanInSystem, want.MeanInSystem)
	}
	if !near(got.ArrivalRate, want.ArrivalRate) {
		t.Errorf("arrival rate %g, want %g", got.ArrivalRate, want.ArrivalRate)
	}
	if !near(got.WaitWhileIdle, want.WaitWhileIdle) {
		t.Errorf("wait while idle %g, want %g", got.WaitWhileIdle, want.WaitWhileIdle)
	}
}

// TestLedgerMatchesReplay feeds one timeline live and through Replay of
// the Ledger's own recording: the numbers must be identical.
func TestLedgerMatchesReplay(t *testing.T) {
	l := New([]int{1, 2}, 3, 1)
	l.Record()
	l.Arrive(0, 0)
	l.Node(0, 0, 1, 1)
	l.Arrive(1, 1)
	l.Node(1.5, 1, 1, 1)
	l.Node(1.5, 0, 1, 2)
	l.Depart(3)
	l.Node(3, 0, 1, 1)
	l.Arrive(4, 2)
	l.Node(4, 1, 2, 3)
	l.Depart(5)
	l.Node(5, 0, 0, 0)
	l.Depart(6)
	l.Node(6, 1, 0, 0)
	live := l.Stats(6)
	nodes, arr, dep := l.Logs()
	replayed := Replay([]int{1, 2}, 3, 1, nodes, arr, dep, 6)
	if !equal(live, replayed) {
		t.Errorf("live %+v\nreplayed %+v", live, replayed)
	}
	// node 1 waits over [4, 6) but is outside the window; node 0 waited over [1.5, 3) while node 1 had an idle server
	check(t, live, Stats{Start: 1, End: 4, NodeUtilization: []float64{1, 2.5 / 3 / 2}, Utilization: (1 + 2.5/6) / 2,
		NodeTLP: []float64{1, 1}, TLP: 1, MeanInSystem: (2*2 + 1) / 3.0, WaitWhileIdle: 1.5 / 3, ArrivalRate: 1 / 3.0})
}

// equal says whether two Stats are identical, bit for bit.
func equal(a, b Stats) bool {
	return a.Start == b.Start && a.End == b.End && slices.Equal(a.NodeUtilization, b.NodeUtilization) &&
		a.Utilization == b.Utilization && slices.Equal(a.NodeTLP, b.NodeTLP) && a.TLP == b.TLP &&
		a.MeanInSystem == b.MeanInSystem && a.WaitWhileIdle == b.WaitWhileIdle && a.ArrivalRate == b.ArrivalRate
}

func TestEmptyWindowFallsBackToRun(t *testing.T) {
	l := New([]int{1}, 1, 0) // one job: it opens and closes the window at once
	l.Arrive(2, 0)
	l.Node(2, 0, 1, 1)
	l.Depart(5)
	l.Node(5, 0, 0, 0)
	got := l.Stats(10)
	check(t, got, Stats{Start: 0, End: 10, NodeUtilization: []float64{0.3}, Utilization: 0.3,
		NodeTLP: []float64{1}, TLP: 1, MeanInSystem: 0.3, WaitWhileIdle: 0, ArrivalRate: 0})
}

func ExampleReplay() {
	// Two single-server nodes: node 0 holds a second job, waiting, over
	// [2, 6) while node 1 stays idle; the window is [0, 10).
	nodes := [][]Change{{{T: 0, Busy: 1, Present: 1}, {T: 2, Busy: 1, Present: 2}, {T: 6, Busy: 1, Present: 1}, {T: 8, Busy: 0, Present: 0}}, nil}
	st := Replay([]int{1, 1}, 3, 0, nodes, []float64{0, 2, 10}, []float64{6, 8}, 10)
	fmt.Printf("utilization %.2f, wait while idle %.2f\n", st.Utilization, st.WaitWhileIdle)
	// Output: utilization 0.40, wait while idle 0.40
}
