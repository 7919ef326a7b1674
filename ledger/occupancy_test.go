package ledger

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/results"
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
			name:    "two servers busy only after the window opens",
			servers: []int{2, 1},
			// window [2, 6): node 0 has 1 busy over [0, 3) and 2 over [3, 5), its
			// first two busy (the ledger's ∫ [busy > 0] dt starts apart there);
			// node 1 has 1 busy over [1, 4)
			nodes:    [][]Change{{{0, 1, 1}, {3, 2, 2}, {5, 0, 0}}, {{1, 1, 1}, {4, 0, 0}}},
			arrivals: []float64{0, 0, 2, 6}, // warmup 2
			departs:  []float64{3, 7},
			want: Stats{Start: 2, End: 6, NodeUtilization: []float64{5.0 / 4 / 2, 0.5}, Utilization: (5.0/8 + 0.5) / 2,
				NodeTLP: []float64{5.0 / 3, 1}, TLP: (5.0/3 + 1) / 2, MeanInSystem: (3 + 2*3) / 4.0, ArrivalRate: 0.25},
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
			got := replayStats(tt.servers, warmup, tt.nodes, tt.arrivals, tt.departs, 20)
			check(t, got, tt.want)
			if slices.Min(tt.servers) == slices.Max(tt.servers) {
				// The same servers for every node, given once.
				log := Log{Nodes: tt.nodes, Arrivals: tt.arrivals}
				for _, t := range tt.departs {
					log.Ends = append(log.Ends, End{T: t, ID: -1})
				}
				once := Replay(Config{Nodes: len(tt.servers), Servers: tt.servers[:1], Jobs: len(tt.arrivals), Warmup: warmup}, log).Stats(20)
				if !reflect.DeepEqual(once, got) {
					t.Errorf("servers given once: %+v, want %+v", once, got)
				}
			}
		})
	}
}

// replayStats replays nodes' changes, arrivals and departures (jobs
// completing, whose IDs do not matter here) and returns the time averages.
func replayStats(servers []int, warmup int, nodes [][]Change, arrivals, departs []float64, end float64) Stats {
	log := Log{Nodes: nodes, Arrivals: arrivals}
	for _, t := range departs {
		log.Ends = append(log.Ends, End{T: t, ID: -1})
	}
	return Replay(Config{Servers: servers, Jobs: len(arrivals), Warmup: warmup}, log).Stats(end)
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
	if !near(got.Threads, want.Threads) {
		t.Errorf("threads %g, want %g", got.Threads, want.Threads)
	}
	if !near(got.WaitWhileIdle, want.WaitWhileIdle) {
		t.Errorf("wait while idle %g, want %g", got.WaitWhileIdle, want.WaitWhileIdle)
	}
}

