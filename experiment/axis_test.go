package experiment

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/stats"
)

// TestAxisPoints checks that an axis crosses its values with the other
// dimensions and sets each value where it belongs: a policy parameter in
// every row's policy, a setting in the point, with the row's label kept.
func TestAxisPoints(t *testing.T) {
	for _, tc := range []struct {
		name, spec string
		n          int // points
		check      func(p Point, x float64) string
	}{
		{"probes", "jobs: 500\nreplications: 2\nloads: [0.7, 0.9]\naxis: {name: probes, values: [1, 2, 3, 5, 8]}\npolicies:\n  - migrate: sender.threshold(T=2)\n",
			2 * 2 * 5, func(p Point, x float64) string {
				want := "sender.threshold(T=2, probes=" + ftoa(x) + ")"
				if p.Migrate != want || p.Policy != "sender.threshold(T=2)" {
					return "migrate " + p.Migrate + ", label " + p.Policy + ", want " + want
				}
				return ""
			}},
		{"named row keeps its parameter out of the label", "jobs: 500\nloads: [0.9]\naxis: {name: d, values: [1, 2, 4]}\npolicies:\n  - dispatch: pod(d=3)\n",
			3 * 3, func(p Point, x float64) string {
				if p.Dispatch != "pod(d="+ftoa(x)+")" || p.Policy != "pod" {
					return "dispatch " + p.Dispatch + ", label " + p.Policy
				}
				return ""
			}},
		{"gossip", "jobs: 500\nloads: [0.8]\naxis: {name: gossip, values: [0, 0.5, 2]}\npolicies:\n  - dispatch: jsq\n  - dispatch: pod.gossip(d=2)\n",
			3 * 3 * 2, func(p Point, x float64) string {
				if p.Gossip != x {
					return "gossip " + ftoa(p.Gossip)
				}
				return ""
			}},
		{"nodes", "jobs: 500\nloads: [0.9]\naxis: {name: nodes, values: [2, 8, 32]}\npolicies:\n  - dispatch: pod(d=2)\n",
			3 * 3, func(p Point, x float64) string {
				if float64(p.Nodes) != x {
					return "nodes " + ftoa(float64(p.Nodes))
				}
				return ""
			}},
		{"a nested cost", "jobs: 500\nloads: [0.9]\naxis: {name: costs.latency, values: [0, 0.1]}\npolicies:\n  - migrate: sender.threshold\n",
			2 * 3, func(p Point, x float64) string {
				if p.CostModel.Latency != x {
					return "latency " + ftoa(p.CostModel.Latency)
				}
				return ""
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSpec("t.yaml", []byte(tc.spec))
			if err != nil {
				t.Fatal(err)
			}
			ps, err := s.Points()
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) != tc.n || s.Count() != tc.n {
				t.Fatalf("%d points (Count %d), want %d", len(ps), s.Count(), tc.n)
			}
			keys := map[string]bool{}
			for i, p := range ps {
				if p.Axis != s.Axis.Name {
					t.Errorf("point %d: axis %q", i, p.Axis)
				}
				if msg := tc.check(p, p.X); msg != "" {
					t.Errorf("point %d at %s=%g: %s", i, p.Axis, p.X, msg)
				}
				if keys[p.Key] {
					t.Errorf("point %d: key %s twice", i, p.Key)
				}
				keys[p.Key] = true
				if j, ok := s.find(p.Point); !ok || j != i {
					t.Errorf("point %d found at %d, %v", i, j, ok)
				}
				if p.Key != PointKey(p.Point) {
					t.Errorf("point %d: key not its configuration's", i)
				}
			}
			// Common random numbers along the axis: the values of one
			// (workload, load, replication) share a seed.
			if ps[0].Seed != ps[len(ps)/s.Replications/len(s.Loads)-1].Seed {
				t.Errorf("seeds differ along the axis")
			}
		})
	}
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// TestAxisErrors checks that a bad axis is refused with the file, line
// and what is wrong, before anything runs.
func TestAxisErrors(t *testing.T) {
	base := "jobs: 500\nloads: [0.9]\npolicies:\n  - migrate: sender.threshold(T=2)\n  - dispatch: random\n    migrate: sender.random\n"
	for _, tc := range []struct {
		axis, want string
	}{
		{"axis: {name: probez, values: [1]}\n", "t.yaml:7: axis.name: probez is neither a numeric setting of the spec"},
		{"axis: {name: d, values: [1, 2]}\n", "t.yaml:7: axis.name: d is neither a numeric setting of the spec (nodes, servers, gossip, costs.latency, …) nor a parameter of its policies (they have T, probes)"},
		{"axis: {name: probes, values: [1]}\n", "t.yaml:5: policies[1]: sender.random: neither dispatch random nor migrate sender.random has a parameter probes"},
		{"axis: {name: nodes, values: [4, 0]}\n", "t.yaml:7: axis.values[1]: nodes = 0:"},
		{"axis: {name: nodes, values: [4, 4.5]}\n", "t.yaml:7: axis.values[1]: nodes takes whole numbers, got 4.5"},
		{"axis: {name: nodes, values: [4, 8, 4]}\n", "t.yaml:7: axis.values[2]: 4 is listed twice"},
		{"axis: {name: load, values: [0.5]}\n", "t.yaml:7: axis.name: load cannot be an axis"},
		{"axis: {name: discipline, values: [1]}\n", "discipline is not a numeric setting"},
		{"axis: {name: nodes, values: []}\n", "t.yaml:7: axis.values: give at least one value"},
		{"axis: {name: \"\", values: [1]}\n", "t.yaml:7: axis.name: name the setting"},
		{"metrics: [mean_responze]\n", `t.yaml:7: metrics[0]: "mean_responze" is not a metric`},
	} {
		_, err := ParseSpec("t.yaml", []byte(base+tc.axis))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !IsInput(err) {
			t.Errorf("%s: got %v, want an input error containing %q", strings.TrimSpace(tc.axis), err, tc.want)
		}
	}
	// A row that sets the axis's setting itself would not follow it.
	row := "jobs: 500\nloads: [0.9]\naxis: {name: gossip, values: [0, 1]}\npolicies:\n  - dispatch: jsq\n    gossip: 2\n"
	if _, err := ParseSpec("t.yaml", []byte(row)); err == nil || !strings.Contains(err.Error(), "t.yaml:6: policies[0].gossip: this row sets gossip itself") {
		t.Errorf("row overriding the axis: %v", err)
	}
}

