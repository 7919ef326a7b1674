package session_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/session"
)

// step is one request of a test sequence: node serves client, or (crash)
// node crashes.
type step struct {
	node, client int32
	crash        bool
}

func TestStore(t *testing.T) {
	cases := []struct {
		spec  string
		steps []step
		want  string // outcomes, one letter each: n(ew) l(ocal) m(oved) x (lost) f(etched), "-" for a crash
		cost  float64
	}{
		{"stateful(transfer=1, rebuild=10)", []step{{0, 7, false}, {0, 7, false}, {1, 7, false}, {1, 7, false}, {0, 7, false}},
			"nlmlm", 2},
		// node 1 keeps two clients: serving 3 evicts 1, whose next request
		// rebuilds and evicts 3 (2 was served since)
		{"stateful(transfer=1, rebuild=10, entries=2)", []step{{1, 1, false}, {1, 2, false}, {1, 3, false}, {1, 2, false}, {1, 1, false}, {1, 3, false}},
			"nnnlxx", 20},
		// the state moved away from node 0 is not lost with it
		{"stateful(transfer=1, rebuild=10)", []step{{0, 1, false}, {0, 2, false}, {1, 2, false}, {0, 0, true}, {2, 1, false}, {2, 2, false}, {1, 2, false}},
			"nnm-xmm", 13},
		{"stateless(fetch=0.5)", []step{{0, 1, false}, {0, 1, false}, {1, 1, false}, {1, 0, true}, {1, 1, false}},
			"fff-f", 2},
	}
	letters := map[session.Outcome]string{session.New: "n", session.Local: "l", session.Moved: "m", session.Lost: "x", session.Fetched: "f"}
	for _, c := range cases {
		cfg, err := session.Parse(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		s := cfg.NewStore(3, 10)
		var got strings.Builder
		cost := 0.0
		for _, st := range c.steps {
			if st.crash {
				s.Crash(st.node)
				got.WriteString("-")
				continue
			}
			o, w := s.Serve(st.node, st.client)
			got.WriteString(letters[o])
			cost += w
		}
		if got.String() != c.want || cost != c.cost {
			t.Errorf("%s: outcomes %s cost %v, want %s %v", c.spec, got.String(), cost, c.want, c.cost)
		}
	}
}

// TestStoreBounded: however many clients pass, a node holds at most
// entries states, and each client's state is at one node at most.
func TestStoreBounded(t *testing.T) {
	cfg, _ := session.Parse("stateful(transfer=1, rebuild=1, entries=5)")
	s := cfg.NewStore(4, 100)
	for i := range int32(10000) {
		s.Serve(i%4, (i*37)%100)
	}
	total := 0
	for n := range int32(4) {
		if h := s.Holds(n); h > 5 {
			t.Errorf("node %d holds %d states, more than its 5 entries", n, h)
		}
		total += s.Holds(n)
	}
	if total > 100 {
		t.Errorf("%d states held for 100 clients", total)
	}
}

func TestParseErrors(t *testing.T) {
	for spec, want := range map[string]string{
		"stateful(transfer=-1, rebuild=1)":           "transfer: must be a finite number >= 0",
		"stateful(transfer=1, rebuild=1, entries=0)": "entries: must be between 1",
		"stateless":                      "fetch",
		"sticky(x=1)":                    `unknown state "sticky": known are stateful, stateless`,
		"stateless(fetch=1, transfer=2)": "transfer",
	} {
		_, err := session.Parse(spec)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", spec, err, want)
		}
	}
}

func ExampleParse() {
	c, _ := session.Parse("stateful(transfer=0.05, rebuild=0.5)")
	s := c.NewStore(2, 3)
	for _, node := range []int32{0, 0, 1} {
		o, cost := s.Serve(node, 2)
		fmt.Println(o, cost)
	}
	// Output:
	// new 0
	// local 0
	// moved 0.05
}
