package topology_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/topology"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		spec, want string
		sites      int
		lat        [][3]float64 // from, to, latency
		err        string
	}{
		{spec: "lan", want: "lan(latency=0, bandwidth=0)", sites: 1, lat: [][3]float64{{0, 0, 0}}},
		{spec: "lan(latency=0.1)", want: "lan(latency=0.1, bandwidth=0)", sites: 1, lat: [][3]float64{{0, 0, 0.1}}},
		{spec: "ring(n=6, hop=2, local=0.1)", want: "ring(n=6, hop=2, local=0.1, bandwidth=0)", sites: 6,
			lat: [][3]float64{{0, 0, 0.1}, {0, 1, 2.1}, {0, 3, 6.1}, {0, 5, 2.1}, {4, 1, 6.1}, {2, 5, 6.1}}},
		{spec: "torus(x=4, y=3)", want: "torus(x=4, y=3, hop=1, local=0, bandwidth=0)", sites: 12,
			lat: [][3]float64{{0, 1, 1}, {0, 3, 1}, {0, 4, 1}, {0, 8, 1}, {0, 10, 3}, {5, 11, 3}}},
		{spec: "hypercube(d=3, hop=0.5)", want: "hypercube(d=3, hop=0.5, local=0, bandwidth=0)", sites: 8,
			lat: [][3]float64{{0, 7, 1.5}, {3, 5, 1}, {6, 6, 0}}},
		{spec: "fattree(k=4, hop=0.01)", want: "fattree(k=4, hop=0.01, bandwidth=0)", sites: 8,
			lat: [][3]float64{{0, 0, 0.02}, {0, 1, 0.04}, {0, 2, 0.06}, {7, 6, 0.04}}},
		{spec: "sites(latency=[0.1, 3, 5, 0.1])", want: "sites(latency=[0.1,3,5,0.1], bandwidth=[0], clients=[], nodes=[])", sites: 2,
			lat: [][3]float64{{0, 1, 3}, {1, 0, 5}}},
		{spec: "switch", err: `unknown topology "switch": known are fattree, hypercube, lan, ring, sites, torus`},
		{spec: "ring", err: "ring: parameter n (sites, >= 1) is required"},
		{spec: "ring(n=0)", err: "ring: parameter n: must be between 1 and 1024, got 0"},
		{spec: "ring(n=3, hop=-1)", err: "ring: parameter hop: must be a finite number >= 0, got -1"},
		{spec: "torus(x=100, y=100)", err: "torus: parameter y: x·y must be at most 1024 sites"},
		{spec: "hypercube(d=11)", err: "hypercube: parameter d: must be between 0 and 10"},
		{spec: "fattree(k=3)", err: "fattree: parameter k: must be even"},
		{spec: "sites(latency=[1,2,3])", err: "sites: parameter latency: want S×S numbers"},
		{spec: "sites(latency=[0,-1,1,0])", err: "entry 1 (from site 0 to site 1) is -1, want >= 0"},
		{spec: "sites(latency=[0,1,1,0], bandwidth=[1,2])", err: "sites: parameter bandwidth: want one number or S×S = 4, got 2"},
		{spec: "sites(latency=[0,1,1,0], clients=[1,2,3])", err: "sites: parameter clients: want R×S numbers (R regions, S = 2 sites), got 3"},
		{spec: "sites(latency=[0,1,1,0], nodes=[2])", err: "sites: parameter nodes: want one count per site (2), got 1"},
		{spec: "sites(latency=[0,1,1,0], nodes=[2, 0.5])", err: "site 1 has 0.5 nodes"},
	} {
		top, err := topology.Parse(tc.spec)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want one containing %q", tc.spec, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.spec, err)
			continue
		}
		if top.String() != tc.want || top.Sites() != tc.sites || top.Regions() != tc.sites {
			t.Errorf("%s: %s with %d sites, %d regions; want %s, %d, %d", tc.spec, top, top.Sites(), top.Regions(), tc.want, tc.sites, tc.sites)
		}
		for _, l := range tc.lat {
			a, b := int(l[0]), int(l[1])
			if got := top.Latency(a, b); got != l[2] {
				t.Errorf("%s: latency %d→%d %v, want %v", tc.spec, a, b, got, l[2])
			}
			if got := top.Client(a, b); got != l[2] {
				t.Errorf("%s: region %d to site %d %v, want %v (region r at site r)", tc.spec, a, b, got, l[2])
			}
		}
		again, err := topology.Parse(top.String())
		if err != nil || again.String() != top.String() {
			t.Errorf("%s: canonical form %s parses to %v, %v", tc.spec, top, again, err)
		}
	}
	if top, err := topology.Parse(""); top != nil || err != nil {
		t.Errorf(`"": %v, %v; want none`, top, err)
	}
}

