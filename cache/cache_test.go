package cache_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/cache"
)

func TestPolicies(t *testing.T) {
	for _, tc := range []struct {
		spec string
		keys []int32
		hits string // one letter per request: h hit, m miss
	}{
		// 3 entries: 1 is used again, so 4 evicts 2 (least recent), 2
		// evicts 3, 1 is still there, 3 misses.
		{"lru(entries=3)", []int32{1, 2, 3, 1, 4, 2, 1, 3}, "mmmhmmhm"},
		// 1 is used twice, so 4 evicts 2 (count 1, least recent); 3 stays.
		{"lfu(entries=3)", []int32{1, 2, 3, 1, 4, 3, 1, 2}, "mmmhmhhm"},
		{"lru(entries=1)", []int32{5, 5, 6, 5}, "mhmm"},
	} {
		c, err := cache.Parse(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		k := c.New()
		var got strings.Builder
		for _, key := range tc.keys {
			if k.Request(key) {
				got.WriteByte('h')
			} else {
				got.WriteByte('m')
			}
		}
		if got.String() != tc.hits {
			t.Errorf("%s on %v: %s, want %s", tc.spec, tc.keys, got.String(), tc.hits)
		}
	}
	for spec, want := range map[string]string{
		"lru(entries=0)": "lru: parameter entries: must be between 1 and 10000000, got 0",
		"fifo":           `unknown cache "fifo": known are lfu, lru`,
		"lru":            "lru: parameter entries",
	} {
		if _, err := cache.Parse(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", spec, err, want)
		}
	}
}

// TestCheApproximation holds the LRU cache to Che's approximation: a
// million Zipf requests over 1,000 keys into caches of 10, 50 and 200
// entries (the approximation is known to be within a percent or two).
func TestCheApproximation(t *testing.T) {
	const keys = 1000
	p := make([]float64, keys)
	sum := 0.0
	for k := range p {
		p[k] = math.Pow(float64(k+1), -1.1)
		sum += p[k]
	}
	for k := range p {
		p[k] /= sum
	}
	r := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(r, 1.1, 1, keys-1)
	for _, size := range []int{10, 50, 200} {
		c, _ := cache.Parse(fmt.Sprintf("lru(entries=%d)", size))
		k := c.New()
		hits, n := 0, 1_000_000
		for range n {
			if k.Request(int32(zipf.Uint64())) {
				hits++
			}
		}
		got, want := float64(hits)/float64(n), cache.Che(p, size)
		t.Logf("%d entries: hit rate %.4f, Che %.4f", size, got, want)
		if math.Abs(got-want) > 0.02 {
			t.Errorf("%d entries: hit rate %.4f, Che's approximation %.4f", size, got, want)
		}
	}
}

func ExampleParse() {
	c, _ := cache.Parse("lru(entries=2)")
	k := c.New()
	fmt.Println(c, k.Request(7), k.Request(7), k.Request(8), k.Request(9), k.Request(7))
	// Output: lru(entries=2) false true false false false
}

// TestLRURemove: a removed key's slot is reused before any key is
// evicted, and the eviction order stays least recent first.
func TestLRURemove(t *testing.T) {
	c := cache.NewLRU(3)
	for _, k := range []int32{1, 2, 3} {
		c.Request(k)
	}
	c.Remove(2)
	c.Remove(9) // absent: nothing happens
	if c.Has(2) || !c.Has(1) || c.Len() != 2 {
		t.Fatalf("after Remove(2): Has(2)=%v Has(1)=%v Len=%d, want false true 2", c.Has(2), c.Has(1), c.Len())
	}
	c.Request(4) // takes 2's slot: nothing evicted
	if !c.Has(1) || !c.Has(3) || !c.Has(4) {
		t.Fatalf("a free slot was not reused: 1 %v 3 %v 4 %v", c.Has(1), c.Has(3), c.Has(4))
	}
	c.Request(5) // full: evicts 1, the least recent
	if c.Has(1) || !c.Has(3) {
		t.Fatalf("evicted the wrong key: Has(1)=%v Has(3)=%v", c.Has(1), c.Has(3))
	}
	c.Clear()
	if c.Len() != 0 || c.Has(3) || c.Request(3) {
		t.Fatalf("after Clear: Len %d, Has(3) %v", c.Len(), c.Has(3))
	}
}
