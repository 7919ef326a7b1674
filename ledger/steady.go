package ledger

import "github.com/loadlab/loadlab/stats"

// steadyBins is the most groups the responses are averaged in for the
// warm-up check: enough for MSER to place a cut to within 1/steadyBins of
// the run, few enough to cost nothing at the end.
const steadyBins = 512

// steady tells where a point's responses settle: every completed job's
// response, the warm-up's included, is added to its group of consecutive
// jobs by ID (arrival order), and MSER (stats.MSER) finds the cut between
// transient and steady state over the groups' means. A group is a power
// of two of jobs, so a completion finds its group with a shift.
type steady struct {
	shift uint
	sum   []float64
	n     []int32
}

func newSteady(jobs int) steady {
	var shift uint
	for (1<<shift)*steadyBins < jobs {
		shift++
	}
	k := (jobs + 1<<shift - 1) >> shift
	return steady{shift: shift, sum: make([]float64, k), n: make([]int32, k)}
}

func (s *steady) add(id int64, response float64) {
	if i := id >> s.shift; id >= 0 && i < int64(len(s.sum)) {
		s.sum[i] += response
		s.n[i]++
	}
}

// bias is how much the transient shifts the mean response of the jobs
// from first on (the measured ones): their mean less the mean of those
// from job from (the steady state) on, over the groups that begin at or
// after each; 0 when from ≤ first.
func (s *steady) bias(first, from int64) float64 {
	if from <= first {
		return 0
	}
	var all, steady float64
	var nAll, nSteady int64
	for i, n := range s.n {
		start := int64(i) << s.shift
		if start < first || n == 0 {
			continue
		}
		all += s.sum[i]
		nAll += int64(n)
		if start >= from {
			steady += s.sum[i]
			nSteady += int64(n)
		}
	}
	if nAll == 0 || nSteady == 0 {
		return 0
	}
	return all/float64(nAll) - steady/float64(nSteady)
}

// from returns the first job (by ID) of the steady state that MSER finds
// over the groups with completions, and whether it found one: not when
// fewer than three groups have completions, or when the cut lies at the
// end of MSER's window (half the run), where the transient may last
// longer than the run.
func (s *steady) from() (job int64, found bool) {
	var means []float64
	var first []int64
	for i, n := range s.n {
		if n > 0 {
			means = append(means, s.sum[i]/float64(n))
			first = append(first, int64(i)<<s.shift)
		}
	}
	d, ok := stats.MSER(means, 1)
	if len(first) == 0 {
		return 0, false
	}
	return first[d], ok
}
