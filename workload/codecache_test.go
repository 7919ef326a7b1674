package workload

import (
	"math"
	"slices"
	"testing"
)

func seg(kernel, version string, bytes float64) CodeSegment {
	return CodeSegment{Kernel: kernel, Version: version, Bytes: bytes}
}

// keyNames renders keys as "kernel@version".
func keyNames(keys []CodeKey) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.String()
	}
	return out
}

// TestCodeCacheEviction replays operations on a 100-byte cache; after each
// it checks hit or miss and the keys held, most recently used first.
func TestCodeCacheEviction(t *testing.T) {
	c := NewCodeCache(100)
	for i, step := range []struct {
		op   string // get, insert or has
		s    CodeSegment
		hit  bool
		keys []string
	}{
		{"get", seg("a", "", 40), false, []string{"a@1"}},
		{"get", seg("b", "1", 30), false, []string{"b@1", "a@1"}},
		{"get", seg("a", "1", 40), true, []string{"a@1", "b@1"}},
		{"get", seg("c", "", 50), false, []string{"c@1", "a@1"}},        // 120 > 100: b, least recently used, goes
		{"has", seg("a", "", 40), true, []string{"c@1", "a@1"}},         // a peek changes nothing
		{"get", seg("b", "", 30), false, []string{"b@1", "c@1"}},        // a goes
		{"get", seg("d", "", 200), false, []string{"b@1", "c@1"}},       // larger than the cache: fetched, not kept
		{"has", seg("d", "", 200), false, []string{"b@1", "c@1"}},       //
		{"get", seg("c", "", 50), true, []string{"c@1", "b@1"}},         //
		{"get", seg("e", "", 100), false, []string{"e@1"}},              // b then c go
		{"get", seg("e", "2", 0), false, []string{"e@2", "e@1"}},        // another version is another segment
		{"insert", seg("f", "", 60), false, []string{"f@1", "e@2"}},     // preloaded: e@1 goes, no lookup counted
		{"insert", seg("e", "2", 0), true, []string{"e@2", "f@1"}},      // already there: refreshed
		{"get", seg("f", "", 60), true, []string{"f@1", "e@2"}},         //
		{"has", seg("e", "1", 100), false, []string{"f@1", "e@2"}},      //
		{"get", seg("g", "", 40), false, []string{"g@1", "f@1", "e@2"}}, // 100 exactly: fits
		{"get", seg("h", "", 0.5), false, []string{"h@1", "g@1"}},       // e@2 (0 bytes) is least recent, but evicting it frees nothing: f goes too
	} {
		var hit bool
		switch step.op {
		case "get":
			hit = c.Get(step.s)
		case "insert":
			hit = c.Has(step.s.Key())
			c.Insert(step.s)
		case "has":
			hit = c.Has(step.s.Key())
		}
		if hit != step.hit {
			t.Errorf("step %d: %s %v: hit %v, want %v", i, step.op, step.s.Key(), hit, step.hit)
		}
		if got := keyNames(c.Keys()); !slices.Equal(got, step.keys) {
			t.Fatalf("step %d: %s %v: keys %v, want %v", i, step.op, step.s.Key(), got, step.keys)
		}
		if c.Used() > c.Capacity() {
			t.Fatalf("step %d: %v bytes held, capacity %v", i, c.Used(), c.Capacity())
		}
	}
	want := CacheStats{Hits: 3, Misses: 9, Evictions: 7, Fetched: 40 + 30 + 50 + 30 + 200 + 100 + 0 + 40 + 0.5}
	if got := c.Stats(); got != want {
		t.Errorf("stats %+v, want %+v", got, want)
	}
	if got, want := c.Stats().HitRate(), 3.0/12; got != want {
		t.Errorf("hit rate %v, want %v", got, want)
	}
	if c.Used() != 40.5 {
		t.Errorf("used %v, want 40.5", c.Used())
	}
}

func TestCodeCacheBounds(t *testing.T) {
	for _, c := range []struct {
		name     string
		capacity float64
		sizes    []float64 // one segment each, all distinct
		kept     int
	}{
		{"unbounded", math.Inf(1), []float64{1e12, 1e12, 1e12}, 3},
		{"zero keeps only empty code", 0, []float64{0, 1, 0}, 2},
		{"exact fit", 30, []float64{10, 10, 10}, 3},
		{"one too many", 30, []float64{10, 10, 10, 10}, 3},
	} {
		cache := NewCodeCache(c.capacity)
		for i, b := range c.sizes {
			if cache.Get(seg(string(rune('a'+i)), "", b)) {
				t.Errorf("%s: segment %d hit in an empty cache", c.name, i)
			}
		}
		if n := len(cache.Keys()); n != c.kept {
			t.Errorf("%s: %d kept, want %d", c.name, n, c.kept)
		}
	}
	if (CacheStats{}).HitRate() != 0 {
		t.Error("HitRate of no lookups is not 0")
	}
	for _, bad := range []float64{-1, math.NaN()} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewCodeCache(%v) did not panic", bad)
				}
			}()
			NewCodeCache(bad)
		}()
	}
}
