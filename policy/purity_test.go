package policy_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/loadlab/loadlab"

// The pure packages may not reach our backends or the network, even
// indirectly. (fmt itself imports os, so os and time can only be forbidden
// as direct imports.)
var forbiddenDeps = []string{
	module + "/sim", module + "/node", module + "/experiment", module + "/results", module + "/analysis",
	"net", "net/http", "os/exec",
}

// Direct imports the policy core must not have: no clock, files or processes.
var forbiddenPolicyImports = []string{"os", "time", "os/exec", "net", "syscall", "sync", "math/rand", "unsafe"}

func goList(t *testing.T, args ...string) []string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go tool not on PATH")
	}
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = ".." // the module root
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if e, ok := err.(*exec.ExitError); ok {
			msg = string(e.Stderr)
		}
		t.Fatalf("go list %v: %v\n%s", args, err, msg)
	}
	return strings.Fields(string(out))
}

func TestPureDependencies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	for _, pkg := range []string{"./policy", "./workload", "./param", "./load"} {
		deps := goList(t, "-deps", pkg)
		if len(deps) == 0 {
			t.Fatalf("go list -deps %s: no output", pkg)
		}
		for _, d := range deps {
			for _, f := range forbiddenDeps {
				if d == f || strings.HasPrefix(d, f+"/") && strings.HasPrefix(f, module) {
					t.Errorf("%s depends on %s", pkg, d)
				}
			}
		}
	}
	for _, imp := range goList(t, "-f", `{{join .Imports " "}}`, "./policy") {
		for _, f := range forbiddenPolicyImports {
			if imp == f {
				t.Errorf("policy imports %q", imp)
			}
		}
	}
}

// TestAgentPartsSkipPolicy checks that the agents' executor and gossip
// speak the load record (package load) and not the policies.
func TestAgentPartsSkipPolicy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	for _, pkg := range []string{"./node/executor", "./node/gossip"} {
		for _, d := range goList(t, "-deps", pkg) {
			if d == module+"/policy" {
				t.Errorf("%s depends on %s, want only %s/load", pkg, d, module)
			}
		}
	}
}

// TestNoImpureCalls reads the policy sources: no go statements, no clock,
// no global random source (math/rand/v2's top-level functions); randomness
// comes from View.Rand.
func TestNoImpureCalls(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		// Local names of the imports that matter.
		names := map[string]string{}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			local := path[strings.LastIndex(path, "/")+1:]
			if path == "math/rand/v2" {
				local = "rand"
			}
			if imp.Name != nil {
				local = imp.Name.Name
			}
			names[local] = path
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt:
				t.Errorf("%s: go statement", fset.Position(n.Pos()))
			case *ast.CallExpr:
				sel, ok := n.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				x, ok := sel.X.(*ast.Ident)
				if !ok || x.Obj != nil { // a local variable, not a package
					return true
				}
				switch path := names[x.Name]; {
				case path == "time":
					t.Errorf("%s: time.%s", fset.Position(n.Pos()), sel.Sel.Name)
				case (path == "math/rand/v2" || path == "math/rand") && !strings.HasPrefix(sel.Sel.Name, "New"):
					t.Errorf("%s: global random source %s.%s; use View.Rand", fset.Position(n.Pos()), x.Name, sel.Sel.Name)
				}
			}
			return true
		})
	}
	if checked == 0 {
		t.Fatal("no policy sources found")
	}
}
