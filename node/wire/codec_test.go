package wire

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
)

// normalize makes m comparable with a decoded message: decoding yields nil
// for empty byte slices.
func normalize(m *Msg) *Msg {
	c := *m
	if len(c.Data) == 0 {
		c.Data = nil
	}
	if c.Job != nil {
		j := *c.Job
		if len(j.State) == 0 {
			j.State = nil
		}
		c.Job = &j
	}
	return &c
}

func mustAppend(t testing.TB, m *Msg) []byte {
	t.Helper()
	b, err := Append(nil, m)
	if err != nil {
		t.Fatalf("Append(%v): %v", m.Type, err)
	}
	return b
}

func bigState(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>11)
	}
	return b
}

// roundTripCases is every message type with typical and extreme contents.
func roundTripCases() []struct {
	name string
	m    *Msg
} {
	job := &Job{ID: 42, Arrival: 12.5, Size: 0.75, Class: 2, Key: -7, Hops: 3, Origin: 1, Progress: 0.25,
		ReplyTo: "127.0.0.1:9000", State: []byte{1, 2, 3}}
	return []struct {
		name string
		m    *Msg
	}{
		{"error", &Msg{Type: TypeError, ID: 9, From: -1, Data: []byte("refused: queue full — 満杯")}},
		{"error empty", &Msg{Type: TypeError, ID: 9, From: 4}},
		{"submit", &Msg{Type: TypeSubmit, ID: 1, From: -1, Job: job}},
		{"submit with phases", &Msg{Type: TypeSubmit, ID: 2, From: -1, Job: &Job{ID: 1, Size: 1.5, Phases: []float64{0.5, 2, 1}}}},
		{"submit with phases only a burst", &Msg{Type: TypeSubmit, ID: 2, From: -1, Job: &Job{ID: 1, Size: 0.25, Phases: []float64{0.25}}}},
		{"submit with phases starting blocked", &Msg{Type: TypeSubmit, ID: 2, From: -1, Job: &Job{ID: 1, Size: 1, Phases: []float64{0, 3, 1}}}},
		{"submit with content", &Msg{Type: TypeSubmit, ID: 2, From: -1, Job: &Job{ID: 1, Size: 1, Key: 17, Hit: 0.2, Response: 5000}}},
		{"transfer looked up", &Msg{Type: TypeTransfer, ID: 2, From: 1, Job: &Job{ID: 1, Size: 0.2, Hit: 0.2, Lookup: LookupHit}}},
		{"submit empty state", &Msg{Type: TypeSubmit, ID: 2, From: -1, Job: &Job{ID: 1, Size: 1, State: []byte{}}}},
		{"submit unicode reply-to", &Msg{Type: TypeSubmit, ID: 3, Job: &Job{ID: 1, Size: 1, ReplyTo: "gënératør-😀:80"}}},
		{"ack", &Msg{Type: TypeAck, ID: math.MaxUint64, From: math.MaxInt32}},
		{"probe", &Msg{Type: TypeProbe, ID: 5, From: 0}},
		{"load", &Msg{Type: TypeLoad, ID: 5, From: 3, Load: &Load{Queue: 4, Running: 2, Servers: 2, Work: 3.5, Speed: 1.5,
			Seq: math.MaxUint64, SentUnixNano: 1700000000123456789}}},
		{"load negative zero", &Msg{Type: TypeLoad, Load: &Load{Work: math.Copysign(0, -1), Speed: math.SmallestNonzeroFloat64}}},
		{"transfer", &Msg{Type: TypeTransfer, ID: 6, From: 1, Job: job}},
		{"transfer with segments", &Msg{Type: TypeTransfer, ID: 6, From: 1, Job: &Job{ID: 5, Size: 2, Progress: 1,
			State: []byte("data"), Checkpoint: []byte("ckpt"), Code: []byte("code"), Resources: []byte("res"), Homes: []int32{-1, 3, math.MaxInt32}, Sum: 0xdeadbeef}}},
		{"fetch", &Msg{Type: TypeFetch, ID: 12, From: 1, Data: []byte("hash/2")}},
		{"access", &Msg{Type: TypeAccess, ID: 13, From: 1, Data: make([]byte, 100)}},
		{"page", &Msg{Type: TypePage, ID: 14, From: 1, Data: make([]byte, 300)}},
		{"completion with content", &Msg{Type: TypeCompletion, From: 2, Done: &Completion{JobID: 42, Node: 2, Lookup: LookupMiss, Body: make([]byte, 5000)}}},
		{"completion with a lookup", &Msg{Type: TypeCompletion, From: 2, Done: &Completion{JobID: 42, Node: 2, Lookup: LookupHit}}},
		{"completion with result", &Msg{Type: TypeCompletion, From: 2, Done: &Completion{JobID: 42, Node: 2, Result: []byte{0, 1, 2}}}},
		{"transfer 1MiB state", &Msg{Type: TypeTransfer, ID: 7, From: 1, Job: &Job{ID: math.MaxInt64, Arrival: math.MaxFloat64,
			Size: 1e-300, Class: math.MinInt32, Key: math.MaxInt32, Hops: 100, Origin: -1, Progress: 0.5, ReplyTo: "r", State: bigState(1 << 20)}}},
		{"probe with the prober's load", &Msg{Type: TypeProbe, ID: 5, From: 2, Load: &Load{Queue: 2, Running: 1, Servers: 1, Work: 1.5, Speed: 1}}},
		{"steal", &Msg{Type: TypeSteal, ID: 8, From: 2}},
		{"steal reply", &Msg{Type: TypeAck, ID: 8, From: 3}},
		{"message", &Msg{Type: TypeMessage, From: 3, Note: &Note{Kind: 1, Value: 2.5}}},
		{"message extremes", &Msg{Type: TypeMessage, ID: 4, From: -1, Note: &Note{Kind: math.MaxUint8, Value: -math.MaxFloat64}}},
		{"message zero", &Msg{Type: TypeMessage, Note: &Note{}}},
		{"cancel", &Msg{Type: TypeCancel, ID: 5, From: -1, Done: &Completion{JobID: 1 << 40}}},
		{"cancel reply", &Msg{Type: TypeAck, ID: 5, From: 2, Note: &Note{Kind: CancelStopped, Value: 1.25}}},
		{"completion", &Msg{Type: TypeCompletion, From: 2, Done: &Completion{JobID: 42, Node: 2, Hops: 1,
			StartUnixNano: 1, EndUnixNano: math.MaxInt64}}},
		{"completion failed", &Msg{Type: TypeCompletion, From: 2, Done: &Completion{JobID: -1, Node: 2, Failed: true,
			Reason: "agent shut down ✗"}}},
		{"control", &Msg{Type: TypeControl, ID: 10, From: -1, Data: []byte(`{"op":"stats","ñ":"ü"}`)}},
		{"everything", &Msg{Type: TypeControl, ID: 11, From: 7, Job: job, Load: &Load{Queue: 1}, Done: &Completion{Reason: "x"},
			Note: &Note{Kind: 7, Value: 1}, Data: []byte("{}")}},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range roundTripCases() {
		t.Run(tc.name, func(t *testing.T) {
			frame := mustAppend(t, tc.m)
			// Decode from a buffer holding more than this frame.
			buf := append(bytes.Clone(frame), 'L', 'L', Version)
			got, n, err := Decode(buf, DefaultMaxFrame)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if n != len(frame) {
				t.Errorf("Decode consumed %d bytes, want %d", n, len(frame))
			}
			if want := normalize(tc.m); !reflect.DeepEqual(got, want) {
				t.Errorf("Decode(Append(m)) = %+v, want %+v", got, want)
			}
			if again := mustAppend(t, got); !bytes.Equal(again, frame) {
				t.Errorf("re-encoding differs from the original frame")
			}
			// The decoded message owns its bytes.
			if got.Job != nil && len(got.Job.State) > 0 {
				clear(buf)
				if !bytes.Equal(got.Job.State, tc.m.Job.State) {
					t.Errorf("decoded State aliases the frame")
				}
			}
		})
	}
}

func TestAppendKeepsDst(t *testing.T) {
	prefix := []byte("prefix")
	b, err := Append(prefix, &Msg{Type: TypeProbe, ID: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, prefix) {
		t.Fatalf("Append lost dst")
	}
	m, n, err := Decode(b[len(prefix):], 0)
	if err != nil || n != len(b)-len(prefix) || m.Type != TypeProbe {
		t.Fatalf("Decode = %v, %d, %v", m, n, err)
	}
}

func TestAppendRejects(t *testing.T) {
	tests := []struct {
		name string
		m    *Msg
		want string
	}{
		{"nil", nil, "nil message"},
		{"type 0", &Msg{}, "unknown type 0"},
		{"type 15", &Msg{Type: 15}, "unknown type 15"},
		{"submit without job", &Msg{Type: TypeSubmit}, "submit message without job"},
		{"transfer without job", &Msg{Type: TypeTransfer}, "transfer message without job"},
		{"load without load", &Msg{Type: TypeLoad}, "load message without load"},
		{"completion without done", &Msg{Type: TypeCompletion}, "completion message without completion"},
		{"NaN size", &Msg{Type: TypeSubmit, Job: &Job{Size: math.NaN()}}, "job size NaN is not finite"},
		{"Inf arrival", &Msg{Type: TypeSubmit, Job: &Job{Arrival: math.Inf(1)}}, "job arrival +Inf is not finite"},
		{"NaN progress", &Msg{Type: TypeTransfer, Job: &Job{Progress: math.NaN()}}, "job progress NaN is not finite"},
		{"negative hit size", &Msg{Type: TypeSubmit, Job: &Job{Size: 1, Hit: -1}}, "job hit size -1: want a finite number >= 0"},
		{"NaN response", &Msg{Type: TypeSubmit, Job: &Job{Size: 1, Response: math.NaN()}}, "job response NaN bytes"},
		{"bad lookup", &Msg{Type: TypeCompletion, Done: &Completion{Lookup: 3}}, "completion lookup 3"},
		{"empty phases", &Msg{Type: TypeSubmit, Job: &Job{Size: 1, Phases: []float64{}}}, "job has 0 phases: want an odd number"},
		{"even phases", &Msg{Type: TypeSubmit, Job: &Job{Size: 1, Phases: []float64{1, 2}}}, "job has 2 phases: want an odd number"},
		{"too many phases", &Msg{Type: TypeSubmit, Job: &Job{Size: 0, Phases: make([]float64, MaxPhases+2)}}, "up to 20001"},
		{"negative wait", &Msg{Type: TypeSubmit, Job: &Job{Size: 1, Phases: []float64{1, -1, 0}}}, "job phase 1 is -1: want a finite number >= 0"},
		{"NaN burst", &Msg{Type: TypeSubmit, Job: &Job{Size: 1, Phases: []float64{math.NaN()}}}, "job phase 0 is NaN"},
		{"phases off size", &Msg{Type: TypeSubmit, Job: &Job{Size: 2, Phases: []float64{1, 5, 0.5}}}, "bursts add up to 1.5, but its size is 2"},
		{"Inf work", &Msg{Type: TypeLoad, Load: &Load{Work: math.Inf(-1)}}, "load work -Inf is not finite"},
		{"message without note", &Msg{Type: TypeMessage}, "message without note"},
		{"cancel without job", &Msg{Type: TypeCancel}, "cancel message without completion"},
		{"NaN note", &Msg{Type: TypeMessage, Note: &Note{Value: math.NaN()}}, "note value NaN is not finite"},
		{"Inf note elsewhere", &Msg{Type: TypeAck, Note: &Note{Value: math.Inf(1)}}, "note value +Inf is not finite"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := []byte("keep")
			got, err := Append(dst, tc.m)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Append error = %v, want one containing %q", err, tc.want)
			}
			if string(got) != "keep" {
				t.Errorf("Append changed dst to %q on error", got)
			}
		})
	}
}

