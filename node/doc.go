// Package node runs policies for real: agents that execute jobs and gossip
// their load over serf, a dispatcher that places jobs with a dispatch
// strategy, and a coordinator that replays a point's jobs open-loop and
// measures them. Agents talk to each other over TCP (package wire); the
// same policy code as the simulator decides every placement and transfer.
//
// Time: a run has an epoch (its start); model time is wall time since the
// epoch divided by the time unit, so a job of size 1 runs for one time unit
// on a speed-1 server, as in the simulator.
package node
