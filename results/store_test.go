package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// testRecord returns a record with key and every kind of field filled in,
// its numbers derived from i so that records differ.
func testRecord(key string, i int) Record {
	f := float64(i)
	return Record{
		Point: Point{
			Key: key, Spec: "spec1", Policy: "sender.threshold", Dispatch: "pod(d=2)",
			Migrate: "sender.threshold(T=2, probes=3)", Workload: "mm1", Arrival: "poisson",
			Size: "exp(1)", Load: 0.9, Nodes: 16, Servers: 1, Discipline: "fcfs",
			Jobs: 10000, Warmup: 1000, Replication: i % 5, Seed: 1<<63 + uint64(i),
			Backend: "sim", Costs: "zero", Gossip: 0.5,
		},
		Result: Result{
			MeanResponse: 1 + f/3, P50Response: 0.7, P95Response: 3.1, P99Response: 4.6,
			P999Response: 6.9, CI95HalfWidth: 0.01, Batches: 30, MeanWait: f / 7,
			MeanSlowdown: 2.5, MeanSize: 1.0001, JobsIssued: 10000, JobsCompleted: 9999,
			JobsFailed: 1, JobsMeasured: 8999, Throughput: 0.9, MeanInSystem: 12.5,
			ArrivalRate: 14.4, Migrations: int64(i), Probes: 3 * int64(i), Messages: 7,
			BytesMoved: 1e6, MigrationsPerJob: 0.1, ProbesPerJob: 0.3, BytesPerJob: 100,
			Utilization: 0.9, NodeUtilization: []float64{0.8, 0.95, 0.9}, TLP: 1.2,
			NodeTLP: []float64{1.1, 1.3, 1.2}, GossipAge: 0.25, SimTime: 11111.5,
			Events: 123456, Histogram: "HISTFAAAACx4nJNpmSzMwMDAzAABzFCaEUzOmNZg",
		},
		Env: Env{
			Version: "v0.1.0", Commit: "abc123", Host: "h1", CPU: "test cpu", GoVersion: "go1.26",
			Start: time.Date(2025, 3, 1, 12, 0, i%60, 0, time.UTC), Seconds: 0.125,
		},
	}
}

func mustOpen(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func keysOf(recs []Record) []string {
	keys := make([]string, len(recs))
	for i, r := range recs {
		keys[i] = r.Point.Key
	}
	return keys
}

func TestAppendReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "store") // Open creates missing directories
	s := mustOpen(t, dir)
	if got := s.Len(); got != 0 {
		t.Fatalf("new store: Len() = %d, want 0", got)
	}
	want := []Record{testRecord("a", 1), testRecord("b", 2), testRecord("c", 3)}
	for _, r := range want {
		if err := s.Append(r); err != nil {
			t.Fatalf("Append(%s): %v", r.Point.Key, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Append(testRecord("d", 4)); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Append after Close: got %v, want fs.ErrClosed", err)
	}

	s = mustOpen(t, dir)
	if got := s.Records(); !reflect.DeepEqual(got, want) {
		t.Errorf("after reopen: Records() = %v, want %v", keysOf(got), keysOf(want))
	}
	if got := s.Repaired(); got != 0 {
		t.Errorf("clean file: Repaired() = %d, want 0", got)
	}
	got, err := Read(dir)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Read = %v, want %v", keysOf(got), keysOf(want))
	}

	for _, tc := range []struct {
		key  string
		want bool
	}{{"a", true}, {"b", true}, {"c", true}, {"d", false}, {"", false}} {
		if got := s.Has(tc.key); got != tc.want {
			t.Errorf("Has(%q) = %v, want %v", tc.key, got, tc.want)
		}
	}
}

