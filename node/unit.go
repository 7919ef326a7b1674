package node

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadlab/loadlab/latency"
	"github.com/loadlab/loadlab/node/executor"
	"github.com/loadlab/loadlab/node/wire"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/workload"
)

// Work units in the agents (Setup.Units), by the code-migration model of
// Fuggetta, Picco & Vigna, "Understanding code mobility", IEEE TSE 24(5),
// 1998, as the simulator applies it (../sim/migrate.go), with real bytes:
//
//   - What moves: the bytes workload.Units.Migrate says, as real bytes on
//     the transfer: the code segment when the paradigm pushes code, the
//     execution state (Exec.Bytes at the unit's progress for a strong move,
//     its initial state for a weak one), and the resources the binding
//     table moves or copies. A real kernel's computation travels as its
//     checkpoint (executor.Computation). The sender seals the segments
//     with a checksum and the receiver verifies it before it accepts the
//     unit: a damaged unit is refused and stays, whole, at its origin.
//   - Methods: weak, stop-and-copy, and the live ones, as the simulator
//     models them but with the rounds timed for real: pre-copy sends the
//     state (wire.TypePage) while the unit keeps running, then resends
//     what it dirtied during the round (Exec.Dirty × the round's measured
//     time) until at most Threshold bytes are left or MaxRounds, then
//     stops it and sends the rest with it; post-copy sends only the
//     context with the unit, which resumes at once, and pushes the rest
//     of the state after it. A move's time runs from its start until the
//     unit runs at the destination with all its state there; its
//     downtime from the unit's stop until the destination acknowledged it.
//   - Code: each agent has a code cache (Paradigm.NewCache). A dispatch
//     brings the unit's code (inserted free, as in the simulator). On a
//     move the destination looks the code up: pushed code is inserted;
//     with code on demand a miss fetches the code from the sender
//     (wire.TypeFetch) before the unit runs; with client-server a
//     destination without the code refuses the unit.
//   - Resources: each unit carries, per resource, the node that holds it
//     (wire.Job.Homes, -1: where the unit is). A move or a copy sends the
//     resource's bytes and it stays with the unit; a rebind leaves it
//     behind and binds the destination's own; a global reference leaves it
//     where it is, and the unit, wherever it runs, makes each of its Uses
//     per unit of progress a real round trip to that node (wire.TypeAccess
//     with UseBytes), holding its server meanwhile.
//   - Refusals (the unit stays, RefusedMoves): the paradigm's hop limit,
//     a destination whose platform cannot run the unit, a destination
//     without the code under client-server, a damaged checkpoint.
//
// Without units a running job still moves with its progress, and a real
// kernel's computation with its checkpoint.

// unitModel is a point's work units.
type unitModel struct {
	units     *workload.Units
	platforms []string // per node; nil: one platform
	kernel    string   // the executor's kernel: CPU kernels give units a real computation

	unit time.Duration // wall time of a model unit

	mu    sync.Mutex
	blob  []byte             // stand-in data, see bytes
	times *latency.Histogram // move times, model units
	cache *workload.CodeCache
	hits  workload.HitSeries

	codeBytes, stateBytes, resourceBytes atomic.Int64
	moves, refused, remoteUses, fetches  atomic.Int64
	moveTime, downtime                   atomic.Int64 // nanoseconds, summed over moves
}

// newUnitModel resolves a Setup's units; nil when it has none.
func newUnitModel(s *Setup) (*unitModel, error) {
	if s.Units == nil {
		return nil, nil
	}
	if s.Platforms != nil && len(s.Platforms) != len(s.Roster) {
		return nil, fmt.Errorf("units: %d platforms for %d nodes", len(s.Platforms), len(s.Roster))
	}
	u, err := workload.NewUnits(*s.Units, s.ClassNames)
	if err != nil {
		return nil, err
	}
	return &unitModel{units: u, platforms: s.Platforms, kernel: s.Kernel, unit: s.TimeUnit, cache: u.Paradigm().NewCache(),
		hits: workload.HitSeries{Bin: s.HitBin}, times: latency.New()}, nil
}

// canRun reports whether node n's platform runs units of class.
func (um *unitModel) canRun(n policy.NodeID, class int32) bool {
	return um.units.CanRun(class, int(n), um.platforms)
}

