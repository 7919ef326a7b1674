package sim

import (
	"context"
	"math"
	"testing"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/stats"
	"github.com/loadlab/loadlab/topology"
	"github.com/loadlab/loadlab/workload"
)

func mustTopology(t *testing.T, spec string) *topology.Topology {
	t.Helper()
	top, err := topology.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return top
}

// TestMoveToData holds a unit's resource with a home to its model. Two
// nodes at two sites, a hop of 0.5 apart (plus 0.01 inside a site, on
// every path), 1e5 bytes per unit of bandwidth; clients all in region 0,
// at site 0. Every job of size 1 goes to node 0 and uses a database
// (fixed, by identifier: a global reference) twice per unit of progress,
// 100 bytes a use. A unit that stays where its data is not pays per use a
// round trip and the bytes; one that moves to its data pays the move's
// latency once and no remote use after. Jobs arrive every 5 units and
// never wait, so each mean response is exact:
//
//	stay at 0, data at 1:   0.01 + 1·(1 + 2·(2·0.51 + 100/1e5))
//	move to 1, data at 1:   0.01 + 0.51 + 1
//	move to 1, data at 0:   0.01 + 0.51 + 1·(1 + 2·(2·0.51 + 100/1e5))
//	stay at 0, data at 0:   0.01 + 1
func TestMoveToData(t *testing.T) {
	const (
		local, hop, bw = 0.01, 0.5, 1e5
		uses, useBytes = 2.0, 100.0
		size           = 1.0
	)
	far := local + hop
	remote := size * uses * (2*far + useBytes/bw)
	w, err := workload.New(workload.Config{Arrival: "det", Size: "det(value=1)", Regions: []float64{1, 0}})
	if err != nil {
		t.Fatal(err)
	}
	stay := func(policy.Env) policy.Migrator { return policy.Base{} }
	move := func(policy.Env) policy.Migrator { return sendOn{to: 1} }
	results := map[string]float64{}
	for _, tc := range []struct {
		name string
		home workload.Home
		m    policy.MigrateBuilder
		want float64
	}{
		{"stays away from its data", "1", stay, local + size + remote},
		{"moves to its data", "1", move, local + far + size},
		{"moves away from its data", "0", move, local + far + size + remote},
		{"stays with its data", "0", stay, local + size},
	} {
		uc := workload.UnitConfig{Unit: workload.Unit{Resources: []workload.Resource{
			{Name: "db", Binding: workload.ByIdentifier, Attachment: workload.Fixed, Uses: uses, UseBytes: useBytes, Home: tc.home},
		}}}
		cfg := Config{Model: scenario.Model{Nodes: 2, Load: 0.1, Jobs: 100, Seed: 1, Workload: w,
			Topology: mustTopology(t, "ring(n=2, hop=0.5, local=0.01, bandwidth=1e5)")}, Units: units(t, uc)}
		r := run(t, cfg, toNode0, tc.m)
		if math.Abs(r.MeanResponse-tc.want) > 1e-9 {
			t.Errorf("%s: mean response %.9f, want %.9f", tc.name, r.MeanResponse, tc.want)
		}
		results[tc.name] = r.MeanResponse
	}
	gain := results["stays away from its data"] - results["moves to its data"]
	if want := remote - far; math.Abs(gain-want) > 1e-9 || !(gain > 0) {
		t.Errorf("moving to its data saves %.9f, want the remote uses %.6f less the move's latency %.2f = %.9f", gain, remote, far, want)
	}
}

// TestHomeByKey checks home: key — a job of key k has its data at node
// k mod nodes: a unit dispatched to node 0 pays the remote uses exactly
// when its key is odd (two nodes at two sites).
func TestHomeByKey(t *testing.T) {
	w, err := workload.New(workload.Config{Arrival: "det", Size: "det(value=1)", Keys: "zipf(n=2, s=2)", Regions: []float64{1, 0}})
	if err != nil {
		t.Fatal(err)
	}
	uc := workload.UnitConfig{Unit: workload.Unit{Resources: []workload.Resource{
		{Name: "part", Binding: workload.ByValue, Attachment: workload.Fastened, Uses: 1, Home: workload.HomeKey},
	}}}
	cfg := Config{Model: scenario.Model{Nodes: 2, Load: 0.1, Jobs: 1000, Seed: 3, Workload: w,
		Topology: mustTopology(t, "ring(n=2, hop=0.5)")}, Units: units(t, uc)}
	r := run(t, cfg, toNode0, func(policy.Env) policy.Migrator { return policy.Base{} })
	// Response 1 for key 0, 1 + 2·0.5 = 2 for key 1, drawn with
	// probability p = 2^−2/(1 + 2^−2) = 0.2.
	p := w.KeyPopularity()[1]
	frac := r.MeanResponse - 1
	if sd := math.Sqrt(p * (1 - p) / float64(r.JobsMeasured)); math.Abs(frac-p) > 4*sd {
		t.Errorf("mean response %.4f: %.4f of the jobs paid the remote use, want %.4f ± %.4f", r.MeanResponse, frac, p, 4*sd)
	}
	if math.Abs(r.P50Response-1) > 0.01 || math.Abs(r.P99Response-2) > 0.01 { // the histogram's resolution
		t.Errorf("p50 %v, p99 %v: want 1 and 2", r.P50Response, r.P99Response)
	}
}

