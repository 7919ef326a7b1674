// Package cache models the content a server keeps warm: a bounded cache
// of keys per node. A request whose key is in its node's cache is a hit
// and is served faster (workload.Config.Hit); a miss brings its key in,
// evicting another when the cache is full. With it, content-aware
// dispatch (hash, lard) has something to win over load-only dispatch.
//
// Policies: lru (evict the least recently used key) and lfu (the least
// frequently used, ties by least recent). Che's approximation predicts an
// LRU cache's hit rate under independent requests (Che).
package cache

import (
	"math"

	"github.com/loadlab/loadlab/param"
)

// Config is a cache policy and its size.
type Config struct {
	Policy  string // lru or lfu
	Entries int    // keys a node's cache holds
	spec    string // canonical form
}

var policies = param.Registry[*Config]{
	{Name: "lfu", Doc: "each node keeps the `entries` keys requested most often (ties: the most recent)",
		Schema: param.Schema{{Name: "entries", Kind: param.Int, Doc: "keys per node, >= 1"}},
		Build:  build("lfu")},
	{Name: "lru", Doc: "each node keeps the `entries` keys requested most recently",
		Schema: param.Schema{{Name: "entries", Kind: param.Int, Doc: "keys per node, >= 1"}},
		Build:  build("lru")},
}

func build(name string) func(v param.Values) (*Config, error) {
	return func(v param.Values) (*Config, error) {
		c := &Config{Policy: name, Entries: v.Int("entries")}
		if c.Entries < 1 || c.Entries > MaxEntries {
			return nil, v.Errorf("entries", "must be between 1 and %d, got %d", MaxEntries, c.Entries)
		}
		return c, nil
	}
}

// MaxEntries bounds a node's cache (memory: about 40 bytes a key).
const MaxEntries = 10_000_000

// Parse parses a cache: "lru(entries=100)", "lfu(entries=50)". The empty
// string is none (nil).
func Parse(s string) (*Config, error) {
	if s == "" {
		return nil, nil
	}
	c, spec, err := policies.ParseCanonical("cache", s)
	if err != nil {
		return nil, err
	}
	c.spec = spec
	return c, nil
}

// Entries lists the cache policies for `loadlab policies`.
func Entries() []param.Entry { return policies.Entries() }

// String is the canonical form.
func (c *Config) String() string {
	if c == nil {
		return ""
	}
	return c.spec
}

// Cache is one node's cache.
type Cache interface {
	// Request looks key up and reports whether it was there (a hit);
	// either way key is then the most recently used, and a miss brings
	// it in.
	Request(key int32) bool
}

// New makes an empty cache of c's policy and size.
func (c *Config) New() Cache {
	if c.Policy == "lfu" {
		return newLFU(c.Entries)
	}
	return NewLRU(c.Entries)
}

// LRU is a least-recently-used cache: a map from key to slot and a
// doubly linked list of slots, most recent first, in arrays (no
// allocation per request once full).
type LRU struct {
	slot       map[int32]int32
	key        []int32
	prev, next []int32
	free       []int32 // slots of removed keys
	head, tail int32   // most and least recent; -1: empty
}

// NewLRU makes an empty LRU cache of n keys.
func NewLRU(n int) *LRU {
	return &LRU{slot: make(map[int32]int32, n), key: make([]int32, 0, n), prev: make([]int32, 0, n), next: make([]int32, 0, n), head: -1, tail: -1}
}

// Request looks key up and reports whether it was there; either way key
// is then the most recently used, and a miss brings it in, evicting the
// least recently used key when the cache is full.
func (c *LRU) Request(key int32) bool {
	if s, ok := c.slot[key]; ok {
		c.unlink(s)
		c.pushFront(s)
		return true
	}
	var s int32
	switch {
	case len(c.free) > 0:
		s = c.free[len(c.free)-1]
		c.free = c.free[:len(c.free)-1]
		c.key[s] = key
	case len(c.key) < cap(c.key):
		s = int32(len(c.key))
		c.key, c.prev, c.next = append(c.key, key), append(c.prev, -1), append(c.next, -1)
	default:
		s = c.tail
		c.unlink(s)
		delete(c.slot, c.key[s])
		c.key[s] = key
	}
	c.slot[key] = s
	c.pushFront(s)
	return false
}

