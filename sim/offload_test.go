package sim

import (
	"math"
	"testing"

	"github.com/loadlab/loadlab/energy"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/workload"
)

// TestEnergyOffload holds energy-aware offloading to its model. A phone
// (node 0, speed 0.25) receives every job (dispatch local with a cap it
// never reaches, the phone at distance 0) beside a server of speed 1;
// both draw 1 W idle and 3 W busy, and a transfer of 1000 bytes costs
// 0.004 J a byte: 4 J. A job of size s run on the phone costs it
// 2·s/0.25 = 8s J above idle, so per job the phone and the network
// spend Idle/λ plus 8 (never offload), 4 (always) or E[min(8s, 4)] =
// 8(1 − e^−0.5) ≈ 3.15 (offload when it saves: jobs above 0.5) for
// sizes exp(1): energy-aware offloading spends less than either extreme.
// Ten replications of 100,000 jobs, within three half-widths.
func TestEnergyOffload(t *testing.T) {
	reg := policy.Builtin()
	const idle, busy, perByte, bytes, rho = 1.0, 3.0, 0.004, 1000.0, 0.15
	p := &energy.Power{Idle: idle, Busy: busy, Byte: perByte}
	w, err := workload.New(workload.Config{Size: "exp(mean=1)"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := reg.Dispatch("local(T=1000000)")
	if err != nil {
		t.Fatal(err)
	}
	lambda := rho * 2 * (0.25 + 1) / 2 // the point's rate: ρ × nodes × mean speed
	a, move := (busy-idle)/0.25, perByte*bytes
	got := map[string]float64{}
	for _, c := range []struct {
		spec string
		want float64 // joules a job above the idle baseline
	}{
		{"none", a},
		{"energy(margin=1e9)", move},
		{"energy", a * (1 - math.Exp(-move/a))},
	} {
		m, err := reg.Migrate(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		cfg := Config{Model: scenario.Model{Nodes: 2, Speeds: []float64{0.25, 1}, Distances: []float64{0, 1}, Load: rho, Jobs: 100_000, Warmup: 10_000,
			Power: p, Workload: w, Dispatch: d, Migrate: m}, Costs: Costs{Latency: 0.01, JobBytes: bytes}}
		rs := replicate(t, 10, 41, cfg)
		e, half := meanCI(rs, func(r results.Result) float64 { return r.ClientEnergy / float64(r.JobsMeasured) })
		resp, halfR := meanCI(rs, func(r results.Result) float64 { return r.MeanResponse })
		want := idle/lambda + c.want
		got[c.spec] = e
		t.Logf("%s: phone and network %.3f ± %.3f J a job (model %.3f), response %.3f ± %.3f, %.3f moves a job", c.spec, e, half, want, resp, halfR, rs[0].MigrationsPerJob)
		if math.Abs(e-want) > 3*half || half > 0.02*want {
			t.Errorf("%s: %.3f ± %.3f J a job, model %.3f", c.spec, e, half, want)
		}
	}
	if aware := got["energy"]; aware >= got["none"] || aware >= got["energy(margin=1e9)"] {
		t.Errorf("energy-aware offloading spends %.3f J a job, never offloading %.3f, always %.3f: want less than both", aware, got["none"], got["energy(margin=1e9)"])
	}
}
