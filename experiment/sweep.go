package experiment

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/loadlab/loadlab/node"
	"github.com/loadlab/loadlab/node/wire"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/stats"
)

// SpecFile is the copy of the spec kept in a sweep's directory.
const SpecFile = "spec.yaml"

// Options control a sweep.
type Options struct {
	Out     string // output directory (required)
	Workers int    // points run at once; default: one per CPU
	// OnPoint, when set, is called after each point is stored, from one
	// goroutine at a time, with the count stored so far in this run.
	OnPoint func(done, total int, r results.Record)
	// Shard and Shards run a deterministic share of the points: shard i of
	// n (1 ≤ i ≤ n) takes the points whose policy row, workload, load and
	// replication hash to it (see Spec.shardOf): a row's backends stay
	// together, and a point stays in its shard when the spec is extended.
	// Zero Shards runs every point. Merge combines the shards' directories.
	Shard, Shards int
	// Security and GossipKeys are given to every point on real agents
	// (Point.Security, Point.GossipKeys): the keys of a testbed's cluster,
	// which a spec never holds.
	Security   *wire.Security
	GossipKeys [][]byte
	// Metrics, if set, shows every point on real agents as it runs
	// (Point.Metrics, docs/metrics.md); the caller serves it.
	Metrics *node.Metrics
}

// Summary says what a sweep did.
type Summary struct {
	Points  int // points in the spec
	Resumed int // already stored when the sweep started
	Ran     int // run and stored now
	Other   int // stored points the spec does not have (any more): kept in the store, left out of its figures
	Dir     string
}

// Sweep runs every point of s that its output directory does not hold yet.
// Each result is stored (and synced) as soon as its point finishes, so a
// sweep killed at any moment, SIGKILL included, resumes when run again.
//
// The directory may hold the points of an earlier version of s: a sweep
// extended by a policy, a load, a workload or replications reuses every
// stored point the spec still has and runs only the new ones, as long as
// each stored point's configuration is the spec's (see claim).
func Sweep(ctx context.Context, s *Spec, opt Options) (Summary, error) {
	sum := Summary{Dir: opt.Out}
	if (opt.Shards != 0 || opt.Shard != 0) && (opt.Shards < 1 || opt.Shard < 1 || opt.Shard > opt.Shards) {
		return sum, &InputError{fmt.Errorf("shard %d/%d: want i/n with 1 ≤ i ≤ n, e.g. 2/8", opt.Shard, opt.Shards)}
	}
	inShard := func(i int) bool { return opt.Shards == 0 || s.shardOf(i, opt.Shards) == opt.Shard-1 }
	sum.Points = s.Count()
	if opt.Shards > 0 {
		sum.Points = 0
		for i := range s.Count() {
			if inShard(i) {
				sum.Points++
			}
			if i%4096 == 0 && ctx.Err() != nil {
				return sum, interrupted(ctx, sum, opt.Out)
			}
		}
	}
	store, err := claim(ctx, s, opt.Out)
	if err != nil {
		if ctx.Err() != nil {
			return sum, interrupted(ctx, sum, opt.Out)
		}
		return sum, err
	}
	defer store.Close()
	for k, r := range store.Records() {
		if k%4096 == 0 && ctx.Err() != nil {
			return sum, interrupted(ctx, sum, opt.Out)
		}
		i, ok := s.find(r.Point)
		switch {
		case !ok:
			sum.Other++
		case i < s.Count() && inShard(i):
			sum.Resumed++
		}
	}

	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	// todo yields the points of this shard not stored yet whose backend
	// is (or is not) the simulator.
	todo := func(simulated bool, prepare func(*Point) error) iter.Seq2[Point, error] {
		return func(yield func(Point, error) bool) {
			for i := range s.Count() {
				if ctx.Err() != nil {
					return
				}
				if _, _, _, _, _, bi := s.coords(i); IsReal(s.Backends[bi]) == simulated || !inShard(i) {
					continue
				}
				p := s.point(i)
				if store.Has(p.Key) {
					continue
				}
				p.Security, p.GossipKeys, p.Metrics = opt.Security, opt.GossipKeys, opt.Metrics
				if prepare != nil {
					if err := prepare(&p); err != nil {
						yield(Point{}, err)
						return
					}
				}
				if !yield(p, nil) {
					return
				}
			}
		}
	}
	stored := func(rec results.Record) {
		sum.Ran++
		if opt.OnPoint != nil {
			opt.OnPoint(sum.Resumed+sum.Ran, sum.Points, rec)
		}
	}
	// Simulated points first, in parallel; a real point needs the machine
	// to itself, so it runs alone. With calibrate, the real points run
	// first and each simulated point takes its costs from its real twin.
	phases := []func() iter.Seq2[Point, error]{
		func() iter.Seq2[Point, error] { return todo(true, nil) },
		func() iter.Seq2[Point, error] { return todo(false, nil) },
	}
	if s.Calibrate {
		phases = []func() iter.Seq2[Point, error]{
			func() iter.Seq2[Point, error] { return todo(false, nil) },
			func() iter.Seq2[Point, error] { return todo(true, calibrator(store.Records())) },
		}
	}
	for _, phase := range phases {
		if err := runPoints(ctx, phase(), workers, store, stored); err != nil {
			if errors.Is(err, context.Canceled) && ctx.Err() != nil {
				break
			}
			return sum, err
		}
	}
	if ctx.Err() != nil || sum.Resumed+sum.Ran < sum.Points {
		return sum, interrupted(ctx, sum, opt.Out)
	}
	if s.Precision > 0 && opt.Shards == 0 {
		return sum, morePrecision(ctx, s, store, workers, &sum, stored)
	}
	return sum, nil
}

