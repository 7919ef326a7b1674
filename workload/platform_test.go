package workload

import (
	"math"
	"strings"
	"testing"
)

func TestPlatformSpeed(t *testing.T) {
	builds := []Build{
		{Kernel: "matmul", Platforms: []string{"x86_64", "arm64"}},
		{Kernel: "matmul", Version: "2", Platforms: []string{"x86_64"}},
		{Kernel: "hash", Version: "3", Platforms: []string{"riscv64"}},
	}
	native := Platforms{Builds: builds}
	interp := Platforms{Builds: builds, Interpreter: 0.25}
	for _, c := range []struct {
		p        Platforms
		code     CodeSegment
		platform string
		factor   float64
		ok       bool
	}{
		{native, seg("matmul", "1", 0), "x86_64", 1, true},
		{native, seg("matmul", "", 0), "arm64", 1, true}, // "" is version 1
		{native, seg("matmul", "2", 0), "x86_64", 1, true},
		{native, seg("matmul", "2", 0), "arm64", 0, false}, // version 2 has no arm64 build
		{native, seg("matmul", "1", 0), "riscv64", 0, false},
		{native, seg("matmul", "7", 0), "x86_64", 0, false}, // no build of that version
		{native, seg("hash", "3", 0), "riscv64", 1, true},
		{native, seg("hash", "3", 0), "", 0, false},      // a node without a platform has no builds
		{native, seg("sleep", "1", 0), "arm64", 1, true}, // a kernel without builds runs everywhere
		{native, seg("sleep", "1", 0), "", 1, true},
		{interp, seg("matmul", "2", 0), "arm64", 0.25, true},
		{interp, seg("matmul", "1", 0), "riscv64", 0.25, true},
		{interp, seg("matmul", "1", 0), "x86_64", 1, true}, // native beats the interpreter
		{interp, seg("matmul", "7", 0), "x86_64", 0.25, true},
		{interp, seg("sleep", "1", 0), "arm64", 1, true},
		{Platforms{}, seg("matmul", "1", 0), "arm64", 1, true}, // no platforms: everywhere
	} {
		f, ok := c.p.Speed(c.code, c.platform)
		if f != c.factor || ok != c.ok {
			t.Errorf("interpreter %v: Speed(%v, %q) = %v, %v; want %v, %v", c.p.Interpreter, c.code.Key(), c.platform, f, ok, c.factor, c.ok)
		}
	}
}

func TestPlatformsValidate(t *testing.T) {
	for _, p := range []Platforms{{}, {Interpreter: 1}, {Builds: []Build{{Kernel: "k", Platforms: []string{"a"}}, {Kernel: "k", Version: "2", Platforms: []string{"a"}}}}} {
		if err := p.Validate(); err != nil {
			t.Errorf("%+v: %v", p, err)
		}
	}
	for _, c := range []struct {
		p    Platforms
		want string
	}{
		{Platforms{Builds: []Build{{Platforms: []string{"a"}}}}, "builds[0].kernel: required"},
		{Platforms{Builds: []Build{{Kernel: "k", Platforms: []string{"a"}}, {Kernel: "k", Version: "1", Platforms: []string{"b"}}}}, "builds[1] (k@1): kernel and version listed twice"},
		{Platforms{Builds: []Build{{Kernel: "k"}}}, "builds[0] (k@1).platforms: name at least one platform"},
		{Platforms{Builds: []Build{{Kernel: "k", Platforms: []string{"a", " "}}}}, "builds[0] (k@1).platforms[1]: empty name"},
		{Platforms{Interpreter: 1.5}, "interpreter: must be a speed factor in (0, 1], or 0 for none, got 1.5"},
		{Platforms{Interpreter: -0.1}, "interpreter: must be"},
		{Platforms{Interpreter: math.NaN()}, "interpreter: must be"},
	} {
		if err := c.p.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.p, err, c.want)
		}
	}
}
