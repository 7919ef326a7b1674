package sim

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/loadlab/loadlab/fault"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/workload"
)

// The tests in this file hold planned migrations (fault.Evacuate) and
// shared links (Costs.Links) to the migration model of package workload
// and to FIFO on a link, in deterministic set-ups where every job's path
// is known, so responses are predicted exactly.

// arrivalsTo0 dispatches every job to node 0 and records when each came.
type arrivalsTo0 struct{ at *[]float64 }

func (a arrivalsTo0) Pick(v policy.View, _ *policy.Job) policy.NodeID {
	*a.at = append(*a.at, v.Now())
	return 0
}

// keep is a migration policy that never moves anything.
func keep(policy.Env) policy.Migrator { return policy.Base{} }

// evacuation returns the log entry of the one evacuation of r.
func evacuation(t *testing.T, r results.Result) results.FaultEvent {
	t.Helper()
	if len(r.FaultLog) != 1 || r.FaultLog[0].Kind != fault.Evacuate || r.FaultLog[0].Applied < 0 {
		t.Fatalf("fault log %+v: want one evacuation, applied", r.FaultLog)
	}
	return r.FaultLog[0]
}

// closeTo reports whether got is within a relative 1e-12 of want (sums of
// times in a different order).
func closeTo(got, want float64) bool { return math.Abs(got-want) <= 1e-12*math.Max(1, math.Abs(want)) }

// TestEvacuateOneUnit evacuates node 0 while its one unit (size 10) has
// done 2 units of work, by each method, with nothing else in the system:
// the unit's downtime and the migration time are exactly the model's
// (workload.Units.Migrate by that method, whatever the units' own
// mobility), and its response is 10 plus what the move adds (stop-and-copy:
// the whole move; pre-copy: its final stop only; post-copy with no
// slowdown: the downtime). Pre-copy's pause is the shortest.
func TestEvacuateOneUnit(t *testing.T) {
	const progress, size = 2.0, 10.0
	link := workload.Link{Bandwidth: 1e6, Latency: 0.01}
	unit := workload.Unit{
		Code: workload.CodeSegment{Bytes: 1e5},
		Exec: workload.ExecSegment{State: 1e6, Growth: 1e5, Dirty: 2e5, Context: 1e4},
	}
	u := units(t, workload.UnitConfig{Unit: unit}) // stop-and-copy: the fault's method must override it
	base := Config{Model: scenario.Model{Nodes: 2, Load: 0.1, Jobs: 1, Batches: 2, Seed: 1, Workload: detWorkload(t, "det(value=10)")},
		Costs: Costs{Latency: link.Latency, Bandwidth: link.Bandwidth}, Units: u}
	var arrived []float64
	run(t, base, func(policy.Env) policy.Dispatcher { return arrivalsTo0{&arrived} }, keep)
	if len(arrived) != 1 {
		t.Fatalf("%d arrivals, want 1", len(arrived))
	}
	downtime := map[workload.Method]float64{}
	for _, c := range []struct {
		method    workload.Method
		responseΔ func(workload.Cost) float64
	}{
		{workload.StopAndCopy, func(c workload.Cost) float64 { return c.Total }},
		{workload.PreCopy, func(c workload.Cost) float64 { return c.Downtime }},
		{workload.PostCopy, func(c workload.Cost) float64 { return c.Downtime }},
	} {
		t.Run(string(c.method), func(t *testing.T) {
			want, _, err := u.WithMethod(c.method).Migrate(workload.Migration{Progress: progress, Link: link})
			if err != nil {
				t.Fatal(err)
			}
			cfg := base
			cfg.Faults = []fault.Fault{{At: arrived[0] + progress, Kind: fault.Evacuate, Nodes: []int{0}, Method: string(c.method)}}
			r := run(t, cfg, toNode0, keep)
			e := evacuation(t, r)
			if e.Moved != 1 || e.Refused != 0 || r.Preemptions != 1 {
				t.Fatalf("moved %d, refused %d, preemptions %d: want the one unit moved", e.Moved, e.Refused, r.Preemptions)
			}
			if e.MaxDowntime != want.Downtime || e.Downtime != want.Downtime || e.Migration != want.Total || e.Bytes != want.Bytes {
				t.Errorf("downtime %g (longest %g), migration %g, bytes %g; want %g, %g, %g", e.Downtime, e.MaxDowntime, e.Migration, e.Bytes, want.Downtime, want.Total, want.Bytes)
			}
			if got, w := r.MeanResponse, size+c.responseΔ(want); math.Abs(got-w) > 1e-9 {
				t.Errorf("response %.9f, want %.9f", got, w)
			}
			downtime[c.method] = e.MaxDowntime
		})
	}
	if !(downtime[workload.PreCopy] < downtime[workload.StopAndCopy]) {
		t.Errorf("pre-copy's pause %g, stop-and-copy's %g: want pre-copy's shorter", downtime[workload.PreCopy], downtime[workload.StopAndCopy])
	}
}

