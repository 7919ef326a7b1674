package experiment

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseSpec feeds ParseSpec arbitrary bytes, seeded with every spec in
// examples/ and the command's test specs. Bad input must come back as an
// InputError, never a panic; a spec that parses must expand into points
// without error, each with a key.
//
//	go test ./experiment -run '^$' -fuzz FuzzParseSpec -fuzztime 60s
func FuzzParseSpec(f *testing.F) {
	var seeds []string
	for _, glob := range []string{"../examples/*.yaml", "../examples/*/*.yaml", "../cmd/loadlab/testdata/*.yaml"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, m...)
	}
	if len(seeds) == 0 {
		f.Fatal("no seed specs found")
	}
	for _, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSpec("fuzz.yaml", data)
		if err != nil {
			if !IsInput(err) {
				t.Fatalf("ParseSpec error is not an input error: %v", err)
			}
			return
		}
		if s.Hash() == "" {
			t.Fatal("a parsed spec has no hash")
		}
		// Expanding is cheap per point; keep the fuzzer's specs small.
		if n := len(s.Loads) * len(s.Workloads) * len(s.Policies) * len(s.Backends) * s.Replications; n > 10000 {
			return
		}
		pts, err := s.Points()
		if err != nil {
			t.Fatalf("a spec that ParseSpec accepted does not expand: %v", err)
		}
		for _, p := range pts {
			if p.Point.Key == "" {
				t.Fatalf("point %+v has no key", p.Point)
			}
		}
	})
}
