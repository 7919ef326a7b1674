package ledger

import "testing"

// BenchmarkNode is the cost of one node change as the simulator feeds it:
// per job, about three (arrival, start, completion) plus an Arrive and a
// Depart.
func BenchmarkNode(b *testing.B) {
	servers := make([]int, 100)
	for i := range servers {
		servers[i] = 1
	}
	l := New(Config{Servers: servers, Jobs: b.N + 1})
	b.ReportAllocs()
	t := 0.0
	for k := range b.N {
		t += 0.01
		i := k % 100
		l.Node(t, i, 1, 1+k%3)
	}
}
