package stats_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/loadlab/loadlab/latency"
	"github.com/loadlab/loadlab/stats"
)

func ExampleMSER5() {
	// Response times that start 8 units high and settle to 2, with noise.
	rng := rand.New(rand.NewPCG(1, 2))
	xs := make([]float64, 10000)
	for i := range xs {
		xs[i] = 2 + 8*math.Exp(-float64(i)/300) + 0.5*rng.NormFloat64()
	}
	d, ok := stats.MSER5(xs)
	fmt.Println("delete the first", d, "observations:", ok)

	// The batch-means interval of what is left.
	b := latency.NewBatches(int64(len(xs)-d), 30)
	var sum float64
	for _, x := range xs[d:] {
		b.Add(x)
		sum += x
	}
	half, _ := b.HalfWidth()
	fmt.Printf("mean %.2f ± %.2f\n", sum/float64(len(xs)-d), half)
	// Output:
	// delete the first 1005 observations: true
	// mean 2.01 ± 0.02
}

func ExampleQuantileInterval() {
	// 1,000 response times 0.001, 0.002, …, 1: the interval of p99 runs
	// from the 983rd to the 997th, each read as the top of its histogram
	// bucket (3 significant digits).
	h := latency.New()
	for i := 1; i <= 1000; i++ {
		h.Record(float64(i) / 1000)
	}
	p99, lo, hi := stats.QuantileInterval(h, 0.99)
	fmt.Printf("p99 %.4f, 95%% interval [%.4f, %.4f]\n", p99, lo, hi)
	// Output: p99 0.9903, 95% interval [0.9831, 0.9975]
}

func ExamplePaired() {
	// Mean response times of two policies on the same five seeds.
	a := []float64{3.10, 4.02, 2.75, 3.61, 5.20}
	b := []float64{2.81, 3.70, 2.52, 3.30, 4.77}
	d, err := stats.Paired(a, b)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("a − b = %.3f ± %.3f, significant: %v\n", d.Mean, d.Half, d.Significant())

	// Taken separately, their intervals overlap.
	ma, ha := stats.TInterval(a)
	mb, hb := stats.TInterval(b)
	fmt.Printf("a %.2f ± %.2f, b %.2f ± %.2f\n", ma, ha, mb, hb)
	// Output:
	// a − b = 0.316 ± 0.090, significant: true
	// a 3.74 ± 1.18, b 3.42 ± 1.09
}

func ExampleMoreReplications() {
	// Five replications gave 4.0 ± 0.4 (±10%); the target is ±5%.
	c := stats.Cell{N: 5, Mean: 4.0, MeanHalf: 0.4}
	if stats.Imprecise(c, 0.05) {
		more := stats.MoreReplications(c.N, c.MeanHalf, 0.05*math.Abs(c.Mean))
		fmt.Println("run", more, "more replications")
	}
	// Output: run 8 more replications
}
