package stats

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"

	"github.com/loadlab/loadlab/results"
)

// TestWriteBenchfmtAxis writes a sweep along an axis in the benchmark
// format: the axis value is part of each name, so benchstat keeps the
// points apart, and every unit of the registry's Bench metrics is there.
func TestWriteBenchfmtAxis(t *testing.T) {
	var recs []results.Record
	for _, x := range []float64{3, 1} {
		for rep := 0; rep < 2; rep++ {
			r := results.Record{Point: results.Point{Policy: "sender", Workload: "exp", Load: 0.9, Axis: "probes", X: x, Replication: rep}}
			r.Result.MeanResponse = 10*x + float64(rep)
			r.Result.ProbesPerJob = x
			recs = append(recs, r)
		}
	}
	var buf bytes.Buffer
	if err := WriteBenchfmt(&buf, "axis", recs, nil); err != nil {
		t.Fatal(err)
	}
	rd := benchfmt.NewReader(&buf, "x.txt")
	var names []string
	for rd.Scan() {
		switch r := rd.Result().(type) {
		case *benchfmt.Result:
			mean, _ := r.Value("mean-response")
			probes, _ := r.Value("probes/job")
			names = append(names, fmt.Sprintf("%s %g %g", r.Name, mean, probes))
			for _, m := range benchMetrics() {
				if _, ok := r.Value(m.Bench); !ok {
					t.Errorf("%s: no %s", r.Name, m.Bench)
				}
			}
		case *benchfmt.SyntaxError:
			t.Errorf("syntax error: %v", r)
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	want := "axis/workload=exp/load=0.9/probes=1 10 1|axis/workload=exp/load=0.9/probes=1 11 1|" +
		"axis/workload=exp/load=0.9/probes=3 30 3|axis/workload=exp/load=0.9/probes=3 31 3"
	if got := strings.Join(names, "|"); got != want {
		t.Errorf("results\n%s\nwant\n%s", got, want)
	}
}

// TestPairedRecordsAxis refuses to pair records at different values of
// the axis.
func TestPairedRecordsAxis(t *testing.T) {
	rec := func(x float64, seed uint64) results.Record {
		return results.Record{Point: results.Point{Policy: "p", Workload: "w", Load: 0.5, Axis: "probes", X: x, Seed: seed}}
	}
	mean := func(r results.Result) float64 { return r.MeanResponse }
	if _, err := PairedRecords([]results.Record{rec(1, 1), rec(1, 2)}, []results.Record{rec(1, 1), rec(1, 2)}, mean); err != nil {
		t.Errorf("same axis value: %v", err)
	}
	_, err := PairedRecords([]results.Record{rec(1, 1), rec(1, 2)}, []results.Record{rec(1, 1), rec(3, 2)}, mean)
	if err == nil || !strings.Contains(err.Error(), "probes=3") {
		t.Errorf("probes 1 against 3: %v, want an error naming probes=3", err)
	}
}
