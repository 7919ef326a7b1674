package stats

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/loadlab/loadlab/latency"
	"github.com/loadlab/loadlab/results"
)

func TestTInterval(t *testing.T) {
	// n = 5: t(0.975, 4) = 2.776, s = √2.5.
	mean, half := TInterval([]float64{1, 2, 3, 4, 5})
	if mean != 3 || math.Abs(half-2.776445*math.Sqrt(2.5)/math.Sqrt(5)) > 1e-5 {
		t.Errorf("TInterval(1..5) = %v ± %v, want 3 ± %v", mean, half, 2.776445*math.Sqrt(2.5)/math.Sqrt(5))
	}
	// n = 2: t(0.975, 1) = 12.706.
	if _, half := TInterval([]float64{0, 2}); math.Abs(half-12.7062*math.Sqrt2/math.Sqrt2) > 1e-3 {
		t.Errorf("TInterval(0, 2) half = %v, want 12.706", half)
	}
	if mean, half := TInterval([]float64{7}); mean != 7 || half != 0 {
		t.Errorf("TInterval(7) = %v ± %v, want 7 ± 0", mean, half)
	}
	if mean, half := TInterval(nil); !math.IsNaN(mean) || half != 0 {
		t.Errorf("TInterval(nil) = %v ± %v, want NaN ± 0", mean, half)
	}
}

// TestTIntervalCoverage checks that the interval covers the true mean 95%
// of the time with 5 replications (a 1.96 z interval would cover ≈ 88%).
func TestTIntervalCoverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 7))
	const trials, mu = 2000, 10.0
	covered := 0
	xs := make([]float64, 5)
	for range trials {
		for i := range xs {
			xs[i] = mu + 3*rng.NormFloat64()
		}
		m, h := TInterval(xs)
		if math.Abs(m-mu) <= h {
			covered++
		}
	}
	if f := float64(covered) / trials; f < 0.93 || f > 0.97 {
		t.Errorf("coverage %.3f, want 0.93–0.97", f)
	}
}

func histOf(t *testing.T, vs ...float64) string {
	t.Helper()
	h := latency.New()
	for _, v := range vs {
		h.Record(v)
	}
	s, err := h.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSummarize(t *testing.T) {
	rec := func(w, pol string, load float64, rep int, mean float64, hist string) results.Record {
		return results.Record{
			Point: results.Point{Workload: w, Policy: pol, Load: load, Replication: rep, Seed: uint64(100 + rep)},
			Result: results.Result{
				MeanResponse: mean, P99Response: 10 * mean, CI95HalfWidth: 0.25,
				JobsIssued: 100, JobsCompleted: 98, JobsFailed: 2,
				MigrationsPerJob: mean / 10, ProbesPerJob: 1, BytesPerJob: 1000 * mean, Utilization: load,
				Histogram: hist,
			},
		}
	}
	h := histOf(t, 1, 2, 3)
	recs := []results.Record{
		rec("w2", "b", 0.9, 1, 4, h),
		rec("w2", "b", 0.9, 0, 2, h),
		rec("w2", "a", 0.5, 0, 1, "not a histogram"),
		rec("w1", "a", 0.9, 0, 3, ""),
		rec("w2", "b", 0.5, 0, 1, h),
		rec("w2", "b", 0.9, 2, 3, h),
		rec("w1", "c", 0.7, 0, 1, h),
	}
	cells := Summarize(recs)
	type key struct {
		w, p string
		l    float64
	}
	var got []key
	for _, c := range cells {
		got = append(got, key{c.Workload, c.Policy, c.Load})
	}
	want := []key{{"w1", "a", 0.9}, {"w1", "c", 0.7}, {"w2", "b", 0.5}, {"w2", "b", 0.9}, {"w2", "a", 0.5}}
	if len(got) != len(want) {
		t.Fatalf("cells %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("cells %v, want %v", got, want)
		}
	}

	c := cells[3] // w2, b, 0.9: replications 1, 0, 2 with means 4, 2, 3
	wantHalf := 4.302653 * 1 / math.Sqrt(3)
	if c.N != 3 || c.Mean != 3 || math.Abs(c.MeanHalf-wantHalf) > 1e-5 {
		t.Errorf("mean = %v ± %v over %d, want 3 ± %v over 3", c.Mean, c.MeanHalf, c.N, wantHalf)
	}
	if c.P99 != 30 || math.Abs(c.P99Half-10*wantHalf) > 1e-4 {
		t.Errorf("p99 = %v ± %v, want 30 ± %v", c.P99, c.P99Half, 10*wantHalf)
	}
	if c.JobsIssued != 300 || c.JobsCompleted != 294 || c.JobsFailed != 6 {
		t.Errorf("jobs %d/%d/%d, want 300/294/6", c.JobsIssued, c.JobsCompleted, c.JobsFailed)
	}
	if math.Abs(c.MigrationsPerJob-0.3) > 1e-12 || c.ProbesPerJob != 1 || c.ProbesPerJobHalf != 0 || c.BytesPerJob != 3000 || c.Utilization != 0.9 {
		t.Errorf("overheads %+v", c)
	}
	if c.Hist == nil || c.Hist.Count() != 9 {
		t.Errorf("merged histogram: %v", c.Hist)
	}
	if c.Point.Replication != 0 || c.Point.Seed != 100 {
		t.Errorf("point of replication %d, want 0", c.Point.Replication)
	}

	one := cells[0] // w1, a, 0.9: one replication, no histogram
	if one.N != 1 || one.Mean != 3 || one.MeanHalf != 0.25 || one.P99Half != 0 || one.Hist != nil {
		t.Errorf("single replication: N %d mean %v ± %v p99 ± %v hist %v", one.N, one.Mean, one.MeanHalf, one.P99Half, one.Hist)
	}
	if cells[4].Hist != nil {
		t.Error("an undecodable histogram gave a histogram")
	}

	if got := Policies(cells); len(got) != 3 || got[0] != "a" || got[1] != "c" || got[2] != "b" {
		t.Errorf("Policies = %v, want [a c b]", got)
	}
	if got := Workloads(cells); len(got) != 2 || got[0] != "w1" || got[1] != "w2" {
		t.Errorf("Workloads = %v, want [w1 w2]", got)
	}
	if Summarize(nil) != nil && len(Summarize(nil)) != 0 {
		t.Error("Summarize(nil) not empty")
	}
}