// TestLedgerMatchesReplay feeds one timeline live and through Replay of
// the Ledger's own recording: the numbers must be identical.
func TestLedgerMatchesReplay(t *testing.T) {
	cfg := Config{Servers: []int{1, 2}, Jobs: 3, Warmup: 1}
	l := New(cfg)
	l.Record()
	l.Arrive(0, 0)
	l.Node(0, 0, 1, 1)
	l.Threads(0, 1, 1)
	l.Arrive(1, 1)
	l.Threads(1.5, 2, 1)
	l.Node(1.5, 1, 1, 1)
	l.Node(1.5, 0, 1, 2)
	l.Complete(3, 0, 0, 3, 0, 3)
	l.Node(3, 0, 1, 1)
	l.Arrive(4, 2)
	l.Node(4, 1, 2, 3)
	l.Complete(5, 1, 1, 2, 0.5, 2)
	l.Threads(5, -3, -2)
	l.Node(5, 0, 0, 0)
	l.Fail(6, 2, 4, "agent gone")
	l.Node(6, 1, 0, 0)
	l.Counts.Probes, l.Counts.Bytes = 4, 100
	live := l.Stats(6)
	replayed := Replay(cfg, l.Log())
	if got := replayed.Stats(6); !equal(live, got) {
		t.Errorf("live %+v\nreplayed %+v", live, got)
	}
	var a, b results.Result
	if err := l.Fill(&a, 6); err != nil {
		t.Fatal(err)
	}
	if err := replayed.Fill(&b, 6); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("live %+v\nreplayed %+v", a, b)
	}
	// node 1 waits over [4, 6) but is outside the window; node 0 waited over [1.5, 3) while node 1 had an idle server
	check(t, live, Stats{Start: 1, End: 4, NodeUtilization: []float64{1, 2.5 / 3 / 2}, Utilization: (1 + 2.5/6) / 2,
		NodeTLP: []float64{1, 1}, TLP: 1, MeanInSystem: (2*2 + 1) / 3.0, WaitWhileIdle: 1.5 / 3, ArrivalRate: 1 / 3.0,
		Threads: (0.5*1 + 2.5*3) / 3 / 2})
	// jobs 1 and 2 are measured: 1 completed (response 4, service 2, blocked 0.5), 2 failed
	if a.JobsIssued != 3 || a.JobsCompleted != 2 || a.JobsFailed != 1 || a.JobsMeasured != 1 || a.MeanResponse != 4 ||
		a.MeanWait != 1.5 || a.MeanIO != 0.5 || a.Failures["agent gone"] != 1 || a.ProbesPerJob != 4/3.0 || a.BytesPerJob != 100/3.0 {
		t.Errorf("record %+v", a)
	}
	// throughput: one measured completion from the window's opening (1) to the last completion (5)
	if a.Throughput != 0.25 {
		t.Errorf("throughput %g, want 0.25", a.Throughput)
	}
}

// TestConservation: a Ledger refuses a record whose jobs do not add up.
func TestConservation(t *testing.T) {
	l := New(Config{Servers: []int{1}, Jobs: 2})
	l.Arrive(0, 0)
	l.Arrive(1, 1)
	l.Complete(2, 0, 0, 1, 0, 1)
	var r results.Result
	if err := l.Fill(&r, 2); err == nil || !strings.Contains(err.Error(), "2 jobs issued, 1 completed, 0 failed") {
		t.Errorf("err %v, want a conservation error", err)
	}
	l.Fail(math.Inf(1), 1, 1, "timeout")
	if err := l.Fill(&r, 2); err != nil || r.JobsFailed != 1 || r.Failures["timeout"] != 1 {
		t.Errorf("err %v, record %+v", err, r)
	}
}

// equal says whether two Stats are identical, bit for bit.
func equal(a, b Stats) bool {
	return a.Start == b.Start && a.End == b.End && slices.Equal(a.NodeUtilization, b.NodeUtilization) &&
		a.Utilization == b.Utilization && slices.Equal(a.NodeTLP, b.NodeTLP) && a.TLP == b.TLP &&
		a.MeanInSystem == b.MeanInSystem && a.WaitWhileIdle == b.WaitWhileIdle && a.ArrivalRate == b.ArrivalRate && a.Threads == b.Threads
}

func TestEmptyWindowFallsBackToRun(t *testing.T) {
	l := New(Config{Servers: []int{1}, Jobs: 1}) // one job: it opens and closes the window at once
	l.Arrive(2, 0)
	l.Node(2, 0, 1, 1)
	l.Complete(5, 0, 2, 3, 0, 3)
	l.Node(5, 0, 0, 0)
	got := l.Stats(10)
	check(t, got, Stats{Start: 0, End: 10, NodeUtilization: []float64{0.3}, Utilization: 0.3,
		NodeTLP: []float64{1}, TLP: 1, MeanInSystem: 0.3, WaitWhileIdle: 0, ArrivalRate: 0})
}

