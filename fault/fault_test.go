package fault

import (
	"math"
	"testing"
)

// TestFault checks the canonical form, which point keys depend on, and
// when each fault ends.
func TestFault(t *testing.T) {
	for _, tc := range []struct {
		f    Fault
		want string
		end  float64
	}{
		{Fault{At: 100, Kind: Slow, Nodes: []int{1}, Factor: 4}, "slow(at=100, nodes=1, factor=4)", math.Inf(1)},
		{Fault{At: 50, Kind: Partition, Nodes: []int{0, 1}, Peers: []int{2, 3}, Duration: 20}, "partition(at=50, nodes=0+1, peers=2+3, duration=20)", 70},
		{Fault{At: 5, Kind: Kill, Nodes: []int{2}, Duration: 3}, "kill(at=5, nodes=2, duration=3)", math.Inf(1)},
		{Fault{At: 500, Kind: Evacuate, Nodes: []int{0}, Method: "pre-copy"}, "evacuate(at=500, nodes=0, method=pre-copy)", math.Inf(1)},
		{Fault{At: 500, Kind: Evacuate, Nodes: []int{0, 3}, Duration: 200}, "evacuate(at=500, nodes=0+3, duration=200)", 700},
	} {
		if got := tc.f.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
		if got := tc.f.End(); got != tc.end {
			t.Errorf("%s: End() = %g, want %g", tc.want, got, tc.end)
		}
	}
}

func TestHolds(t *testing.T) {
	pause := Fault{Kind: Pause, At: 100, Duration: 50, Nodes: []int{1, 3}}
	for _, tc := range []struct {
		f        Fault
		node     int
		from, to float64
		want     bool
	}{
		{pause, 1, 90, 110, true},
		{pause, 3, 120, 130, true},
		{pause, 1, 149, 200, true},
		{pause, 1, 90, 99, false},   // before
		{pause, 1, 151, 160, false}, // after
		{pause, 2, 90, 160, false},  // another node
		{Fault{Kind: Drop, At: 0, Duration: 10, Nodes: []int{0}, Fraction: 0.5}, 0, 5, 6, true},
		{Fault{Kind: Delay, At: 0, Duration: 10, Nodes: []int{0}, Fraction: 1, Delay: 4}, 0, 5, 6, true},
		{Fault{Kind: Slow, At: 0, Nodes: []int{0}, Factor: 2}, 0, 5, 6, false},         // acts on work, not messages
		{Fault{Kind: Partition, At: 0, Duration: 10, Nodes: []int{0}}, 0, 5, 6, false}, // between nodes, not from the coordinator
	} {
		if got := tc.f.Holds(tc.node, tc.from, tc.to); got != tc.want {
			t.Errorf("%v.Holds(%d, %g, %g) = %v, want %v", tc.f, tc.node, tc.from, tc.to, got, tc.want)
		}
	}
}
