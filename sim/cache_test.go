package sim

import (
	"context"
	"math"
	"testing"

	"github.com/loadlab/loadlab/cache"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/workload"
)

// TestCaches holds node caches to a model. 16 nodes each keep their 400
// most recently used of 10,000 Zipf-popular keys (s = 1.1); a hit takes
// exp(mean=0.2), a miss exp(mean=1).
//
//   - Load-only dispatch (random, pod(d=2), leastconn) sends every key to
//     every node, so each node's cache sees all keys as independent
//     requests: its hit rate is Che's approximation for the whole key
//     popularity (cache.Che).
//   - A request's mean CPU is h·E[hit] + (1 − h)·E[miss], h the hit rate.
//   - At light load a request hardly waits, so content-aware dispatch
//     (hash with bounded loads, LARD) beats pod(d=2) by what their hit
//     rates imply: the difference of their mean responses is the
//     difference of their hit rates times E[miss] − E[hit], within 10%.
func TestCaches(t *testing.T) {
	w, err := workload.New(workload.Config{Size: "exp(mean=1)", Hit: "exp(mean=0.2)", Keys: "zipf(n=10000, s=1.1)"})
	if err != nil {
		t.Fatal(err)
	}
	lru, _ := cache.Parse("lru(entries=400)")
	che := cache.Che(w.KeyPopularity(), 400)
	run := func(dispatch string) results.Result {
		t.Helper()
		cfg := config(t, Config{Model: scenario.Model{Nodes: 16, Load: 0.2, Jobs: 200_000, Warmup: 40_000, Seed: 3, Workload: w, Cache: lru}}, dispatch, "none", "")
		r, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		cpu := r.CacheHitRate*0.2 + (1-r.CacheHitRate)*1
		t.Logf("%-10s hit rate %.4f (Che %.4f), mean CPU %.4f (model %.4f), mean response %.4f", dispatch, r.CacheHitRate, che, r.MeanCPU, cpu, r.MeanResponse)
		if math.Abs(r.MeanCPU-cpu) > 0.02*cpu {
			t.Errorf("%s: mean CPU %.4f, the hit rate %.4f implies %.4f", dispatch, r.MeanCPU, r.CacheHitRate, cpu)
		}
		return r
	}
	for _, d := range []string{"random", "leastconn"} {
		if r := run(d); math.Abs(r.CacheHitRate-che) > 0.02 {
			t.Errorf("%s: hit rate %.4f, Che's approximation %.4f", d, r.CacheHitRate, che)
		}
	}
	pod := run("pod(d=2)")
	if math.Abs(pod.CacheHitRate-che) > 0.02 {
		t.Errorf("pod(d=2): hit rate %.4f, Che's approximation %.4f", pod.CacheHitRate, che)
	}
	for _, d := range []string{"hash(eps=0.25)", "lard"} {
		r := run(d)
		gain, implied := pod.MeanResponse-r.MeanResponse, (r.CacheHitRate-pod.CacheHitRate)*(1-0.2) // each hit more saves E[miss] − E[hit]
		t.Logf("%s beats pod(d=2) by %.4f; their hit rates imply %.4f", d, gain, implied)
		if !(r.CacheHitRate > che+0.1) || math.Abs(gain-implied) > 0.1*implied {
			t.Errorf("%s: hit rate %.4f (pod(d=2) %.4f); response %.4f below pod(d=2)'s, the hit rates imply %.4f", d, r.CacheHitRate, pod.CacheHitRate, gain, implied)
		}
	}
}
