package executor

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Computation is a unit's own deterministic computation: a CPU kernel run
// for a fixed number of iterations from a seed. Its state can be written
// at any safe point (between iterations) and resumed on another executor,
// in another process: the final result depends only on the kernel, the
// seed and the number of iterations, never on where or in how many pieces
// it ran. This is strong mobility of a real computation; the tests hold
// the result bit for bit against an uninterrupted run.
//
// A unit with a Computation does exactly Iters iterations wherever it
// runs. On a CPU-kernel executor they take Iters/ItersPerUnit model units
// of the core's time; an executor slower than speed 1 adds idle iterations
// of its own kernel to match its speed (a faster one cannot go faster).
// A sleep-kernel executor emulates the unit's time and leaves its
// computation alone.
type Computation struct {
	Kernel string // KernelHash or KernelMatmul
	Seed   int64
	Iters  int64 // iterations in all
	Done   int64 // iterations done
	k      stateKernel
}

// stateKernel is a kernel whose state is a computation's: it can be read
// and written between iterations.
type stateKernel interface {
	kernel
	state() []byte
	setState([]byte) error
}

// NewComputation returns a computation of iters iterations of kernel
// (KernelHash or KernelMatmul) from seed, not started.
func NewComputation(kernel string, seed, iters int64) (*Computation, error) {
	if iters < 0 {
		return nil, fmt.Errorf("executor: computation of %d iterations", iters)
	}
	k, err := newStateKernel(kernel, seed)
	if err != nil {
		return nil, err
	}
	return &Computation{Kernel: kernel, Seed: seed, Iters: iters, k: k}, nil
}

func newStateKernel(name string, seed int64) (stateKernel, error) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(seed))
	switch name {
	case KernelHash:
		return &hashKernel{digest: sha256.Sum256(b[:])}, nil
	case KernelMatmul:
		m := newMatmul()
		m.sink = float64(seed)
		return m, nil
	}
	return nil, fmt.Errorf("executor: kernel %q cannot carry a unit's computation (have %s, %s)", name, KernelHash, KernelMatmul)
}

// Run does up to n more iterations and returns how many it did.
func (c *Computation) Run(n int64) int64 {
	n = max(min(n, c.Iters-c.Done), 0)
	c.k.run(n)
	c.Done += n
	return n
}

// Finished reports whether every iteration is done.
func (c *Computation) Finished() bool { return c.Done >= c.Iters }

// Result is the computation's state: after the last iteration, its result.
func (c *Computation) Result() []byte { return c.k.state() }

// checkpointMagic starts every checkpoint; the byte after it is the format.
const checkpointMagic = "LLCP\x01"

// Checkpoint writes the computation's whole state: kernel, seed, iterations
// and the kernel's state. ResumeComputation reads it back.
func (c *Computation) Checkpoint() []byte {
	st := c.k.state()
	b := make([]byte, 0, len(checkpointMagic)+1+len(c.Kernel)+3*8+4+len(st))
	b = append(b, checkpointMagic...)
	b = append(b, byte(len(c.Kernel)))
	b = append(b, c.Kernel...)
	le := binary.LittleEndian
	b = le.AppendUint64(b, uint64(c.Seed))
	b = le.AppendUint64(b, uint64(c.Iters))
	b = le.AppendUint64(b, uint64(c.Done))
	b = le.AppendUint32(b, uint32(len(st)))
	return append(b, st...)
}

// ResumeComputation reads a checkpoint written by Checkpoint. A checkpoint
// that is not one, or is inconsistent, is an error naming what is wrong.
func ResumeComputation(b []byte) (*Computation, error) {
	bad := func(why string) (*Computation, error) {
		return nil, fmt.Errorf("executor: bad checkpoint: %s", why)
	}
	if len(b) < len(checkpointMagic)+1 || string(b[:len(checkpointMagic)]) != checkpointMagic {
		return bad("no checkpoint header")
	}
	b = b[len(checkpointMagic):]
	n := int(b[0])
	b = b[1:]
	if len(b) < n+3*8+4 {
		return bad("truncated")
	}
	kernel := string(b[:n])
	b = b[n:]
	le := binary.LittleEndian
	seed, iters, done := int64(le.Uint64(b)), int64(le.Uint64(b[8:])), int64(le.Uint64(b[16:]))
	sl := le.Uint32(b[24:])
	b = b[28:]
	if uint64(sl) != uint64(len(b)) {
		return bad(fmt.Sprintf("state of %d bytes announced, %d present", sl, len(b)))
	}
	if iters < 0 || done < 0 || done > iters {
		return bad(fmt.Sprintf("%d of %d iterations done", done, iters))
	}
	c, err := NewComputation(kernel, seed, iters)
	if err != nil {
		return nil, err
	}
	if err := c.k.setState(b); err != nil {
		return bad(err.Error())
	}
	c.Done = done
	return c, nil
}

func (h *hashKernel) state() []byte { return append([]byte(nil), h.digest[:]...) }

func (h *hashKernel) setState(b []byte) error {
	if len(b) != len(h.digest) {
		return fmt.Errorf("hash state of %d bytes, want %d", len(b), len(h.digest))
	}
	copy(h.digest[:], b)
	return nil
}

// The matmul kernel's state is its running sum: its matrices are fixed.
func (m *matmulKernel) state() []byte {
	return binary.LittleEndian.AppendUint64(nil, math.Float64bits(m.sink))
}

func (m *matmulKernel) setState(b []byte) error {
	if len(b) != 8 {
		return errors.New("matmul state must be 8 bytes")
	}
	m.sink = math.Float64frombits(binary.LittleEndian.Uint64(b))
	return nil
}
