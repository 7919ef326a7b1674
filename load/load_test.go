package load

import "testing"

func TestWaiting(t *testing.T) {
	for _, c := range []struct {
		s    State
		want int
	}{
		{State{}, 0},
		{State{Queue: 3, Running: 1}, 2},
		{State{Queue: 4, Running: 4, Servers: 4}, 0},
	} {
		if got := c.s.Waiting(); got != c.want {
			t.Errorf("%+v.Waiting() = %d, want %d", c.s, got, c.want)
		}
	}
}
