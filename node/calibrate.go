package node

import (
	"context"
	"fmt"
	"math"
	"net"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/loadlab/loadlab/latency"

	"github.com/loadlab/loadlab/node/gossip"
	"github.com/loadlab/loadlab/node/wire"
	"github.com/loadlab/loadlab/workload"
)

// MigrationCalibration says how to measure what moving a unit between two
// real agents on this machine costs, to give the simulator's migration
// model (workload.Link) its latency and bandwidth.
type MigrationCalibration struct {
	TimeUnit time.Duration // wall time of a model unit (default 10ms)
	Sizes    []float64     // state bytes per unit, one point each (default 0, 64 KiB, 256 KiB, 1 MiB, 4 MiB)
	Moves    int           // units moved per size (default 200)
	Seed     uint64        // jobs' seed (default 1)
}

// DefaultCalibrationSizes are the state sizes CalibrateMigration moves by default.
var DefaultCalibrationSizes = []float64{0, 64 << 10, 256 << 10, 1 << 20, 4 << 20}

// MigrationSample is what moving units of one size cost on the agents.
type MigrationSample struct {
	Bytes float64 // state bytes per unit
	Moves int64   // units moved
	Mean  float64 // mean time of a move, model units: from its start until the destination acknowledged the unit
	P50   float64 // median time of a move
	P99   float64
}

// LinkFit is the link that fits the samples: Mean ≈ Latency + Bytes/Bandwidth.
type LinkFit struct {
	Link    workload.Link
	Samples []MigrationSample
}

// Model returns the simulator's cost of moving bytes over the fitted link
// (workload.WeakCost: a unit not yet started, as the calibration moves).
func (f LinkFit) Model(bytes float64) float64 {
	return workload.WeakCost(f.Link, workload.Payload{State: bytes}).Total
}