// rawFrame builds a frame by hand, with the length field set to len(payload).
func rawFrame(version byte, typ Type, payload []byte) []byte {
	b := []byte{'L', 'L', version, byte(typ)}
	b = binary.LittleEndian.AppendUint64(b, 77)
	b = binary.LittleEndian.AppendUint32(b, 3)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)))
	return append(b, payload...)
}

// Offsets into a Submit payload (after the 20-byte header) of a job with an
// empty ReplyTo and State: flags 0, job ID 1, arrival 9, size 17, class 25,
// key 29, hops 33, origin 37, progress 41, reply-to length 49, state length
// 53, data length 57; 61 bytes in all.
func submitPayload() []byte {
	f, _ := Append(nil, &Msg{Type: TypeSubmit, Job: &Job{ID: 1, Size: 1}})
	return f[headerLen:]
}

// withPhases turns the submit payload sub (submitPayload) into one with a
// phases section made of parts, before the data length.
func withPhases(sub []byte, parts ...[]byte) []byte {
	p := bytes.Clone(sub[:len(sub)-4])
	p[0] |= flagPhases
	for _, x := range parts {
		p = append(p, x...)
	}
	return append(p, sub[len(sub)-4:]...)
}

func patch(p []byte, off int, v []byte) []byte {
	p = bytes.Clone(p)
	copy(p[off:], v)
	return p
}

