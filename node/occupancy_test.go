package node

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/loadlab/loadlab/ledger"
	"github.com/loadlab/loadlab/node/executor"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/sim"
)

func TestOccupancyCodec(t *testing.T) {
	c := clock{epoch: time.Unix(1_700_000_000, 0), unit: 10 * time.Millisecond}
	at := func(ms int) time.Time { return c.epoch.Add(time.Duration(ms) * time.Millisecond) }
	levels := []executor.Level{{At: at(-5), Held: 1, Serving: 1}, {At: at(20), Held: 3, Serving: 1}, {At: at(25), Held: 2, Serving: 1}, {At: at(1000), Held: 0, Serving: 0}}
	got, err := decodeOccupancy(encodeOccupancy(levels, c.epoch), c, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	want := []ledger.Change{{T: -1, Busy: 1, Present: 1}, {T: 1.5, Busy: 1, Present: 3}, {T: 2, Busy: 1, Present: 2}, {T: 99.5, Busy: 0, Present: 0}}
	if !slices.Equal(got, want) {
		t.Errorf("decoded %v, want %v", got, want)
	}
	if _, err := decodeOccupancy(encodeOccupancy(levels, c.epoch)[:5], c, 0); err == nil {
		t.Error("a truncated log decoded without error")
	}
}

// TestLocalOccupancyMatchesSim runs one point on real agents and in the
// simulator. Same seed, same arrivals, sizes and random dispatch choices:
// the agents follow the simulator's sample path up to their timing errors,
// so their utilisation, TLP and wait while idle, over the same window,
// must agree with the simulator's run of that seed within the 95% interval
// of the simulator's replications (ten other seeds). Their mean number in
// system counts jobs from their scheduled arrival, so it carries the
// dispatch delay the simulator does not model: it is held to Little's law
// instead. A 20 ms unit keeps the agents' timing errors (dispatch and
// emulation lag, a few ms on a busy machine) small beside a service time.
func TestLocalOccupancyMatchesSim(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster")
	}
	cfg := localPoint(t, 4, "random", "none", 0.8, 1200, 20*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	real, err := RunLocal(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("agents: mean response %.3f, dispatch delay %.4f, schedule lag p99 %.4f, emulation lag p99 %.4f, service error %+.2f%%",
		real.MeanResponse, real.DispatchDelay, real.ScheduleLagP99, real.EmulationLag, 100*real.ServiceError)
	// Jobs reached the agents or ended 100 ms late: the machine is
	// too busy for the agents to follow the simulator's sample path,
	// and a comparison would measure the machine's load.
	skipIfLate(t, real, 5)
	if real.JobsFailed != 0 {
		t.Fatalf("%d jobs failed: %v", real.JobsFailed, real.Failures)
	}
	simRun := func(seed uint64) [4]float64 {
		sc := sim.Config{Model: scenario.Model{Nodes: cfg.Nodes, Load: cfg.Load, Jobs: cfg.Jobs, Warmup: cfg.Warmup, Seed: seed, Workload: cfg.Workload, Dispatch: cfg.Dispatch, Migrate: cfg.Migrate}}
		r, err := sim.Run(ctx, sc)
		if err != nil {
			t.Fatal(err)
		}
		return [4]float64{r.Utilization, r.TLP, r.MeanInSystem, r.WaitWhileIdle}
	}
	names := []string{"utilization", "tlp", "mean in system", "wait while idle"}
	same := simRun(cfg.Seed)
	const reps = 10
	var sum, sum2 [4]float64
	for k := range reps {
		v := simRun(cfg.Seed + 1 + uint64(k))
		for m := range v {
			sum[m] += v[m]
			sum2[m] += v[m] * v[m]
		}
	}
	got := [4]float64{real.Utilization, real.TLP, real.MeanInSystem, real.WaitWhileIdle}
	for m, name := range names {
		if name == "mean in system" {
			continue // Little's law below
		}
		mean := sum[m] / reps
		half := 2.262 * math.Sqrt((sum2[m]-reps*mean*mean)/(reps-1)) / math.Sqrt(reps)
		t.Logf("%-15s agents %.4f, simulator same seed %.4f, other seeds %.4f ± %.4f", name, got[m], same[m], mean, half)
		if math.Abs(got[m]-same[m]) > half {
			t.Errorf("%s: agents %.4f, simulator %.4f: apart by more than the simulator's interval ± %.4f", name, got[m], same[m], half)
		}
	}
	lw := real.ArrivalRate * real.MeanResponse
	t.Logf("mean in system: agents %.3f (λW %.3f), simulator same seed %.3f", real.MeanInSystem, lw, same[2])
	if rel := math.Abs(real.MeanInSystem-lw) / lw; rel > 0.05 {
		t.Errorf("agents' Little's law: L = %.3f, λW = %.3f (off by %.1f%%)", real.MeanInSystem, lw, 100*rel)
	}
}