// interrupted is the error of a sweep stopped before its end: it says how
// to go on, and wraps the context's cause (context.Canceled, or the signal
// that cancelled it).
func interrupted(ctx context.Context, sum Summary, dir string) error {
	cause := context.Cause(ctx)
	if cause == nil {
		cause = context.Canceled
	}
	return fmt.Errorf("interrupted: %d of %d points stored in %s; run the same command again to resume: %w", sum.Resumed+sum.Ran, sum.Points, dir, cause)
}

// morePrecision adds replications to the cells whose mean's 95% interval
// is wider than s.Precision of the mean, a round at a time, each round
// asking for as many as the interval says are needed (Law & Kelton's
// sequential rule, stats.MoreReplications), up to s.MaxReps per cell.
// Extra replications are ordinary points with higher replication indexes:
// stored, resumed and merged like any other.
func morePrecision(ctx context.Context, s *Spec, store *results.Store, workers int, sum *Summary, stored func(results.Record)) error {
	for {
		want := map[string]int{} // cell → replications wanted
		for _, c := range stats.Summarize(s.Select(store.Records())) {
			if !stats.Imprecise(c, s.Precision) {
				continue
			}
			more := stats.MoreReplications(c.N, c.MeanHalf, s.Precision*math.Abs(c.Mean))
			if more <= 0 || c.N >= s.MaxReps {
				continue
			}
			want[cellID(c.Workload, c.Policy, c.Load, c.X)] = min(c.N+more, s.MaxReps)
		}
		if len(want) == 0 {
			return nil
		}
		top := 0
		for _, n := range want {
			top = max(top, n)
		}
		var todo []Point
		for _, p := range s.All(ctx, s.Replications, top) {
			if n, ok := want[cellID(p.Point.Workload, p.Policy, p.Load, p.X)]; ok && p.Replication < n && !store.Has(p.Key) {
				todo = append(todo, p)
			}
		}
		if ctx.Err() != nil {
			return interrupted(ctx, *sum, filepath.Dir(store.Path()))
		}
		if len(todo) == 0 {
			return nil
		}
		sum.Points += len(todo)
		if err := runPoints(ctx, each(todo), workers, store, stored); err != nil {
			if errors.Is(err, context.Canceled) && ctx.Err() != nil {
				return interrupted(ctx, *sum, filepath.Dir(store.Path()))
			}
			return err
		}
	}
}

func cellID(workload, policy string, load, x float64) string {
	return workload + "\x00" + policy + "\x00" + strconv.FormatFloat(load, 'g', -1, 64) + "\x00" + strconv.FormatFloat(x, 'g', -1, 64)
}