// TestNearestMMc holds wide-area dispatch to the model it has when each
// client region has a site of its own: with nearest, region r's requests
// all go to site r, one node of 4 servers, so each site is an M/M/4 queue
// fed by its region's share of the arrivals, and a request's response is
// its region's one-way latency to its site plus that queue's response:
// E[T] = Σ_r p_r (latency_rr + MMk(4, ρ_r)), ρ_r = 3·p_r·ρ. The
// simulator's mean over ten replications must be within three
// half-widths of its 95% interval, and the interval under 2% of the
// value.
func TestNearestMMc(t *testing.T) {
	const load = 0.5
	shares := []float64{0.5, 0.3, 0.2}
	top := mustTopology(t, "sites(latency=[0.1,3,5, 3,0.2,4, 5,4,0.3])")
	w, err := workload.New(workload.Config{Size: "exp(mean=1)", Regions: shares})
	if err != nil {
		t.Fatal(err)
	}
	want := 0.0
	for r, p := range shares {
		want += p * (top.Client(r, r) + stats.MMk(4, 3*p*load))
	}
	var rs []results.Result
	for seed := range 10 {
		cfg := config(t, Config{Model: scenario.Model{Nodes: 3, Servers: 4, Load: load, Jobs: 100_000, Warmup: 10_000, Seed: uint64(40 + seed), Workload: w, Topology: top}}, "nearest(within=random)", "none", "")
		cfg.Workload = w
		r, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		checkLittle(t, r)
		rs = append(rs, r)
	}
	mean, half := meanCI(rs, func(r results.Result) float64 { return r.MeanResponse })
	t.Logf("nearest, three sites of M/M/4: theory %.4f, simulator %.4f ± %.4f", want, mean, half)
	if half > 0.02*want || math.Abs(mean-want) > 3*half {
		t.Errorf("mean response %.4f ± %.4f, want %.4f (M/M/4 per site plus the latency)", mean, half, want)
	}
}

// TestTransferCrossesSites checks that a plain job's transfer crosses the
// path between its two nodes' sites, at its latency and bandwidth, not
// the cost model's: jobs of size 1 from region 1 (at site 1, 0.01 away)
// dispatched to node 0 (site 0, 0.51 away) and sent on to node 1, never
// waiting: 0.51 + 0.51 + 1000/1e5 + 1.
func TestTransferCrossesSites(t *testing.T) {
	w, err := workload.New(workload.Config{Arrival: "det", Size: "det(value=1)", Regions: []float64{0, 1}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Model: scenario.Model{Nodes: 2, Load: 0.1, Jobs: 100, Seed: 1, Workload: w,
		Topology: mustTopology(t, "ring(n=2, hop=0.5, local=0.01, bandwidth=1e5)")}, Costs: Costs{Latency: 7, Bandwidth: 1, JobBytes: 1000}}
	r := run(t, cfg, toNode0, func(policy.Env) policy.Migrator { return sendOn{to: 1} })
	if want := 0.51 + 0.51 + 1000/1e5 + 1; math.Abs(r.MeanResponse-want) > 1e-9 || r.Migrations != 100 {
		t.Errorf("mean response %.9f after %d transfers, want %.9f after 100", r.MeanResponse, r.Migrations, want)
	}
}

// TestDNSForeverIsNearest checks DNS redirection's stale answer: with a
// TTL longer than the run each region's resolver answers once, when the
// sites are all but idle and the nearest site has the least expected
// response, and keeps that answer; the run is then nearest's, request for
// request. With a short TTL it follows load and differs.
func TestDNSForeverIsNearest(t *testing.T) {
	w, err := workload.New(workload.Config{Size: "exp(mean=1)", Regions: []float64{0.5, 0.3, 0.2}})
	if err != nil {
		t.Fatal(err)
	}
	runWith := func(dispatch string) results.Result {
		cfg := config(t, Config{Model: scenario.Model{Nodes: 12, Load: 0.6, Jobs: 20_000, Seed: 9, Workload: w,
			Topology: mustTopology(t, "sites(latency=[0.1,3,8, 3,0.1,5, 8,5,0.1])")}}, dispatch, "none", "")
		cfg.Workload = w
		r, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	near, forever, short := runWith("nearest"), runWith("dns(ttl=1e9)"), runWith("dns(ttl=1)")
	if forever.MeanResponse != near.MeanResponse || forever.P99Response != near.P99Response {
		t.Errorf("dns(ttl=1e9): mean response %v, p99 %v; want nearest's %v, %v", forever.MeanResponse, forever.P99Response, near.MeanResponse, near.P99Response)
	}
	if short.MeanResponse == near.MeanResponse {
		t.Errorf("dns(ttl=1): mean response %v, the same as nearest's: a short TTL should follow load", short.MeanResponse)
	}
}
