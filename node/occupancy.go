package node

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/loadlab/loadlab/ledger"
	"github.com/loadlab/loadlab/node/executor"
)

// An agent logs its executor's occupancy (units held, slots serving) at
// every change and sends the log with its end-of-point stats; the
// coordinator replays all logs with the point's arrivals and departures
// through ledger.Replay, the simulator's own measurement, so both
// backends report utilisation, TLP, mean number in system and wait while
// idle over the same window. Times are the agents' wall clocks against the
// point's epoch (Setup.EpochNano): on one machine all agents share a clock;
// on a testbed each clock's offset from the coordinator's shifts that
// agent's log, an error of the order of the offset (NTP: about a
// millisecond) on every interval it measures.

// encodeOccupancy packs levels for the stats reply: per change, the wall
// nanoseconds since the previous change (since epoch for the first), then
// the changes of units held and slots serving, each a varint: about 5 bytes
// a change, so that a long point's log fits a control reply (8 MiB).
func encodeOccupancy(levels []executor.Level, epoch time.Time) []byte {
	out := make([]byte, 0, 5*len(levels))
	prev, held, serving := epoch.UnixNano(), 0, 0
	for _, l := range levels {
		at := l.At.UnixNano()
		out = binary.AppendVarint(out, at-prev)
		out = binary.AppendVarint(out, int64(l.Held-held))
		out = binary.AppendVarint(out, int64(l.Serving-serving))
		prev, held, serving = at, l.Held, l.Serving
	}
	return out
}

// decodeOccupancy unpacks an encodeOccupancy log into changes on the model
// clock c, less origin (the model time of the arrivals' origin).
func decodeOccupancy(b []byte, c clock, origin float64) ([]ledger.Change, error) {
	var out []ledger.Change
	at, held, serving := c.epoch.UnixNano(), 0, 0
	for len(b) > 0 {
		var v [3]int64
		for k := range v {
			x, n := binary.Varint(b)
			if n <= 0 {
				return nil, errors.New("occupancy log: truncated")
			}
			v[k], b = x, b[n:]
		}
		at += v[0]
		held += int(v[1])
		serving += int(v[2])
		if held < 0 || serving < 0 {
			return nil, fmt.Errorf("occupancy log: %d units held, %d serving", held, serving)
		}
		out = append(out, ledger.Change{T: c.model(time.Unix(0, at)) - origin, Busy: serving, Present: held})
	}
	return out, nil
}
