package policy

import (
	"math"
	"math/rand/v2"
)

// board is an index of a cluster's nodes by a key, with the least key's
// nodes at hand: a BoardWatcher's alternative to reading every node's
// gossiped load for every job. Posting a key and picking among the least
// are O(1) but when the least key's last node leaves it (then O(keys in
// use)).
type board struct {
	key    []float64 // each node's key; NaN until posted
	pos    []int32   // each node's index in its bucket's ids
	small  []*bucket // buckets of the keys 0, 1, 2, … (queue lengths, the usual keys)
	other  map[float64]*bucket
	least  float64 // the least key in use (+Inf when no node is posted)
	posted int     // nodes posted at least once
}

type bucket struct{ ids []NodeID }

// smallKeys is how many integer keys have a bucket in a slice rather than
// in the map.
const smallKeys = 256

func newBoard(n int) *board {
	b := &board{key: make([]float64, n), pos: make([]int32, n), other: map[float64]*bucket{}, least: math.Inf(1)}
	for i := range b.key {
		b.key[i] = math.NaN()
	}
	return b
}

// complete says whether every node has been posted.
func (b *board) complete() bool { return b.posted == len(b.key) }

func (b *board) bucketOf(k float64, create bool) *bucket {
	if i := int(k); float64(i) == k && i >= 0 && i < smallKeys {
		for create && len(b.small) <= i {
			b.small = append(b.small, &bucket{})
		}
		if i < len(b.small) {
			return b.small[i]
		}
		return nil
	}
	bk := b.other[k]
	if bk == nil && create {
		bk = &bucket{}
		b.other[k] = bk
	}
	return bk
}

// set makes k node id's key.
func (b *board) set(id NodeID, k float64) {
	old := b.key[id]
	if old == k {
		return
	}
	if math.IsNaN(old) {
		b.posted++
	} else {
		bk := b.bucketOf(old, false)
		i := b.pos[id]
		last := bk.ids[len(bk.ids)-1]
		bk.ids[i] = last
		b.pos[last] = i
		bk.ids = bk.ids[:len(bk.ids)-1]
		if len(bk.ids) == 0 && old == b.least {
			b.least = b.leastInUse()
		}
	}
	bk := b.bucketOf(k, true)
	b.pos[id] = int32(len(bk.ids))
	bk.ids = append(bk.ids, id)
	b.key[id] = k
	if k < b.least {
		b.least = k
	}
}

// leastInUse finds the least key whose bucket holds a node.
func (b *board) leastInUse() float64 {
	least := math.Inf(1)
	for i, bk := range b.small {
		if len(bk.ids) > 0 {
			least = float64(i)
			break
		}
	}
	for k, bk := range b.other {
		if len(bk.ids) > 0 && k < least {
			least = k
		}
	}
	return least
}

// pick returns a node with the least key, each of them equally likely;
// false if no node is posted.
func (b *board) pick(r *rand.Rand) (NodeID, bool) {
	bk := b.bucketOf(b.least, false)
	if bk == nil || len(bk.ids) == 0 {
		return None, false
	}
	if len(bk.ids) == 1 {
		return bk.ids[0], true
	}
	return bk.ids[r.IntN(len(bk.ids))], true
}
