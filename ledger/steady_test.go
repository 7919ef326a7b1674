package ledger

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSteady feeds responses with and without a transient, in a scrambled
// completion order, and checks where steady says they settle.
func TestSteady(t *testing.T) {
	const jobs = 100_000
	cases := []struct {
		name     string
		tau      float64 // the transient's time constant, in jobs (0: none)
		min, max int64   // where the steady state may start
		found    bool
	}{
		{"steady from the start", 0, 0, 2_000, true},
		{"transient of 3,000 jobs", 3_000, 6_000, 20_000, true},
		{"transient longer than the run", 200_000, 40_000, 50_000, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			s := newSteady(jobs)
			for _, id := range rng.Perm(jobs) {
				r := 1 + 0.5*rng.NormFloat64()
				if c.tau > 0 {
					r += 5 * math.Exp(-float64(id)/c.tau)
					if c.tau > jobs {
						r = 6 - 5*float64(id)/jobs // still falling at the end
					}
				}
				s.add(int64(id), r)
			}
			from, found := s.from()
			if from < c.min || from > c.max || found != c.found {
				t.Errorf("from, found = %d, %v; want %d…%d, %v", from, found, c.min, c.max, c.found)
			}
		})
	}
}

// TestSteadyBins: groups are powers of two of jobs, at most steadyBins of
// them, covering every job; IDs beyond the groups are ignored.
func TestSteadyBins(t *testing.T) {
	for _, jobs := range []int{1, 511, 512, 513, 100_000, 1 << 20} {
		s := newSteady(jobs)
		if len(s.sum) > steadyBins || len(s.sum)<<s.shift < jobs || (len(s.sum)-1)<<s.shift >= jobs {
			t.Errorf("jobs %d: %d groups of %d", jobs, len(s.sum), 1<<s.shift)
		}
		s.add(-1, 1)
		s.add(int64(len(s.sum))<<s.shift, 1)
		for _, n := range s.n {
			if n != 0 {
				t.Errorf("jobs %d: an ID out of range was counted", jobs)
			}
		}
	}
}

// TestSteadyBias: responses of 3 for the first 20,000 jobs and 1 after
// shift the mean of the measured jobs (from 10,000) above that of the
// steady state's, as a direct count over the same groups says.
func TestSteadyBias(t *testing.T) {
	s := newSteady(100_000)
	for id := range 100_000 {
		r := 1.0
		if id < 20_000 {
			r = 3
		}
		s.add(int64(id), r)
	}
	from, found := s.from()
	if !found || from < 19_000 || from > 21_000 {
		t.Fatalf("from, found = %d, %v; want about 20000, true", from, found)
	}
	// Groups of 256 jobs: the first measured group begins at 10,240.
	first := int64(10_000)
	mean := func(from int64) float64 {
		sum := 0.0
		for id := from; id < 100_000; id++ {
			sum += 1 + 2*float64(min(1, max(0, 20_000-id)))
		}
		return sum / float64(100_000-from)
	}
	want := mean(10_240) - mean(from)
	if got := s.bias(first, from); math.Abs(got-want) > 1e-9 {
		t.Errorf("bias %g, want %g", got, want)
	}
	if got := s.bias(first, first); got != 0 {
		t.Errorf("bias with the steady state from the warm-up: %g, want 0", got)
	}
}
