package workload_test

import (
	"fmt"

	"github.com/loadlab/loadlab/workload"
)

// A unit with 1 MB of code and a 64 MB state it rewrites at 8 MB per unit,
// moved over a link of 100 MB per unit with latency 0.01, after 2 units of
// work, by each method. Pre-copy sends 5 MB of code and input first, then
// rounds of 64, 5.12 and 0.41 MB (the dirty rate is 8% of the bandwidth),
// and stops for the last 33 KB; post-copy stops for 5.1 MB and pulls 63.9 MB
// at half speed.
func ExampleUnits_Migrate() {
	for _, method := range []workload.Method{workload.Weak, workload.StopAndCopy, workload.PreCopy, workload.PostCopy} {
		u, err := workload.NewUnits(workload.UnitConfig{
			Unit: workload.Unit{
				Code: workload.CodeSegment{Kernel: "matmul", Bytes: 1e6},
				Exec: workload.ExecSegment{State: 64e6, Dirty: 8e6, Context: 1e5},
				Resources: []workload.Resource{
					{Name: "input", Binding: workload.ByValue, Attachment: workload.Unattached, Bytes: 4e6},
				},
			},
			Mobility: workload.Mobility{Method: method, Slowdown: 2},
		}, []string{"default"})
		if err != nil {
			panic(err)
		}
		c, _, err := u.Migrate(workload.Migration{Progress: 2, Link: workload.Link{Bandwidth: 100e6, Latency: 0.01}})
		if err != nil {
			panic(err)
		}
		fmt.Printf("%-13s total %.4f downtime %.4f delay %.4f  %5.1f MB in %d rounds\n",
			c.Method, c.Total, c.Downtime, c.Delay, c.Bytes/1e6, c.Rounds)
	}
	// Output:
	// weak          total 0.7000 downtime 0.7000 delay 2.7000   69.0 MB in 0 rounds
	// stop-and-copy total 0.7000 downtime 0.7000 delay 0.7000   69.0 MB in 0 rounds
	// pre-copy      total 0.7556 downtime 0.0103 delay 0.0103   74.6 MB in 3 rounds
	// post-copy     total 0.7000 downtime 0.0610 delay 0.3805   69.0 MB in 0 rounds
}
