package workload

import "testing"

func BenchmarkGeneratorNext(b *testing.B) {
	w, err := New(Config{Arrival: "poisson", Size: "exp(mean=1)"})
	if err != nil {
		b.Fatal(err)
	}
	g := w.Generator(1, 1)
	var sum float64
	b.ReportAllocs()
	for b.Loop() {
		sum += g.Next().Size
	}
	if sum < 0 {
		b.Fatal(sum)
	}
}