func (um *unitModel) classes() int { return um.units.Classes() }

// bytes returns n bytes of stand-in data for a unit's segment: real bytes
// on the wire, but the same for every unit, as a prefix of one buffer
// made once (xorshift) and shared. A unit's data exists before it moves;
// making it is no part of a move's cost, copying it into the frame is.
// The slice must not be written to.
func (um *unitModel) bytes(n float64) []byte {
	if n <= 0 {
		return nil
	}
	k := int(math.Round(n))
	um.mu.Lock()
	defer um.mu.Unlock()
	if len(um.blob) < k {
		b := make([]byte, max(k, 2*len(um.blob)))
		x := uint64(0x9e3779b97f4a7c15)
		for i := 0; i < len(b); i += 8 {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			var w [8]byte
			binary.LittleEndian.PutUint64(w[:], x)
			copy(b[i:], w[:])
		}
		um.blob = b
	}
	return um.blob[:k:k]
}

// codeName is how a fetch names a code segment: kernel/version.
func codeName(k workload.CodeKey) string { return k.Kernel + "/" + k.Version }

// pack returns the job that moving j from node self to node to sends:
// its segments filled and sealed. It does not change j, so that a refused
// or failed move leaves the unit as it was. ok is false when the move is
// refused (counted).
func (p *point) pack(to policy.NodeID, j *wire.Job, lv *live) (out wire.Job, ok bool) {
	out = *j
	um := p.units
	if um == nil {
		out.Seal()
		return out, true
	}
	if !um.canRun(to, j.Class) {
		um.refused.Add(1)
		return out, false
	}
	cost, plan, err := um.units.Migrate(workload.Migration{Class: j.Class, Progress: j.Progress, Hops: int(j.Hops), HasCode: true})
	if err != nil { // the hop limit
		um.refused.Add(1)
		return out, false
	}
	unit := um.units.Unit(j.Class)
	if cost.Redo > 0 || j.Progress == 0 { // weak: it starts again at the destination
		out.Progress = 0
		if out.Checkpoint != nil {
			c, err := executor.ResumeComputation(out.Checkpoint)
			if err != nil {
				um.refused.Add(1)
				return out, false
			}
			fresh, _ := executor.NewComputation(c.Kernel, c.Seed, c.Iters)
			out.Checkpoint = fresh.Checkpoint()
		}
	}
	state := cost.StateBytes
	switch {
	case cost.Redo > 0 || j.Progress == 0:
	case cost.Method == workload.PreCopy && lv != nil:
		state = lv.final // the rounds sent the rest while the unit ran
	case cost.Method == workload.PostCopy:
		state = min(unit.Exec.Context, state)
		if lv != nil {
			lv.after = cost.StateBytes - state // pushed once the unit runs there
		}
	}
	out.State = um.bytes(state)
	out.Code = um.bytes(cost.CodeBytes)
	out.Resources = nil
	out.Homes = make([]int32, len(plan.Moves))
	for i, mv := range plan.Moves {
		home := int32(-1)
		if j.Homes != nil {
			home = j.Homes[i]
		}
		switch mv.Action {
		case workload.Move, workload.Copy:
			out.Resources = append(out.Resources, um.bytes(mv.Bytes)...)
			home = -1
		case workload.Rebind:
			home = -1
		case workload.Reference:
			if home == -1 {
				home = p.setup.ID
			}
		}
		out.Homes[i] = home
	}
	out.Seal()
	return out, true
}

// live is a move's timing and the state sent apart from the unit.
type live struct {
	start time.Time // the move's start (the live rounds' start, for pre-copy)
	sent  int64     // state bytes sent before the unit stopped (pre-copy rounds)
	final float64   // pre-copy: state bytes left to send with the unit
	after float64   // post-copy: state bytes to push after the unit resumed
}

