package node

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/loadlab/loadlab/node/gossip"
	"github.com/loadlab/loadlab/node/wire"
	"github.com/loadlab/loadlab/workload"
)

// TestSetupSizesRoundTrip sends every distribution through a setup message
// (spec, JSON, ParseDist) and checks the agent reads back the same one.
func TestSetupSizesRoundTrip(t *testing.T) {
	specs := map[string]string{
		"bpareto": "bpareto(alpha=1.1, min=0.1, max=1000)", "det": "det(value=0.3)", "erlang": "erlang(k=3, mean=0.7)",
		"exp": "exp(mean=1.0000000000000002)", "hyperexp": "hyperexp(mean=2.5, scv=4)", "lognormal": "lognormal(mean=1, scv=0.1)",
		"pareto": "pareto(alpha=2.5, mean=0.3333333333333333)", "uniform": "uniform(min=0.1, max=0.3)", "weibull": "weibull(k=0.5, mean=1e-3)",
	}
	var sizes []workload.Dist
	for _, e := range workload.DistEntries() {
		spec, ok := specs[e.Name]
		if !ok {
			t.Fatalf("no test spec for distribution %s", e.Name)
		}
		d, err := workload.ParseDist(spec)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		sizes = append(sizes, d)
	}
	weights := make([]float64, len(sizes))
	for i := range weights {
		weights[i] = 1 / float64(len(sizes))
	}
	body, err := json.Marshal(control{Op: opConfigure, Setup: &Setup{Roster: []string{"a", "b"}, Servers: 1,
		Classes: weights, Sizes: sizeSpecs(sizes), Distances: []float64{0.25, 1.0 / 3}}})
	if err != nil {
		t.Fatal(err)
	}
	var got control
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	c, err := got.Setup.cluster(nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range c.ClassSizes {
		if d.String() != sizes[i].String() || d.Mean() != sizes[i].Mean() || d.SCV() != sizes[i].SCV() {
			t.Errorf("class %d: got %v (mean %v, SCV %v), want %v (mean %v, SCV %v)", i, d, d.Mean(), d.SCV(), sizes[i], sizes[i].Mean(), sizes[i].SCV())
		}
	}
	if want := []float64{0.25, 1.0 / 3}; !reflect.DeepEqual(c.Distances, want) {
		t.Errorf("distances %v, want %v", c.Distances, want)
	}
}

// TestSetupCluster reads a setup's cluster: one from an older coordinator
// (no sizes, no distances) leaves them unknown; a bad one is an error that
// names what is wrong.
func TestSetupCluster(t *testing.T) {
	base := `"roster": ["a", "b"], "servers": 1, "classes": [0.5, 0.5]`
	for _, tc := range []struct {
		name, json string
		err        string // "" means valid
	}{
		{"older coordinator", `{` + base + `}`, ""},
		{"sizes and distances", `{` + base + `, "sizes": ["exp(mean=1)", "det(value=2)"], "distances": [0, 0.5]}`, ""},
		{"unknown distribution", `{` + base + `, "sizes": ["exp(mean=1)", "gamma(k=2)"]}`, "size of class 1"},
		{"bad parameter", `{` + base + `, "sizes": ["exp(mean=-1)", "exp(mean=1)"]}`, "size of class 0"},
		{"torn spec", `{` + base + `, "sizes": ["exp(mean=1", "exp(mean=1)"]}`, "size of class 0"},
		{"empty spec", `{` + base + `, "sizes": ["", "exp(mean=1)"]}`, "size of class 0"},
		{"sizes for one class of two", `{` + base + `, "sizes": ["exp(mean=1)"]}`, "class sizes: want one per class (2), got 1"},
		{"distances for one node of two", `{` + base + `, "distances": [0.5]}`, "distances: want one per node (2), got 1"},
		{"negative distance", `{` + base + `, "distances": [0.5, -1]}`, "distances: node 1 has distance -1"},
		{"speeds for three nodes of two", `{` + base + `, "speeds": [1, 1, 1]}`, "speeds: want one per node (2), got 3"},
		{"zero speed", `{` + base + `, "speeds": [1, 0]}`, "speeds: node 1 has speed 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s Setup
			if err := json.Unmarshal([]byte(tc.json), &s); err != nil {
				t.Fatal(err)
			}
			c, err := s.cluster(nil)
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("got error %v, want none", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("got error %v, want one containing %q", err, tc.err)
			case tc.err == "" && len(s.Sizes) == 0 && (c.ClassSizes != nil || c.Distances != nil):
				t.Errorf("older setup: got sizes %v and distances %v, want both unknown (nil)", c.ClassSizes, c.Distances)
			}
		})
	}
}

// TestConfigureBadSizes sends a setup with a bad size distribution to a
// real agent: the configure call fails with the reason, and the agent
// still answers.
func TestConfigureBadSizes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	label := "badsizes-" + runLabel()
	a, err := StartAgent(ctx, AgentConfig{Gossip: gossip.Config{Name: "a0-" + label, BindAddr: "127.0.0.1", Label: label}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	pool := wire.Config{}.NewPool()
	defer pool.Close()
	s := &Setup{Run: label, Roster: []string{a.Name()}, Migrate: "none", Servers: 1, Speed: 1, TimeUnit: time.Millisecond,
		Kernel: "sleep", Seed: 1, EpochNano: time.Now().UnixNano(), Publish: PublishInterval(1),
		Classes: []float64{1}, Sizes: []string{"exp(mean=1"}}
	_, err = call(ctx, pool, a.RPC(), control{Op: opConfigure, Setup: s})
	if want := "size of class 0"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("configure with a torn size spec: got error %v, want one containing %q", err, want)
	}
	if _, err := call(ctx, pool, a.RPC(), control{Op: opPing}); err != nil {
		t.Fatalf("ping after the bad setup: %v", err)
	}
	s.Sizes = []string{"exp(mean=1)"}
	if _, err := call(ctx, pool, a.RPC(), control{Op: opConfigure, Setup: s}); err != nil {
		t.Fatalf("configure with a good setup after the bad one: %v", err)
	}
}
