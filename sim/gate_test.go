package sim

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/loadlab/loadlab/fault"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/workload"
)

// detPoint is one node fed a job of size 1 every 10 units (at times 10k):
// alone, every job's response is exactly 1, so what a fault adds is exact.
func detPoint(t *testing.T, jobs int, dispatch string, faults ...fault.Fault) Config {
	t.Helper()
	w, err := workload.New(workload.Config{Arrival: "det", Size: "det(value=1)"})
	if err != nil {
		t.Fatal(err)
	}
	return config(t, Config{Model: scenario.Model{Nodes: 1, Load: 0.1, Jobs: jobs, Seed: 1, Workload: w, FaultBin: 100, Faults: faults}}, dispatch, "none", "")
}

// TestRequestFaultsExact holds delay and pause at one node to what they
// must add to each job's response, counted by hand: jobs arrive at 10k,
// each needs 1 unit alone, and the hold limit is DefaultHoldLimit (100).
func TestRequestFaultsExact(t *testing.T) {
	const n = 200
	for _, tc := range []struct {
		name, dispatch string
		f              fault.Fault
		failed         int64
		extra          float64 // response added to the completed jobs, summed
		failedReason   string
	}{
		// Arrivals 510..1000 (50 jobs) are held 3 each.
		{"delay all", "", fault.Fault{Kind: fault.Delay, At: 505, Duration: 500, Nodes: []int{0}, Fraction: 1, Delay: 3}, 0, 50 * 3, ""},
		// A hold is at most the limit: 250 → 100 for the 5 arrivals
		// 510..550, which then reach the node with the arrivals 610..650
		// and wait 1 behind them.
		{"delay over the limit", "", fault.Fault{Kind: fault.Delay, At: 505, Duration: 50, Nodes: []int{0}, Fraction: 1, Delay: 250}, 0, 5*100 + 5, ""},
		// The job that arrived at 500 is in service with 0.5 left: it stops for 4.
		{"pause in service", "", fault.Fault{Kind: fault.Pause, At: 500.5, Duration: 4, Nodes: []int{0}}, 0, 4, ""},
		// The arrival at 510 is held until 517.
		{"pause holds an arrival", "", fault.Fault{Kind: fault.Pause, At: 505, Duration: 12, Nodes: []int{0}}, 0, 7, ""},
		// Pause 505..805: arrivals 510..700 would wait more than 100 and
		// are refused (after 100); 710..800 (k = 1..10) are held until 805
		// and then served in turn, ending at 805+k: 104−9k more each (545
		// in all); the arrival at 810 waits for them until 815 (5 more).
		// pod(d=1) probes the node for each job, so each decision is
		// held 14, and the dispatcher decides one job at a time: the
		// arrival at 510 is decided at 524 and its submission held until
		// 538 (29 in all); the decisions of 520, 530, 540 and 550 end at
		// 538, 552, 552 and 552 (the last two without holds: the fault has
		// ended at 545, but they waited for the earlier ones), the first
		// held once more; the four reach the node at 552 and end at 553 to
		// 556 (78 in all): 107 − 5 more than alone.
		{"delay serializes the dispatcher", "pod(d=1)", fault.Fault{Kind: fault.Delay, At: 505, Duration: 40, Nodes: []int{0}, Fraction: 1, Delay: 14}, 0, 102, ""},
		{"pause over the limit", "", fault.Fault{Kind: fault.Pause, At: 505, Duration: 300, Nodes: []int{0}}, 20, 545 + 5, "submit refused: agent node 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dispatch := tc.dispatch
			if dispatch == "" {
				dispatch = "random"
			}
			r := mustRun(t, detPoint(t, n, dispatch, tc.f), dispatch, "none", "")
			if r.JobsFailed != tc.failed || r.JobsCompleted+r.JobsFailed != r.JobsIssued {
				t.Fatalf("failed %d (%v), completed %d, issued %d; want %d failed", r.JobsFailed, r.Failures, r.JobsCompleted, r.JobsIssued, tc.failed)
			}
			if tc.failed > 0 && r.Failures[tc.failedReason] != tc.failed {
				t.Errorf("failures %v, want %d %q", r.Failures, tc.failed, tc.failedReason)
			}
			if tc.failed > 0 && r.FaultLog[0].Failed != tc.failed {
				t.Errorf("%d failures attributed to the fault, want %d", r.FaultLog[0].Failed, tc.failed)
			}
			done := float64(r.JobsCompleted)
			want := (done + tc.extra) / done
			if math.Abs(r.MeanResponse-want) > 1e-9 {
				t.Errorf("mean response %.9f, want %.9f (%g added to %g jobs)", r.MeanResponse, want, tc.extra, done)
			}
		})
	}
}

