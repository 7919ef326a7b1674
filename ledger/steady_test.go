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
