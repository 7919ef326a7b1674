// Package policy holds the decision logic of load distribution: dispatch
// strategies that place arriving jobs, and migration policies that move
// work between nodes. It is a pure core, like the raft core of etcd: no
// goroutines, sockets, clocks or global random sources. A backend (the
// simulator in sim, the agents in node) drives it:
//
//  1. Build instances from a registry: Builtin().Dispatch("pod(d=2)") or
//     .Migrate("sender.threshold(T=2, probes=3)") parses and validates the
//     spec once; the returned spec's New(Env) builds a fresh instance for
//     each run (a migration policy: one per node).
//  2. Give every call a View: the caller's own state, the last gossiped load
//     of the others with its age, fresh probes (the backend counts each probe
//     and charges its delay and CPU cost), the time, a seeded random source,
//     and an outbox for policy messages.
//  3. For each arriving job call Dispatcher.Pick and deliver the job to the
//     node it names. When a node becomes idle and the dispatcher is an
//     IdleWatcher, tell it. A backend that sees every change of the board
//     may post it to a BoardWatcher (jsq's index); one that does not never
//     calls Posted, and the dispatcher reads Gossip instead.
//  4. At a node, call Migrator.Arrived for every job that reaches it (new or
//     transferred) before it queues, Migrator.Departed after a completion,
//     Migrator.Timer when a wake-up it asked for comes due, Migrator.Requested
//     when another node asks for work and Migrator.Message for other policy
//     messages; carry out the Action returned.
//
// Calls on one instance are never concurrent. Decisions are deterministic
// given the View, so the simulator and the agents run the same code.
package policy