func u32(v uint32) []byte  { return binary.LittleEndian.AppendUint32(nil, v) }
func f64(v float64) []byte { return binary.LittleEndian.AppendUint64(nil, math.Float64bits(v)) }

func TestDecodeMalformed(t *testing.T) {
	valid := mustAppend(t, &Msg{Type: TypeSubmit, ID: 1, Job: &Job{ID: 1, Size: 1, State: []byte("state")}})
	sub := submitPayload()
	completion := mustAppend(t, &Msg{Type: TypeCompletion, Done: &Completion{JobID: 1}})
	loadFrame := mustAppend(t, &Msg{Type: TypeLoad, Load: &Load{Speed: 1}})
	const small = 1024
	tests := []struct {
		name       string
		frame      []byte
		incomplete bool   // want io.ErrUnexpectedEOF rather than a *FrameError
		reason     string // part of the FrameError reason
	}{
		{"empty", nil, true, ""},
		{"truncated header", valid[:10], true, ""},
		{"truncated frame", valid[:len(valid)-1], true, ""},
		{"wrong magic", append([]byte("XX"), valid[2:]...), false, "wrong magic"},
		{"wrong second magic byte", []byte("LX"), false, "wrong magic"},
		{"http request", []byte("GET / HTTP/1.1\r\n\r\n"), false, "wrong magic"},
		{"version 2", patch(valid, 2, []byte{2}), false, "unsupported version 2, want 3"},
		{"version 4", patch(valid, 2, []byte{4}), false, "unsupported version 4"},
		{"version 0 in partial header", []byte{'L', 'L', 0}, false, "unsupported version 0"},
		{"type 0", patch(valid, 3, []byte{0}), false, "unknown type 0"},
		{"type 15", patch(valid, 3, []byte{15}), false, "unknown type 15"},
		{"type 255", patch(valid, 3, []byte{255}), false, "unknown type 255"},
		{"length over max", rawFrame(Version, TypeControl, make([]byte, small+1)), false, "exceeds the limit of 1024"},
		{"length over max, payload absent", rawFrame(Version, TypeControl, make([]byte, small+1))[:headerLen], false, "exceeds the limit"},
		{"length 2^32-1", patch(valid[:headerLen], 16, u32(math.MaxUint32)), false, "exceeds the limit"},
		{"empty payload", rawFrame(Version, TypeAck, nil), false, "flags truncated"},
		{"payload without data length", rawFrame(Version, TypeAck, []byte{0}), false, "data length truncated"},
		{"truncated job", rawFrame(Version, TypeSubmit, sub[:30]), false, "truncated"},
		{"truncated load", loadFrame[:len(loadFrame)-1], true, ""},
		{"load cut inside payload", rawFrame(Version, TypeLoad, loadFrame[headerLen:headerLen+20]), false, "load"},
		{"reply-to length -1", rawFrame(Version, TypeSubmit, patch(sub, 49, u32(math.MaxUint32))), false, "job reply-to length 4294967295 exceeds"},
		{"state length 2^31", rawFrame(Version, TypeSubmit, patch(sub, 53, u32(1<<31))), false, "job state length 2147483648 exceeds"},
		{"state length one too many", rawFrame(Version, TypeSubmit, patch(sub, 53, u32(25))), false, "job state length 25 exceeds the 24 bytes"},
		{"checkpoint length 2^31", rawFrame(Version, TypeSubmit, patch(sub, 57, u32(1<<31))), false, "job checkpoint length 2147483648 exceeds"},
		{"resources length one too many", rawFrame(Version, TypeSubmit, patch(sub, 65, u32(13))), false, "job resources length 13 exceeds the 12 bytes"},
		{"homes count 2^30", rawFrame(Version, TypeSubmit, patch(sub, 69, u32(1<<30))), false, "job homes count 1073741824 exceeds"},
		{"checksum cut", rawFrame(Version, TypeSubmit, sub[:75]), false, "job checksum truncated"},
		{"data length -1", rawFrame(Version, TypeAck, append([]byte{0}, u32(math.MaxUint32)...)), false, "data length 4294967295 exceeds"},
		{"trailing garbage", rawFrame(Version, TypeSubmit, append(bytes.Clone(sub), 0)), false, "1 bytes of trailing garbage"},
		{"unknown flags", rawFrame(Version, TypeAck, []byte{128, 0, 0, 0, 0}), false, "unknown payload flags"},
		{"phases without a job", rawFrame(Version, TypeAck, []byte{flagPhases, 0, 0, 0, 0}), false, "phases without a job"},
		{"phases count 0", rawFrame(Version, TypeSubmit, withPhases(sub, u32(0))), false, "job phases section with no phase"},
		{"phases count over the limit", rawFrame(Version, TypeSubmit, withPhases(sub, u32(MaxPhases+2))), false, "job phases count 20003 exceeds the limit of 20001"},
		{"phases count past the end", rawFrame(Version, TypeSubmit, withPhases(sub, u32(3), f64(1))), false, "job phases count 3 exceeds the 12 bytes remaining"},
		{"phases even", rawFrame(Version, TypeSubmit, withPhases(sub, u32(2), f64(1), f64(0))), false, "job has 2 phases"},
		{"phases NaN", rawFrame(Version, TypeSubmit, withPhases(sub, u32(1), f64(math.NaN()))), false, "job phase 0 is NaN"},
		{"phases off size", rawFrame(Version, TypeSubmit, withPhases(sub, u32(3), f64(0.5), f64(1), f64(0.25))), false, "bursts add up to 0.75, but its size is 1"},
		{"message without note", rawFrame(Version, TypeMessage, []byte{0, 0, 0, 0, 0}), false, "message without note"},
		{"cancel without completion", rawFrame(Version, TypeCancel, []byte{0, 0, 0, 0, 0}), false, "cancel message without completion"},
		{"note without value", rawFrame(Version, TypeMessage, []byte{flagNote, 1}), false, "note value truncated"},
		{"note cut in its value", rawFrame(Version, TypeMessage, []byte{flagNote, 1, 0, 0, 0}), false, "note value truncated"},
		{"note without data length", rawFrame(Version, TypeMessage, append([]byte{flagNote, 1}, f64(1)...)), false, "data length truncated"},
		{"NaN note value", rawFrame(Version, TypeMessage, append(append([]byte{flagNote, 1}, f64(math.NaN())...), u32(0)...)), false, "note value NaN"},
		{"note trailing garbage", rawFrame(Version, TypeMessage, append(append([]byte{flagNote, 1}, f64(1)...), 0, 0, 0, 0, 9)), false, "1 bytes of trailing garbage"},
		{"submit without job", rawFrame(Version, TypeSubmit, []byte{0, 0, 0, 0, 0}), false, "submit message without job"},
		{"completion without completion", rawFrame(Version, TypeCompletion, []byte{0, 0, 0, 0, 0}), false, "without completion"},
		{"NaN size", rawFrame(Version, TypeSubmit, patch(sub, 17, f64(math.NaN()))), false, "job size NaN"},
		{"Inf size", rawFrame(Version, TypeSubmit, patch(sub, 17, f64(math.Inf(1)))), false, "job size +Inf"},
		{"NaN arrival", rawFrame(Version, TypeSubmit, patch(sub, 9, f64(math.NaN()))), false, "job arrival NaN"},
		{"-Inf progress", rawFrame(Version, TypeSubmit, patch(sub, 41, f64(math.Inf(-1)))), false, "job progress -Inf"},
		{"failed flag 2", patch(completion, len(completion)-4-4-4-1, []byte{2}), false, "failed flag 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, n, err := Decode(tc.frame, small)
			if m != nil || n != 0 {
				t.Errorf("Decode = %v, %d; want nil, 0 on error", m, n)
			}
			if tc.incomplete {
				if err != io.ErrUnexpectedEOF {
					t.Fatalf("Decode error = %v, want io.ErrUnexpectedEOF", err)
				}
				return
			}
			var fe *FrameError
			if !errors.As(err, &fe) {
				t.Fatalf("Decode error = %v (%T), want *FrameError", err, err)
			}
			if !strings.Contains(fe.Reason, tc.reason) {
				t.Errorf("reason = %q, want it to contain %q", fe.Reason, tc.reason)
			}
			if !strings.HasPrefix(err.Error(), "wire: bad frame: ") {
				t.Errorf("Error() = %q, want prefix %q", err, "wire: bad frame: ")
			}
		})
	}
}