// TestSharedLinkFIFO is the shared links' must-hold: k units leave node 0
// at once (an evacuation: one running, k−1 waiting, each of b bytes), each
// to its own empty node. On a node's shared interface (links: nic) they
// cross its outgoing side one after another, so the last arrives
// latency + k·b/bandwidth after the start, and unit i (in the node's
// order) latency + (i+1)·b/bandwidth after it; with dedicated links (the
// default) every one arrives latency + b/bandwidth after it. Each job's
// response is then its arrival at its new node plus the work it had left,
// minus its arrival in the system: the mean response is predicted exactly.
func TestSharedLinkFIFO(t *testing.T) {
	const k, size = 4, 100.0
	link := workload.Link{Bandwidth: 1e6, Latency: 0.01}
	// No growth: a running unit's state is its initial state, so a strong
	// move and a weak one send the same b bytes.
	u := units(t, workload.UnitConfig{Unit: workload.Unit{Code: workload.CodeSegment{Bytes: 2e5}, Exec: workload.ExecSegment{State: 3e6}}})
	weak, _, err := u.Migrate(workload.Migration{Link: link})
	if err != nil {
		t.Fatal(err)
	}
	strong, _, err := u.Migrate(workload.Migration{Progress: 1, Link: link})
	if err != nil {
		t.Fatal(err)
	}
	if weak.Bytes != strong.Bytes || strong.Method != workload.StopAndCopy {
		t.Fatalf("set-up: weak move %g bytes, strong %g (%s): want the same bytes by stop-and-copy", weak.Bytes, strong.Bytes, strong.Method)
	}
	b := weak.Bytes
	base := Config{Model: scenario.Model{Nodes: k + 1, Load: 0.9, Jobs: k, Batches: 2, Seed: 1, Workload: detWorkload(t, "det(value=100)")},
		Costs: Costs{Latency: link.Latency, Bandwidth: link.Bandwidth}, Units: u}
	var arrived []float64
	run(t, base, func(policy.Env) policy.Dispatcher { return arrivalsTo0{&arrived} }, keep)
	at := arrived[k-1] + 1 // every job is there, the first running
	if len(arrived) != k || at >= arrived[0]+size {
		t.Fatalf("set-up: arrivals %v: want %d, all before the first ends", arrived, k)
	}
	for _, links := range []string{"", LinksNIC} {
		t.Run("links="+links, func(t *testing.T) {
			cfg := base
			cfg.Costs.Links = links
			cfg.Faults = []fault.Fault{{At: at, Kind: fault.Evacuate, Nodes: []int{0}}}
			r := run(t, cfg, toNode0, keep)
			e := evacuation(t, r)
			var sum float64
			for i, a := range arrived {
				wire := b / link.Bandwidth
				if links == LinksNIC {
					wire = float64(i+1) * b / link.Bandwidth
				}
				left := size
				if i == 0 {
					left -= at - a
				}
				sum += at + link.Latency + wire + left - a
			}
			last := link.Latency + b/link.Bandwidth
			if links == LinksNIC {
				last = link.Latency + k*b/link.Bandwidth
			}
			if e.Moved != k || e.Bytes != k*b {
				t.Fatalf("moved %d units, %g bytes: want %d, %g", e.Moved, e.Bytes, k, k*b)
			}
			if !closeTo(e.Migration, last) {
				t.Errorf("migration time %.12g, want %.12g", e.Migration, last)
			}
			if got, want := r.MeanResponse, sum/k; !closeTo(got, want) {
				t.Errorf("mean response %.12g, want %.12g", got, want)
			}
		})
	}
}

