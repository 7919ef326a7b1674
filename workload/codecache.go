package workload

import (
	"container/list"
	"fmt"
	"math"
)

// CodeKey identifies a code segment in a cache: a kernel and its version.
type CodeKey struct {
	Kernel  string
	Version string
}

// String renders the key as "kernel@version".
func (k CodeKey) String() string { return k.Kernel + "@" + k.Version }

// CacheStats counts what a code cache did.
type CacheStats struct {
	Hits      int64   // lookups that found the code
	Misses    int64   // lookups that did not
	Evictions int64   // segments dropped to make room
	Fetched   float64 // bytes fetched on misses
}

// HitRate returns Hits / (Hits + Misses), 0 before any lookup.
func (s CacheStats) HitRate() float64 {
	if n := s.Hits + s.Misses; n > 0 {
		return float64(s.Hits) / float64(n)
	}
	return 0
}

// CodeCache is one node's bounded cache of code segments for code on
// demand, evicting the least recently used. It is not safe for concurrent
// use.
type CodeCache struct {
	capacity float64
	used     float64
	order    *list.List // of cacheEntry, most recently used first
	index    map[CodeKey]*list.Element
	stats    CacheStats
}

type cacheEntry struct {
	key   CodeKey
	bytes float64
}

// NewCodeCache returns an empty cache holding at most capacity bytes
// (math.Inf(1) for no bound). It panics if capacity is negative or NaN.
func NewCodeCache(capacity float64) *CodeCache {
	if !(capacity >= 0) {
		panic(fmt.Sprintf("workload: code cache capacity must be ≥ 0, got %v", capacity))
	}
	return &CodeCache{capacity: capacity, order: list.New(), index: map[CodeKey]*list.Element{}}
}

// Has reports whether the cache holds k, without counting a lookup or
// changing the order: what a policy may ask before choosing a destination.
func (c *CodeCache) Has(k CodeKey) bool {
	_, ok := c.index[k]
	return ok
}

// Get is one code-on-demand lookup of s: a hit makes s the most recently
// used; a miss fetches s (counting its bytes) and keeps it, evicting least
// recently used segments to make room. A segment larger than the whole
// cache is fetched but not kept.
func (c *CodeCache) Get(s CodeSegment) (hit bool) {
	k := s.Key()
	if e, ok := c.index[k]; ok {
		c.order.MoveToFront(e)
		c.stats.Hits++
		return true
	}
	c.stats.Misses++
	c.stats.Fetched += s.Bytes
	c.add(k, s.Bytes)
	return false
}

// Insert puts s in the cache as the most recently used without counting a
// lookup or a fetch: code a node holds from the start, or code pushed to it.
func (c *CodeCache) Insert(s CodeSegment) {
	k := s.Key()
	if e, ok := c.index[k]; ok {
		c.order.MoveToFront(e)
		return
	}
	c.add(k, s.Bytes)
}

// add stores an absent key, evicting from the back until it fits.
func (c *CodeCache) add(k CodeKey, bytes float64) {
	if bytes > c.capacity {
		return
	}
	for c.used+bytes > c.capacity {
		e := c.order.Back()
		old := c.order.Remove(e).(cacheEntry)
		delete(c.index, old.key)
		c.used -= old.bytes
		c.stats.Evictions++
	}
	if c.order.Len() == 0 {
		c.used = 0 // no rounding drift
	}
	c.index[k] = c.order.PushFront(cacheEntry{k, bytes})
	c.used += bytes
}

// Keys returns the cached keys, most recently used first.
func (c *CodeCache) Keys() []CodeKey {
	out := make([]CodeKey, 0, c.order.Len())
	for e := c.order.Front(); e != nil; e = e.Next() {
		out = append(out, e.Value.(cacheEntry).key)
	}
	return out
}

// Used returns the bytes held.
func (c *CodeCache) Used() float64 { return c.used }

// Capacity returns the most bytes the cache holds.
func (c *CodeCache) Capacity() float64 { return c.capacity }

// Stats returns the counts so far.
func (c *CodeCache) Stats() CacheStats { return c.stats }

// unbounded is the capacity of a cache without a bound.
var unbounded = math.Inf(1)

// HitSeries counts code lookups, and the hits among them, in all and per
// bin of Bin model units from the start: the code caches' hit rate over
// time (a cold start, a cache too small for the working set). The zero
// value counts totals only.
type HitSeries struct {
	Bin                 float64 // model units per bin; 0 = totals only
	Lookups, Hits       int64
	BinLookups, BinHits []int64
}

// Add counts one lookup at model time t.
func (h *HitSeries) Add(t float64, hit bool) {
	h.Lookups++
	if hit {
		h.Hits++
	}
	if h.Bin <= 0 || !(t >= 0) || math.IsInf(t, 0) {
		return
	}
	i := int(t / h.Bin)
	for len(h.BinLookups) <= i {
		h.BinLookups, h.BinHits = append(h.BinLookups, 0), append(h.BinHits, 0)
	}
	h.BinLookups[i]++
	if hit {
		h.BinHits[i]++
	}
}

// Merge adds o's counts to h's (bins of the same width).
func (h *HitSeries) Merge(o HitSeries) {
	h.Lookups += o.Lookups
	h.Hits += o.Hits
	for len(h.BinLookups) < len(o.BinLookups) {
		h.BinLookups, h.BinHits = append(h.BinLookups, 0), append(h.BinHits, 0)
	}
	for i := range o.BinLookups {
		h.BinLookups[i] += o.BinLookups[i]
		h.BinHits[i] += o.BinHits[i]
	}
}

// Rate is the hit rate in all, 0 before any lookup.
func (h *HitSeries) Rate() float64 {
	if h.Lookups == 0 {
		return 0
	}
	return float64(h.Hits) / float64(h.Lookups)
}

// Rates is the hit rate per bin, -1 for a bin without lookups.
func (h *HitSeries) Rates() []float64 {
	var out []float64
	for i, n := range h.BinLookups {
		if n == 0 {
			out = append(out, -1)
		} else {
			out = append(out, float64(h.BinHits[i])/float64(n))
		}
	}
	return out
}
