// Package client describes what a client stub does with a request before
// and after the dispatch strategy places it: the lecture's replication and
// failure transparency (Tanenbaum & van Steen, ch. 3), and the
// tail-tolerant techniques of "The Tail at Scale" (Dean & Barroso 2013).
//
//   - redundant(d): send d copies of each request (each placed by the
//     dispatch strategy); the first to complete answers, the others are
//     cancelled.
//   - hedge(after, copies): send one copy; if it has not completed after
//     `after`, send another (up to `copies` more, each `after` apart); the
//     first to complete answers, the others are cancelled.
//   - deadline(after): a request not done `after` its arrival is abandoned:
//     its copies are cancelled (their work stops where it is) and it fails
//     with reason "timeout" (retry(max=1, timeout=after) in short).
//   - retry(max, budget, min, backoff, timeout): when an attempt fails (its
//     node is gone, or it is still not done after `timeout`), try again
//     after backoff·2^(k−1) for the k-th retry, up to max attempts in all,
//     while retries stay within budget × requests issued so far plus min
//     (a retry budget, as in Finagle, keeps a brief overload from turning
//     into a retry storm). With abandon=orphan a timed-out attempt is not
//     cancelled: its node still serves it, and all its work is wasted (a
//     server that cannot tell its client gave up: what sustains a retry
//     storm; see docs/workloads.md).
//
// They compose: "hedge(after=2) + retry(max=3)". Cancelling a copy is a
// message (one latency) that stops its work where it is; the work it did
// is wasted, and so is all of a copy that completes after its request
// did. A request completes once, however many copies ran.
//
// The package is decision logic only: the simulator and the agents drive
// the same Policy.
package client

import (
	"fmt"
	"math"
	"strings"

	"github.com/loadlab/loadlab/param"
)

// Policy is a client policy: zero values do nothing (one copy, no hedge,
// no retry).
type Policy struct {
	Copies     int     // redundant(d): copies sent at once; 0 or 1: one
	HedgeAfter float64 // hedge(after): a copy is sent when the last one is this late; 0: never
	Hedges     int     // hedge(copies): most copies a hedge adds
	Attempts   int     // retry(max): most attempts per request; 0 or 1: no retries
	Budget     float64 // retry(budget): retries at most this fraction of the requests issued so far...
	MinRetries int     // retry(min): ...plus this many
	Backoff    float64 // retry(backoff): wait before the first retry; it doubles with each one
	Timeout    float64 // retry(timeout): an attempt not done after this fails; 0: never
	Orphan     bool    // retry(abandon=orphan): a timed-out attempt is left to run, not cancelled
	spec       string
}

// part sets what one call of a client policy says.
type part func(p *Policy) error

