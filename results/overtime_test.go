package results

import (
	"math"
	"testing"
)

func TestTimeSeries(t *testing.T) {
	s := TimeSeries{Bin: 2}
	s.Add(0, 1, 4)   // bin 0: 4
	s.Add(1, 5, 2)   // bin 0: 2, bin 1: 4, bin 2: 2
	s.Add(5, 6, 0)   // nothing
	s.Add(6, 5, 9)   // backwards: nothing
	s.Add(5.5, 6, 8) // bin 2: 4
	got := s.Means(2)
	want := []float64{(4 + 2) / 2.0 / 2, 4 / 2.0 / 2, (2 + 4) / 2.0 / 2}
	if len(got) != len(want) {
		t.Fatalf("means %v, want %v", got, want)
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Errorf("bin %d: %v, want %v", i, got[i], want[i])
		}
	}
	var none TimeSeries
	none.Add(0, 10, 1)
	if none.Means(1) != nil {
		t.Error("a series without bins recorded something")
	}
}
