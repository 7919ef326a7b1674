package workload

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// expected reads testdata/traces/expect.txt: what gentraces.go wrote into
// each sample, by file name.
func expected(t *testing.T) map[string][3]float64 {
	t.Helper()
	f, err := os.Open("testdata/traces/expect.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][3]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 4 || strings.HasPrefix(fs[0], "#") {
			continue
		}
		var v [3]float64
		for i := range v {
			if v[i], err = strconv.ParseFloat(fs[i+1], 64); err != nil {
				t.Fatal(err)
			}
		}
		out[fs[0]] = v
	}
	return out
}

// TestTraceFormats reads each sample trace and checks what its generator
// put there: the jobs a reader must keep (those with an unknown run time,
// tasks that never finish, tasks submitted before the trace and
// functions without durations left out), the span of their arrivals and
// so their rate, and that sizes come out of mean 1.
func TestTraceFormats(t *testing.T) {
	want := expected(t)
	for _, c := range []struct{ spec, file string }{
		{"trace(file=traces/sample.csv)", "sample.csv"},
		{"trace(file=traces/sample.swf, format=swf)", "sample.swf"},
		{"trace(file=traces/google_task_events.csv, format=google)", "google_task_events.csv"},
		{"trace(file=traces/azure_invocations.csv, format=azure, durations=traces/azure_durations.csv)", "azure_invocations.csv"},
	} {
		r, err := loadReplay(c.spec, "testdata")
		if err != nil {
			t.Fatalf("%s: %v", c.spec, err)
		}
		w := want[c.file]
		n, span := len(r.jobs), w[2]-w[1]
		got := r.jobs[n-1].Arrival * r.unit
		t.Logf("%s: %d jobs over %v (rate %.6g a unit of the trace), mean size %.4g", c.file, n, got, float64(n-1)/got, r.unit)
		if n != int(w[0]) || math.Abs(got-span) > 1e-9*span {
			t.Errorf("%s: %d jobs over %v, the generator wrote %v over %v", c.file, n, got, w[0], span)
		}
		mean := 0.0
		for _, j := range r.jobs {
			mean += j.Size / float64(n)
		}
		if math.Abs(mean-1) > 1e-9 || r.jobs[0].Arrival != 0 {
			t.Errorf("%s: mean size %v, first arrival %v: want 1 and 0", c.file, mean, r.jobs[0].Arrival)
		}
	}
}

// TestTraceReplay: a workload replaying a trace issues its jobs at the
// point's rate (one pass of n jobs takes n/rate), the same jobs for every
// seed, and passes again from the start after the last.
func TestTraceReplay(t *testing.T) {
	w, err := New(Config{Arrival: "trace(file=traces/sample.swf, format=swf, size=work)", Dir: "testdata"})
	if err != nil {
		t.Fatal(err)
	}
	if w.MeanSize() < 1-1e-9 || w.MeanSize() > 1+1e-9 || w.SizeString() != "trace" {
		t.Errorf("mean size %v, size %q: want 1 and trace", w.MeanSize(), w.SizeString())
	}
	if n, _ := w.Keys(); n != 21 {
		t.Errorf("keys (users 1–20): %d, want 21", n)
	}
	const rate = 3.0
	a, b := w.Generator(1, rate), w.Generator(99, rate)
	var first []Job
	for i := range 380 * 2 {
		x, y := a.Next(), b.Next()
		if x.Arrival != y.Arrival || x.Size != y.Size || x.Class != y.Class || x.Key != y.Key || x.ID != y.ID {
			t.Fatalf("job %d: %+v with seed 1, %+v with seed 99", i, x, y)
		}
		if i < 380 {
			first = append(first, x)
			continue
		}
		again := first[i-380]
		if x.Size != again.Size || x.Key != again.Key || math.Abs(x.Arrival-again.Arrival-380/rate) > 1e-9 {
			t.Fatalf("job %d of the second pass: %+v, want %+v 380/rate later", i, x, again)
		}
	}
}

func TestReplayErrors(t *testing.T) {
	for spec, msg := range map[string]string{
		"trace(file=traces/none.csv)":                            "no such file",
		"trace(file=traces/sample.swf)":                          "has no column arrival",
		"trace(file=traces/sample.csv, format=pdf)":              "format: want csv, swf, google or azure",
		"trace(file=traces/sample.swf, format=swf, size=cpu)":    "size: want runtime or work",
		"trace(file=traces/azure_invocations.csv, format=azure)": "durations=",
		"trace(file=traces/sample.csv, from=100000)":             "0 jobs in the window",
		"trace(file=traces/sample.csv, from=10, to=5)":           "want a window",
		"trace(file=traces/sample.csv, format=google)":           "want the 13 fields",
	} {
		_, err := New(Config{Arrival: spec, Dir: "testdata"})
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v, want an error containing %q", spec, err, msg)
		}
	}
	if _, err := New(Config{Arrival: "trace(file=traces/sample.csv)", Size: "exp(mean=1)", Dir: "testdata"}); err == nil || !strings.Contains(err.Error(), "leave size") {
		t.Errorf("a trace with a size: %v", err)
	}
}
