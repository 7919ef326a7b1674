package sim

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The baseline is the least a discrete-event simulation of the benchmarks'
// model does: Poisson arrivals dispatched at random to FCFS nodes with
// exponential sizes, one binary heap of value events, a FIFO of arrival
// times per node, and the mean response. No policies, no statistics beyond
// a sum, no features. Benchmark it next to the simulator to see what the
// simulator's generality costs (docs/BENCHMARKS.md):
//
//	go test ./sim -run '^$' -bench 'MM1|Random100' -benchtime 5000000x

type baseEvent struct {
	t    float64
	node int32 // -1: the next arrival
}

type baseHeap []baseEvent

func (h *baseHeap) push(e baseEvent) {
	*h = append(*h, e)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if s[p].t <= s[i].t {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *baseHeap) pop() baseEvent {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for i := 0; ; {
		m, l := i, 2*i+1
		if l < last && s[l].t < s[m].t {
			m = l
		}
		if r := l + 1; r < last && s[r].t < s[m].t {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}

// baseline simulates jobs jobs on nodes nodes at load rho and returns their
// mean response time (from time 0: no warm-up is left out).
func baseline(nodes, jobs int, rho float64) float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	rate := rho * float64(nodes)
	q := make([]fifo[float64], nodes) // each node's arrival times
	h := make(baseHeap, 0, nodes+1)
	h.push(baseEvent{rng.ExpFloat64() / rate, -1})
	sum, done := 0.0, 0
	for done < jobs {
		e := h.pop()
		if e.node < 0 {
			h.push(baseEvent{e.t + rng.ExpFloat64()/rate, -1})
			n := int32(rng.IntN(nodes))
			q[n].push(e.t)
			if q[n].size == 1 {
				h.push(baseEvent{e.t + rng.ExpFloat64(), n})
			}
			continue
		}
		sum += e.t - q[e.node].pop()
		done++
		if q[e.node].size > 0 {
			h.push(baseEvent{e.t + rng.ExpFloat64(), e.node})
		}
	}
	return sum / float64(done)
}

func benchBaseline(b *testing.B, nodes int) {
	b.ReportAllocs()
	b.ResetTimer()
	mean := baseline(nodes, max(b.N, 1000), 0.9)
	b.StopTimer()
	b.ReportMetric(float64(max(b.N, 1000))/b.Elapsed().Seconds(), "jobs/s")
	// Each node is an M/M/1 queue at ρ = 0.9: mean response 10. A long
	// run that is far from it is not the model the simulator runs (a
	// million nodes started empty are still filling: not checked).
	if b.N >= 1_000_000 && nodes <= 1000 && math.Abs(mean-10)/10 > 0.1 {
		b.Fatalf("baseline mean response %.3f, want 10 within 10%%", mean)
	}
}

func BenchmarkBaselineMM1(b *testing.B)       { benchBaseline(b, 1) }
func BenchmarkBaselineRandom100(b *testing.B) { benchBaseline(b, 100) }

// BenchmarkMM1 is the simulator on the baseline's M/M/1.
func BenchmarkMM1(b *testing.B) { benchRun(b, 1, "random", "none", Costs{}) }

// TestBaselineMM1 keeps the baseline honest: it is the model it claims.
func TestBaselineMM1(t *testing.T) {
	if got := baseline(1, 400_000, 0.5); math.Abs(got-2) > 0.1 {
		t.Fatalf("M/M/1 at ρ = 0.5: mean response %.3f, want 2 ± 0.1", got)
	}
}

func BenchmarkBaselineRandomMillion(b *testing.B) { benchBaseline(b, 1_000_000) }
func BenchmarkRandomMillion(b *testing.B)         { benchRun(b, 1_000_000, "random", "none", Costs{}) }
