package node

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestLocalCPUTime: agents running the matmul kernel report the CPU time
// their process used (cpu_seconds), and it grows with the jobs' work:
// the same 200 jobs at a time unit of 8 ms instead of 4 ms are twice the
// iterations, 4 ms × the sum of their sizes (about 0.8 s) more, of which
// at least half must show (the kernel's iterations a unit are calibrated
// on an idle core; a busy machine makes them fewer, not more). Without
// RAPL counters (most machines, and any without root) none is recorded.
func TestLocalCPUTime(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real agents")
	}
	const jobs = 200
	var cpu [2]float64
	var work float64
	for i, unit := range []time.Duration{4 * time.Millisecond, 8 * time.Millisecond} {
		cfg := localPoint(t, 2, "random", "none", 0.5, jobs, unit)
		cfg.Kernel = "matmul"
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		r, err := RunLocal(ctx, cfg)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		cpu[i] = r.CPUSeconds
		work = r.MeanSize * jobs * 4e-3 // the work added at 8 ms, in CPU seconds (MeanSize: of the measured jobs)
		t.Logf("unit %v: cpu_seconds %.3f, process_cpu %.3f, RAPL %.3f J, %d jobs completed", unit, r.CPUSeconds, r.ProcessCPU, r.RAPLJoules, r.JobsCompleted)
		if r.CPUSeconds <= 0 {
			t.Errorf("unit %v: cpu_seconds %v, want > 0", unit, r.CPUSeconds)
		}
		if _, _, rapl := startMeter().since(); !rapl && r.RAPLJoules != 0 {
			t.Errorf("no RAPL counters here, yet %v J recorded", r.RAPLJoules)
		}
	}
	if cpu[1]-cpu[0] < 0.5*work {
		t.Errorf("cpu_seconds %.3f at 4 ms, %.3f at 8 ms: want at least %.3f more (half the work added)", cpu[0], cpu[1], 0.5*work)
	}
}

// TestRAPL reads RAPL counters laid out as Linux lays them out: the
// packages' counters summed (a subzone inside a package is not counted
// again), a counter that wrapped read across its range, and no counters
// no RAPL.
func TestRAPL(t *testing.T) {
	root := t.TempDir()
	write := func(zone, file, v string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(root, zone), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, zone, file), []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, z := range []string{"intel-rapl:0", "intel-rapl:1", "intel-rapl:0:0"} {
		write(z, "max_energy_range_uj", "10000000")
	}
	write("intel-rapl:0", "energy_uj", "1000000")
	write("intel-rapl:1", "energy_uj", "9500000")
	write("intel-rapl:0:0", "energy_uj", "500000")
	m := startMeterAt(root)
	write("intel-rapl:0", "energy_uj", "3500000")    // 2.5 J
	write("intel-rapl:1", "energy_uj", "500000")     // wrapped: 0.5 + 0.5 J
	write("intel-rapl:0:0", "energy_uj", "99000000") // a subzone: not counted
	if _, j, ok := m.since(); !ok || math.Abs(j-3.5) > 1e-9 {
		t.Errorf("RAPL %v J (readable %v), want 3.5 J", j, ok)
	}
	if _, j, ok := startMeterAt(t.TempDir()).since(); ok || j != 0 {
		t.Errorf("no counters: RAPL %v J (readable %v), want none", j, ok)
	}
}