// TestAxisSpecWithoutAxisKeepsKeys checks that points of a spec without an
// axis keep the keys they had before axes existed (stores stay valid).
func TestAxisSpecWithoutAxisKeepsKeys(t *testing.T) {
	s, err := ParseSpec("t.yaml", []byte(twoPolicies))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(s.point(0).Point)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"axis"`) || strings.Contains(string(b), `"x"`) {
		t.Errorf("a point without an axis records one, changing its key: %s", b)
	}
}

// TestAxisSweep runs a sweep along probes and checks its cells: one per
// (policy, value), the probe limit showing in probes per job, and the
// figures along the axis.
func TestAxisSweep(t *testing.T) {
	spec := "jobs: 3000\nreplications: 2\nnodes: 8\nloads: [0.9]\naxis: {name: probes, values: [1, 3]}\npolicies:\n  - migrate: sender.threshold(T=1)\n"
	s, err := ParseSpec("t.yaml", []byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	sum, err := Sweep(context.Background(), s, Options{Out: dir, Workers: 2})
	if err != nil || sum.Ran != 4 {
		t.Fatalf("sweep: %+v, %v", sum, err)
	}
	recs, err := results.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	cells := stats.Summarize(s.Select(recs))
	if len(cells) != 2 {
		t.Fatalf("%d cells, want one per probe limit", len(cells))
	}
	if cells[0].X != 1 || cells[1].X != 3 || cells[0].Axis != "probes" {
		t.Fatalf("cells at %s=%g and %g", cells[0].Axis, cells[0].X, cells[1].X)
	}
	// With T=1 at ρ=0.9 most arrivals find their node busy and probe: a
	// limit of 3 probes more per job than a limit of 1.
	if !(cells[1].ProbesPerJob > cells[0].ProbesPerJob) {
		t.Errorf("probes per job %g at limit 1, %g at limit 3", cells[0].ProbesPerJob, cells[1].ProbesPerJob)
	}
	// Resuming finds every point stored.
	sum, err = Sweep(context.Background(), s, Options{Out: dir})
	if err != nil || sum.Resumed != 4 || sum.Ran != 0 {
		t.Errorf("resume: %+v, %v", sum, err)
	}
}