// movedBytes counts a move carried out: its bytes by segment, its time
// from lv.start until the unit runs at the destination with all its state,
// and its downtime, from the unit's stop to the destination's
// acknowledgement (stopped to acked).
func (um *unitModel) movedBytes(j *wire.Job, lv *live, stopped, acked, whole time.Time) {
	if um == nil {
		return
	}
	um.moves.Add(1)
	um.codeBytes.Add(int64(len(j.Code)))
	um.stateBytes.Add(int64(len(j.State)+len(j.Checkpoint)) + lv.sent + int64(math.Round(lv.after)))
	um.resourceBytes.Add(int64(len(j.Resources)))
	took := whole.Sub(lv.start)
	um.moveTime.Add(int64(took))
	um.downtime.Add(int64(acked.Sub(stopped)))
	um.mu.Lock()
	um.times.Record(float64(took) / float64(um.unit))
	um.mu.Unlock()
}

// preCopy runs pre-copy's live rounds for running unit u (job j, about to
// move to node to) while it keeps running: each round sends the state
// dirtied during the last (the whole state first). It returns nil unless
// the units move by pre-copy.
func (p *point) preCopy(to policy.NodeID, j *wire.Job, progress float64) *live {
	um := p.units
	if um == nil || um.units.Mobility().Method != workload.PreCopy || !um.units.Paradigm().State {
		return nil
	}
	mob, exec := um.units.Mobility(), um.units.Unit(j.Class).Exec
	lv := &live{start: time.Now()}
	size := exec.Bytes(progress)
	send := size
	for round := 1; ; round++ {
		t := time.Now()
		err := p.paths.hold(p.ctx, to, send, false)
		if err == nil {
			_, err = p.call(to, &wire.Msg{Type: wire.TypePage, From: p.setup.ID, Data: um.bytes(send)})
		}
		if err != nil {
			lv.final = size // the rounds failed: everything goes with the unit
			return lv
		}
		lv.sent += int64(math.Round(send))
		send = min(size, exec.Dirty*p.view.clock.units(time.Since(t)))
		if send <= mob.Threshold || round >= mob.MaxRounds {
			lv.final = send
			return lv
		}
	}
}

// postCopy pushes the state a post-copy move left behind to node to, once
// the unit runs there.
func (p *point) postCopy(to policy.NodeID, j *wire.Job, lv *live) {
	if lv.after > 0 && p.paths.hold(p.ctx, to, lv.after, false) == nil {
		_, _ = p.call(to, &wire.Msg{Type: wire.TypePage, From: p.setup.ID, Data: p.units.bytes(lv.after)})
	}
}

// accept checks a unit that arrives by transfer from node from before the
// agent takes it: its checksum, its checkpoint, and under units whether
// this node can run it and has, or may get, its code. An error refuses it.
func (p *point) accept(from int32, j *wire.Job) error {
	if err := j.Verify(); err != nil {
		return err
	}
	if j.Checkpoint != nil {
		if _, err := executor.ResumeComputation(j.Checkpoint); err != nil {
			return fmt.Errorf("job %d: %w", j.ID, err)
		}
	}
	um := p.units
	if um == nil {
		return nil
	}
	self := policy.NodeID(p.setup.ID)
	if !um.canRun(self, j.Class) {
		return fmt.Errorf("job %d: node %d's platform cannot run class %d", j.ID, self, j.Class)
	}
	if len(j.Homes) != len(um.units.Unit(j.Class).Resources) {
		return fmt.Errorf("job %d: %d resource homes for %d resources", j.ID, len(j.Homes), len(um.units.Unit(j.Class).Resources))
	}
	code := um.units.Unit(j.Class).Code
	um.mu.Lock()
	defer um.mu.Unlock()
	has := um.cache.Has(code.Key())
	switch um.units.Paradigm().Code {
	case workload.CodeStays:
		if !has {
			return fmt.Errorf("job %d: %w", j.ID, workload.ErrNoCode)
		}
	case workload.CodePush:
		if want := int(math.Round(code.Bytes)); len(j.Code) != want {
			return fmt.Errorf("job %d: code segment of %d bytes, want %d", j.ID, len(j.Code), want)
		}
		um.cache.Insert(code)
	}
	if um.units.Paradigm().Code != workload.CodePull { // a pull counts its lookup in fetchCode
		um.hits.Add(p.view.clock.units(time.Since(p.view.clock.epoch)), has)
	}
	return nil
}