// TestSharedLinkRunning is TestSharedLinkFIFO with every unit running (k
// servers at node 0): units that move with their state wait for the link
// running, so each loses only its own stop-and-copy (latency +
// b/bandwidth) whatever its place in the queue, while the last still
// arrives latency + k·b/bandwidth after the start.
func TestSharedLinkRunning(t *testing.T) {
	const k, size = 4, 100.0
	link := workload.Link{Bandwidth: 1e6, Latency: 0.01}
	u := units(t, workload.UnitConfig{Unit: workload.Unit{Code: workload.CodeSegment{Bytes: 2e5}, Exec: workload.ExecSegment{State: 3e6}}})
	cost, _, err := u.Migrate(workload.Migration{Progress: 1, Link: link})
	if err != nil {
		t.Fatal(err)
	}
	base := Config{Model: scenario.Model{Nodes: k + 1, Servers: k, Load: 0.9, Jobs: k, Batches: 2, Seed: 1, Workload: detWorkload(t, "det(value=100)")},
		Costs: Costs{Latency: link.Latency, Bandwidth: link.Bandwidth, Links: LinksNIC}, Units: u}
	var arrived []float64
	run(t, base, func(policy.Env) policy.Dispatcher { return arrivalsTo0{&arrived} }, keep)
	at := arrived[k-1] + 1
	if len(arrived) != k || at >= arrived[0]+size {
		t.Fatalf("set-up: arrivals %v: want %d, all running at %g", arrived, k, at)
	}
	cfg := base
	cfg.Faults = []fault.Fault{{At: at, Kind: fault.Evacuate, Nodes: []int{0}}}
	r := run(t, cfg, toNode0, keep)
	e := evacuation(t, r)
	if e.Moved != k || r.Preemptions != k {
		t.Fatalf("moved %d, preemptions %d: want %d running units moved", e.Moved, r.Preemptions, k)
	}
	if !closeTo(e.Migration, link.Latency+k*cost.Bytes/link.Bandwidth) || e.MaxDowntime != cost.Downtime {
		t.Errorf("migration %.12g, longest downtime %g; want %.12g, %g", e.Migration, e.MaxDowntime, link.Latency+k*cost.Bytes/link.Bandwidth, cost.Downtime)
	}
	if got, want := r.MeanResponse, size+cost.Downtime; !closeTo(got, want) {
		t.Errorf("mean response %.12g, want %.12g", got, want)
	}
}

// TestEvacuateUnderLoad evacuates one node of eight, mid-run, under
// Poisson load, by each method, with a dispatcher that ignores load
// (random: its picks of the node out of service go on to others) and one
// that reads it (pod): every job ends exactly once, none fails, units
// move, the node takes nothing while it is out (no pick reaches it with
// pod), and with a maintenance window it comes back.
func TestEvacuateUnderLoad(t *testing.T) {
	w, err := workload.New(workload.Config{Size: "exp(mean=1)"})
	if err != nil {
		t.Fatal(err)
	}
	u := units(t, workload.UnitConfig{Unit: workload.Unit{Code: workload.CodeSegment{Bytes: 1e6}, Exec: workload.ExecSegment{State: 5e7, Dirty: 1e7, Context: 1e6}}})
	for _, c := range []struct {
		dispatch, method string
		links            string
		duration         float64
	}{
		{"random", "stop-and-copy", "", 0},
		{"random", "pre-copy", LinksNIC, 0},
		{"pod(d=2)", "post-copy", LinksNIC, 0},
		{"pod(d=2)", "pre-copy", "", 300},
	} {
		cfg := Config{Model: scenario.Model{Nodes: 8, Servers: 2, Load: 0.9, Jobs: 20000, Seed: 5, Workload: w, FaultBin: 50,
			Faults: []fault.Fault{{At: 600, Kind: fault.Evacuate, Nodes: []int{3}, Method: c.method, Duration: c.duration}}},
			Costs: Costs{Bandwidth: 1e8, Links: c.links}, Units: u} // no latency: no dispatch is in flight when the node leaves
		r := mustRunCfg(t, cfg, c.dispatch, "none")
		e := evacuation(t, r)
		t.Logf("%s %s links=%q duration %g: moved %d, refused %d, redirected %d, %.3g bytes, downtime sum %.3g max %.3g, migration %.3g; mean response %.3f; utilisation %.3f",
			c.dispatch, c.method, c.links, c.duration, e.Moved, e.Refused, e.Redirected, e.Bytes, e.Downtime, e.MaxDowntime, e.Migration, r.MeanResponse, r.NodeUtilization)
		if r.JobsFailed != 0 || r.JobsCompleted != r.JobsIssued || r.JobsIssued != int64(cfg.Jobs) {
			t.Errorf("issued %d, completed %d, failed %d: want every one of %d completed", r.JobsIssued, r.JobsCompleted, r.JobsFailed, cfg.Jobs)
		}
		if e.Moved == 0 || e.Refused != 0 || !(e.Migration > 0) {
			t.Errorf("moved %d, refused %d, migration %g: want units moved, none refused", e.Moved, e.Refused, e.Migration)
		}
		if c.dispatch == "random" && e.Redirected == 0 {
			t.Errorf("random dispatch: no job redirected from the node out of service")
		}
		if c.dispatch != "random" && c.duration == 0 && e.Redirected != 0 {
			t.Errorf("%s: %d jobs redirected: the node out of service should look unreachable", c.dispatch, e.Redirected)
		}
		// Out from 600 of about 1400 units, node 3 works less than half
		// the time the others do; had it kept taking work, as much.
		// Back after 300, it works more than that.
		others := slices.Min(slices.Delete(slices.Clone(r.NodeUtilization), 3, 4))
		if busy := r.NodeUtilization[3]; c.duration == 0 && busy > 0.6*others {
			t.Errorf("utilisation %.3f: node 3, out from 600, kept taking work", r.NodeUtilization)
		} else if c.duration > 0 && busy <= 0.6*others {
			t.Errorf("utilisation %.3f: node 3, back at %g, took no work again", r.NodeUtilization, 600+c.duration)
		}
	}
}

