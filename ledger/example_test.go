package ledger_test

import (
	"fmt"

	"github.com/loadlab/loadlab/ledger"
)

func ExampleReplay() {
	// Two single-server nodes: node 0 holds a second job, waiting, over
	// [2, 6) while node 1 stays idle; the window is [0, 10).
	nodes := [][]ledger.Change{{{T: 0, Busy: 1, Present: 1}, {T: 2, Busy: 1, Present: 2}, {T: 6, Busy: 1, Present: 1}, {T: 8, Busy: 0, Present: 0}}, nil}
	log := ledger.Log{Nodes: nodes, Arrivals: []float64{0, 2, 10},
		Ends: []ledger.End{{T: 6, ID: 0, Arrival: 0, Service: 6, Size: 6}, {T: 8, ID: 1, Arrival: 2, Service: 2, Size: 2}}}
	st := ledger.Replay(ledger.Config{Servers: []int{1, 1}, Jobs: 3}, log).Stats(10)
	fmt.Printf("utilization %.2f, wait while idle %.2f\n", st.Utilization, st.WaitWhileIdle)
	// Output: utilization 0.40, wait while idle 0.40
}
