package analysis_test

import (
	"fmt"

	"github.com/loadlab/loadlab/stats"
)

func ExampleMM1() {
	// Mean response time of one server at 90% load, in mean service times.
	fmt.Printf("%.1f\n", stats.MM1(0.9))
	// Output: 10.0
}

func ExampleSupermarket() {
	// Joining the shorter of two sampled queues at 90% load, against one
	// random queue (d = 1, M/M/1).
	fmt.Printf("d=1: %.3f\n", stats.Supermarket(0.9, 1))
	fmt.Printf("d=2: %.3f\n", stats.Supermarket(0.9, 2))
	// Output:
	// d=1: 10.000
	// d=2: 2.614
}

func ExampleTInterval() {
	mean, half := stats.TInterval([]float64{9.1, 10.4, 9.8, 10.9, 9.6})
	fmt.Printf("%.2f ± %.2f\n", mean, half)
	// Output: 9.96 ± 0.87
}
