//go:build race

package node

// raceScale stretches the time of the tests whose results depend on the
// pace of the machine, so that the race detector's slowdown (several times
// the CPU of every step) weighs on them no more than it does without it.
// Only the pace changes, never what is asserted.
const raceScale = 5
