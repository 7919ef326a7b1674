package policy

import (
	"strings"
	"testing"
)

// TestScalers: each autoscaler's answer to a cluster, decision after
// decision, bounds included.
func TestScalers(t *testing.T) {
	members := func(in, starting int, busy float64) *Members {
		return &Members{Loads: make([]Load, in), Starting: starting, Slots: 16, Servers: 1, Busy: busy}
	}
	for _, tc := range []struct {
		spec  string
		steps []*Members
		want  []int
	}{
		// ⌈busy/0.5⌉ nodes: out at once, in only to the highest of the window (2 decisions).
		{"target(util=0.5, window=2)", []*Members{members(4, 0, 3.2), members(7, 0, 3.2), members(7, 0, 1.2), members(7, 0, 1.2)}, []int{3, 0, 0, -4}},
		// starting nodes count as present
		{"target(util=0.5)", []*Members{members(4, 3, 3.2)}, []int{0}},
		// bounds: at most max, at least min
		{"target(util=0.5, min=2, max=6)", []*Members{members(4, 0, 8), members(6, 0, 0.1)}, []int{2, 0}},
		{"target(util=0.5, min=2, max=6, window=1)", []*Members{members(6, 0, 0.1)}, []int{-4}},
		{"target(util=1)", []*Members{members(4, 0, 40)}, []int{12}}, // the slots
		// step scaling on utilisation busy/in service
		{"threshold(up=0.8, down=0.3, step=2)", []*Members{members(4, 0, 3.6), members(6, 0, 3.6), members(6, 0, 1.2), members(4, 1, 4)}, []int{2, 0, -2, 0}},
	} {
		s, err := Builtin().Scale(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		sc := s.New()
		for i, m := range tc.steps {
			if got := sc.Scale(m); got != tc.want[i] {
				t.Errorf("%s, decision %d (%d in service, %d starting, busy %v): got %+d, want %+d", s, i, len(m.Loads), m.Starting, m.Busy, got, tc.want[i])
			}
		}
	}
}

// TestScaleSpecErrors: bad parameters name the parameter.
func TestScaleSpecErrors(t *testing.T) {
	for _, tc := range []struct{ spec, want string }{
		{"target(util=0)", "util"},
		{"target(util=1.5)", "util"},
		{"target(period=0)", "period"},
		{"target(min=0)", "min"},
		{"target(min=4, max=2)", "max"},
		{"target(window=0)", "window"},
		{"threshold(up=0.5, down=0.6)", "down"},
		{"threshold(step=0)", "step"},
		{"nope", "unknown scale policy"},
	} {
		_, err := Builtin().Scale(tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error about %s", tc.spec, err, tc.want)
		}
	}
}