// TestSymmetric checks that every generated topology's hop count is a
// distance: 0 to itself (only local), symmetric, and obeying the
// triangle inequality.
func TestSymmetric(t *testing.T) {
	for _, spec := range []string{"ring(n=7)", "torus(x=3, y=5)", "hypercube(d=4)", "fattree(k=6)"} {
		top, err := topology.Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		n := top.Sites()
		for i := range n {
			for j := range n {
				if top.Latency(i, j) != top.Latency(j, i) {
					t.Errorf("%s: latency %d→%d %v, back %v", spec, i, j, top.Latency(i, j), top.Latency(j, i))
				}
				for k := range n {
					if top.Latency(i, k) > top.Latency(i, j)+top.Latency(j, k) {
						t.Errorf("%s: %d→%d longer than through %d", spec, i, k, j)
					}
				}
			}
		}
	}
}

func TestPlace(t *testing.T) {
	ring, _ := topology.Parse("ring(n=3)")
	if got, _ := ring.Place(7); !slices.Equal(got, []int{0, 0, 0, 1, 1, 2, 2}) {
		t.Errorf("ring(n=3) over 7 nodes: %v", got)
	}
	if _, err := ring.Place(2); err == nil || !strings.Contains(err.Error(), "ring has 3 sites: give at least 3 nodes, got 2") {
		t.Errorf("ring(n=3) over 2 nodes: %v", err)
	}
	s, _ := topology.Parse("sites(latency=[0,1,1,0], nodes=[1,3], clients=[1,2, 3,4, 5,6])")
	if got, _ := s.Place(4); !slices.Equal(got, []int{0, 1, 1, 1}) {
		t.Errorf("nodes=[1,3]: %v", got)
	}
	if _, err := s.Place(5); err == nil || !strings.Contains(err.Error(), "sites puts 4 nodes on its sites (nodes=[1 3]): give nodes: 4") {
		t.Errorf("nodes=[1,3] over 5 nodes: %v", err)
	}
	if got := s.Reach([]int{0, 1, 1, 1}); s.Regions() != 3 || !slices.Equal(got[2], []float64{5, 6, 6, 6}) {
		t.Errorf("reach of region 2: %v (%d regions)", got, s.Regions())
	}
}

func TestLay(t *testing.T) {
	s, _ := topology.Parse("sites(latency=[0.5,4,4,0.5], bandwidth=[0,100,200,0], nodes=[1,3], clients=[1,2, 3,4])")
	l, err := s.Lay(4)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(l.Sites, []int{0, 1, 1, 1}) || !slices.Equal(l.Reach[1], []float64{3, 4, 4, 4}) {
		t.Errorf("sites %v, reach %v", l.Sites, l.Reach)
	}
	for _, tc := range []struct {
		a, b    int
		lat, bw float64
	}{{0, 1, 4, 100}, {1, 0, 4, 200}, {1, 2, 0.5, 0}, {0, 0, 0.5, 0}} {
		if lat, bw := l.Path(tc.a, tc.b); lat != tc.lat || bw != tc.bw {
			t.Errorf("path %d→%d: latency %v, bandwidth %v; want %v, %v", tc.a, tc.b, lat, bw, tc.lat, tc.bw)
		}
	}
	if _, err := s.Lay(5); err == nil {
		t.Error("5 nodes laid on sites of 4")
	}
}

func ExampleParse() {
	top, _ := topology.Parse("ring(n=4, hop=3, local=0.1)")
	sites, _ := top.Place(8)
	fmt.Println(top, sites, top.Latency(0, 2), top.Latency(1, 1))
	// Output: ring(n=4, hop=3, local=0.1, bandwidth=0) [0 0 1 1 2 2 3 3] 6.1 0.1
}
