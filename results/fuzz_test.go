package results

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParse feeds the store reader (parse, behind Open and Read) arbitrary
// file contents. It must never panic; on success the good prefix must end
// at a line boundary and read back alone as the same records (that prefix
// is what Open truncates a torn file to), and every record must survive
// being written back and read again unchanged, as merge does; on failure
// the error must name the file and line.
//
//	go test ./results -run '^$' -fuzz FuzzParse -fuzztime 60s
func FuzzParse(f *testing.F) {
	line := func(r Record) string {
		s, err := marshalLine(r)
		if err != nil {
			f.Fatal(err)
		}
		return s
	}
	a, b := line(testRecord("a", 1)), line(testRecord("b", 2))
	for _, seed := range []string{
		"",
		a,
		a + b,
		a + "\n\n" + b,                           // blank lines
		a + a,                                    // a key twice
		a + b[:len(b)/2],                         // torn, no newline
		a + b[:len(b)/2] + "\n",                  // torn, with newline
		a + "{\"point\":{}}\n" + b,               // empty key in the middle
		"{\"point\":{\"key\":\"k\"}}\n",          // minimal record
		"{\"point\":{\"key\":\"k\"}} trailing\n", // not JSON
		"null\n[]\n",
		strings.Replace(a, "0.9,", "1e999,", 1), // number out of range
		a + "\xff\xfe\n" + b,                    // not UTF-8
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, good, err := parse(data, "fuzz.jsonl")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.jsonl:") {
				t.Fatalf("error does not name the file and line: %v", err)
			}
			return
		}
		if good < 0 || good > int64(len(data)) || (good > 0 && data[good-1] != '\n') {
			t.Fatalf("good prefix %d of %d bytes does not end a line", good, len(data))
		}
		again, good2, err := parse(data[:good], "fuzz.jsonl")
		if err != nil || good2 != good || len(again) != len(recs) {
			t.Fatalf("the good prefix reads back as %d records, %d bytes, %v; want %d, %d", len(again), good2, err, len(recs), good)
		}
		for _, r := range recs {
			if r.Point.Key == "" {
				t.Fatal("a record without a key was accepted")
			}
			first, err := json.Marshal(r)
			if err != nil {
				t.Fatalf("a record read cannot be written: %v", err)
			}
			back, err := decodeLine(first)
			if err != nil {
				t.Fatalf("a record written cannot be read: %v", err)
			}
			second, err := json.Marshal(back)
			if err != nil || !bytes.Equal(first, second) {
				t.Fatalf("a record changes when written and read again:\n%s\n%s", first, second)
			}
		}
	})
}
