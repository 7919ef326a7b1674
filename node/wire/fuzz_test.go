package wire

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite testdata/fuzz/FuzzDecode seeds")

// fuzzSeeds are the seed corpus: valid frames of every shape and a few
// malformed ones. TestFuzzCorpus keeps testdata/fuzz/FuzzDecode in step.
func fuzzSeeds() map[string][]byte {
	enc := func(m *Msg) []byte { b, _ := Append(nil, m); return b }
	job := &Job{ID: 3, Arrival: 1.5, Size: 2, Class: 1, Key: 9, Hops: 1, Origin: 2, Progress: 0.5,
		ReplyTo: "127.0.0.1:1", State: []byte("st"), Checkpoint: []byte("ck"), Code: []byte("c"), Resources: []byte("r"), Homes: []int32{-1, 2}}
	job.Seal()
	sub := enc(&Msg{Type: TypeSubmit, ID: 1, From: -1, Job: job})
	return map[string][]byte{
		"valid-submit":     sub,
		"valid-phases":     enc(&Msg{Type: TypeSubmit, ID: 2, From: -1, Job: &Job{ID: 4, Size: 1.5, ReplyTo: "127.0.0.1:1", Phases: []float64{0.5, 2, 1}}}),
		"bad-phases-sum":   patch(enc(&Msg{Type: TypeSubmit, ID: 2, Job: &Job{ID: 4, Size: 1.5, Phases: []float64{0.5, 2, 1}}}), headerLen+1+16, f64(2)),
		"valid-ack":        enc(&Msg{Type: TypeAck, ID: 1, From: 2}),
		"valid-load":       enc(&Msg{Type: TypeLoad, ID: 2, From: 2, Load: &Load{Queue: 3, Running: 1, Servers: 1, Work: 2.5, Speed: 1, Seq: 4, SentUnixNano: 5}}),
		"valid-completion": enc(&Msg{Type: TypeCompletion, From: 2, Done: &Completion{JobID: 3, Node: 2, Failed: true, Reason: "ü"}}),
		"valid-control":    enc(&Msg{Type: TypeControl, ID: 9, Data: []byte(`{"op":"stats"}`)}),
		"valid-all":        enc(&Msg{Type: TypeError, ID: 9, Job: job, Load: &Load{}, Done: &Completion{}, Note: &Note{Kind: 2, Value: 1}, Data: []byte("e")}),
		"valid-message":    enc(&Msg{Type: TypeMessage, From: 1, Note: &Note{Kind: 3, Value: 0.5}}),
		"valid-cancel":     enc(&Msg{Type: TypeCancel, ID: 3, From: -1, Done: &Completion{JobID: 12}}),
		"valid-probe-load": enc(&Msg{Type: TypeProbe, ID: 4, From: 1, Load: &Load{Queue: 1, Running: 1, Servers: 1, Speed: 1}}),
		"two-frames":       append(enc(&Msg{Type: TypeProbe, ID: 1}), enc(&Msg{Type: TypeAck, ID: 1})...),
		"bad-magic":        append([]byte("XL"), sub[2:]...),
		"bad-version":      patch(sub, 2, []byte{Version + 1}),
		"old-version":      patch(sub, 2, []byte{Version - 1}),
		"bad-note-value":   patch(enc(&Msg{Type: TypeMessage, Note: &Note{}}), headerLen+2, f64(math.NaN())),
		"bad-state-length": patch(sub, headerLen+53+len(job.ReplyTo), u32(1<<31)),
		"truncated":        sub[:len(sub)-3],
		"garbage":          []byte("GET / HTTP/1.1\r\n"),
	}
}

func TestFuzzCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	for name, data := range fuzzSeeds() {
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		path := filepath.Join(dir, name)
		if *updateCorpus {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -run TestFuzzCorpus -update-corpus)", err)
		}
		if string(got) != want {
			t.Errorf("%s is out of date (run go test -run TestFuzzCorpus -update-corpus)", path)
		}
	}
}

// FuzzDecode checks that no input panics Decode or the stream reader, that
// both agree, and that whatever decodes re-encodes to the same bytes.
func FuzzDecode(f *testing.F) {
	for _, data := range fuzzSeeds() {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 1 << 16
		m, n, err := Decode(data, limit)

		// The stream reader must reach the same verdict on the same bytes.
		sm, serr := readFrame(bufio.NewReaderSize(bytes.NewReader(data), 32), limit, func() {})
		switch {
		case err == nil:
			if serr != nil || !reflect.DeepEqual(sm, m) {
				t.Fatalf("readFrame = %+v, %v; Decode = %+v", sm, serr, m)
			}
		case err == io.ErrUnexpectedEOF:
			if serr != io.ErrUnexpectedEOF && !(len(data) == 0 && serr == io.EOF) {
				t.Fatalf("readFrame error = %v, Decode error = %v", serr, err)
			}
		default:
			var fe *FrameError
			if !errors.As(err, &fe) {
				t.Fatalf("Decode error %v (%T) is neither io.ErrUnexpectedEOF nor *FrameError", err, err)
			}
			if serr == nil || serr.Error() != err.Error() {
				t.Fatalf("readFrame error = %v, Decode error = %v", serr, err)
			}
			return
		}
		if err != nil {
			return
		}

		if n < headerLen || n > len(data) {
			t.Fatalf("Decode consumed %d of %d bytes", n, len(data))
		}
		b, err := Append(nil, m)
		if err != nil {
			t.Fatalf("Append(Decode(data)): %v", err)
		}
		if !bytes.Equal(b, data[:n]) {
			t.Fatalf("re-encoding differs:\n got %x\nwant %x", b, data[:n])
		}
		m2, n2, err := Decode(b, limit)
		if err != nil || n2 != n || !reflect.DeepEqual(m2, m) {
			t.Fatalf("Decode(Append(m)) = %+v, %d, %v; want %+v", m2, n2, err, m)
		}
	})
}
