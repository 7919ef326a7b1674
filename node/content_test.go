package node

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/loadlab/loadlab/cache"
	"github.com/loadlab/loadlab/front"
	"github.com/loadlab/loadlab/node/wire"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/workload"
)

// contentPoint is a point of 8 agents (20 ms unit: on two busy cores a
// goroutine wakes a millisecond or more late at times, a tenth of a
// request that hits its cache at 10 ms) with dispatch, the
// workload wc, front end fe and cache kc ("": none).
func contentPoint(t *testing.T, dispatch string, wc workload.Config, fe, kc string, load float64, jobs int) PointConfig {
	t.Helper()
	if raceScale > 1 {
		jobs /= raceScale // the same wall time at a unit raceScale times longer
	}
	cfg := agentPoint(t, dispatch, wc, load, jobs, 7, raceScale*20*time.Millisecond)
	var err error
	if cfg.Front, err = front.Parse(fe); err != nil {
		t.Fatal(err)
	}
	if cfg.Cache, err = cache.Parse(kc); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// agree runs cfg on real agents and in the simulator calibrated with what
// they measured, and checks that every metric agrees within 10%.
func agree(t *testing.T, cfg PointConfig, metrics map[string]func(results.Result) float64) (real, sim results.Result) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	real, err := RunLocal(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sim, err = calibratedSim(ctx, cfg, real)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("response real %.4f sim %.4f (%+.1f%%); front utilisation %.4f / %.4f, front time %.4f / %.4f; hit rate %.4f / %.4f; dispatch delay %.4f; service error %+.3f; schedule lag p99 %.3f, emulation lag p99 %.3f",
		real.MeanResponse, sim.MeanResponse, 100*(real.MeanResponse/sim.MeanResponse-1), real.FrontUtilization, sim.FrontUtilization,
		real.FrontTime, sim.FrontTime, real.CacheHitRate, sim.CacheHitRate, real.DispatchDelay, real.ServiceError, real.ScheduleLagP99, real.EmulationLag)
	// Arrivals or ends 20 ms late (raceScale times that under -race): on a
	// quiet machine these points show schedule lags of 0.28–0.67 units of
	// 20 ms at p99. A busy one (other tests and benchmarks beside them)
	// gave 1.19 units and a response 11.8% above the simulator's.
	skipIfLate(t, real, float64(raceScale*20*time.Millisecond)/float64(cfg.TimeUnit))
	if real.JobsFailed != 0 || real.JobsCompleted != int64(cfg.Jobs) {
		t.Fatalf("%d jobs completed, %d failed: %v", real.JobsCompleted, real.JobsFailed, real.Failures)
	}
	if raceScale > 1 {
		// The race detector's cost per step is not the machine's and a
		// fifth of the requests says little: the points run for their
		// races and their conservation of jobs, not for agreement.
		return real, sim
	}
	for name, m := range metrics {
		if d := math.Abs(m(real)/m(sim) - 1); !(d <= 0.1) {
			t.Errorf("%s: agents %.4f, calibrated simulator %.4f: %.1f%% apart, want within 10%%", name, m(real), m(sim), 100*d)
		}
	}
	return real, sim
}

func meanResponse(r results.Result) float64     { return r.MeanResponse }
func frontUtilization(r results.Result) float64 { return r.FrontUtilization }
func cacheHitRate(r results.Result) float64     { return r.CacheHitRate }

// TestFrontEndAgreesWithSimulator runs a front end on 8 real agents (20 ms
// unit, 1,500 requests) at load 0.5, relaying and handing off, with one and two front
// ends, and the same points in the simulator calibrated with the measured
// dispatch delay: mean response and front-end utilisation agree within
// 10%.
func TestFrontEndAgreesWithSimulator(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real clusters")
	}
	wc := workload.Config{Size: "exp(mean=1)", Response: "exp(mean=5000)"}
	for _, fe := range []string{"relay(request=0.02, byte=1e-5)", "handoff(request=0.05, handoff=0.03)", "relay(request=0.04, byte=2e-5, n=2)"} {
		t.Run(fmt.Sprint(fe), func(t *testing.T) {
			agree(t, contentPoint(t, "random", wc, fe, "", 0.5, 1500), map[string]func(results.Result) float64{
				"mean response": meanResponse, "front utilisation": frontUtilization})
		})
	}
}

