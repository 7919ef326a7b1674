package sim_test

import (
	"context"
	"fmt"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/sim"
	"github.com/loadlab/loadlab/workload"
)

// Simulate power-of-two dispatch on 100 nodes at ρ = 0.9 and compare with
// the supermarket limit Σ ρ^(2^i − 2) ≈ 2.61.
func ExampleRun() {
	reg := policy.Builtin()
	d, _ := reg.Dispatch("pod(d=2)")
	m, _ := reg.Migrate("none")
	w, _ := workload.New(workload.Config{Arrival: "poisson", Size: "exp(mean=1)"})
	r, err := sim.Run(context.Background(), sim.Config{Model: scenario.Model{Nodes: 100, Load: 0.9, Jobs: 500000, Seed: 1, Workload: w, Dispatch: d, Migrate: m}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("completed %d of %d, %.0f probes per job, mean response %.1f\n",
		r.JobsCompleted, r.JobsIssued, r.ProbesPerJob, r.MeanResponse)
	// Output: completed 500000 of 500000, 2 probes per job, mean response 2.7
}