func TestAppendRefuses(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	if err := s.Append(testRecord("a", 1)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		rec     Record
		wantDup bool
		wantMsg string
	}{
		{"duplicate key", testRecord("a", 2), true, "append a"},
		{"empty key", testRecord("", 3), false, "empty point key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Append(tc.rec)
			if err == nil {
				t.Fatal("Append succeeded, want an error")
			}
			if got := errors.Is(err, ErrDuplicate); got != tc.wantDup {
				t.Errorf("errors.Is(%v, ErrDuplicate) = %v, want %v", err, got, tc.wantDup)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tc.wantMsg)
			}
		})
	}
	if got := s.Len(); got != 1 {
		t.Errorf("Len() = %d, want 1", got)
	}
	if got := s.Records()[0].Result.MeanResponse; got != testRecord("a", 1).Result.MeanResponse {
		t.Errorf("first record was replaced: MeanResponse = %v", got)
	}
}

func TestRecordsIsACopy(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	r := testRecord("a", 1)
	if err := s.Append(r); err != nil {
		t.Fatal(err)
	}
	r.Result.NodeUtilization[0] = -1 // the caller's slice
	got := s.Records()
	got[0].Result.NodeUtilization[1] = -1 // the returned slice
	if u := s.Records()[0].Result.NodeUtilization; u[0] != 0.8 || u[1] != 0.95 {
		t.Errorf("store shares memory with callers: NodeUtilization = %v", u)
	}
}

// writeGoodThen writes two good records, then tail, as a store file in a new
// directory, and returns the directory and the length of the good part.
func writeGoodThen(t *testing.T, tail string) (dir string, goodLen int) {
	t.Helper()
	dir = t.TempDir()
	s := mustOpen(t, dir)
	for i, k := range []string{"a", "b"} {
		if err := s.Append(testRecord(k, i)); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	path := filepath.Join(dir, FileName)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(tail); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, int(fi.Size())
}

func TestTornTail(t *testing.T) {
	line, _ := marshalLine(testRecord("c", 3))
	half := line[:len(line)/2]
	for _, tc := range []struct {
		name string
		tail string
	}{
		{"half a line", half},
		{"whole line without newline", strings.TrimSuffix(line, "\n")},
		{"garbage with newline", "%$#garbage\n"},
		{"garbage without newline", "%$#garbage"},
		{"NUL bytes", "\x00\x00\x00\x00\x00\x00\x00\x00"},
		{"valid JSON that is not a record", "{}\n"},
		{"null", "null\n"},
		{"half a line with newline", half + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, goodLen := writeGoodThen(t, tc.tail)

			got, err := Read(dir)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if keys := strings.Join(keysOf(got), ","); keys != "a,b" {
				t.Errorf("Read: keys %s, want a,b", keys)
			}

			s := mustOpen(t, dir)
			if keys := strings.Join(keysOf(s.Records()), ","); keys != "a,b" {
				t.Errorf("Open: keys %s, want a,b", keys)
			}
			if got, want := s.Repaired(), int64(len(tc.tail)); got != want {
				t.Errorf("Repaired() = %d, want %d", got, want)
			}
			fi, err := os.Stat(filepath.Join(dir, FileName))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Size() != int64(goodLen) {
				t.Errorf("file size after Open = %d, want %d", fi.Size(), goodLen)
			}

			// A new record lands on its own line, and everything reads back.
			if err := s.Append(testRecord("c", 3)); err != nil {
				t.Fatalf("Append after repair: %v", err)
			}
			s.Close()
			s2 := mustOpen(t, dir)
			if keys := strings.Join(keysOf(s2.Records()), ","); keys != "a,b,c" {
				t.Errorf("reopen: keys %s, want a,b,c", keys)
			}
			if got := s2.Repaired(); got != 0 {
				t.Errorf("reopen: Repaired() = %d, want 0", got)
			}
		})
	}
}

