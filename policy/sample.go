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
	m := minimum{r: r, key: key(0), ties: 1}
	for i := 1; i < n; i++ {
		m.add(i, key(i))
	}
	return m.best
}

// minimum is argmin's running state, for a loop that would rather not call
// a key function for each index (pod(d), which runs for every job).
type minimum struct {
	r    *rand.Rand // breaks ties
	best int
	key  float64
	ties int
}

// add offers index i with key k: a smaller key wins, an equal one wins with
// probability 1/ties (reservoir sampling, uniform over the ties).
func (m *minimum) add(i int, k float64) {
	if k < m.key {
		m.best, m.key, m.ties = i, k, 1
	} else if k == m.key {
		m.tie(i)
	}
}

func (m *minimum) tie(i int) {
	m.ties++
	if m.r.IntN(m.ties) == 0 {
		m.best = i
	}
}