func TestTypeString(t *testing.T) {
	tests := []struct {
		t    Type
		want string
	}{
		{TypeError, "error"}, {TypeSubmit, "submit"}, {TypeAck, "ack"}, {TypeProbe, "probe"}, {TypeLoad, "load"},
		{TypeTransfer, "transfer"}, {TypeSteal, "steal"}, {TypeCompletion, "completion"}, {TypeControl, "control"},
		{TypeMessage, "message"}, {TypeFetch, "fetch"}, {TypeAccess, "access"}, {TypePage, "page"}, {TypeCancel, "cancel"}, {0, "Type(0)"}, {15, "Type(15)"},
	}
	for _, tc := range tests {
		if got := tc.t.String(); got != tc.want {
			t.Errorf("Type(%d).String() = %q, want %q", uint8(tc.t), got, tc.want)
		}
	}
}

func TestMsgErr(t *testing.T) {
	if err := (&Msg{Type: TypeAck, Data: []byte("x")}).Err(); err != nil {
		t.Errorf("ack Err() = %v, want nil", err)
	}
	if err := (*Msg)(nil).Err(); err != nil {
		t.Errorf("nil Err() = %v, want nil", err)
	}
	if err := (&Msg{Type: TypeError, Data: []byte("queue full")}).Err(); err == nil || err.Error() != "queue full" {
		t.Errorf("error Err() = %v, want %q", err, "queue full")
	}
	if err := (&Msg{Type: TypeError}).Err(); err == nil {
		t.Errorf("empty error Err() = nil, want an error")
	}
}

