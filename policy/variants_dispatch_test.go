package policy_test

import (
	"strings"
	"testing"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/workload"
)

// dispatchVariants are dispatch specs with non-default parameters that the
// conformance test runs besides every registered strategy's defaults.
var dispatchVariants = []string{"pod(d=1)", "pod(d=9)", "jiq(dispatchers=3)",
	"jiq(report=sq, d=2)", "jiq(dispatchers=3, report=sq, d=2)", "jiq(dispatchers=4, report=sq, d=9)",
	"leastconn(weighted=1)",
	"hash(eps=0, vnodes=1)", "hash(eps=10, vnodes=3)",
	"hybrid(front=1, inner=lwl)", "hybrid(front=3, inner=hash)", "hybrid(front=2, inner=prequal)",
	"hybrid(front=3, inner=jiq)", "hybrid(front=2, inner=sita)",
	"prequal(probes=1, pool=1, reuse=1, q=0)", "prequal(probes=9, pool=4, reuse=3, q=1)", "prequal(q=0.6)",
	"sita(cutoffs=[0.5, 1, 2])", "sita(cutoffs=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])", "sita(cutoffs=[1])"}

// paramCase is a dispatch spec and either its canonical form or the
// substrings its error must contain.
type paramCase struct {
	spec      string
	canonical string   // when the spec is valid
	errs      []string // when it is not
}

// checkParams checks each case against Builtin.
func checkParams(t *testing.T, cases []paramCase) {
	t.Helper()
	r := policy.Builtin()
	for _, c := range cases {
		s, err := r.Dispatch(c.spec)
		switch {
		case c.errs == nil && err != nil:
			t.Errorf("Dispatch(%q): %v", c.spec, err)
		case c.errs == nil && s.String() != c.canonical:
			t.Errorf("Dispatch(%q).String() = %q, want %q", c.spec, s, c.canonical)
		case c.errs != nil && err == nil:
			t.Errorf("Dispatch(%q): no error, want one containing %q", c.spec, c.errs)
		case c.errs != nil:
			for _, w := range c.errs {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Dispatch(%q): error %q, want it to contain %q", c.spec, err, w)
				}
			}
		}
	}
}

// job is a job with an ID, a size and a key.
func job(id int64, size float64, key int32) *policy.Job {
	return &policy.Job{Job: workload.Job{ID: id, Size: size, Key: key}}
}