var parts = param.Registry[part]{
	{Name: "deadline", Doc: "abandon a request not done after `after`: its copies are cancelled and it fails (reason timeout)",
		Schema: param.Schema{{Name: "after", Kind: param.Float, Doc: "the deadline from the request's arrival, model units, > 0"}},
		Build: func(v param.Values) (part, error) {
			return func(p *Policy) error {
				if p.Timeout = v.Float("after"); !(p.Timeout > 0) || math.IsInf(p.Timeout, 0) {
					return v.Errorf("after", "must be a finite number > 0, got %v", p.Timeout)
				}
				return nil
			}, nil
		}},
	{Name: "hedge", Doc: "send another copy when the last is late; the first to complete answers, the rest are cancelled",
		Schema: param.Schema{
			{Name: "after", Kind: param.Float, Doc: "how late, model units, > 0"},
			{Name: "copies", Kind: param.Int, Default: "1", Doc: "most copies a hedge adds, >= 1"},
		},
		Build: func(v param.Values) (part, error) {
			return func(p *Policy) error {
				p.HedgeAfter, p.Hedges = v.Float("after"), v.Int("copies")
				if !(p.HedgeAfter > 0) || math.IsInf(p.HedgeAfter, 0) {
					return v.Errorf("after", "must be a finite number > 0, got %v", p.HedgeAfter)
				}
				if p.Hedges < 1 {
					return v.Errorf("copies", "must be at least 1, got %d", p.Hedges)
				}
				return nil
			}, nil
		}},
	{Name: "redundant", Doc: "send d copies at once; the first to complete answers, the rest are cancelled",
		Schema: param.Schema{{Name: "d", Kind: param.Int, Default: "2", Doc: "copies, >= 1"}},
		Build: func(v param.Values) (part, error) {
			return func(p *Policy) error {
				if p.Copies = v.Int("d"); p.Copies < 1 {
					return v.Errorf("d", "must be at least 1, got %d", p.Copies)
				}
				return nil
			}, nil
		}},
	{Name: "retry", Doc: "try a failed or timed-out request again, with exponential backoff, within a retry budget",
		Schema: param.Schema{
			{Name: "max", Kind: param.Int, Default: "3", Doc: "most attempts per request, >= 1"},
			{Name: "budget", Kind: param.Float, Default: "0.2", Doc: "retries at most this fraction of the requests issued so far (plus min), >= 0"},
			{Name: "min", Kind: param.Int, Default: "10", Doc: "retries always allowed, >= 0"},
			{Name: "backoff", Kind: param.Float, Default: "0", Doc: "wait before the first retry, doubling each time, model units, >= 0"},
			{Name: "timeout", Kind: param.Float, Default: "0", Doc: "an attempt not done after this fails, model units; 0: never"},
			{Name: "abandon", Kind: param.Word, Default: "cancel", Later: true, Doc: "what becomes of a timed-out attempt: cancel (its work stops) or orphan (its node still serves it, all wasted, as a server that does not know its client gave up)"},
		},
		Build: func(v param.Values) (part, error) {
			return func(p *Policy) error {
				p.Attempts, p.Budget, p.MinRetries = v.Int("max"), v.Float("budget"), v.Int("min")
				p.Backoff, p.Timeout = v.Float("backoff"), v.Float("timeout")
				p.Orphan = v.Word("abandon") == "orphan"
				switch {
				case v.Word("abandon") != "cancel" && !p.Orphan:
					return v.Errorf("abandon", "must be cancel or orphan, got %q", v.Word("abandon"))
				case p.Attempts < 1:
					return v.Errorf("max", "must be at least 1, got %d", p.Attempts)
				case !(p.Budget >= 0) || math.IsInf(p.Budget, 0):
					return v.Errorf("budget", "must be a finite number >= 0, got %v", p.Budget)
				case p.MinRetries < 0:
					return v.Errorf("min", "must be at least 0, got %d", p.MinRetries)
				case !(p.Backoff >= 0) || math.IsInf(p.Backoff, 0):
					return v.Errorf("backoff", "must be a finite number >= 0, got %v", p.Backoff)
				case !(p.Timeout >= 0) || math.IsInf(p.Timeout, 0):
					return v.Errorf("timeout", "must be a finite number >= 0, got %v", p.Timeout)
				}
				return nil
			}, nil
		}},
}

// Parse parses a client policy: one or more of deadline(…), hedge(…),
// redundant(…) and retry(…) joined by "+", each at most once; "" or "none" is no policy
// (nil).
func Parse(s string) (*Policy, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "none" {
		return nil, nil
	}
	p := &Policy{}
	seen := map[string]bool{}
	var canon []string
	for _, item := range strings.Split(s, "+") {
		item = strings.TrimSpace(item)
		c, err := param.Parse(item)
		if err != nil {
			return nil, fmt.Errorf("client policy %q: %w", item, err)
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("client policy %q: %s given twice", s, c.Name)
		}
		seen[c.Name] = true
		if seen["deadline"] && seen["retry"] {
			return nil, fmt.Errorf("client policy %q: deadline and retry both time attempts out: give retry its timeout (retry(timeout=…)) instead", s)
		}
		apply, err := parts.Parse("client policy", item)
		if err != nil {
			return nil, err
		}
		if err := apply(p); err != nil {
			return nil, err
		}
		for _, d := range parts {
			if d.Name == c.Name {
				v, _ := param.Bind(c, d.Schema) // bound once already: cannot fail
				canon = append(canon, v.Canonical(d.Schema))
			}
		}
	}
	p.spec = strings.Join(canon, " + ")
	return p, nil
}

// Entries lists the client policies, for `loadlab policies`.
func Entries() []param.Entry { return parts.Entries() }

// String is the canonical form, e.g. "hedge(after=2, copies=1) + retry(max=3, budget=0.2, min=10, backoff=0, timeout=0)".
func (p *Policy) String() string {
	if p == nil {
		return "none"
	}
	return p.spec
}

// Initial is the number of copies of a request sent at once.
func (p *Policy) Initial() int {
	if p == nil || p.Copies < 1 {
		return 1
	}
	return p.Copies
}

// Hedge says whether a request with sent copies so far, none completed,
// gets another now that the last one is HedgeAfter late.
func (p *Policy) Hedge(sent int) bool {
	return p != nil && p.HedgeAfter > 0 && sent < p.Initial()+p.Hedges
}

// Retry says whether a request whose attempt-th attempt (1-based) just
// failed is tried again, with requests issued and retries made so far,
// and after how long.
func (p *Policy) Retry(attempt int, requests, retries int64) (bool, float64) {
	if p == nil || attempt >= p.Attempts {
		return false, 0
	}
	if float64(retries) >= p.Budget*float64(requests)+float64(p.MinRetries) {
		return false, 0
	}
	return true, p.Backoff * math.Pow(2, float64(attempt-1))
}
