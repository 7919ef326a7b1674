package main

import (
	"context"
	"strings"
	"testing"
)

// TestMetricsFlagErrors: a --prometheus that cannot be served, or on a
// backend without agents, is a usage error naming the flag and what to do.
func TestMetricsFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // prefix of standard error
	}{
		{[]string{"run", "--backend", "local", "--prometheus", "nonsense"}, `loadlab: --prometheus "nonsense": want IP:PORT`},
		{[]string{"run", "--backend", "local", "--prometheus", "127.0.0.1:99999"}, `loadlab: --prometheus "127.0.0.1:99999": want IP:PORT`},
		{[]string{"run", "--backend", "local", "--prometheus", "localhost:9464"}, `loadlab: --prometheus "localhost:9464": want IP:PORT`},
		{[]string{"run", "--prometheus", "127.0.0.1:0"}, "loadlab: --prometheus: the simulator has no agents to show; use --backend local or testbed"},
		{[]string{"sweep", "--prometheus", "127.0.0.1:0", "--out", "OUT", "../../examples/quick.yaml"}, "loadlab: --prometheus: spec quick runs on the simulator only"},
		{[]string{"agent", "--prometheus", "127.0.0.1"}, `loadlab: --prometheus "127.0.0.1": want IP:PORT`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			args := tc.args
			for i, a := range args {
				if a == "OUT" {
					args = append(append([]string(nil), args[:i]...), append([]string{t.TempDir()}, args[i+1:]...)...)
				}
			}
			out, stderr, code := status(t, context.Background(), args...)
			if code != 2 {
				t.Errorf("exit status %d, want 2; output %q, error %q", code, out, stderr)
			}
			if !strings.HasPrefix(stderr, tc.want) {
				t.Errorf("standard error %q, want it to start with %q", stderr, tc.want)
			}
		})
	}
}
