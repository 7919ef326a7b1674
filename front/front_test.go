package front_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/front"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		spec, want string  // canonical form, or the error
		in, out    float64 // In, and Out of 1000 bytes
	}{
		{"relay", "relay(request=0.005, byte=1e-06, n=1)", 0.005, 0.001},
		{"relay(byte=0, n=3)", "relay(request=0.005, byte=0, n=3)", 0.005, 0},
		{"handoff(request=0.01)", "handoff(request=0.01, handoff=0.002, n=1)", 0.012, 0},
		{"switch", `unknown front end "switch": known are handoff, relay`, 0, 0},
		{"relay(n=0)", "relay: parameter n: must be at least 1, got 0", 0, 0},
		{"handoff(handoff=-1)", "handoff: parameter handoff: must be a finite number >= 0, got -1", 0, 0},
		{"relay(request=-0.1)", "relay: parameter request: must be a finite number >= 0, got -0.1", 0, 0},
	} {
		f, err := front.Parse(tc.spec)
		if err != nil {
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: error %v, want %q", tc.spec, err, tc.want)
			}
			continue
		}
		if f.String() != tc.want || f.In() != tc.in || f.Out(1000) != tc.out {
			t.Errorf("%s: %s, in %v, out %v; want %s, %v, %v", tc.spec, f, f.In(), f.Out(1000), tc.want, tc.in, tc.out)
		}
	}
	if f, err := front.Parse(""); f != nil || err != nil {
		t.Errorf(`"": %v, %v; want none`, f, err)
	}
}

func ExampleParse() {
	f, _ := front.Parse("relay(byte=1e-7, n=2)")
	fmt.Println(f, f.Relays(), f.In(), f.Out(50_000))
	// Output: relay(request=0.005, byte=1e-07, n=2) true 0.005 0.005
}