// runPoints runs the points todo yields on workers goroutines and stores
// each record as it comes; it returns the first error (todo's included).
// It takes the points from todo one at a time, as workers are free.
func runPoints(ctx context.Context, todo iter.Seq2[Point, error], workers int, store *results.Store, stored func(results.Record)) error {
	var machine sync.RWMutex
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan Point)
	done := make(chan results.Record)
	errs := make(chan error, workers+1) // a worker's or todo's
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				lock, unlock := machine.RLock, machine.RUnlock
				if IsReal(p.Backend) {
					lock, unlock = machine.Lock, machine.Unlock
				}
				lock()
				rec, err := Run(ctx, p)
				unlock()
				if err != nil {
					errs <- err
					cancel()
					return
				}
				select {
				case done <- rec:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for p, err := range todo {
			if err != nil {
				errs <- err
				cancel()
				return
			}
			select {
			case jobs <- p:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(done) }()
	var storeErr error
	for rec := range done {
		if storeErr != nil {
			continue
		}
		if err := store.Append(rec); err != nil {
			storeErr = err
			cancel()
			continue
		}
		stored(rec)
	}
	if storeErr != nil {
		return storeErr // the cancellation it caused is not the news
	}
	select {
	case err := <-errs:
		return err
	default:
	}
	return ctx.Err()
}

// each yields the points of ps, for runPoints.
func each(ps []Point) iter.Seq2[Point, error] {
	return func(yield func(Point, error) bool) {
		for _, p := range ps {
			if !yield(p, nil) {
				return
			}
		}
	}
}

// calibrate gives each simulated point the network costs measured on its
// real twin (same policy, workload, load and replication): one-way latency
// = half the mean probe round trip; the dispatch delay = the mean time from
// a job's scheduled arrival to its arrival at an agent (generator lateness
// and the submit's trip); and, when the policy read gossip, a
// bulletin-board period twice the median age of what it read (a board
// refreshed every P is P/2 old on average); and, on a server
// architecture, the creation, switch and event costs its threads paid on
// the agents (results.ServerCosts), in place of the defaults the spec's
// server text left. A latency or dispatch delay the spec sets is kept:
// calibration fills in only what it leaves at 0; a server cost the spec
// gives stands too.
func calibrate(sims []Point, recs []results.Record) error {
	calibrate := calibrator(recs)
	for i := range sims {
		if err := calibrate(&sims[i]); err != nil {
			return err
		}
	}
	return nil
}

// calibrator returns what calibrate does to one simulated point, with the
// twins found in recs.
func calibrator(recs []results.Record) func(*Point) error {
	twins := map[string]results.Record{}
	id := func(p results.Point) string {
		base := strings.TrimSuffix(p.Policy, " ("+p.Backend+")")
		return fmt.Sprintf("%s|%s|%g|%s=%g|%d", base, p.Workload, p.Load, p.Axis, p.X, p.Replication)
	}
	for _, r := range recs {
		if IsReal(r.Point.Backend) {
			twins[id(r.Point)] = r
		}
	}
	return func(p *Point) error {
		r, ok := twins[id(p.Point)]
		if !ok {
			return fmt.Errorf("calibrate: no real run of %s at load %g (replication %d) to take costs from", p.Policy, p.Load, p.Replication)
		}
		if p.CostModel.Latency == 0 { // a latency the spec sets (e.g. from calibrate-migration) stands
			p.CostModel.Latency = r.Result.ProbeRTT / 2
			if r.Result.ProbeRTT == 0 { // records from before the mean was kept
				p.CostModel.Latency = r.Result.ProbeRTTP50 / 2
			}
		}
		if p.CostModel.Dispatch == 0 {
			p.CostModel.Dispatch = r.Result.DispatchDelay
		}
		if r.Result.GossipAgeP50 > 0 {
			p.Gossip = 2 * r.Result.GossipAgeP50
		}
		p.Costs = p.CostModel.String()
		if c := r.Result.ServerCosts; c != nil && p.Model.Server != nil {
			// What the agents' threads cost, where the architecture's
			// text left the cost at its default (server.Arch.Calibrated).
			p.Model.Server = p.Model.Server.Calibrated(c.Create, c.Switch, c.Event)
			p.Point.Server = p.Model.Server.String()
		}
		return nil
	}
}

// claim makes dir the home of spec s and opens its store. The directory
// may hold the points of an earlier version of the spec (kept in
// dir/spec.yaml): claim refuses it when a stored point that s also has (the
// same policy label, workload, load, replication and backend) was run with
// another configuration, naming what changed, or when a setting that shapes
// every point's results without being part of a point changed (batches,
// hit_bin, fault_bin, calibrate). Stored points that s does not have are
// left alone. On success the directory's spec.yaml becomes s; a refusal
// writes nothing.
func claim(ctx context.Context, s *Spec, dir string) (*results.Store, error) {
	path := filepath.Join(dir, SpecFile)
	old, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		old = nil
	case err != nil:
		return nil, err
	}
	refuse := func(what string) error {
		return &InputError{fmt.Errorf("%s holds the results of another spec: %s; choose another --out, or delete %s to start over", dir, what, dir)}
	}
	if old != nil && !bytes.Equal(old, s.Raw()) {
		prev, err := ParseSpec(path, old)
		if err != nil {
			return nil, refuse(fmt.Sprintf("its %s cannot be read any more (%v)", SpecFile, err))
		}
		if d := diff(prev.runSettings(), s.runSettings()); len(d) > 0 {
			return nil, refuse(fmt.Sprintf("%s changes %s", s.File(), strings.Join(d, ", ")))
		}
	}
	// Opening the store creates the directory and an empty store when
	// there is none, and then nothing can be refused below; an existing
	// store is only read (and a torn last line cut off).
	store, err := results.Open(dir)
	if err != nil {
		return nil, err
	}
	for k, r := range store.Records() {
		if k%1024 == 0 && ctx.Err() != nil {
			store.Close()
			return nil, ctx.Err()
		}
		if err := s.check(r.Point); err != nil {
			store.Close()
			return nil, refuse(fmt.Sprintf("%s changes its point %v", s.File(), err))
		}
	}
	if !bytes.Equal(old, s.Raw()) {
		if err := results.WriteFileAtomic(path, s.Raw()); err != nil {
			store.Close()
			return nil, err
		}
	}
	return store, nil
}

