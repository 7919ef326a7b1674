package node

import (
	"context"
	"math"
	"testing"
	"time"
)

// TestMigrationCostAgrees calibrates the link once on some sizes, then
// moves units of a size between them on real agents: the simulator's model
// of the move, over the calibrated link, is within 20% of the agents' mean.
// A linear link holds over a range where the machine copies at one rate;
// the test takes states of megabytes, whose moves take milliseconds, so
// that the machine's scheduling noise (tens of µs, more when it is busy)
// stays small against them. Small states, in cache, copy about three
// times faster per byte: `loadlab calibrate-migration` fits them apart.
func TestMigrationCostAgrees(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real clusters")
	}
	if raceScale > 1 {
		// A calibration, like a benchmark: the race detector's cost per
		// byte copied is not the machine's, so the fit says nothing.
		t.Skip("measures the cost of copying bytes: meaningless under -race")
	}
	const unit = 10 * time.Millisecond
	for _, tc := range []struct {
		name        string
		calibration []float64
		holdout     float64
	}{
		{"megabytes", []float64{1 << 20, 2 << 20, 4 << 20}, 3 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			// The holdout's moves take turns with the calibration's, so
			// that they meet the same conditions; the fit does not see them.
			samples, err := MeasureMigrations(ctx, unit, append(tc.calibration, tc.holdout), 300, 1)
			if err != nil {
				t.Fatal(err)
			}
			fit := FitLink(samples[:len(tc.calibration)])
			t.Logf("fitted latency %.4f units, bandwidth %.4g bytes/unit (%.0f MB/s)", fit.Link.Latency, fit.Link.Bandwidth, fit.Link.Bandwidth/unit.Seconds()/1e6)
			for _, s := range fit.Samples {
				t.Logf("calibration %8.0f bytes: measured mean %.4f p50 %.4f p99 %.4f, model %.4f", s.Bytes, s.Mean, s.P50, s.P99, fit.Model(s.Bytes))
			}
			s := samples[len(tc.calibration)]
			model := fit.Model(s.Bytes)
			dev := s.Mean/model - 1
			t.Logf("%8.0f bytes: agents mean %.4f p50 %.4f p99 %.4f units over %d moves, simulator %.4f (%+.1f%%)", s.Bytes, s.Mean, s.P50, s.P99, s.Moves, model, 100*dev)
			if math.Abs(dev) > 0.2 {
				t.Errorf("%v bytes: agents measure %.4f units a move, the calibrated model says %.4f: %+.1f%%, more than 20%%", s.Bytes, s.Mean, model, 100*dev)
			}
		})
	}
}