// TestReplayTasks: the tasks' completions a log carries give the task
// response figures, the warm-up's left out.
func TestReplayTasks(t *testing.T) {
	log := Log{Arrivals: []float64{0, 1}, Ends: []End{{T: 3, ID: 0, Arrival: 0, Service: 1, Size: 2}, {T: 5, ID: 1, Arrival: 1, Service: 1, Size: 2}},
		Tasks: []End{{T: 4, ID: 1, Arrival: 1}, {T: 2, ID: 0, Arrival: 0}, {T: 5, ID: 1, Arrival: 1}}}
	l := Replay(Config{Servers: []int{1}, Jobs: 2, Warmup: 1}, log)
	var r results.Result
	if err := l.Fill(&r, 5); err != nil {
		t.Fatal(err)
	}
	if r.TaskMeanResponse != 3.5 || r.JobsCompleted != 2 {
		t.Errorf("task mean response %v, completed %d; want 3.5 (tasks of job 1: 3 and 4), 2", r.TaskMeanResponse, r.JobsCompleted)
	}
}

// TestFrontAndLookupsReplay feeds a timeline with a front end and cache
// lookups live and through Replay of the recording: the same front-end
// utilisation, time at the front end and hit rate.
func TestFrontAndLookupsReplay(t *testing.T) {
	cfg := Config{Servers: []int{1}, Jobs: 3, Warmup: 1, Fronts: 1}
	l := New(cfg)
	l.Record()
	l.Arrive(0, 0)
	l.Front(0, 1)
	l.Lookup(0, false)
	l.Arrive(1, 1)
	l.Front(1.5, -1)
	l.Lookup(1, true)
	l.Node(1.5, 0, 1, 1)
	l.Complete(2, 0, 0, 0.5, 0, 1)
	l.FrontTime(0, 1.5)
	l.Arrive(3, 2)
	l.Front(3, 1)
	l.Lookup(2, false)
	l.Front(3.5, -1)
	l.Node(4, 0, 0, 0)
	l.Complete(4, 1, 1, 0.5, 0, 0.5)
	l.FrontTime(1, 0.25)
	l.Fail(5, 2, 3, "agent gone")
	var live, replayed results.Result
	if err := l.Fill(&live, 5); err != nil {
		t.Fatal(err)
	}
	if err := Replay(cfg, l.Log()).Fill(&replayed, 5); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(live, replayed) {
		t.Errorf("live %+v\nreplayed %+v", live, replayed)
	}
	// window [1, 3): the front end is busy over [1, 1.5); measured
	// requests 1 (front time 0.25) and 2 (failed); lookups of 1 (hit) and 2.
	if live.FrontUtilization != 0.25 || live.FrontTime != 0.25 || live.CacheHitRate != 0.5 {
		t.Errorf("front utilisation %v, time %v, hit rate %v: want 0.25, 0.25, 0.5", live.FrontUtilization, live.FrontTime, live.CacheHitRate)
	}
}

// TestReplayMembers replays an elastic cluster's nodes present (as agents
// report them): node-seconds are their integral up to the end, 2·10 +
// 4·5 + 3·5 = 55 over 0…20, and the nodes over time their bin means.
func TestReplayMembers(t *testing.T) {
	log := Log{Arrivals: []float64{0}, Ends: []End{{T: 20, ID: 0, Arrival: 0, Service: 1, Size: 1}},
		Members: []MemberStep{{T: 0, N: 2}, {T: 10, N: 4}, {T: 15, N: 3}}}
	l := Replay(Config{Servers: []int{1, 1, 1, 1}, Jobs: 1, Bin: 10}, log)
	var r results.Result
	if err := l.Fill(&r, 20); err != nil {
		t.Fatal(err)
	}
	if r.NodeSeconds != 55 || !slices.Equal(r.NodesOverTime, []float64{2, 3.5}) {
		t.Errorf("node-seconds %v, nodes over time %v; want 55, [2 3.5]", r.NodeSeconds, r.NodesOverTime)
	}
}
