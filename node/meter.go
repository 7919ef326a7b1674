package node

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// meter is what an agent measures of its machine over a point: its
// process's CPU time (getrusage: user + system), and the joules of the
// RAPL counters (Intel's running average power limit, in
// /sys/class/powercap) where the machine has them and they are readable
// (often root only). Both read at the point's start and at its stats.
type meter struct {
	cpu   float64
	zones []raplZone // empty: no RAPL readable
}

// raplZone is one RAPL package domain: its counter file, the counter's
// range (it wraps), and its reading at the start.
type raplZone struct {
	path       string
	rangeJ, at float64
}

// raplRoot is where Linux exposes RAPL.
const raplRoot = "/sys/class/powercap"

// startMeter reads the meters now.
func startMeter() meter { return startMeterAt(raplRoot) }

// startMeterAt reads the meters now, RAPL's under root.
func startMeterAt(root string) meter {
	m := meter{cpu: processCPU()}
	dirs, _ := filepath.Glob(filepath.Join(root, "intel-rapl:*"))
	for _, d := range dirs {
		if strings.Count(filepath.Base(d), ":") != 1 { // a package, not a subzone (core, uncore, dram) it contains
			continue
		}
		at, err1 := readJoules(filepath.Join(d, "energy_uj"))
		rng, err2 := readJoules(filepath.Join(d, "max_energy_range_uj"))
		if err1 == nil && err2 == nil {
			m.zones = append(m.zones, raplZone{path: filepath.Join(d, "energy_uj"), rangeJ: rng, at: at})
		}
	}
	return m
}

// since returns the CPU seconds the process used since m, and the RAPL
// joules since m (0, false without RAPL).
func (m meter) since() (cpu, joules float64, rapl bool) {
	cpu = processCPU() - m.cpu
	for _, z := range m.zones {
		now, err := readJoules(z.path)
		if err != nil {
			return cpu, 0, false
		}
		if now < z.at { // the counter wrapped
			now += z.rangeJ
		}
		joules += now - z.at
	}
	return cpu, joules, len(m.zones) > 0
}

// readJoules reads a RAPL counter file of microjoules.
func readJoules(path string) (float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	uj, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return uj / 1e6, nil
}

// processID names this process among the agents' (host and pid), so that
// agents sharing a process (a local cluster) count its CPU time once.
func processID() string {
	host, _ := os.Hostname()
	return host + ":" + strconv.Itoa(os.Getpid())
}
