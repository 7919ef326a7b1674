package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/server"
)

func Example() {
	for _, s := range []string{"iterative", "pool(n=8)", "thread-per-request(limit=100)", "process-per-request", "event-loop(loops=4, event=0.001)"} {
		a, err := server.Parse(s)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s: threads %d, blocking %v, create %v, efficiency with 8 runnable on 4 cores %.4f\n", a, a.Threads, a.Blocking, a.Create, a.Efficiency(8, 4))
	}
	// Output:
	// iterative: threads 1, blocking true, create 0, efficiency with 8 runnable on 4 cores 1.0000
	// pool(n=8, switch=0.0005, quantum=0.4): threads 8, blocking true, create 0, efficiency with 8 runnable on 4 cores 0.9988
	// thread-per-request(limit=100, create=0.002, switch=0.0005, quantum=0.4): threads 100, blocking true, create 0.002, efficiency with 8 runnable on 4 cores 0.9988
	// process-per-request(limit=0, create=0.05, switch=0.003, quantum=0.4): threads 0, blocking true, create 0.05, efficiency with 8 runnable on 4 cores 0.9926
	// event-loop(loops=4, event=0.001, switch=0.0005, quantum=0.4): threads 4, blocking false, create 0, efficiency with 8 runnable on 4 cores 0.9988
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ spec, want string }{
		{"pool", "n"},
		{"pool(n=0)", "parameter n: must be at least 1"},
		{"thread-per-request(limit=-1)", "parameter limit: must be at least 0"},
		{"thread-per-request(create=-1)", "parameter create: must be"},
		{"event-loop(loops=0)", "parameter loops: must be at least 1"},
		{"event-loop(event=-0.1)", "parameter event: must be"},
		{"pool(n=2, quantum=0)", "parameter quantum: must be"},
		{"pool(n=2, switch=-1)", "parameter switch: must be"},
		{"forking", `unknown server architecture "forking": known are event-loop, iterative, pool, process-per-request, thread-per-request`},
		{"iterative(n=2)", "n"},
	} {
		_, err := server.Parse(c.spec)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.spec, err, c.want)
		}
	}
}

// TestCalibrated: measured costs replace the defaults an architecture's
// text left, never a cost it gave, nor one it has no parameter for.
func TestCalibrated(t *testing.T) {
	for _, c := range []struct{ spec, want string }{
		{"thread-per-request", "thread-per-request(limit=0, create=0.0001, switch=0, quantum=0.4)"},
		{"process-per-request(create=0.05)", "process-per-request(limit=0, create=0.05, switch=0, quantum=0.4)"},
		{"event-loop(loops=2)", "event-loop(loops=2, event=0.003, switch=0, quantum=0.4)"},
		{"pool(n=4, switch=0.001)", "pool(n=4, switch=0.001, quantum=0.4)"},
		{"iterative", "iterative"},
	} {
		a, err := server.Parse(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		before := a.String()
		got := a.Calibrated(0.0001, 0, 0.003)
		if got.String() != c.want {
			t.Errorf("%s calibrated: %s, want %s", c.spec, got, c.want)
		}
		if a.String() != before {
			t.Errorf("%s: Calibrated changed its receiver to %s", c.spec, a)
		}
		again, err := server.Parse(got.String())
		if err != nil || again.Create != got.Create || again.Switch != got.Switch || again.Event != got.Event {
			t.Errorf("%s: the calibrated text %s parses to %+v, %v", c.spec, got, again, err)
		}
	}
}