// TestLocalityAgreesWithSimulator runs caches of keys on 8 real agents
// (20 ms unit, 1,500 requests, 3,000 with LARD and hash) at load 0.5: Zipf keys, each agent's cache keeps 50 keys
// (lru), a hit takes exp(mean=0.2), a miss exp(mean=1). With content-aware
// dispatch (hash with bounded loads, LARD) and load-only dispatch
// (pod(d=2)), the hit rate and the mean response agree with the
// simulator's, calibrated with the measured dispatch delay, within 10%.
func TestLocalityAgreesWithSimulator(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real clusters")
	}
	wc := workload.Config{Size: "exp(mean=1)", Hit: "exp(mean=0.2)", Keys: "zipf(n=1000, s=1.1)"}
	for _, tc := range []struct {
		dispatch string
		jobs     int
	}{
		// LARD places a key first where the fewest requests are in flight
		// at that moment, and bounded-load hashing moves a key off a node
		// holding more than its bound, both of which the agents' timing
		// changes: their keys' homes differ from the simulator's, two
		// samples of one system rather than one sample path, so they get
		// twice the requests. (With 1,500, hash was +1.6% to +7.0% in six
		// quiet runs and +10.9% once in forty.)
		{"hash(eps=0.25)", 3000}, {"lard", 3000}, {"pod(d=2)", 1500},
	} {
		t.Run(tc.dispatch, func(t *testing.T) {
			agree(t, contentPoint(t, tc.dispatch, wc, "", "lru(entries=50)", 0.5, tc.jobs), map[string]func(results.Result) float64{
				"mean response": meanResponse, "cache hit rate": cacheHitRate})
		})
	}
}

// TestKeyCacheAdmit: an agent looks a job's key up once, where it is first
// admitted; a hit serves the job's hit size; no cache looks nothing up.
func TestKeyCacheAdmit(t *testing.T) {
	k, err := newKeyCache("lru(entries=1)")
	if err != nil {
		t.Fatal(err)
	}
	none, _ := newKeyCache("")
	for _, tc := range []struct {
		name   string
		k      *keyCache
		job    wire.Job
		lookup uint8
		size   float64
	}{
		{"cold", k, wire.Job{Key: 3, Size: 1, Hit: 0.2}, wire.LookupMiss, 1},
		{"warm", k, wire.Job{Key: 3, Size: 1, Hit: 0.2}, wire.LookupHit, 0.2},
		{"moved here", k, wire.Job{Key: 3, Size: 1, Hit: 0.2, Hops: 1}, wire.LookupNone, 1},
		{"looked up already", k, wire.Job{Key: 3, Size: 1, Hit: 0.2, Lookup: wire.LookupMiss}, wire.LookupMiss, 1},
		{"evicted", k, wire.Job{Key: 4, Size: 1, Hit: 0.2}, wire.LookupMiss, 1},
		{"evicted key comes back", k, wire.Job{Key: 3, Size: 1, Hit: 0.2}, wire.LookupMiss, 1},
		{"no cache", none, wire.Job{Key: 3, Size: 1, Hit: 0.2}, wire.LookupNone, 1},
	} {
		j := tc.job
		tc.k.admit(&j)
		if j.Lookup != tc.lookup || j.Size != tc.size {
			t.Errorf("%s: lookup %d, size %v; want %d, %v", tc.name, j.Lookup, j.Size, tc.lookup, tc.size)
		}
	}
	if _, err := newKeyCache("lru(entries=0)"); err == nil {
		t.Error("a cache of 0 entries was made")
	}
	if b := responseBody(1e12); len(b) != maxBody {
		t.Errorf("a response of 1e12 bytes has a body of %d, want the most a frame carries, %d", len(b), maxBody)
	}
}