// CalibrateMigration measures moves of each size (MeasureMigrations) and
// fits a link to them (FitLink).
func CalibrateMigration(ctx context.Context, c MigrationCalibration) (LinkFit, error) {
	if c.TimeUnit == 0 {
		c.TimeUnit = 10 * time.Millisecond
	}
	if c.Sizes == nil {
		c.Sizes = DefaultCalibrationSizes
	}
	if c.Moves == 0 {
		c.Moves = 200
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if len(c.Sizes) < 2 {
		return LinkFit{}, fmt.Errorf("calibrate migration: need at least 2 sizes to fit latency and bandwidth, got %d", len(c.Sizes))
	}
	samples, err := MeasureMigrations(ctx, c.TimeUnit, c.Sizes, c.Moves, c.Seed)
	if err != nil {
		return LinkFit{}, err
	}
	return FitLink(samples), nil
}

// FitLink fits a link to samples by least squares of the relative error,
// each size counting alike whatever its time. A link is linear: calibrate
// over the range of sizes a study moves (on our test machine, states that
// stay in cache copy about three times faster per byte than states of a
// megabyte and more).
func FitLink(samples []MigrationSample) LinkFit {
	var xs, ys, ws []float64
	for _, s := range samples {
		xs, ys, ws = append(xs, s.Bytes), append(ys, s.Mean), append(ws, 1/max(s.Mean*s.Mean, 1e-12))
	}
	fit := LinkFit{Samples: samples}
	alpha, beta := stat.LinearRegression(xs, ys, ws, false)
	fit.Link.Latency = max(alpha, 0)
	if beta > 0 {
		fit.Link.Bandwidth = 1 / beta
	}
	return fit
}

// MeasureMigrations moves n units of each size (bytes of state) from one
// agent to another, on two agents on 127.0.0.1, one at a time, the sizes
// taking turns so that every size meets the same conditions, and returns
// what a move of each size took: from the start of the move (packing the
// unit) until the destination had checked and acknowledged it. Moves are
// spaced by 2 ms so that none waits for another.
func MeasureMigrations(ctx context.Context, unit time.Duration, sizes []float64, n int, seed uint64) ([]MigrationSample, error) {
	if n < 2 || len(sizes) == 0 {
		return nil, fmt.Errorf("measure migration: want sizes and at least 2 moves each, got %d sizes and %d moves", len(sizes), n)
	}
	uc := &workload.UnitConfig{}
	var names []string
	for i, size := range sizes {
		if !(size >= 0) || math.IsInf(size, 0) {
			return nil, fmt.Errorf("measure migration: size %v bytes: want a finite number ≥ 0", size)
		}
		names = append(names, fmt.Sprintf("size%d", i))
		uc.Classes = append(uc.Classes, workload.ClassUnit{Class: names[i], Exec: &workload.ExecSegment{State: size}})
	}
	pr, err := startPair(ctx, unit, uc, names, seed)
	if err != nil {
		return nil, fmt.Errorf("measure migration: %w", err)
	}
	defer pr.close()
	times := make([]*latency.Histogram, len(sizes))
	sums := make([]time.Duration, len(sizes))
	for i := range times {
		times[i] = latency.New()
	}
	for k := range n * len(sizes) {
		i := k % len(sizes)
		j := &wire.Job{ID: int64(k), Class: int32(i), ReplyTo: pr.sink}
		start := time.Now()
		if !pr.src.transfer(1, j, false, nil, time.Time{}) {
			return nil, fmt.Errorf("measure migration of %v bytes: move %d failed", sizes[i], k)
		}
		took := time.Since(start)
		sums[i] += took
		times[i].Record(float64(took) / float64(unit))
		if err := sleepCtx(ctx, 2*time.Millisecond); err != nil {
			return nil, err
		}
	}
	out := make([]MigrationSample, len(sizes))
	for i, size := range sizes {
		out[i] = MigrationSample{Bytes: size, Moves: int64(n), Mean: float64(sums[i]) / float64(unit) / float64(n),
			P50: times[i].Quantile(0.5), P99: times[i].Quantile(0.99)}
	}
	return out, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// pair is two agents on 127.0.0.1 configured for a point of their own,
// with no policy, and a sink for the completions of the jobs moved: for
// measuring moves one at a time.
type pair struct {
	agents []*Agent
	src    *point // agent 0's point, which moves jobs to agent 1
	sink   string // address of the completion sink
	close  func()
}

// startPair starts a pair whose points have the given time unit, units
// (nil: none) for the given classes, and seed.
func startPair(ctx context.Context, unit time.Duration, units *workload.UnitConfig, classes []string, seed uint64) (*pair, error) {
	label := "pair-" + runLabel()
	pr := &pair{}
	var stops []func()
	pr.close = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	for i := range 2 {
		g := gossip.Config{Name: fmt.Sprintf("pair-%d", i), BindAddr: "127.0.0.1", Label: label}
		if i > 0 {
			g.Join = []string{pr.agents[0].GossipAddr()}
		}
		a, err := StartAgent(ctx, AgentConfig{Gossip: g})
		if err != nil {
			pr.close()
			return nil, err
		}
		pr.agents = append(pr.agents, a)
		stops = append(stops, func() { a.Close(context.Background()) })
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		pr.close()
		return nil, err
	}
	sinkCtx, stop := context.WithCancel(ctx)
	go wire.Serve(sinkCtx, ln, wire.DefaultMaxFrame, func(context.Context, *wire.Msg) (*wire.Msg, error) { return nil, nil })
	stops = append(stops, stop)
	pr.sink = ln.Addr().String()

	pool := wire.NewPool(wire.DefaultMaxFrame)
	stops = append(stops, func() { pool.Close() })
	roster := []string{"pair-0", "pair-1"}
	for i, a := range pr.agents {
		s := &Setup{ID: int32(i), Roster: roster, Migrate: "none", Servers: 1, Speed: 1, TimeUnit: unit, Kernel: "sleep",
			Seed: seed, EpochNano: time.Now().UnixNano(), Publish: PublishInterval(2), Units: units, ClassNames: classes}
		if _, err := call(ctx, pool, a.RPC(), control{Op: opConfigure, Setup: s}); err != nil {
			pr.close()
			return nil, err
		}
	}
	pr.src = pr.agents[0].current()
	for { // until agent 1 is known to agent 0 through serf
		if _, ok := pr.src.view.peers.get(1); ok {
			return pr, nil
		}
		if err := sleepCtx(ctx, 10*time.Millisecond); err != nil {
			pr.close()
			return nil, err
		}
	}
}
