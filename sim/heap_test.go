package sim

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// TestNodeTree changes random nodes' keys (idle ones and ties included)
// and checks the tree's top against a scan of every node after each
// change.
func TestNodeTree(t *testing.T) {
	for _, n := range []int{1, 2, 5, 17, 100} {
		inf := math.Inf(1)
		nh := newNodeTree(n, inf)
		keys := make([]float64, n)
		for i := range keys {
			keys[i] = inf
		}
		r := rand.New(rand.NewPCG(1, uint64(n)))
		for step := 0; step < 20000; step++ {
			id := int32(r.IntN(n))
			k := inf
			switch r.IntN(4) {
			case 0: // idle
			case 1: // a tie with another node
				k = keys[r.IntN(n)]
			default:
				k = float64(r.IntN(50))
			}
			keys[id] = k
			nh.set(id, k)

			want, wt := int32(0), inf
			for i, v := range keys {
				if v < wt {
					want, wt = int32(i), v
				}
			}
			got, gt := nh.top()
			if wt == inf { // every node idle: any of them may be on top
				got, want = 0, 0
			}
			if got != want || gt != wt {
				t.Fatalf("%d nodes, step %d: top is node %d at %g, want node %d at %g", n, step, got, gt, want, wt)
			}
		}
	}
}

// TestNodeSize holds the node's layout: one cache line, which every event
// at the node reads (node.go). A field added goes to extra, unless every
// event reads it.
func TestNodeSize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the layout is for 64-bit machines")
	}
	if got := unsafe.Sizeof(node{}); got != 64 {
		t.Errorf("node is %d bytes, want 64 (a million nodes' memory and cache misses depend on it)", got)
	}
}
