package client_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/client"
)

func Example() {
	p, err := client.Parse("hedge(after=2) + retry(max=3, budget=0.1, backoff=0.5)")
	if err != nil {
		panic(err)
	}
	fmt.Println(p)
	fmt.Println("copies at once:", p.Initial(), "hedge after 1 copy:", p.Hedge(1), "after 2:", p.Hedge(2))
	for _, a := range []int{1, 2, 3} {
		ok, wait := p.Retry(a, 1000, 5)
		fmt.Printf("attempt %d failed: retry %v after %v\n", a, ok, wait)
	}
	ok, _ := p.Retry(1, 1000, 110) // over budget: 0.1 × 1000 + 10
	fmt.Println("over budget:", ok)
	// Output:
	// hedge(after=2, copies=1) + retry(max=3, budget=0.1, min=10, backoff=0.5, timeout=0)
	// copies at once: 1 hedge after 1 copy: true after 2: false
	// attempt 1 failed: retry true after 0.5
	// attempt 2 failed: retry true after 1
	// attempt 3 failed: retry false after 0
	// over budget: false
}

func TestParse(t *testing.T) {
	for _, c := range []struct{ spec, want, err string }{
		{spec: "", want: "none"},
		{spec: "none", want: "none"},
		{spec: "redundant", want: "redundant(d=2)"},
		{spec: "redundant(d=3) + hedge(after=1, copies=2)", want: "redundant(d=3) + hedge(after=1, copies=2)"},
		{spec: "hedge", err: "after"},
		{spec: "deadline(after=5) + hedge(after=1)", want: "deadline(after=5) + hedge(after=1, copies=1)"},
		{spec: "deadline(after=0)", err: "parameter after: must be a finite number > 0"},
		{spec: "deadline(after=5) + retry", err: "deadline and retry both time attempts out"},
		{spec: "hedge(after=0)", err: "parameter after: must be a finite number > 0"},
		{spec: "redundant(d=0)", err: "parameter d: must be at least 1"},
		{spec: "retry(max=0)", err: "parameter max: must be at least 1"},
		{spec: "retry(budget=-1)", err: "parameter budget"},
		{spec: "retry(timeout=-1)", err: "parameter timeout"},
		{spec: "retry + retry", err: "retry given twice"},
		{spec: "resend", err: `unknown client policy "resend": known are deadline, hedge, redundant, retry`},
		{spec: "hedge(after=1) +", err: "client policy"},
	} {
		p, err := client.Parse(c.spec)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want one containing %q", c.spec, err, c.err)
			}
			continue
		}
		if err != nil || p.String() != c.want {
			t.Errorf("%q: %v, %v; want %q", c.spec, p, err, c.want)
		}
	}
	var none *client.Policy
	if none.Initial() != 1 || none.Hedge(1) {
		t.Error("no policy: want one copy and no hedge")
	}
	if ok, _ := none.Retry(1, 10, 0); ok {
		t.Error("no policy retried")
	}
}