// fetchCode makes sure this node holds the code of a unit that arrived
// (moved: by transfer from node from) under code on demand: a miss
// fetches the code from the sender before the unit runs.
func (p *point) fetchCode(from policy.NodeID, j *wire.Job, moved bool) error {
	um := p.units
	if um == nil || !moved || um.units.Paradigm().Code != workload.CodePull {
		return nil
	}
	code := um.units.Unit(j.Class).Code
	um.mu.Lock()
	has := um.cache.Get(code)
	um.hits.Add(p.view.clock.units(time.Since(p.view.clock.epoch)), has)
	um.mu.Unlock()
	if has {
		return nil
	}
	start := time.Now()
	if err := p.paths.hold(p.ctx, from, code.Bytes, true); err != nil {
		return fmt.Errorf("fetch code %s from node %d: %w", codeName(code.Key()), from, err)
	}
	r, err := p.call(from, &wire.Msg{Type: wire.TypeFetch, From: p.setup.ID, Data: []byte(codeName(code.Key()))})
	if err != nil {
		return fmt.Errorf("fetch code %s from node %d: %w", codeName(code.Key()), from, err)
	}
	got := len(r.Data)
	r.Release()
	if want := int(math.Round(code.Bytes)); got != want {
		return fmt.Errorf("fetch code %s from node %d: %d bytes, want %d", codeName(code.Key()), from, got, want)
	}
	took := time.Since(start)
	um.fetches.Add(1)
	um.codeBytes.Add(int64(got))
	um.moveTime.Add(int64(took))
	um.downtime.Add(int64(took))
	return nil
}

// serveFetch answers a code-on-demand fetch: the code's bytes, if this
// node holds the code.
func (p *point) serveFetch(name string) (*wire.Msg, error) {
	um := p.units
	if um == nil {
		return nil, errors.New("fetch: this point has no work units")
	}
	for k := range um.classes() {
		code := um.units.Unit(int32(k)).Code
		if codeName(code.Key()) != name {
			continue
		}
		um.mu.Lock()
		has := um.cache.Has(code.Key())
		um.mu.Unlock()
		if !has {
			break
		}
		return &wire.Msg{Type: wire.TypeAck, From: p.setup.ID, Data: um.bytes(code.Bytes)}, nil
	}
	return nil, fmt.Errorf("fetch: code %q not held here", strings.TrimSpace(name))
}

// compute gives a unit on a CPU-kernel executor its real computation: the
// one it carries (its checkpoint), or a new one seeded by its job id, of
// as many iterations as its size takes on this executor at speed 1.
func (p *point) compute(u *executor.Unit, j *wire.Job) error {
	if p.ex.ItersPerUnit() == 0 {
		return nil
	}
	if j.Checkpoint != nil {
		c, err := executor.ResumeComputation(j.Checkpoint)
		if err != nil {
			return fmt.Errorf("job %d: %w", j.ID, err)
		}
		u.Comp = c
		return nil
	}
	c, err := executor.NewComputation(p.setup.Kernel, j.ID, int64(math.Round(j.Size*p.ex.ItersPerUnit())))
	if err != nil {
		return err
	}
	u.Comp = c
	return nil
}

// dispatched brings a unit's code to this node, as a dispatch does.
func (um *unitModel) dispatched(class int32) {
	if um == nil || class < 0 || int(class) >= um.classes() {
		return
	}
	um.mu.Lock()
	um.cache.Insert(um.units.Unit(class).Code)
	um.mu.Unlock()
}

// remote returns, for a unit about to run here, its remote uses per unit
// of progress and the function that makes one: a round trip to the node
// holding one of its globally referenced resources, chosen in proportion
// to each resource's uses. Uses is 0 when every resource is local.
func (p *point) remote(j *wire.Job) (uses float64, access func()) {
	um := p.units
	if um == nil || j.Homes == nil {
		return 0, nil
	}
	type ref struct {
		home       policy.NodeID
		uses, owed float64
		bytes      []byte
	}
	var refs []*ref
	for i, r := range um.units.Unit(j.Class).Resources {
		if h := j.Homes[i]; h >= 0 && h != p.setup.ID && r.Uses > 0 {
			refs = append(refs, &ref{home: policy.NodeID(h), uses: r.Uses, bytes: um.bytes(r.UseBytes)})
			uses += r.Uses
		}
	}
	if uses == 0 {
		return 0, nil
	}
	return uses, func() {
		// Smooth weighted round robin: each use goes to the resource most
		// owed its share.
		best := refs[0]
		for _, r := range refs {
			r.owed += r.uses / uses
			if r.owed > best.owed {
				best = r
			}
		}
		best.owed--
		um.remoteUses.Add(1)
		_ = p.paths.hold(p.ctx, best.home, float64(len(best.bytes)), true)
		_, _ = p.call(best.home, &wire.Msg{Type: wire.TypeAccess, From: p.setup.ID, Data: best.bytes})
	}
}

