package experiment

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/loadlab/loadlab/analysis"
	"github.com/loadlab/loadlab/node/wire"
	"github.com/loadlab/loadlab/results"
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
	// n (1 ≤ i ≤ n) takes every n-th group of points, a group being one
	// policy row's points on all its backends (so a calibrated twin stays
	// with its real run). Zero Shards runs every point. Merge combines
	// the shards' directories.
	Shard, Shards int
	// Security and GossipKeys are given to every point on real agents
	// (Point.Security, Point.GossipKeys): the keys of a testbed's cluster,
	// which a spec never holds.
	Security   *wire.Security
	GossipKeys [][]byte
}

// Summary says what a sweep did.
type Summary struct {
	Points  int // points in the spec
	Resumed int // already stored when the sweep started
	Ran     int // run and stored now
	Dir     string
}

// Sweep runs every point of s that its output directory does not hold yet.
// Each result is stored (and synced) as soon as its point finishes, so a
// sweep killed at any moment, SIGKILL included, resumes when run again.
func Sweep(ctx context.Context, s *Spec, opt Options) (Summary, error) {
	sum := Summary{Dir: opt.Out}
	points, err := s.Points()
	if err != nil {
		return sum, err
	}
	if points, err = shard(points, len(s.Backends), opt.Shard, opt.Shards); err != nil {
		return sum, err
	}
	sum.Points = len(points)
	if err := claimDir(s, opt.Out); err != nil {
		return sum, err
	}
	store, err := results.Open(opt.Out)
	if err != nil {
		return sum, err
	}
	defer store.Close()

	var todo []Point
	for _, p := range points {
		if store.Has(p.Key) {
			sum.Resumed++
		} else {
			p.Security, p.GossipKeys = opt.Security, opt.GossipKeys
			todo = append(todo, p)
		}
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	// Simulated points first, in parallel; a real point needs the machine
	// to itself, so it runs alone. With calibrate, the real points run
	// first and each simulated point takes its costs from its real twin.
	sort.SliceStable(todo, func(i, j int) bool { return todo[i].Backend == "sim" && todo[j].Backend != "sim" })
	phases := [][]Point{todo}
	if s.Calibrate {
		var real, sims []Point
		for _, p := range todo {
			if p.Backend == "sim" {
				sims = append(sims, p)
			} else {
				real = append(real, p)
			}
		}
		phases = [][]Point{real, sims}
	}
	stored := func(rec results.Record) {
		sum.Ran++
		if opt.OnPoint != nil {
			opt.OnPoint(sum.Resumed+sum.Ran, sum.Points, rec)
		}
	}
	for i, phase := range phases {
		if i == 1 {
			if err := calibrate(phase, store.Records()); err != nil {
				return sum, err
			}
		}
		if err := runPoints(ctx, phase, workers, store, stored); err != nil {
			if errors.Is(err, context.Canceled) && ctx.Err() != nil {
				break
			}
			return sum, err
		}
	}
	if sum.Resumed+sum.Ran < sum.Points {
		return sum, fmt.Errorf("interrupted: %d of %d points stored in %s; run the same command again to resume: %w", sum.Resumed+sum.Ran, sum.Points, opt.Out, context.Cause(ctx))
	}
	if s.Precision > 0 && opt.Shards == 0 {
		return sum, morePrecision(ctx, s, store, workers, &sum, stored)
	}
	return sum, nil
}

// morePrecision adds replications to the cells whose mean's 95% interval
// is wider than s.Precision of the mean, a round at a time, each round
// asking for as many as the interval says are needed (Law & Kelton's
// sequential rule, analysis.MoreReplications), up to s.MaxReps per cell.
// Extra replications are ordinary points with higher replication indexes:
// stored, resumed and merged like any other.
func morePrecision(ctx context.Context, s *Spec, store *results.Store, workers int, sum *Summary, stored func(results.Record)) error {
	for {
		want := map[string]int{} // cell → replications wanted
		for _, c := range analysis.Summarize(store.Records()) {
			if !analysis.Imprecise(c, s.Precision) {
				continue
			}
			more := analysis.MoreReplications(c.N, c.MeanHalf, s.Precision*math.Abs(c.Mean))
			if more <= 0 || c.N >= s.MaxReps {
				continue
			}
			want[cellID(c.Workload, c.Policy, c.Load)] = min(c.N+more, s.MaxReps)
		}
		if len(want) == 0 {
			return nil
		}
		top := 0
		for _, n := range want {
			top = max(top, n)
		}
		all, err := s.pointsOf(s.Replications, top)
		if err != nil {
			return err
		}
		var todo []Point
		for _, p := range all {
			if n, ok := want[cellID(p.Point.Workload, p.Policy, p.Load)]; ok && p.Replication < n && !store.Has(p.Key) {
				todo = append(todo, p)
			}
		}
		if len(todo) == 0 {
			return nil
		}
		sum.Points += len(todo)
		if err := runPoints(ctx, todo, workers, store, stored); err != nil {
			return err
		}
	}
}

func cellID(workload, policy string, load float64) string {
	return workload + "\x00" + policy + "\x00" + strconv.FormatFloat(load, 'g', -1, 64)
}

// shard returns shard i of n of points, groups of perGroup consecutive
// points (one row on each backend) dealt out in turn.
func shard(points []Point, perGroup, i, n int) ([]Point, error) {
	if n == 0 && i == 0 {
		return points, nil
	}
	if n < 1 || i < 1 || i > n {
		return nil, &InputError{fmt.Errorf("shard %d/%d: want i/n with 1 ≤ i ≤ n, e.g. 2/8", i, n)}
	}
	var out []Point
	for k, p := range points {
		if (k/max(perGroup, 1))%n == i-1 {
			out = append(out, p)
		}
	}
	return out, nil
}

// runPoints runs points on workers goroutines and stores each record as it
// comes; it returns the first error.
func runPoints(ctx context.Context, todo []Point, workers int, store *results.Store, stored func(results.Record)) error {
	var machine sync.RWMutex
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan Point)
	done := make(chan results.Record)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				lock, unlock := machine.RLock, machine.RUnlock
				if p.Backend != "sim" {
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
		for _, p := range todo {
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

// calibrate gives each simulated point the network costs measured on its
// real twin (same policy, workload, load and replication): one-way latency
// = half the mean probe round trip; the dispatch delay = the mean time from
// a job's scheduled arrival to its arrival at an agent (generator lateness
// and the submit's trip); and, when the policy read gossip, a
// bulletin-board period twice the median age of what it read (a board
// refreshed every P is P/2 old on average). A latency or dispatch delay
// the spec sets is kept: calibration fills in only what it leaves at 0.
func calibrate(sims []Point, recs []results.Record) error {
	twins := map[string]results.Record{}
	id := func(p results.Point) string {
		base := strings.TrimSuffix(p.Policy, " ("+p.Backend+")")
		return fmt.Sprintf("%s|%s|%g|%d", base, p.Workload, p.Load, p.Replication)
	}
	for _, r := range recs {
		if r.Point.Backend != "sim" {
			twins[id(r.Point)] = r
		}
	}
	for i := range sims {
		p := &sims[i]
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
	}
	return nil
}

// claimDir makes dir the home of spec s: it keeps a copy of the spec there,
// and refuses a directory that holds the results of another spec.
func claimDir(s *Spec, dir string) error {
	path := filepath.Join(dir, SpecFile)
	old, err := os.ReadFile(path)
	switch {
	case err == nil:
		if !bytes.Equal(old, s.Raw()) {
			return &InputError{fmt.Errorf("%s holds the results of another spec (%s differs from %s): choose another --out, or delete the directory to start over", dir, path, s.File())}
		}
		return nil
	case !errors.Is(err, os.ErrNotExist):
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return results.WriteFileAtomic(path, s.Raw())
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