// Has reports whether key is in the cache, without using it.
func (c *LRU) Has(key int32) bool {
	_, ok := c.slot[key]
	return ok
}

// Remove takes key out of the cache, if it is there.
func (c *LRU) Remove(key int32) {
	s, ok := c.slot[key]
	if !ok {
		return
	}
	c.unlink(s)
	delete(c.slot, key)
	c.free = append(c.free, s)
}

// Clear empties the cache.
func (c *LRU) Clear() {
	clear(c.slot)
	c.key, c.prev, c.next, c.free = c.key[:0], c.prev[:0], c.next[:0], c.free[:0]
	c.head, c.tail = -1, -1
}

// Len is the number of keys in the cache.
func (c *LRU) Len() int { return len(c.slot) }

func (c *LRU) unlink(s int32) {
	p, n := c.prev[s], c.next[s]
	if p >= 0 {
		c.next[p] = n
	} else {
		c.head = n
	}
	if n >= 0 {
		c.prev[n] = p
	} else {
		c.tail = p
	}
}

func (c *LRU) pushFront(s int32) {
	c.prev[s], c.next[s] = -1, c.head
	if c.head >= 0 {
		c.prev[c.head] = s
	}
	c.head = s
	if c.tail < 0 {
		c.tail = s
	}
}

// lfu is a least-frequently-used cache: the key with the fewest requests
// goes, the least recent of those first. Keys sit in a min-heap by
// (count, last use).
type lfu struct {
	pos   map[int32]int // key → index in heap
	heap  []lfuEntry
	clock int64
	max   int
}

type lfuEntry struct {
	key   int32
	count int64
	last  int64
}

func newLFU(n int) *lfu {
	return &lfu{pos: make(map[int32]int, n), heap: make([]lfuEntry, 0, n), max: n}
}

func (a lfuEntry) less(b lfuEntry) bool {
	return a.count < b.count || (a.count == b.count && a.last < b.last)
}

func (c *lfu) Request(key int32) bool {
	c.clock++
	if i, ok := c.pos[key]; ok {
		c.heap[i].count++
		c.heap[i].last = c.clock
		c.down(i)
		return true
	}
	e := lfuEntry{key: key, count: 1, last: c.clock}
	if len(c.heap) < c.max {
		c.heap = append(c.heap, e)
		c.pos[key] = len(c.heap) - 1
		c.up(len(c.heap) - 1)
		return false
	}
	delete(c.pos, c.heap[0].key)
	c.heap[0] = e
	c.pos[key] = 0
	c.down(0)
	return false
}

func (c *lfu) swap(i, j int) {
	c.heap[i], c.heap[j] = c.heap[j], c.heap[i]
	c.pos[c.heap[i].key], c.pos[c.heap[j].key] = i, j
}

func (c *lfu) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !c.heap[i].less(c.heap[p]) {
			return
		}
		c.swap(i, p)
		i = p
	}
}

func (c *lfu) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(c.heap) {
			return
		}
		m := l
		if r := l + 1; r < len(c.heap) && c.heap[r].less(c.heap[l]) {
			m = r
		}
		if !c.heap[m].less(c.heap[i]) {
			return
		}
		c.swap(i, m)
		i = m
	}
}

// Che is Che's approximation of the hit rate of an LRU cache of size
// entries under independent requests for keys of popularity p (summing
// to 1): with T the cache's characteristic time, the root of
// Σₖ (1 − e^(−pₖT)) = size, the hit rate is Σₖ pₖ (1 − e^(−pₖT)) (Che,
// Tung & Wang 2002; Fricker, Robert & Roberts 2012 on its accuracy).
func Che(p []float64, size int) float64 {
	if size >= len(p) {
		return 1
	}
	occupied := func(t float64) float64 {
		s := 0.0
		for _, q := range p {
			s += -math.Expm1(-q * t)
		}
		return s
	}
	lo, hi := 0.0, 1.0
	for occupied(hi) < float64(size) {
		hi *= 2
	}
	for range 100 {
		mid := (lo + hi) / 2
		if occupied(mid) < float64(size) {
			lo = mid
		} else {
			hi = mid
		}
	}
	h := 0.0
	for _, q := range p {
		h += q * -math.Expm1(-q*hi)
	}
	return h
}