// check reports, as an InputError, a stored point whose coordinates are a
// point of s but whose configuration is not that point's, naming the
// settings that differ. Points that s does not have pass.
func (s *Spec) check(stored results.Point) error {
	i, ok := s.find(stored)
	if !ok {
		return nil
	}
	p := s.point(i).Point
	if p.Key == stored.Key {
		return nil
	}
	what := strings.Join(diff(configOf(stored), configOf(p)), ", ")
	if what == "" {
		what = fmt.Sprintf("stored by another version of loadlab (key %s, now %s)", stored.Key, p.Key)
	}
	return &InputError{fmt.Errorf("policy %s, workload %s, load %g, replication %d: %s", p.Policy, p.Workload, p.Load, p.Replication, what)}
}

// Holds reports whether p is one of the spec's points (replications that
// precision adds included) with the spec's configuration. A sweep's
// directory may also hold points of an earlier version of its spec, which
// its figures and tables leave out.
func (s *Spec) Holds(p results.Point) bool {
	i, ok := s.find(p)
	return ok && s.point(i).Key == p.Key
}

// Select returns the records of recs that hold points of s (see Holds), in
// their order.
func (s *Spec) Select(recs []results.Record) []results.Record {
	out := recs[:0:0]
	for _, r := range recs {
		if s.Holds(r.Point) {
			out = append(out, r)
		}
	}
	return out
}

// setting is one named value of a configuration, as diff compares them.
type setting struct{ name, value string }

// configOf lists a point's configuration: every field of results.Point but
// its key and spec hash, by JSON name.
func configOf(p results.Point) []setting {
	var out []setting
	v := reflect.ValueOf(p)
	for _, f := range reflect.VisibleFields(v.Type()) {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "key" || name == "spec" {
			continue
		}
		out = append(out, setting{name, fmt.Sprint(v.FieldByIndex(f.Index).Interface())})
	}
	return out
}

// runSettings lists the spec's settings that shape the results of every
// point without being recorded in it.
func (s *Spec) runSettings() []setting {
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return []setting{{"batches", strconv.Itoa(s.Batches)}, {"hit_bin", num(s.HitBin)}, {"fault_bin", num(s.FaultBin)}, {"calibrate", strconv.FormatBool(s.Calibrate)}}
}

// diff names the settings whose values differ, as "jobs 2000 → 4000".
func diff(old, new []setting) []string {
	var out []string
	for i := range min(len(old), len(new)) {
		if old[i].value != new[i].value {
			o, n := old[i].value, new[i].value
			if o == "" {
				o = `""`
			}
			if n == "" {
				n = `""`
			}
			out = append(out, fmt.Sprintf("%s %s → %s", old[i].name, o, n))
		}
	}
	return out
}

// Reopen reads the spec kept in a sweep's directory.
func Reopen(dir string) (*Spec, error) {
	path := filepath.Join(dir, SpecFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &InputError{fmt.Errorf("%s is not a sweep directory: %w", dir, err)}
	}
	return ParseSpec(path, data)
}
