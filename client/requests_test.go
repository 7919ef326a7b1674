package client

import (
	"strings"
	"testing"
)

// kinds counts the actions of each kind.
func kinds(as []Action) map[ActionKind]int {
	m := map[ActionKind]int{}
	for _, a := range as {
		m[a.Kind]++
	}
	return m
}

func mustParse(t *testing.T, s string) *Policy {
	t.Helper()
	p, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRequestsForkJoin(t *testing.T) {
	q := NewRequests(nil, 2)
	a0 := q.Arrive(0, 7, 0, 1, 0)
	a1 := q.Arrive(0, 7, 1, 2, 0)
	if len(a0) != 1 || a0[0].Kind != Send || len(a1) != 1 || a1[0].Kind != Send || a0[0].Copy == a1[0].Copy {
		t.Fatalf("arrivals: %+v %+v", a0, a1)
	}
	got := kinds(q.CopyDone(1, a0[0].Copy, 1, 1, 0))
	if got[TaskDone] != 1 || got[Complete] != 0 {
		t.Fatalf("first task: %v", got)
	}
	as := q.CopyDone(3, a1[0].Copy, 2, 2, 0)
	if got := kinds(as); got[TaskDone] != 1 || got[Complete] != 1 {
		t.Fatalf("second task: %v", got)
	}
	if c := as[len(as)-1]; c.Size != 3 || c.Service != 2 || c.At != 3 {
		t.Errorf("complete: %+v", c)
	}
	if q.Open() != 0 || q.Counts != (Counts{Useful: 3}) {
		t.Errorf("open %d, counts %+v", q.Open(), q.Counts)
	}
}

func TestRequestsRedundant(t *testing.T) {
	q := NewRequests(mustParse(t, "redundant(d=2)"), 1)
	as := q.Arrive(0, 1, 0, 4, 0)
	if k := kinds(as); k[Send] != 2 || q.Counts.Copies != 1 {
		t.Fatalf("arrive: %v, counts %+v", k, q.Counts)
	}
	first, second := as[0].Copy, as[1].Copy
	done := q.CopyDone(5, first, 4, 5, 0)
	if k := kinds(done); k[Complete] != 1 || k[Cancel] != 1 {
		t.Fatalf("done: %v", k)
	}
	q.Cancelled(second, 1.5)
	if q.Open() != 0 || q.Counts != (Counts{Copies: 1, Cancels: 1, Useful: 4, Wasted: 1.5}) {
		t.Errorf("open %d, counts %+v", q.Open(), q.Counts)
	}
	// A copy that completes after its task was answered is wasted.
	as = q.Arrive(6, 2, 0, 2, 6)
	q.CopyDone(7, as[0].Copy, 2, 1, 0)
	q.CopyDone(8, as[1].Copy, 2, 2, 0)
	if q.Open() != 0 || q.Counts.Wasted != 3.5 || q.Counts.Useful != 6 {
		t.Errorf("late copy: open %d, counts %+v", q.Open(), q.Counts)
	}
}

func TestRequestsHedge(t *testing.T) {
	q := NewRequests(mustParse(t, "hedge(after=2, copies=1)"), 1)
	as := q.Arrive(0, 1, 0, 4, 0)
	if k := kinds(as); k[Send] != 1 || k[SetTimer] != 1 || as[1].At != 2 || as[1].Timer.Kind != Hedge {
		t.Fatalf("arrive: %+v", as)
	}
	h := q.Fire(2, as[1].Timer)
	if k := kinds(h); k[Send] != 1 || k[SetTimer] != 0 || q.Counts.Copies != 1 {
		t.Fatalf("hedge: %+v", h)
	}
	q.CopyDone(3, h[0].Copy, 4, 1, 0)
	q.CopyFailed(4, as[0].Copy, "agent gone", 3) // the cancelled one is lost: no retry, no second end
	if q.Open() != 0 {
		t.Errorf("open %d", q.Open())
	}
	if h := q.Fire(9, as[1].Timer); len(h) != 0 {
		t.Errorf("stale timer: %+v", h)
	}
}

func TestRequestsRetry(t *testing.T) {
	q := NewRequests(mustParse(t, "retry(max=2, min=10, backoff=1, timeout=5)"), 1)
	as := q.Arrive(0, 1, 0, 4, 0)
	if k := kinds(as); k[Send] != 1 || k[SetTimer] != 1 || as[1].Timer.Kind != Timeout {
		t.Fatalf("arrive: %+v", as)
	}
	f := q.CopyFailed(1, as[0].Copy, "refused", 2)
	if len(f) != 1 || f[0].Kind != SetTimer || f[0].Timer.Kind != Retry || f[0].At != 2 || q.Counts.Retries != 1 {
		t.Fatalf("failed: %+v", f)
	}
	if x := q.Fire(5, as[1].Timer); len(x) != 0 { // the first attempt's timeout, overtaken
		t.Fatalf("stale timeout: %+v", x)
	}
	r := q.Fire(2, f[0].Timer)
	if k := kinds(r); k[Send] != 1 || k[SetTimer] != 1 {
		t.Fatalf("retry: %+v", r)
	}
	to := q.Fire(7, r[1].Timer)                         // second attempt times out: no attempt left
	if k := kinds(to); k[Cancel] != 2 || k[Fail] != 1 { // the attempt's copy, and every copy of the failed request
		t.Fatalf("timeout: %+v", to)
	}
	for _, a := range to {
		if a.Kind == Fail && (a.Reason != "timeout" || a.Node != -1 || a.At != 7) {
			t.Errorf("fail: %+v", a)
		}
	}
	q.Cancelled(r[0].Copy, 2)
	if q.Open() != 0 || q.Counts != (Counts{Retries: 1, Cancels: 1, Wasted: 2}) {
		t.Errorf("open %d, counts %+v", q.Open(), q.Counts)
	}
}

// TestOrphan: with abandon=orphan a timed-out attempt is not cancelled;
// its copy's later completion answers nothing (its work is wasted) while
// the retry's answers the request, which ends once.
func TestOrphan(t *testing.T) {
	p, err := Parse("retry(max=2, timeout=5, abandon=orphan)")
	if err != nil {
		t.Fatal(err)
	}
	if p.String() != "retry(max=2, budget=0.2, min=10, backoff=0, timeout=5, abandon=orphan)" {
		t.Errorf("canonical %q", p.String())
	}
	if p, _ := Parse("retry(max=2)"); strings.Contains(p.String(), "abandon") {
		t.Errorf("canonical %q: the default abandon=cancel must not show (keys of older points)", p.String())
	}
	if _, err := Parse("retry(abandon=drop)"); err == nil || !strings.Contains(err.Error(), "abandon: must be cancel or orphan") {
		t.Errorf("abandon=drop: got %v", err)
	}
	q := NewRequests(p, 1)
	first := q.Arrive(0, 7, 0, 1, 0)[0].Copy
	var retry Timer
	for _, a := range q.Fire(5, Timer{Kind: Timeout, Req: 7, Task: 0, Attempt: 1}) {
		if a.Kind == Cancel {
			t.Fatalf("timeout cancelled copy %d", a.Copy)
		}
		retry = a.Timer
	}
	second := q.Fire(5, retry)[0].Copy
	if out := q.CopyDone(6, first, 1, 1, 0); len(out) != 0 {
		t.Fatalf("the orphan's completion did %v, want nothing", out)
	}
	out := q.CopyDone(7, second, 1, 1, 0)
	if len(out) != 1 || out[0].Kind != Complete || q.Counts.Wasted != 1 || q.Counts.Useful != 1 || q.Open() != 0 {
		t.Errorf("retry's completion did %v; wasted %v, useful %v, open %d: want Complete, 1, 1, 0", out, q.Counts.Wasted, q.Counts.Useful, q.Open())
	}
}
