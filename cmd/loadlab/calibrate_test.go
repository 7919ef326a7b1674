package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/loadlab/loadlab/sim"
)

func TestParseSizes(t *testing.T) {
	got, err := parseSizes("0, 1000,64KiB,1 MiB,2MB,3B")
	want := []float64{0, 1000, 64 << 10, 1 << 20, 2e6, 3}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("parseSizes = %v, %v; want %v", got, err, want)
	}
	for _, bad := range []string{"", "-1", "1TB", "NaN", "1e300", "8MiB"} {
		if _, err := parseSizes(bad); err == nil {
			t.Errorf("parseSizes(%q) accepted", bad)
		}
	}
}

// TestCalibrateMigration runs the command on real agents and reads its
// costs block back as a sweep spec reads costs. The state sizes are 0 and
// 4 MiB: a 4 MiB copy takes milliseconds, well above a busy machine's
// scheduling noise, so 20 moves of each fit a finite bandwidth (with 256
// KiB the noise could make the larger state look no slower).
func TestCalibrateMigration(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real agents")
	}
	out := filepath.Join(t.TempDir(), "link.yaml")
	stdout, _, err := loadlab(t, "calibrate-migration", "--sizes", "0,4MiB", "--moves", "20", "--out", out)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != stdout || !strings.Contains(stdout, "#        4194304") {
		t.Errorf("file and output differ, or lack the 4 MiB row:\n%s", stdout)
	}
	var spec struct {
		Costs sim.Costs `yaml:"costs"`
	}
	if err := yaml.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	if err := spec.Costs.Validate(); err != nil || spec.Costs.Bandwidth <= 0 {
		t.Errorf("costs %+v (%v): want a valid link with a finite bandwidth", spec.Costs, err)
	}
}