// TestDropBinomial: drop(fraction=f) at one of four nodes under random
// dispatch refuses each submission of its window with probability f/4
// (the share sent there times f): the failures of the K jobs that arrive
// in the window are binomial (K, f/4), held within 3.5 standard
// deviations; each fails with the agents' reason and counts against the
// fault.
func TestDropBinomial(t *testing.T) {
	for _, f := range []float64{0.1, 0.5, 1} {
		w, err := workload.New(workload.Config{Arrival: "det", Size: "exp(mean=1)"})
		if err != nil {
			t.Fatal(err)
		}
		// Load 0.5 on 4 nodes: a job every 0.5; the window 1000.25..11000.25
		// holds the K = 20000 arrivals at 1000.5 .. 11000.
		const k = 20000
		drop := fault.Fault{Kind: fault.Drop, At: 1000.25, Duration: 10000, Nodes: []int{2}, Fraction: f}
		cfg := Config{Model: scenario.Model{Nodes: 4, Load: 0.5, Jobs: 30000, Seed: 7, Workload: w, FaultBin: 500, Faults: []fault.Fault{drop}}}
		r := mustRun(t, config(t, cfg, "random", "none", ""), "random", "none", "")
		p := f / 4
		mean, sd := k*p, math.Sqrt(k*p*(1-p))
		t.Logf("fraction %g: %d of %d jobs failed, binomial mean %.0f, sd %.1f", f, r.JobsFailed, k, mean, sd)
		if d := math.Abs(float64(r.JobsFailed) - mean); d > 3.5*sd {
			t.Errorf("fraction %g: %d jobs failed, want %.0f ± %.0f (3.5 sd)", f, r.JobsFailed, mean, 3.5*sd)
		}
		if got := r.Failures["submit refused: agent node 2"]; got != r.JobsFailed || r.FaultLog[0].Failed != r.JobsFailed {
			t.Errorf("fraction %g: failures %v, %d attributed to the fault; want all %d refused at node 2", f, r.Failures, r.FaultLog[0].Failed, r.JobsFailed)
		}
		if r.JobsCompleted+r.JobsFailed != r.JobsIssued {
			t.Errorf("fraction %g: completed %d + failed %d != issued %d", f, r.JobsCompleted, r.JobsFailed, r.JobsIssued)
		}
	}
}

