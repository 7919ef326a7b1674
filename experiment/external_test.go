package experiment

import (
	"strings"
	"testing"
)

// TestExternalSpec checks that a spec names an external policy by its
// quoted command, that its points store it with every parameter, and that a
// bad one is an input error naming the row and the parameter.
func TestExternalSpec(t *testing.T) {
	const base = "jobs: 500\nloads: [0.5]\npolicies:\n  - dispatch: "
	s, err := ParseSpec("t.yaml", []byte(base+`external(cmd="python3 python/examples/pod_policy.py 2", view=0)`+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	points, err := s.Points()
	if err != nil {
		t.Fatal(err)
	}
	want := `external(cmd="python3 python/examples/pod_policy.py 2", timeout=5, view=0, probes=-1)`
	if got := points[0].Model.Dispatch.String(); got != want {
		t.Errorf("dispatch %q, want %q", got, want)
	}
	// a migration policy: the same parameters
	s, err = ParseSpec("t.yaml", []byte(base+"random\n    migrate: "+`external(cmd="python3 python/examples/sender_threshold.py 2 2", probes=2)`+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if points, err = s.Points(); err != nil {
		t.Fatal(err)
	}
	want = `external(cmd="python3 python/examples/sender_threshold.py 2 2", timeout=5, view=1, probes=2)`
	if got := points[0].Model.Migrate.String(); got != want {
		t.Errorf("migrate %q, want %q", got, want)
	}
	_, err = ParseSpec("t.yaml", []byte(base+"random\n    migrate: "+`external(cmd="python3 p.py", timeout=0)`+"\n"))
	if want := "policies[0].migrate: external: parameter timeout: must be positive seconds, got 0"; err == nil || !strings.Contains(err.Error(), want) || !IsInput(err) {
		t.Errorf("migrate timeout=0: got %v, want an input error containing %q", err, want)
	}
	for _, tc := range []struct{ spec, want string }{
		{"external", "t.yaml:4: policies[0].dispatch: external: parameter cmd (command that runs the policy"},
		{`external(cmd="")`, "parameter cmd: is empty: give the command that runs the policy"},
		{`external(cmd="python3 p.py", timeout=0)`, "parameter timeout: must be positive seconds, got 0"},
		{`external(cmd="python3 p.py", view=2)`, "parameter view: must be 0 or 1, got 2"},
		{`external(cmd="python3 p.py", probes=-2)`, "parameter probes: must be at least -1, got -2"},
		{`external(cmd="python3 p.py)`, `'"' without its closing '"'`},
	} {
		_, err := ParseSpec("t.yaml", []byte(base+tc.spec+"\n"))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !IsInput(err) {
			t.Errorf("%s: got %v, want an input error containing %q", tc.spec, err, tc.want)
		}
	}
}
