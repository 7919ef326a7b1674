package wire

import (
	"context"
	"testing"
)

func BenchmarkEncodeDecodeSubmit(b *testing.B) {
	m := &Msg{Type: TypeSubmit, ID: 1, From: -1, Job: &Job{ID: 42, Arrival: 12.5, Size: 0.75, Class: 1, Key: 3,
		Origin: -1, ReplyTo: "127.0.0.1:9000"}}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		buf, err = Append(buf[:0], m)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := Decode(buf, DefaultMaxFrame); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// benchCall measures sequential calls on one loopback connection, so ns/op
// is the round-trip latency.
func benchCall(b *testing.B, m *Msg) {
	s := startServer(b, 0, func(ctx context.Context, m *Msg) (*Msg, error) {
		return &Msg{Type: TypeAck, From: 1}, nil
	})
	c := dial(b, s.addr)
	ctx := context.Background()
	if _, err := c.Call(ctx, m); err != nil { // warm up buffers
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Call(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCallRoundTrip(b *testing.B) {
	benchCall(b, &Msg{Type: TypeProbe, From: 2})
}

func BenchmarkTransfer1MiB(b *testing.B) {
	b.SetBytes(1 << 20)
	benchCall(b, &Msg{Type: TypeTransfer, From: 2, Job: &Job{ID: 1, Size: 1, Progress: 0.5, State: bigState(1 << 20)}})
}
