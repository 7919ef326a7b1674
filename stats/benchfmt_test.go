package stats

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchproc"

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
	if err := WriteBenchfmt(&buf, "my sweep", recs, nil); err != nil {
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

// TestWriteBenchfmtBase checks that benchstat -col policy takes the spec's
// first policy as its base column (the one every other column is compared
// with), whatever the alphabetical order of the names and the order of
// the records. benchstat orders the values of a column key by their first
// appearance in the input and compares against the first; the test sorts
// the keys as benchstat does.
func TestWriteBenchfmtBase(t *testing.T) {
	tests := []struct {
		name    string
		order   []string // the spec's policies
		records []string // the policies of the records, in the order stored
		want    []string // benchstat's columns, base first
	}{
		{"spec order, not alphabetical", []string{"random", "pod(d=2)", "jsq"}, []string{"jsq", "pod(d=2)", "random"},
			[]string{"random", "pod(d=2)", "jsq"}},
		{"records interleaved", []string{"sender", "receiver"}, []string{"receiver", "sender", "receiver", "sender"},
			[]string{"sender", "receiver"}},
		{"policies missing from the order come last, by name", []string{"random"}, []string{"zeta", "alpha", "random"},
			[]string{"random", "alpha", "zeta"}},
		{"no order: by name", nil, []string{"b", "a"}, []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var recs []results.Record
			for i, p := range tt.records {
				r := results.Record{Point: results.Point{Policy: p, Workload: "w", Load: 0.5, Replication: i}}
				r.Result.MeanResponse = 1 + float64(i)
				recs = append(recs, r)
			}
			var buf bytes.Buffer
			if err := WriteBenchfmt(&buf, "s", recs, tt.order); err != nil {
				t.Fatal(err)
			}
			if got := benchstatColumns(t, &buf); strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("benchstat -col policy columns %v, want %v (base first)", got, tt.want)
			}
		})
	}
}

// benchstatColumns returns the columns benchstat -col policy shows for the
// Go benchmark format in r, in its order: the first is the base.
func benchstatColumns(t *testing.T, r *bytes.Buffer) []string {
	t.Helper()
	var pp benchproc.ProjectionParser
	col, err := pp.Parse("policy", nil)
	if err != nil {
		t.Fatal(err)
	}
	rd := benchfmt.NewReader(r, "x.bench")
	seen := map[benchproc.Key]bool{}
	var keys []benchproc.Key
	for rd.Scan() {
		res, ok := rd.Result().(*benchfmt.Result)
		if !ok {
			t.Fatalf("not a result: %v", rd.Result())
		}
		if k := col.Project(res); !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	benchproc.SortKeys(keys)
	var out []string
	for _, k := range keys {
		out = append(out, k.Get(col.Fields()[0]))
	}
	return out
}
