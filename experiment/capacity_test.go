package experiment

import (
	"context"
	"math"
	"strings"
	"testing"
)

// TestFindCapacity: on one M/M/1 node the mean response is 1/(1 − ρ), so
// mean_response<4 holds up to ρ = 0.75 and p99<20 (the response is
// exponential: its 99th percentile is ln(100)/(1 − ρ)) up to 1 − ln(100)/20
// = 0.7697; both together, the first. The search brackets each within its
// tolerance and the width of the intervals it decided on.
func TestFindCapacity(t *testing.T) {
	s, err := ParseSpec("t.yaml", []byte("nodes: 1\nloads: [0.5]\njobs: 60000\nwarmup: 6000\nreplications: 3\npolicies: [{dispatch: random}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		slo  string
		want float64
	}{{"mean<4", 0.75}, {"p99<20", 1 - math.Log(100)/20}, {"mean<4, p99_response<20", 0.75}} {
		slos, err := ParseSLO(c.slo)
		if err != nil {
			t.Fatal(err)
		}
		caps, err := FindCapacity(context.Background(), s, slos, CapacityConfig{Lo: 0.3, Hi: 0.95, Tol: 0.005}, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := caps[0].Load
		t.Logf("%s: capacity %.4f (theory %.4f) after %d loads", c.slo, got, c.want, len(caps[0].Probes))
		if math.Abs(got-c.want) > 0.02 {
			t.Errorf("%s: capacity %.4f, theory %.4f", c.slo, got, c.want)
		}
	}
}

func TestParseSLOErrors(t *testing.T) {
	for in, want := range map[string]string{
		"p99":            "want METRIC<VALUE",
		"latency<3":      `unknown metric "latency"`,
		"p99<fast":       `want a finite number after <, got "fast"`,
		"mean<2, <3":     "want METRIC<VALUE",
		"throughput>inf": "want a finite number",
	} {
		if _, err := ParseSLO(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSLO(%q) = %v, want an error containing %q", in, err, want)
		}
	}
}