func TestCorruptMiddle(t *testing.T) {
	good, _ := marshalLine(testRecord("c", 3))
	for _, tc := range []struct {
		name     string
		tail     string
		wantLine string
	}{
		{"garbage then good line", "garbage\n" + good, ":3:"},
		{"two bad lines", "garbage\nmore garbage\n", ":3:"},
		{"half line then good line", good[:20] + "\n" + good, ":3:"},
		{"empty key then good line", "{}\n" + good, ":3:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, _ := writeGoodThen(t, tc.tail)
			want := filepath.Join(dir, FileName) + tc.wantLine
			if s, err := Open(dir); err == nil {
				s.Close()
				t.Errorf("Open succeeded, want an error naming %s", want)
			} else if !strings.Contains(err.Error(), want) {
				t.Errorf("Open: error %q does not name %s", err, want)
			}
			if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Read: error %v, want one naming %s", err, want)
			}
		})
	}
}

func TestBlankLinesAndDuplicatesInFile(t *testing.T) {
	a1, _ := marshalLine(testRecord("a", 1))
	a2, _ := marshalLine(testRecord("a", 2))
	b, _ := marshalLine(testRecord("b", 3))
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(a1+"\n"+a2+b+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	read, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := mustOpen(t, dir)
	for name, recs := range map[string][]Record{"Read": read, "Open": s.Records()} {
		if keys := strings.Join(keysOf(recs), ","); keys != "a,b" {
			t.Errorf("%s: keys %s, want a,b", name, keys)
		}
		if len(recs) > 0 && recs[0].Result.MeanResponse != testRecord("a", 1).Result.MeanResponse {
			t.Errorf("%s: the second record with key a won, want the first", name)
		}
	}
	if got := s.Repaired(); got != 0 {
		t.Errorf("Repaired() = %d, want 0", got)
	}
}

func TestReadMissing(t *testing.T) {
	if _, err := Read(t.TempDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read of an empty directory: got %v, want fs.ErrNotExist", err)
	}
}

func TestConcurrentAppend(t *testing.T) {
	const writers, each = 8, 50
	dir := t.TempDir()
	s := mustOpen(t, dir)
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				errs <- s.Append(testRecord(fmt.Sprintf("w%d-%d", w, i), i))
			}
		})
	}
	// Also race writers on one key: exactly one may win.
	var dupWins sync.Map
	for w := range writers {
		wg.Go(func() {
			if s.Append(testRecord("shared", w)) == nil {
				dupWins.Store(w, true)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Append: %v", err)
		}
	}
	wins := 0
	dupWins.Range(func(any, any) bool { wins++; return true })
	if wins != 1 {
		t.Errorf("%d appends of one key succeeded, want 1", wins)
	}

	const want = writers*each + 1
	if got := s.Len(); got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
	s.Close()
	recs, err := Read(dir)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if len(recs) != want {
		t.Errorf("Read: %d records, want %d", len(recs), want)
	}
	s2 := mustOpen(t, dir)
	for w := range writers {
		for i := range each {
			if k := fmt.Sprintf("w%d-%d", w, i); !s2.Has(k) {
				t.Errorf("reopened store lacks %s", k)
			}
		}
	}
}

// marshalLine encodes r as a store line, newline included.
func marshalLine(r Record) (string, error) {
	b, err := json.Marshal(r)
	return string(b) + "\n", err
}

// TestOldRecordsUnknownFields: a record written before wait_while_idle
// existed reads it as not known (-1), not as a measured 0; a stored 0 is
// a 0.
func TestOldRecordsUnknownFields(t *testing.T) {
	for _, tc := range []struct {
		line string
		want float64
	}{
		{`{"point":{"key":"a"},"result":{"mean_response":2}}`, -1},
		{`{"point":{"key":"a"},"result":{"mean_response":2,"wait_while_idle":0}}`, 0},
		{`{"point":{"key":"a"},"result":{"mean_response":2,"wait_while_idle":0.25}}`, 0.25},
	} {
		r, err := decodeLine([]byte(tc.line))
		if err != nil {
			t.Fatal(err)
		}
		if r.Result.WaitWhileIdle != tc.want || r.Result.MeanResponse != 2 {
			t.Errorf("%s: wait_while_idle %v, mean %v; want %v, 2", tc.line, r.Result.WaitWhileIdle, r.Result.MeanResponse, tc.want)
		}
	}
}
