package node

import (
	"encoding/binary"
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
	return encodeSteps(levels, epoch, func(l executor.Level) (int, int) { return l.Held, l.Serving }, false)
}

// decodeOccupancy unpacks an encodeOccupancy log into changes on the model
// clock c, less origin (the model time of the arrivals' origin).
func decodeOccupancy(b []byte, c clock, origin float64) ([]ledger.Change, error) {
	var out []ledger.Change
	err := decodeSteps(b, c, origin, "occupancy log", func(t float64, held, serving, _, _ int) {
		out = append(out, ledger.Change{T: t, Busy: serving, Present: held})
	})
	return out, err
}

// encodeSteps packs two counts of levels (pick) as their changes: per
// change, the wall nanoseconds since the previous one (since epoch for the
// first) and the change of each count, each a varint. With skipSame a
// level that changes neither count is left out.
func encodeSteps(levels []executor.Level, epoch time.Time, pick func(executor.Level) (int, int), skipSame bool) []byte {
	out := make([]byte, 0, 5*len(levels))
	prev, a, b := epoch.UnixNano(), 0, 0
	for _, l := range levels {
		x, y := pick(l)
		if skipSame && x == a && y == b {
			continue
		}
		at := l.At.UnixNano()
		out = binary.AppendVarint(out, at-prev)
		out = binary.AppendVarint(out, int64(x-a))
		out = binary.AppendVarint(out, int64(y-b))
		prev, a, b = at, x, y
	}
	return out
}

// decodeSteps unpacks an encodeSteps log (what names it in errors),
// calling step for each change with its time on the model clock c, less
// origin, the two counts after it and their changes.
func decodeSteps(b []byte, c clock, origin float64, what string, step func(t float64, x, y, dx, dy int)) error {
	at, x, y := c.epoch.UnixNano(), 0, 0
	for len(b) > 0 {
		var v [3]int64
		for k := range v {
			n, used := binary.Varint(b)
			if used <= 0 {
				return fmt.Errorf("%s: truncated", what)
			}
			v[k], b = n, b[used:]
		}
		at += v[0]
		x += int(v[1])
		y += int(v[2])
		if x < 0 || y < 0 {
			return fmt.Errorf("%s: counts %d and %d below 0", what, x, y)
		}
		step(c.model(time.Unix(0, at))-origin, x, y, int(v[1]), int(v[2]))
	}
	return nil
}
