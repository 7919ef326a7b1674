package executor

import (
	"crypto/sha256"
	"fmt"
	"math"
	"runtime"
	"sync"
	"time"
)

// kernel is a CPU kernel's per-slot state. run does n iterations.
type kernel interface {
	run(n int64)
}

func newKernel(name string) (kernel, error) {
	switch name {
	case KernelHash:
		return &hashKernel{}, nil
	case KernelMatmul:
		return newMatmul(), nil
	}
	return nil, fmt.Errorf("executor: kernel %q is not a CPU kernel (have %s, %s)", name, KernelHash, KernelMatmul)
}

// hashKernel chains SHA-256: each iteration hashes the previous digest.
type hashKernel struct{ digest [sha256.Size]byte }

func (h *hashKernel) run(n int64) {
	for range n {
		h.digest = sha256.Sum256(h.digest[:])
	}
}

// matN is the order of matmul's matrices: 16×16 float64 (2 KiB each) stay in
// L1, so an iteration (4096 multiply-adds) measures the core, not memory.
const matN = 16

// matmulKernel computes C = A×B per iteration; Sink keeps the result live.
type matmulKernel struct {
	a, b, c [matN * matN]float64
	sink    float64
}

func newMatmul() *matmulKernel {
	m := &matmulKernel{}
	for i := range m.a {
		m.a[i] = float64(i%7) * 0.25
		m.b[i] = float64(i%5) * 0.5
	}
	return m
}

func (m *matmulKernel) run(n int64) {
	for range n {
		for i := range matN {
			row := m.a[i*matN : i*matN+matN]
			for j := range matN {
				var s float64
				for k, x := range row {
					s += x * m.b[k*matN+j]
				}
				m.c[i*matN+j] = s
			}
		}
		m.sink += m.c[len(m.c)-1]
	}
}

// Calibration: the fastest of a few trials of calTrial each. A trial is
// timed by its thread's CPU time where the OS has it, so other processes
// sharing the core slow it little; the fastest trial estimates what an
// uncontended core does.
const (
	calTrials = 5
	calTrial  = 10 * time.Millisecond
)

// Calibrate measures how many iterations of a CPU kernel (KernelHash or
// KernelMatmul) one core does in unit. It runs for about 60 ms. A unit of
// work is thus defined for an idle core: where cores are shared, CPU units
// take longer in wall time, as real work would.
func Calibrate(kernel string, unit time.Duration) (itersPerUnit float64, err error) {
	if unit <= 0 {
		return 0, fmt.Errorf("executor: calibration unit must be positive, got %v", unit)
	}
	k, err := newKernel(kernel)
	if err != nil {
		return 0, err
	}
	runtime.LockOSThread() // for the thread's CPU clock
	defer runtime.UnlockOSThread()
	t0 := time.Now()
	clock := func() time.Duration {
		if d, ok := threadTime(); ok {
			return d
		}
		return time.Since(t0)
	}
	// Warm up and size a batch to ~1/10 of a trial. Each size is timed
	// three times and the fastest counts: one preemption spike must not stop
	// the doubling at a tiny batch, or the clock read after every batch (a
	// system call for the thread clock) would dominate and halve the rate.
	batch := int64(1)
	for {
		fastest := time.Duration(math.MaxInt64)
		for range 3 {
			t := clock()
			k.run(batch)
			fastest = min(fastest, clock()-t)
		}
		if fastest >= calTrial/10 {
			break
		}
		batch *= 2
	}
	best := 0.0
	for range calTrials {
		var n int64
		t := clock()
		for clock()-t < calTrial {
			k.run(batch)
			n += batch
		}
		best = max(best, float64(n)/float64(clock()-t))
	}
	return best * float64(unit), nil
}

// calibrated caches Calibrate per kernel for the process (iterations per
// nanosecond), so that every executor of a process agrees on the work a
// unit is.
var calibrated = map[string]*calibration{KernelHash: {}, KernelMatmul: {}}

type calibration struct {
	once    sync.Once
	perNano float64
	err     error
}

func itersPerNano(kernel string) (float64, error) {
	c, ok := calibrated[kernel]
	if !ok {
		_, err := newKernel(kernel)
		return 0, err
	}
	c.once.Do(func() { c.perNano, c.err = Calibrate(kernel, time.Nanosecond) })
	return c.perNano, c.err
}
