// Package node runs policies for real: agents that execute jobs and gossip
// their load over serf, a dispatcher that places jobs with a dispatch
// strategy, and a coordinator that replays a point's jobs open-loop and
// measures them. Agents talk to each other over TCP (package wire); the
// same policy code as the simulator decides every placement and transfer.
//
// Time: a run has an epoch (its start); model time is wall time since the
// epoch divided by the time unit, so a job of size 1 runs for one time unit
// on a speed-1 server, as in the simulator.
//
// How the agents carry out the policy API (package policy), as the
// simulator does but with real messages:
//
//   - Policy calls of one node (or one dispatcher) are serialised by its
//     decision lock. A decision reads its node once, at its first Local or
//     Jobs call: the load and the jobs together, so that the indexes it
//     returns (Action.Job, Requested) name the jobs it saw.
//   - Push and Requested hand jobs over as the policy saw them: a waiting
//     job is taken off the queue, a running one is preempted at its next
//     checkpoint and moves with the work it received (strong mobility). A
//     job that finished or started meanwhile stays; one whose transfer
//     fails runs here again from where it stopped. A Request is a steal
//     message; what the other node's Requested hands over follows as
//     transfers, each through the receiver's Arrived.
//   - Send is a one-way message to the other agent's Migrator.Message,
//     whose action is carried out there.
//   - ProbeLater probes in the background; each answer reaches the caller's
//     Replied under its decision lock. A probe carries the prober's load
//     (none from a dispatcher); a PollWatcher is told right after it
//     answers, not before, because a prober may hold its own decision lock
//     while it waits, and two agents probing each other would deadlock.
//   - The coordinator tells a DoneWatcher dispatcher of every job it placed
//     when the job ends, completed or failed.
//   - With a front end (scenario.Model.Front), the coordinator's front
//     ends take each request in before it is dispatched and, relaying,
//     pass each response back before it completes (front.go); with caches
//     of keys (Model.Cache), each agent looks a job's key up as it first
//     admits it and serves a hit's size (content.go).
//   - An invalid decision (a node out of range or itself, a job not there,
//     a Transfer outside Arrived) is dropped and counted, and the point
//     fails with an error, as in the simulator.
//
// Every goroutine a point starts ends with the point, and every job ends
// exactly once, completed or failed with a reason.
package node
