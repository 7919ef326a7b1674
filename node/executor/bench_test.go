package executor

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// reportLatency adds p50, p99 and max of ds (in µs) to b's results.
func reportLatency(b *testing.B, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	b.ReportMetric(us(rank(s, 0.50)), "p50-µs")
	b.ReportMetric(us(rank(s, 0.99)), "p99-µs")
	b.ReportMetric(us(s[len(s)-1]), "max-µs")
}

// BenchmarkSleepAccuracy measures lateness (actual − intended wake-up) of
// sleepUntil on a prepared thread, of time.Sleep for comparison, and of
// whole emulated units on an executor (Stats().Lateness).
func BenchmarkSleepAccuracy(b *testing.B) {
	for _, d := range []time.Duration{time.Millisecond, 10 * time.Millisecond} {
		b.Run(fmt.Sprintf("sleepUntil/%v", d), func(b *testing.B) {
			lockThread() // for good: the thread dies with this goroutine
			lates := make([]time.Duration, 0, b.N)
			for b.Loop() {
				deadline := time.Now().Add(d)
				lates = append(lates, sleepUntil(deadline).Sub(deadline))
			}
			reportLatency(b, lates)
		})
		b.Run(fmt.Sprintf("time.Sleep/%v", d), func(b *testing.B) {
			lates := make([]time.Duration, 0, b.N)
			for b.Loop() {
				deadline := time.Now().Add(d)
				time.Sleep(d)
				lates = append(lates, time.Since(deadline))
			}
			reportLatency(b, lates)
		})
		b.Run(fmt.Sprintf("executor/%v", d), func(b *testing.B) {
			e, err := New(Config{TimeUnit: d})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close(context.Background())
			done := make(chan struct{})
			for b.Loop() {
				if err := e.Submit(&Unit{Size: 1, Done: func(*Unit, time.Time, time.Time) { done <- struct{}{} }}); err != nil {
					b.Fatal(err)
				}
				<-done
			}
			l := e.Stats().Lateness
			us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
			b.ReportMetric(us(l.P50), "p50-µs")
			b.ReportMetric(us(l.P99), "p99-µs")
			b.ReportMetric(us(l.Max), "max-µs")
		})
	}
}

// BenchmarkSubmitOverhead measures the time from Submit of a size-0 unit to
// its Done on an idle executor: queueing and waking the slot's thread.
func BenchmarkSubmitOverhead(b *testing.B) {
	e, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close(context.Background())
	done := make(chan time.Time, 1)
	u := &Unit{Done: func(*Unit, time.Time, time.Time) { done <- time.Now() }}
	ds := make([]time.Duration, 0, b.N)
	for b.Loop() {
		u.Progress = 0
		t := time.Now()
		if err := e.Submit(u); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, (<-done).Sub(t))
	}
	reportLatency(b, ds)
}

// BenchmarkCPUKernels measures how long a size-1 unit on a CPU kernel
// takes against its target, one time unit at the pace the kernel is
// calibrated to now (wall/target; 1 is exact). On a shared machine other
// processes move the cores' pace between calibration and run.
func BenchmarkCPUKernels(b *testing.B) {
	for _, k := range []string{KernelHash, KernelMatmul} {
		b.Run(k, func(b *testing.B) {
			const unit = 20 * time.Millisecond
			e, err := New(Config{TimeUnit: unit, Kernel: k})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close(context.Background())
			now, err := Calibrate(k, unit)
			if err != nil {
				b.Fatal(err)
			}
			target := float64(unit) * e.ipu / now
			done := make(chan time.Duration, 1)
			var ratios []time.Duration // wall/target, in thousandths
			for b.Loop() {
				if err := e.Submit(&Unit{Size: 1, Done: func(_ *Unit, start, end time.Time) { done <- end.Sub(start) }}); err != nil {
					b.Fatal(err)
				}
				ratios = append(ratios, time.Duration(1000*float64(<-done)/target))
			}
			slices.Sort(ratios)
			b.ReportMetric(float64(rank(ratios, 0.5))/1000, "wall/target-p50")
			b.ReportMetric(float64(rank(ratios, 0.99))/1000, "wall/target-p99")
		})
	}
}
