package workload

import (
	"fmt"
	"math"
	"strings"
)

// Build is one version of a kernel compiled for some platforms.
type Build struct {
	Kernel    string   `yaml:"kernel"`    // kernel name (required)
	Version   string   `yaml:"version"`   // "" = DefaultVersion
	Platforms []string `yaml:"platforms"` // platforms it runs on natively, at least one: "x86_64", "arm64"
}

// Platforms says where kernels run. Each node declares a platform (a name);
// a unit runs natively on a node whose platform has a build of its kernel
// and version, or else on the interpreter tier, if there is one, at a
// speed penalty. A kernel without any build runs natively everywhere, so
// the zero Platforms is the behaviour before platforms existed.
type Platforms struct {
	Builds []Build `yaml:"builds"`
	// Interpreter is the speed factor, in (0, 1], of the interpreter tier
	// that every node has and that runs any kernel (portable code, e.g.
	// bytecode); 0 = no interpreter: a unit runs only where a build exists.
	Interpreter float64 `yaml:"interpreter"`
}

// Validate reports the first invalid field, named by its YAML path.
func (p Platforms) Validate() error {
	seen := map[CodeKey]bool{}
	for i, b := range p.Builds {
		at := fmt.Sprintf("builds[%d]", i)
		if strings.TrimSpace(b.Kernel) == "" {
			return fmt.Errorf("%s.kernel: required", at)
		}
		k := CodeKey{b.Kernel, versionOr(b.Version)}
		at = fmt.Sprintf("builds[%d] (%s)", i, k)
		if seen[k] {
			return fmt.Errorf("%s: kernel and version listed twice", at)
		}
		seen[k] = true
		if len(b.Platforms) == 0 {
			return fmt.Errorf("%s.platforms: name at least one platform", at)
		}
		for j, pl := range b.Platforms {
			if strings.TrimSpace(pl) == "" {
				return fmt.Errorf("%s.platforms[%d]: empty name", at, j)
			}
		}
	}
	if x := p.Interpreter; !(x >= 0 && x <= 1) || math.IsInf(x, 0) {
		return fmt.Errorf("interpreter: must be a speed factor in (0, 1], or 0 for none, got %v", x)
	}
	return nil
}

// Speed says whether a unit running code c can run on a node of platform
// and at what factor of the node's speed: 1 natively (a build for the
// platform, or no build of the kernel at all), Interpreter on the
// interpreter tier, or ok = false when neither applies. A kernel with builds
// but none of c's version runs only on the interpreter.
func (p Platforms) Speed(c CodeSegment, platform string) (factor float64, ok bool) {
	want := c.Key()
	known := false
	for _, b := range p.Builds {
		if b.Kernel != c.Kernel {
			continue
		}
		known = true
		if versionOr(b.Version) != want.Version {
			continue
		}
		for _, pl := range b.Platforms {
			if pl == platform {
				return 1, true
			}
		}
	}
	if !known {
		return 1, true
	}
	if p.Interpreter > 0 {
		return p.Interpreter, true
	}
	return 0, false
}