// TestPartitionStopsMigrations: partitions that cut every pair of four
// nodes apart for the whole run leave a sender-initiated policy no
// transfer and no probe answer: every job stays where it was dispatched,
// so the run is the one without migration, response for response; without
// the partitions the policy moves jobs. Submissions from the dispatcher
// are never partitioned.
func TestPartitionStopsMigrations(t *testing.T) {
	all := []fault.Fault{
		{Kind: fault.Partition, Nodes: []int{0, 1}, Peers: []int{2, 3}, Duration: 1e9},
		{Kind: fault.Partition, Nodes: []int{0, 2}, Peers: []int{1, 3}, Duration: 1e9},
		{Kind: fault.Cut, Nodes: []int{0}, Peers: []int{3}, Duration: 1e9},
		{Kind: fault.Cut, Nodes: []int{1}, Peers: []int{2}, Duration: 1e9},
	}
	base := Config{Model: scenario.Model{Nodes: 4, Load: 0.8, Jobs: 20000, Seed: 5, FaultBin: 1000}}
	none := mustRun(t, base, "random", "none", "exp(mean=1)")
	for _, migrate := range []string{"sender.random(T=1)", "sender.threshold(T=1, probes=2)", "receiver.threshold(T=1, probes=2)", "symmetric(T=1, probes=2)"} {
		free := mustRun(t, base, "random", migrate, "exp(mean=1)")
		cut := base
		cut.Faults = all
		r := mustRun(t, cut, "random", migrate, "exp(mean=1)")
		if free.Migrations == 0 {
			t.Errorf("%s moved no job without a partition: the test shows nothing", migrate)
		}
		if blind := migrate == "sender.random(T=1)"; blind != (r.TransferFails > 0) { // the others find every probe refused
			t.Errorf("%s across partitions: %d transfers refused", migrate, r.TransferFails)
		}
		if r.Migrations != 0 || r.JobsFailed != 0 {
			t.Errorf("%s across partitions: %d migrations, %d failed; want none", migrate, r.Migrations, r.JobsFailed)
		}
		if r.MeanResponse != none.MeanResponse {
			t.Errorf("%s across partitions: mean response %.6f, want %.6f as without migration", migrate, r.MeanResponse, none.MeanResponse)
		}
	}
}

// TestRequestFaultsConserve runs every request fault at once under
// policies that probe, steal, push and send messages: every job ends
// exactly once, failures are the refused submissions, counted against
// faults, and the same seed gives the same bytes.
func TestRequestFaultsConserve(t *testing.T) {
	faults := []fault.Fault{
		{Kind: fault.Pause, At: 300, Duration: 150, Nodes: []int{1}},
		{Kind: fault.Partition, At: 200, Duration: 400, Nodes: []int{0, 1}},
		{Kind: fault.Cut, At: 700, Duration: 300, Nodes: []int{2}, Peers: []int{3}},
		{Kind: fault.Drop, At: 500, Duration: 300, Nodes: []int{3}, Fraction: 0.3},
		{Kind: fault.Delay, At: 900, Duration: 300, Nodes: []int{0}, Fraction: 0.5, Delay: 2},
	}
	for _, tc := range []struct{ dispatch, migrate string }{
		{"random", "none"},
		{"pod(d=2)", "none"},
		{"jsq", "none"},
		{"jiq", "none"},
		{"prequal", "none"},
		{"random", "sender.threshold(T=1, probes=2)"},
		{"random", "receiver.threshold(T=1, probes=2)"},
		{"random", "symmetric(T=1, probes=2)"},
		{"random", "age"},
	} {
		t.Run(tc.dispatch+" "+tc.migrate, func(t *testing.T) {
			cfg := Config{Model: scenario.Model{Nodes: 4, Load: 0.7, Jobs: 6000, Seed: 3, FaultBin: 50, Faults: faults}, Costs: Costs{Latency: 0.01}, Gossip: 0.5}
			r := mustRun(t, cfg, tc.dispatch, tc.migrate, "exp(mean=1)")
			if r.JobsCompleted+r.JobsFailed != r.JobsIssued {
				t.Fatalf("completed %d + failed %d != issued %d", r.JobsCompleted, r.JobsFailed, r.JobsIssued)
			}
			sum := int64(0)
			for reason, k := range r.Failures {
				if reason != "submit refused: agent node 1" && reason != "submit refused: agent node 3" {
					t.Errorf("unexpected reason %q (%d)", reason, k)
				}
				sum += k
			}
			attributed := int64(0)
			for _, e := range r.FaultLog {
				attributed += e.Failed
			}
			if sum != r.JobsFailed || attributed != r.JobsFailed {
				t.Errorf("failures by reason %d, attributed to faults %d, want %d", sum, attributed, r.JobsFailed)
			}
			again := mustRun(t, cfg, tc.dispatch, tc.migrate, "exp(mean=1)")
			a, _ := json.Marshal(r)
			b, _ := json.Marshal(again)
			if string(a) != string(b) {
				t.Errorf("same seed, different bytes")
			}
		})
	}
}
