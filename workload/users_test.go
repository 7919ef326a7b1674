package workload

import "testing"

// TestUsers: a workload without users has none; with them, a request
// takes the ID and arrival it is issued with, its user is told of its
// end once, and the same seed draws the same think times and requests.
func TestUsers(t *testing.T) {
	open, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if u := open.Users(1); u != nil {
		t.Fatalf("open workload: %d users, want none", u.N())
	}
	w, err := New(Config{Users: 3, Think: "exp(mean=5)", Size: "exp(mean=2)"})
	if err != nil {
		t.Fatal(err)
	}
	a, b := w.Users(7), w.Users(7)
	if a.N() != 3 {
		t.Fatalf("%d users, want 3", a.N())
	}
	for i := range 5 {
		if ta, tb := a.Think(), b.Think(); ta != tb || ta <= 0 {
			t.Fatalf("think %d: %v and %v from the same seed", i, ta, tb)
		}
		var ja, jb Job
		a.Issue(int32(i%3), int64(10+i), 2.5, &ja)
		b.Issue(int32(i%3), int64(10+i), 2.5, &jb)
		if ja.ID != int64(10+i) || ja.Arrival != 2.5 || ja.Size <= 0 || ja.Size != jb.Size {
			t.Fatalf("request %d: %+v and %+v", i, ja, jb)
		}
		if u, ok := a.Ended(int64(10 + i)); !ok || u != int32(i%3) {
			t.Fatalf("request %d ended: user %d, %v; want %d", 10+i, u, ok, i%3)
		}
		if _, ok := a.Ended(int64(10 + i)); ok {
			t.Fatalf("request %d ended twice", 10+i)
		}
	}
}
