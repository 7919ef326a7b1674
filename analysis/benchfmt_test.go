package analysis

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"

	"github.com/loadlab/loadlab/results"
)

// TestWriteBenchfmt reads the output back with the parser benchstat uses
// and checks every record became one benchmark result with its policy.
func TestWriteBenchfmt(t *testing.T) {
	var recs []results.Record
	for _, p := range []string{"pod(d=2)", "receiver C×3", "no sharing"} {
		for rep := 0; rep < 3; rep++ {
			for _, load := range []float64{0.5, 0.9} {
				r := results.Record{Point: results.Point{Policy: p, Workload: "heavy tail/x", Load: load, Replication: rep}}
				r.Result.MeanResponse = load*10 + float64(rep)
				r.Result.P99Response = 7
				recs = append(recs, r)
			}
		}
	}
	var buf bytes.Buffer
	if err := WriteBenchfmt(&buf, "my sweep", recs); err != nil {
		t.Fatal(err)
	}
	rd := benchfmt.NewReader(&buf, "x.txt")
	seen := map[string]int{}
	for rd.Scan() {
		switch r := rd.Result().(type) {
		case *benchfmt.Result:
			policy := r.GetConfig("policy")
			seen[policy]++
			name := string(r.Name)
			if !strings.HasPrefix(name, "my_sweep/workload=heavy_tail_x/load=") {
				t.Errorf("name %q", name)
			}
			mean, ok := r.Value("mean-response")
			if !ok || mean < 5 {
				t.Errorf("%s %s: mean-response %v %v", policy, name, mean, ok)
			}
		case *benchfmt.SyntaxError:
			t.Errorf("syntax error: %v", r)
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"pod(d=2)", "receiver C×3", "no sharing"} {
		if seen[p] != 6 {
			t.Errorf("policy %q: %d results, want 6 (seen %v)", p, seen[p], seen)
		}
	}
}
