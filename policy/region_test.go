package policy_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/workload"
)

// wideEnv is 6 nodes at 3 sites, two each, and 3 client regions: region
// r is 0.1 from site r and 5 from the others.
func wideEnv() policy.Env {
	env := policy.Env{Nodes: 6, Servers: 1, Sites: []int{0, 0, 1, 1, 2, 2}}
	for r := range 3 {
		row := make([]float64, 6)
		for n, s := range env.Sites {
			row[n] = 5
			if s == r {
				row[n] = 0.1
			}
		}
		env.Regions = append(env.Regions, row)
	}
	return env
}

func fromRegion(r int32) *policy.Job { return &policy.Job{Job: workload.Job{Size: 1, Region: r}} }

// picks is the set of nodes d picks for requests from region r in 200
// tries, sorted.
func picks(d policy.Dispatcher, v policy.View, r int32) []policy.NodeID {
	var out []policy.NodeID
	for range 200 {
		if n := d.Pick(v, fromRegion(r)); !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

func TestWideArea(t *testing.T) {
	env := wideEnv()
	for _, tc := range []struct {
		spec   string
		loads  []int
		region int32
		want   []policy.NodeID
	}{
		{"nearest", []int{0, 0, 3, 1, 0, 0}, 1, ids(3)},                   // its site, the shorter queue
		{"nearest(within=random)", []int{0, 0, 0, 0, 9, 0}, 2, ids(4, 5)}, // its site, load not looked at
		{"nearest", []int{0, 0, 0, 0, 0, 0}, 0, ids(0, 1)},                // ties at random
		{"wan", []int{10, 10, 0, 1, 0, 0}, 0, ids(2, 4, 5)},               // 1 + 5 beats 11 + 0.1 and 2 + 5
		{"wan(weight=100)", []int{10, 10, 0, 1, 0, 0}, 0, ids(0, 1)},      // distance first
		{"wan(weight=0)", []int{3, 3, 2, 1, 2, 2}, 0, ids(3)},             // load only
		{"dns(ttl=0)", []int{10, 10, 4, 0, 1, 1}, 0, ids(4, 5)},           // the site of least mean: (2+2)/2 < (5+1)/2
		{"dns(ttl=0, within=random, weight=10)", []int{3, 3, 0, 0, 0, 0}, 0, ids(0, 1)},
	} {
		d := mustDispatch(t, tc.spec, env)
		if got := picks(d, newView(t, policy.None, queues(tc.loads...)), tc.region); !slices.Equal(got, tc.want) {
			t.Errorf("%s, loads %v, region %d: picks %v, want %v", tc.spec, tc.loads, tc.region, got, tc.want)
		}
	}

	// DNS keeps its answer for ttl, whatever the loads do meanwhile.
	d := mustDispatch(t, "dns(ttl=10)", env)
	v := newView(t, policy.None, queues(9, 9, 0, 0, 9, 9))
	if n := d.Pick(v, fromRegion(0)); n != 2 && n != 3 {
		t.Fatalf("dns: region 0 sent to node %d, want site 1 (nodes 2, 3)", n)
	}
	v.loads, v.now = queues(0, 0, 9, 9, 9, 9), 9.5
	if n := d.Pick(v, fromRegion(0)); n != 2 && n != 3 {
		t.Errorf("dns: at 9.5 region 0 sent to node %d, want site 1 still (the answer of time 0 stands for 10)", n)
	}
	if n := d.Pick(v, fromRegion(1)); n != 0 && n != 1 {
		t.Errorf("dns: region 1 resolved at 9.5 to node %d, want site 0 (nodes 0, 1)", n)
	}
	v.now = 10
	if n := d.Pick(v, fromRegion(0)); n != 0 && n != 1 {
		t.Errorf("dns: at 10 region 0 sent to node %d, want site 0 (resolved again)", n)
	}

	// Without a topology every node is as near as every other.
	if got := picks(mustDispatch(t, "nearest", policy.Env{Nodes: 3, Servers: 1}), newView(t, policy.None, queues(1, 0, 0)), 0); !slices.Equal(got, ids(1, 2)) {
		t.Errorf("nearest without a topology: picks %v, want the least loaded, 1 and 2", got)
	}
}

func TestWideAreaParams(t *testing.T) {
	for _, tc := range []struct{ spec, err string }{
		{"nearest(within=far)", `nearest: parameter within: want least or random, got "far"`},
		{"dns(ttl=-1)", "dns: parameter ttl: must be a finite number >= 0, got -1"},
		{"dns(within=all)", `dns: parameter within: want least or random, got "all"`},
		{"wan(weight=-2)", "wan: parameter weight: must be a finite number >= 0, got -2"},
	} {
		if _, err := policy.Builtin().Dispatch(tc.spec); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want %q", tc.spec, err, tc.err)
		}
	}
}
