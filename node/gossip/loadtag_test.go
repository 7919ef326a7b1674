package gossip

import (
	"strings"
	"testing"
	"time"

	"github.com/loadlab/loadlab/load"
)

func TestLoadTagRoundTrip(t *testing.T) {
	sent := time.UnixMicro(1767225600123456)
	for _, want := range []loadTag{
		{Load: load.State{Queue: 3, Running: 1, Work: 2.75, Servers: 4, Speed: 1}, Seq: 17, Sent: sent},
		{Load: load.State{}, Seq: 1, Sent: time.UnixMicro(0)},
		{Load: load.State{Queue: -1, Running: 1 << 40, Work: 1e-300, Servers: 1, Speed: 0.1}, Seq: 1<<64 - 1, Sent: sent},
	} {
		s := encodeLoad(want)
		got, err := decodeLoad(s)
		if err != nil {
			t.Fatalf("decodeLoad(%q): %v", s, err)
		}
		if got.Load != want.Load || got.Seq != want.Seq || !got.Sent.Equal(want.Sent) {
			t.Errorf("decodeLoad(encodeLoad(%+v)) = %+v", want, got)
		}
	}
	typical := encodeLoad(loadTag{Load: load.State{Queue: 12, Running: 4, Work: 13.2575, Servers: 4, Speed: 1.5}, Seq: 123456, Sent: time.Now()})
	if len(typical) > 60 {
		t.Errorf("typical tag %q is %d bytes, want ≤ 60", typical, len(typical))
	}
}

func TestMaxLoadTagIsLongest(t *testing.T) {
	if _, err := decodeLoad(maxLoadTag); err != nil {
		t.Fatalf("maxLoadTag %q does not decode: %v", maxLoadTag, err)
	}
	if len(maxLoadTag) != 154 {
		t.Errorf("len(maxLoadTag) = %d, want 154", len(maxLoadTag))
	}
}

func TestDecodeLoadMalformed(t *testing.T) {
	for _, s := range []string{
		"",
		"garbage",
		"1,2,3,4,5,6",      // too few fields
		"1,2,3,4,5,6,7,8",  // too many
		"1,2,3,4,5,0,7",    // seq 0
		"x,2,3,4,5,6,7",    // bad int
		"1,2,NaN,4,5,6,7",  // non-finite
		"1,2,3,4,+Inf,6,7", // non-finite
		"1,2,3,4,5,-6,7",   // negative seq
		"1,2,3,4,5,6,1e3",  // sent not an integer
		"1,2,3,4,5,6,7,",   // trailing comma
		"1.5,2,3,4,5,6,7",  // float where an int belongs
		strings.Repeat(",", 500),
	} {
		if got, err := decodeLoad(s); err == nil {
			t.Errorf("decodeLoad(%q) = %+v, want an error", s, got)
		}
	}
}

func FuzzDecodeLoad(f *testing.F) {
	f.Add("3,1,2.75,4,1,17,1767225600123456")
	f.Add(maxLoadTag)
	f.Fuzz(func(t *testing.T, s string) {
		tag, err := decodeLoad(s)
		if err != nil {
			return
		}
		again, err := decodeLoad(encodeLoad(tag))
		if err != nil || again.Load != tag.Load || again.Seq != tag.Seq || !again.Sent.Equal(tag.Sent) {
			t.Errorf("%q: re-encoding %+v gave %+v, %v", s, tag, again, err)
		}
	})
}
