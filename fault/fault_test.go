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
