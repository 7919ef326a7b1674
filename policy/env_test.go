package policy_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/workload"
)

func mustDist(t *testing.T, spec string) workload.Dist {
	t.Helper()
	d, err := workload.ParseDist(spec)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestNewEnv: the Env carries every field of the cluster, for a dispatcher
// (Node None), and Runs comes from the work units on the nodes' platforms.
func TestNewEnv(t *testing.T) {
	sizes := []workload.Dist{mustDist(t, "exp(mean=0.5)"), mustDist(t, "hyperexp(mean=2.5, scv=4)")}
	units, err := workload.NewUnits(workload.UnitConfig{Platforms: workload.Platforms{
		Builds: []workload.Build{{Kernel: "long", Platforms: []string{"x86_64"}}}}}, []string{"short", "long"})
	if err != nil {
		t.Fatal(err)
	}
	everywhere, err := workload.NewUnits(workload.UnitConfig{}, []string{"short", "long"})
	if err != nil {
		t.Fatal(err)
	}
	c := policy.Cluster{Nodes: 3, Servers: 2, Speeds: []float64{1, 2, 1}, ClassWeights: []float64{0.75, 0.25},
		ClassSizes: sizes, Distances: []float64{0.1, 0, 0.3}}
	withUnits := c
	withUnits.Units, withUnits.Platforms = units, []string{"x86_64", "arm64", "x86_64"}
	for _, tc := range []struct {
		name string
		c    policy.Cluster
		want policy.Env
	}{
		{"empty", policy.Cluster{}, policy.Env{Node: policy.None}},
		{"no units", c, policy.Env{Nodes: 3, Servers: 2, Speeds: []float64{1, 2, 1}, ClassWeights: []float64{0.75, 0.25},
			ClassSizes: sizes, Distances: []float64{0.1, 0, 0.3}, Node: policy.None}},
		{"units on two platforms", withUnits, policy.Env{Nodes: 3, Servers: 2, Speeds: []float64{1, 2, 1}, ClassWeights: []float64{0.75, 0.25},
			ClassSizes: sizes, Distances: []float64{0.1, 0, 0.3}, Node: policy.None,
			Runs: [][]bool{{true, true, true}, {true, false, true}}}},
		{"units that run everywhere", policy.Cluster{Nodes: 2, Servers: 1, ClassWeights: []float64{0.75, 0.25}, Units: everywhere},
			policy.Env{Nodes: 2, Servers: 1, ClassWeights: []float64{0.75, 0.25}, Node: policy.None}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := policy.NewEnv(tc.c); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("NewEnv:\ngot  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestClusterValidate(t *testing.T) {
	ok := policy.Cluster{Nodes: 2, Servers: 1, Speeds: []float64{1, 0.5}, ClassWeights: []float64{0.5, 0.5},
		ClassSizes: []workload.Dist{mustDist(t, "exp(mean=1)"), mustDist(t, "det(value=2)")}, Distances: []float64{0, 0.5},
		Platforms: []string{"a", "b"}}
	for _, tc := range []struct {
		name string
		edit func(*policy.Cluster)
		err  string // "" means valid
	}{
		{"valid", func(*policy.Cluster) {}, ""},
		{"all unknown", func(c *policy.Cluster) { c.Speeds, c.ClassSizes, c.Distances, c.Platforms = nil, nil, nil, nil }, ""},
		{"no nodes", func(c *policy.Cluster) { c.Nodes = 0 }, "want at least 1 node"},
		{"no servers", func(c *policy.Cluster) { c.Servers = 0 }, "and 1 server, got 2 and 0"},
		{"sizes for one class of two", func(c *policy.Cluster) { c.ClassSizes = c.ClassSizes[:1] }, "class sizes: want one per class (2), got 1"},
		{"missing size", func(c *policy.Cluster) { c.ClassSizes = []workload.Dist{c.ClassSizes[0], nil} }, "class sizes: class 1 has none"},
		{"platforms for one node of two", func(c *policy.Cluster) { c.Platforms = []string{"a"} }, "platforms: want one per node (2), got 1"},
		{"speeds for three nodes", func(c *policy.Cluster) { c.Speeds = []float64{1, 1, 1} }, "speeds: want one per node (2), got 3"},
		{"zero speed", func(c *policy.Cluster) { c.Speeds = []float64{1, 0} }, "speeds: node 1 has speed 0, want a finite number > 0"},
		{"distances for one node", func(c *policy.Cluster) { c.Distances = []float64{1} }, "distances: want one per node (2), got 1"},
		{"negative distance", func(c *policy.Cluster) { c.Distances = []float64{-0.5, 0} }, "distances: node 0 has distance -0.5, want a finite number ≥ 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			err := c.Validate()
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("got error %v, want none", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("got error %v, want one containing %q", err, tc.err)
			}
		})
	}
}