// TestSharedLinksDefault: a point with units and no evacuation gives the
// same result with links unset and with links: dedicated (the default is
// the model without shared links), and runs to the end on a shared
// interface; an unknown kind of links is refused.
func TestSharedLinksDefault(t *testing.T) {
	w, err := workload.New(workload.Config{Size: "bpareto(alpha=1.1, min=0.1, max=100)"})
	if err != nil {
		t.Fatal(err)
	}
	u := units(t, workload.UnitConfig{Unit: workload.Unit{Code: workload.CodeSegment{Bytes: 1e5}, Exec: workload.ExecSegment{State: 1e6, Growth: 1e5}}})
	var res []results.Result
	for _, links := range []string{"", LinksDedicated, LinksNIC} {
		cfg := Config{Model: scenario.Model{Nodes: 8, Load: 0.7, Jobs: 5000, Seed: 2, Workload: w}, Costs: Costs{Latency: 0.01, Bandwidth: 1e7, Links: links}, Units: u}
		res = append(res, mustRunCfg(t, cfg, "random", "age"))
	}
	if res[0].MeanResponse != res[1].MeanResponse || res[0].MeanDowntime != res[1].MeanDowntime || res[0].Migrations != res[1].Migrations {
		t.Errorf("links unset and dedicated differ: response %v, %v", res[0].MeanResponse, res[1].MeanResponse)
	}
	if res[0].Migrations == 0 {
		t.Fatal("no migrations: the comparison is empty")
	}
	if r := res[2]; r.JobsCompleted != r.JobsIssued || r.Migrations == 0 {
		t.Errorf("shared links: %d of %d jobs completed, %d migrations: want all, and moves", r.JobsCompleted, r.JobsIssued, r.Migrations)
	}
	if _, err := Run(context.Background(), Config{Model: scenario.Model{Nodes: 1}, Costs: Costs{Links: "pairs"}}); err == nil {
		t.Error("links: pairs accepted")
	}
}

// TestEvacuateRefused: when no other node's platform runs the units, an
// evacuation moves nothing: every unit stays and is reported refused, the
// jobs that still come are kept where they can run, and every job
// completes.
func TestEvacuateRefused(t *testing.T) {
	builds := []workload.Build{{Kernel: "default", Platforms: []string{"x86_64"}}}
	// Jobs of 100 every 55.6 units, all to node 0: from the first on, it
	// is never empty.
	cfg := Config{Model: scenario.Model{Nodes: 2, Load: 0.9, Jobs: 20, Batches: 2, Seed: 5, Platforms: []string{"x86_64", "arm64"}, Workload: detWorkload(t, "det(value=100)"),
		Faults: []fault.Fault{{At: 500, Kind: fault.Evacuate, Nodes: []int{0}}}},
		Units: units(t, workload.UnitConfig{Unit: workload.Unit{Exec: workload.ExecSegment{State: 1e6}}, Platforms: workload.Platforms{Builds: builds}})}
	r := run(t, cfg, toNode0, keep)
	e := evacuation(t, r)
	if e.Moved != 0 || e.Refused == 0 || e.Redirected != 0 {
		t.Errorf("moved %d, refused %d, redirected %d: want none moved, some refused, none redirected", e.Moved, e.Refused, e.Redirected)
	}
	if r.JobsCompleted != int64(cfg.Jobs) || r.JobsFailed != 0 || r.NodeUtilization[1] != 0 {
		t.Errorf("completed %d of %d, failed %d, node 1 busy %g: want all completed on node 0", r.JobsCompleted, cfg.Jobs, r.JobsFailed, r.NodeUtilization[1])
	}
}
