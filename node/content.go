package node

import (
	"math"
	"sync"

	"github.com/loadlab/loadlab/cache"
	"github.com/loadlab/loadlab/node/wire"
)

// A node's content: the keys it keeps warm (package cache) and the
// responses it sends back (package front).
//
// An agent keeps its point's cache of keys in memory, bounded by the
// cache's entries (cache.MaxEntries at most). It looks a job's key up
// when it first admits the job, as the simulator does (a job that moved
// or that the migration policy passes on at once does not): a hit serves
// the job's hit size, a miss its size, and the outcome travels with the
// job to its completion, whence the coordinator feeds the ledger. The
// cache lives and dies with the point: a crash (fault kill) loses it with
// the agent, and a new point starts cold.

// keyCache is a node's cache of keys, safe for concurrent use.
type keyCache struct {
	mu sync.Mutex
	c  cache.Cache
}

// newKeyCache makes the cache spec describes (cache.Parse); nil for none.
func newKeyCache(spec string) (*keyCache, error) {
	cfg, err := cache.Parse(spec)
	if err != nil || cfg == nil {
		return nil, err
	}
	return &keyCache{c: cfg.New()}, nil
}

// admit looks job j's key up as its node admits it first (a nil cache:
// none): a hit serves the job's hit size.
func (k *keyCache) admit(j *wire.Job) {
	if k == nil || j.Hops > 0 || j.Lookup != wire.LookupNone {
		return
	}
	k.mu.Lock()
	hit := k.c.Request(j.Key)
	k.mu.Unlock()
	j.Lookup = wire.LookupMiss
	if hit {
		j.Lookup, j.Size = wire.LookupHit, j.Hit
	}
}

// maxBody is the largest response an agent sends: what fits in a frame
// with room to spare for the rest of the completion.
const maxBody = wire.DefaultMaxFrame - 64<<10

// responseBody is a response of the given bytes (rounded, at most
// maxBody), nil for none. Its content does not matter: its size does.
func responseBody(bytes float64) []byte {
	n := int(math.Min(math.Round(bytes), maxBody))
	if n <= 0 {
		return nil
	}
	return make([]byte, n)
}