// call sends a request to node n and waits for its reply.
func (p *point) call(n policy.NodeID, m *wire.Msg) (*wire.Msg, error) {
	peer, ok := p.view.peers.get(n)
	if !ok {
		return nil, fmt.Errorf("node %d unknown", n)
	}
	ctx, cancel := context.WithTimeout(p.ctx, transferTimeout)
	defer cancel()
	c, err := p.a.pool.Get(ctx, peer.Tags[tagRPC])
	if err != nil {
		return nil, err
	}
	return c.Call(ctx, m)
}

// UnitStats is what an agent measured of work units during a point.
type UnitStats struct {
	Moves         int64              `json:"moves"`   // units moved out of this agent
	Refused       int64              `json:"refused"` // moves refused (the unit stayed)
	CodeBytes     int64              `json:"code_bytes"`
	StateBytes    int64              `json:"state_bytes"` // execution state and checkpoints
	ResourceBytes int64              `json:"resource_bytes"`
	Fetches       int64              `json:"fetches"`     // code-on-demand fetches made
	RemoteUses    int64              `json:"remote_uses"` // round trips to globally referenced resources
	MoveTime      time.Duration      `json:"move_time"`   // summed over moves (and fetches)
	Downtime      time.Duration      `json:"downtime"`
	Hits          workload.HitSeries `json:"hits"`       // code lookups at move destinations
	Times         string             `json:"move_times"` // latency.Histogram of move times, model units
}

func (um *unitModel) stats() *UnitStats {
	if um == nil {
		return nil
	}
	um.mu.Lock()
	defer um.mu.Unlock()
	h := um.hits
	h.BinLookups, h.BinHits = slices.Clone(h.BinLookups), slices.Clone(h.BinHits)
	st := &UnitStats{Moves: um.moves.Load(), Refused: um.refused.Load(), CodeBytes: um.codeBytes.Load(), StateBytes: um.stateBytes.Load(),
		ResourceBytes: um.resourceBytes.Load(), Fetches: um.fetches.Load(), RemoteUses: um.remoteUses.Load(),
		MoveTime: time.Duration(um.moveTime.Load()), Downtime: time.Duration(um.downtime.Load()), Hits: h}
	st.Times, _ = um.times.Encode()
	return st
}

// add sums another agent's unit statistics into s.
func (s *UnitStats) add(o *UnitStats) {
	if o == nil {
		return
	}
	s.Moves += o.Moves
	s.Refused += o.Refused
	s.CodeBytes += o.CodeBytes
	s.StateBytes += o.StateBytes
	s.ResourceBytes += o.ResourceBytes
	s.Fetches += o.Fetches
	s.RemoteUses += o.RemoteUses
	s.MoveTime += o.MoveTime
	s.Downtime += o.Downtime
	s.Hits.Merge(o.Hits)
}

// fill writes the cluster's unit statistics into r, as the simulator
// reports them: times in model units, means per move.
func (s *UnitStats) fill(r *results.Result, c clock, bin float64) {
	r.CodeBytes, r.StateBytes, r.ResourceBytes = float64(s.CodeBytes), float64(s.StateBytes), float64(s.ResourceBytes)
	r.RefusedMoves, r.RemoteUses = s.Refused, s.RemoteUses
	if s.Moves > 0 {
		r.MeanMigrationTime = c.units(s.MoveTime) / float64(s.Moves)
		r.MeanDowntime = c.units(s.Downtime) / float64(s.Moves)
	}
	r.CodeHitRate = s.Hits.Rate()
	if bin > 0 {
		r.CodeHits, r.CodeHitBin = s.Hits.Rates(), bin
	}
}
