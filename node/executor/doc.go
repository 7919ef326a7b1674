// Package executor runs work units on a node's servers: FCFS slots, emulated
// (precisely timed) or real CPU kernels, preemptible at checkpoints.
//
// An Executor has Config.Servers slots, each a goroutine locked to its own OS
// thread. Units wait in one FCFS queue; a free slot takes the oldest. A unit
// of Size s with Progress p needs (s−p)×TimeUnit/Speed of wall time:
//
//   - Kernel "sleep" emulates the work: the slot sleeps until the absolute
//     deadline start+(s−p)×TimeUnit/Speed, in one nap that a preemption
//     cuts short, and spins on the clock for the last ~100 µs (see
//     SleepUntil). Go's own timers wake 0.1 to 2 ms late, which would
//     distort response times compared with queueing theory; the remaining
//     error is measured per unit (Stats).
//   - Kernels "hash" and "matmul" do real CPU work: (s−p)×I/Speed iterations,
//     where I is the number of iterations an idle core does in one TimeUnit
//     (Calibrate, once per process per kernel). Other processes on the
//     cores make these units take longer, as they would real work.
//
// A running CPU unit checks for preemption at least every Checkpoint, an
// emulated one is woken by it; Preempt stops it there and hands it back with Progress updated, so it can be
// resubmitted here or elsewhere and finish only its remainder. Jobs lists
// the units present (running first, then waiting) and Withdraw takes any
// one of them, waiting or running, for a move (strong mobility).
//
// Ownership: from Submit until Done, Take, Preempt, Withdraw or Close hands
// a unit back, the executor owns it and may write its Progress; callers
// must not touch it in between (use Load and Jobs for estimates).
package executor
