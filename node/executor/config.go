package executor

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Kernels: how a slot performs a unit's work.
const (
	KernelSleep  = "sleep"  // emulated: precise sleep of the unit's service time
	KernelHash   = "hash"   // SHA-256 chain, one hash per iteration
	KernelMatmul = "matmul" // 16×16 float64 matrix product per iteration
)

// Config describes an executor. A zero field takes its default.
type Config struct {
	// Servers is the number of slots, units served in parallel (default 1).
	// Each holds an OS thread; CPU kernels need a core per slot to keep time.
	Servers int
	// Speed is each server's service speed (default 1): a unit of size s
	// takes s×TimeUnit/Speed. CPU kernels do 1/Speed times the iterations.
	Speed float64
	// TimeUnit is the wall time of one model unit of work at speed 1
	// (default 10ms). Emulated service times are accurate to some tens of
	// µs, so keep TimeUnit in milliseconds.
	TimeUnit time.Duration
	// Kernel is KernelSleep (default), KernelHash or KernelMatmul.
	Kernel string
	// Checkpoint is how often, at most, a unit of a CPU kernel looks for
	// a preemption request (default 1ms, minimum 10µs); Preempt waits up to
	// about this long. An emulated (sleep) unit is woken by the request at
	// once and sleeps to its deadline in one nap; it naps Checkpoint at a
	// time only where no eventfd can be had.
	Checkpoint time.Duration
	// Discipline is DisciplineFCFS (default: units wait for a free slot) or
	// DisciplinePS (processor sharing: all units in service at once, each
	// at Speed × min(1, Servers/n)); PS emulates with the sleep kernel only
	// and has no waiting units to Take nor running ones to Preempt, but
	// Withdraw takes any unit out of service at once.
	Discipline string
	// Arch, if set, makes the executor a server architecture (arch.go):
	// units are requests with phases served by threads, Servers is the
	// node's cores and Discipline stays fcfs (the threads share the cores
	// as processor sharing would). Architectures emulate with the sleep
	// kernel only, have no waiting units to Take nor running ones to
	// Preempt or Withdraw, and do not change speed.
	Arch *Arch
	// MaxQueue bounds the units held at once, waiting and in service
	// (default DefaultMaxQueue): Submit refuses one more with ErrQueueFull,
	// so that a flood of work costs bounded memory. The agent reports a
	// refused job failed ("shed: queue full").
	MaxQueue int
	// Gate, if set, is asked as each waiting unit is about to start on an
	// FCFS slot (admission at dequeue, e.g. CoDel): start is when its
	// service would begin, queued when Submit accepted it, behind the
	// units waiting after it. False drops the unit, which then goes to
	// Dropped instead of its Done. Both are called with the executor's
	// lock held: they must be quick, must not block and must not call the
	// executor. Not for PS or server architectures.
	Gate    func(start, queued time.Time, behind int) bool
	Dropped func(u *Unit)
}

// DefaultMaxQueue is the default bound on the units an executor holds.
const DefaultMaxQueue = 10000

// Disciplines.
const (
	DisciplineFCFS = "fcfs"
	DisciplinePS   = "ps"
)

// DefaultConfig is one speed-1 server emulating 10 ms units, checking for
// preemption every millisecond.
func DefaultConfig() Config {
	return Config{Servers: 1, Speed: 1, TimeUnit: 10 * time.Millisecond, Kernel: KernelSleep, Checkpoint: time.Millisecond}
}

// withDefaults fills zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Servers == 0 {
		c.Servers = d.Servers
	}
	if c.Speed == 0 {
		c.Speed = d.Speed
	}
	if c.TimeUnit == 0 {
		c.TimeUnit = d.TimeUnit
	}
	if c.Kernel == "" {
		c.Kernel = d.Kernel
	}
	if c.Checkpoint == 0 {
		c.Checkpoint = d.Checkpoint
	}
	if c.Discipline == "" {
		c.Discipline = DisciplineFCFS
	}
	if c.MaxQueue == 0 {
		c.MaxQueue = DefaultMaxQueue
	}
	return c
}

// minCheckpoint keeps checkpoints above the cost of a nap and a clock read.
const minCheckpoint = 10 * time.Microsecond

// Validate reports the first invalid field. Zero fields are valid (defaults).
func (c Config) Validate() error {
	switch {
	case c.Servers < 0:
		return fmt.Errorf("executor: servers must be positive, got %d", c.Servers)
	case c.Speed < 0 || math.IsNaN(c.Speed) || math.IsInf(c.Speed, 0):
		return fmt.Errorf("executor: speed must be positive and finite, got %g", c.Speed)
	case c.TimeUnit < 0:
		return fmt.Errorf("executor: time unit must be positive, got %v", c.TimeUnit)
	case c.MaxQueue < 0:
		return fmt.Errorf("executor: max queue must be positive, got %d", c.MaxQueue)
	case c.Gate != nil && (c.Dropped == nil || c.Discipline == DisciplinePS || c.Arch != nil):
		return errors.New("executor: a gate needs Dropped, and FCFS slots without a server architecture")
	case c.Checkpoint < 0 || (c.Checkpoint > 0 && c.Checkpoint < minCheckpoint):
		return fmt.Errorf("executor: checkpoint must be at least %v, got %v", minCheckpoint, c.Checkpoint)
	}
	switch c.Discipline {
	case "", DisciplineFCFS:
	case DisciplinePS:
		if c.Kernel != "" && c.Kernel != KernelSleep {
			return fmt.Errorf("executor: processor sharing emulates with the sleep kernel only, got %q", c.Kernel)
		}
	default:
		return fmt.Errorf("executor: unknown discipline %q (have %s, %s)", c.Discipline, DisciplineFCFS, DisciplinePS)
	}
	if c.Arch != nil {
		if c.Discipline != "" && c.Discipline != DisciplineFCFS {
			return fmt.Errorf("executor: a server architecture schedules its threads itself: leave the discipline at fcfs, got %q", c.Discipline)
		}
		if c.Kernel != "" && c.Kernel != KernelSleep {
			return fmt.Errorf("executor: server architectures emulate their cores with the sleep kernel only so far, got kernel %q", c.Kernel)
		}
		if err := c.Arch.validate(); err != nil {
			return err
		}
	}
	switch c.Kernel {
	case "", KernelSleep, KernelHash, KernelMatmul:
		return nil
	}
	return fmt.Errorf("executor: unknown kernel %q (have %s, %s, %s)", c.Kernel, KernelHash, KernelMatmul, KernelSleep)
}
