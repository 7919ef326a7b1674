package sim

import "github.com/loadlab/loadlab/policy"

// Links that moves share (Costs.Links). With LinksDedicated, the default,
// every move has the whole Costs.Bandwidth to itself however many are
// under way, and nothing here is used. With LinksNIC each node's network
// interface is two links of Costs.Bandwidth, its outgoing side and its
// incoming side: a move from a to b needs a's outgoing side and b's
// incoming side, and takes them first come, first served. Its bytes go
// on the wire once both sides are free of the moves decided before it,
// at the whole bandwidth, for bytes / bandwidth; until then it waits.
// This holds for unit moves (migrate.go: everything Cost.Bytes counts)
// and for plain transfers (Costs.JobBytes).
//
// FIFO, not fair sharing (processor sharing of the bytes): both are
// work-conserving on one link, so the last of k moves that start
// together ends at the same time, Σ bytes / bandwidth, either way. Under
// FIFO a move on the wire has the whole bandwidth, so workload's cost
// model holds for it unchanged (pre-copy's rounds depend on the
// bandwidth) and its end is known when it starts; under fair sharing each
// start and end would change the rate of every move under way, and
// pre-copy's rounds with it. The price: a move waiting for its
// destination's side holds its source's side meanwhile (reservations in
// order of decision, no overtaking), so across several links FIFO can
// leave one idle that fair sharing would use.
//
// A unit that moves with its state (stop-and-copy, pre-copy, post-copy)
// waits for the link running at its source, as an operator's serial
// drain leaves each machine up until its turn: a pre-copy's live rounds
// start when the link is free, a stop-and-copy or post-copy stops then.
// A weak move, or a unit that has not started, waits off its node: the
// wait adds to its downtime (migrate.go).

// linkID names one link whose occupancy is kept: a side of a node's
// interface. A per-pair or per-site link is another kind with its ends.
type linkID struct {
	kind uint8 // linkOut or linkIn
	a    int32 // the node
}

// Kinds of linkID.
const (
	linkOut uint8 = iota // a node's outgoing side
	linkIn               // a node's incoming side
)

// links is the occupancy of the shared links: when each becomes free of
// the transfers reserved on it. At most two entries per node.
type links struct {
	free map[linkID]float64
}

// occupy reserves ids for busy model units from the first time at or
// after ready when all of them are free, and returns that start.
func (l *links) occupy(ready, busy float64, ids ...linkID) float64 {
	start := ready
	for _, id := range ids {
		start = max(start, l.free[id])
	}
	for _, id := range ids {
		l.free[id] = start + busy
	}
	return start
}

// linkWait reserves the links a transfer of busy model units on the wire
// from node from to node to needs, from time ready, and returns how long
// it waits for them: always 0 with dedicated links.
func (c *cluster) linkWait(from, to policy.NodeID, ready, busy float64) float64 {
	if !c.cfg.Costs.shared() || busy <= 0 {
		return 0
	}
	if c.links == nil {
		c.links = &links{free: map[linkID]float64{}}
	}
	return c.links.occupy(ready, busy, linkID{linkOut, int32(from)}, linkID{linkIn, int32(to)}) - ready
}