// TestReadFrameLarge covers payloads above allocAtOnce, which grow as they
// arrive.
func TestReadFrameLarge(t *testing.T) {
	m := &Msg{Type: TypeTransfer, ID: 3, Job: &Job{ID: 1, Size: 1, State: bigState(allocAtOnce*2 + 12345)}}
	frame := mustAppend(t, m)
	got, err := readFrame(bufio.NewReaderSize(bytes.NewReader(frame), 4096), DefaultMaxFrame, func() {})
	if err != nil {
		t.Fatal(err)
	}
	got.payload = nil // the pooled frame buffer
	if !reflect.DeepEqual(got, m) {
		t.Errorf("large frame did not round-trip")
	}
	_, err = readFrame(bufio.NewReaderSize(bytes.NewReader(frame[:len(frame)-1]), 4096), DefaultMaxFrame, func() {})
	if err != io.ErrUnexpectedEOF {
		t.Errorf("truncated large frame: error = %v, want io.ErrUnexpectedEOF", err)
	}
	if _, err := readFrame(bufio.NewReaderSize(bytes.NewReader(frame), 4096), allocAtOnce, func() {}); err == nil {
		t.Errorf("frame over the limit accepted")
	}
}

// TestRelease reads pooled frames one after another, releasing each: a
// reused buffer carries the new frame's bytes, never the old one's.
func TestRelease(t *testing.T) {
	var frames []byte
	var want []*Msg
	for i := range 5 {
		st := bytes.Repeat([]byte{byte(i + 1)}, minPooled+i*1000)
		m := &Msg{Type: TypePage, ID: uint64(i), Data: st}
		frames = append(frames, mustAppend(t, m)...)
		want = append(want, m)
	}
	r := bufio.NewReaderSize(bytes.NewReader(frames), 4096)
	for i, w := range want {
		got, err := readFrame(r, DefaultMaxFrame, func() {})
		if err != nil {
			t.Fatal(err)
		}
		if got.payload == nil {
			t.Fatalf("frame %d of %d bytes not pooled", i, len(w.Data))
		}
		if !bytes.Equal(got.Data, w.Data) {
			t.Fatalf("frame %d: data differs after buffers were reused", i)
		}
		got.Release()
		got.Release() // a second release is harmless
	}
}
