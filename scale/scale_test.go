package scale

import (
	"strings"
	"testing"
)

// TestValidate: a bad plan names its field.
func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		c    Config
		want string
	}{
		{Config{Initial: 9}, "initial"},
		{Config{Initial: -1}, "initial"},
		{Config{Startup: -1}, "startup"},
		{Config{Schedule: []Step{{At: 5, Add: 1}, {At: 4, Add: 1}}}, "schedule[1]: at"},
		{Config{Schedule: []Step{{At: 5}}}, "schedule[0]: want one of add or remove"},
		{Config{Schedule: []Step{{At: 5, Add: 1, Remove: 1}}}, "schedule[0]"},
		{Config{Schedule: []Step{{At: -1, Add: 1}}}, "schedule[0]: at"},
	} {
		err := tc.c.Validate(8)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error about %s", tc.c.String(), err, tc.want)
		}
	}
	if err := (&Config{Initial: 2, Startup: 20, Schedule: []Step{{At: 5, Add: 3}, {At: 9, Remove: 1}}}).Validate(8); err != nil {
		t.Errorf("a good plan: %v", err)
	}
}

// TestString: the canonical form of a plan.
func TestString(t *testing.T) {
	for _, tc := range []struct {
		c    *Config
		want string
	}{
		{&Config{Initial: 2, Schedule: []Step{{At: 5, Add: 3}, {At: 9, Remove: 9}}}, "initial=2, startup=0, schedule=[+3@5, -9@9]"},
		{&Config{Startup: 20}, "initial=all, startup=20, schedule=[]"},
		{nil, ""},
	} {
		if got := tc.c.String(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
