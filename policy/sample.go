package policy

import "math/rand/v2"

// sampleNodes returns up to k distinct nodes drawn uniformly at random from
// 0..n-1 without self, in random order, reusing out's storage.
func sampleNodes(r *rand.Rand, n int, self NodeID, k int, out []NodeID) []NodeID {
	out = out[:0]
	avail := n
	if self != None {
		avail--
	}
	if k >= avail {
		for i := 0; i < n; i++ {
			if NodeID(i) != self {
				out = append(out, NodeID(i))
			}
		}
		r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
		return out
	}
	for len(out) < k {
		c := NodeID(r.IntN(n))
		if c == self || contains(out, c) {
			continue
		}
		out = append(out, c)
	}
	return out
}

func contains(s []NodeID, x NodeID) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// argmin returns the index of the smallest key, breaking ties uniformly at
// random so that equal nodes share the work. keys must not be empty.
func argmin(r *rand.Rand, n int, key func(i int) float64) int {
	best, bestKey, ties := 0, key(0), 1
	for i := 1; i < n; i++ {
		k := key(i)
		switch {
		case k < bestKey:
			best, bestKey, ties = i, k, 1
		case k == bestKey:
			ties++
			if r.IntN(ties) == 0 {
				best = i
			}
		}
	}
	return best
}
