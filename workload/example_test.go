package workload_test

import (
	"fmt"

	"github.com/loadlab/loadlab/workload"
)

func ExampleParseDist() {
	d, err := workload.ParseDist("hyperexp(scv=4)")
	if err != nil {
		panic(err)
	}
	fmt.Println(d, d.Mean(), d.SCV())
	_, err = workload.ParseDist("bpareto(alpha=1.1, min=2, max=1)")
	fmt.Println(err)
	// Output:
	// hyperexp(mean=1, scv=4) 1 4
	// bpareto: parameter max: must be a finite number > min (2), got 1
}

func ExampleWorkload_Generator() {
	w, err := workload.New(workload.Config{
		Size:    "exp(mean=1)",
		Classes: []workload.ClassConfig{{Name: "web", Weight: 3}, {Name: "batch", Weight: 1, Size: "det(value=4)"}},
	})
	if err != nil {
		panic(err)
	}
	rate := w.RateFor(0.8, 10, 1) // load 0.8 on 10 speed-1 servers
	fmt.Printf("mean size %.2f, rate %.2f, sizes %s\n", w.MeanSize(), rate, w.SizeString())
	g := w.Generator(42, rate)
	for range 3 {
		j := g.Next()
		fmt.Printf("job %d at %.4f: %s, size %.4f\n", j.ID, j.Arrival, w.Classes()[j.Class], j.Size)
	}
	// Output:
	// mean size 1.75, rate 4.57, sizes mix(0.75*exp(mean=1), 0.25*det(value=4))
	// job 0 at 0.0735: batch, size 4.0000
	// job 1 at 0.4367: batch, size 4.0000
	// job 2 at 0.5442: web, size 0.7803
}
