package node

import (
	"fmt"
	"time"

	"github.com/loadlab/loadlab/ledger"
	"github.com/loadlab/loadlab/node/executor"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/server"
)

// Server architectures on agents. The coordinator sends the point's
// architecture (server.Arch's canonical form) in the setup; each agent
// builds its executor as that architecture (executor.Arch: real
// goroutines, emulated cores) and logs, besides its occupancy, the
// threads its requests hold. The coordinator replays the thread logs
// through the ledger with the rest, so records carry threads, TLP (busy =
// threads executing), mean_cpu and mean_io with the simulator's
// definitions, and adds what the threads cost (results.ServerCosts).
//
// What an agent's architecture pays, and what it does not:
//   - iterative and pool(n): n goroutines made at set-up; what they pay
//     per request is the hand-off (an idle worker woken) and each
//     resumption after a burst or a wait.
//   - thread-per-request: a new goroutine per request, which pays its
//     creation (measured from the go statement to its first instruction),
//     then as a pool's worker does.
//   - process-per-request: a goroutine as above, plus an emulated process
//     creation: CPU on the request's core equal to what creating, running
//     and reaping a real process costs on this machine
//     (executor.ProcessCost, measured once per agent process). The spec's
//     create= is the simulator's; agents pay the measured cost.
//   - event-loop(loops): loops goroutines that never block; each event
//     pays the loop's wake-up when it was idle.
//   - The switch= and quantum= of a spec are the simulator's: the agents'
//     emulated cores share time exactly (processor sharing), without time
//     slices, so they pay no switch.

// RunsArch reports whether agents run the server architecture called
// name.
func RunsArch(name string) bool {
	switch name {
	case "iterative", "pool", "event-loop", "thread-per-request", "process-per-request":
		return true
	}
	return false
}

// executorArch is how an agent's executor builds arch, with a time unit
// of unit.
func executorArch(arch *server.Arch, unit time.Duration) (*executor.Arch, error) {
	a := &executor.Arch{Threads: arch.Threads, Blocking: arch.Blocking}
	switch arch.Name {
	case "iterative", "pool", "event-loop":
	case "thread-per-request":
		a.Spawn = true
	case "process-per-request":
		a.Spawn = true
		d, err := executor.ProcessCost()
		if err != nil {
			return nil, fmt.Errorf("process-per-request: %w", err)
		}
		a.Create = float64(d) / float64(unit)
	default:
		return nil, fmt.Errorf("server architecture %q does not run on agents", arch.Name)
	}
	return a, nil
}

// serverCosts is what an agent's architecture cost during a point, as the
// executor measured it (AgentStats.Server).
type serverCosts struct {
	executor.Costs
	Process time.Duration `json:"process,omitempty"` // process-per-request: the CPU charged to each request for its process
}

// encodeThreads packs the changes of levels' threads held and serving
// (executing) for the stats reply as encodeOccupancy packs the rest: per
// change, the wall nanoseconds since the previous change (since epoch for
// the first), the change of threads held and of those executing, each a
// varint.
func encodeThreads(levels []executor.Level, epoch time.Time) []byte {
	return encodeSteps(levels, epoch, func(l executor.Level) (int, int) { return l.Threads, l.Serving }, true)
}

// decodeThreads unpacks an encodeThreads log into steps on the model clock
// c, less origin.
func decodeThreads(b []byte, c clock, origin float64) ([]ledger.ThreadStep, error) {
	var out []ledger.ThreadStep
	err := decodeSteps(b, c, origin, "thread log", func(t float64, _, _, held, executing int) {
		out = append(out, ledger.ThreadStep{T: t, Held: held, Executing: executing})
	})
	return out, err
}

// costSum adds up the agents' serverCosts.
type costSum struct {
	create, handoff, event, resume executor.Mean
	process                        time.Duration
	agents                         int
}

func (s *costSum) add(c *serverCosts) {
	if c == nil {
		return
	}
	for _, p := range []struct{ into, from *executor.Mean }{{&s.create, &c.Create}, {&s.handoff, &c.Handoff}, {&s.event, &c.Event}, {&s.resume, &c.Resume}} {
		p.into.N += p.from.N
		p.into.Total += p.from.Total
	}
	s.process = max(s.process, c.Process)
	s.agents++
}

// fill is the costs in model units of clock c; nil if no agent reported.
func (s *costSum) fill(c clock, arch *server.Arch) *results.ServerCosts {
	if s.agents == 0 {
		return nil
	}
	out := &results.ServerCosts{Handoff: c.units(s.handoff.Mean()), Event: c.units(s.event.Mean()), Resume: c.units(s.resume.Mean())}
	switch arch.Name {
	case "thread-per-request":
		out.Create = c.units(s.create.Mean())
	case "process-per-request":
		out.Create = c.units(s.create.Mean() + s.process)
	}
	return out
}
