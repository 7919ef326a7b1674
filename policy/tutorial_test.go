package policy_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strings"
	"testing"
)

const tutorial = "../docs/writing-a-policy.md"

// placeholder matches text left for later: RESULTS_PLACEHOLDER, TODO, TBD.
var placeholder = regexp.MustCompile(`\b[A-Z_]*PLACEHOLDER[A-Z_]*\b|\bTODO\b|\bTBD\b|\bFIXME\b`)

// TestTutorial checks docs/writing-a-policy.md against the code it
// teaches: no placeholder left, its policy file as the repository has it,
// and every Watcher interface of the policy API explained.
func TestTutorial(t *testing.T) {
	b, err := os.ReadFile(tutorial)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for i, line := range strings.Split(doc, "\n") {
		if m := placeholder.FindString(line); m != "" {
			t.Errorf("%s:%d: placeholder %q: paste what the command printed", tutorial, i+1, m)
		}
	}

	// The code shown is the shipped file, line for line (the file may have
	// more: comments the page explains in prose).
	src, err := os.ReadFile("sender_gossip.go")
	if err != nil {
		t.Fatal(err)
	}
	block := codeBlock(doc, "package policy")
	if block == "" {
		t.Fatalf("%s: no Go block starting with package policy", tutorial)
	}
	lines := strings.Split(string(src), "\n")
	k := 0
	for _, want := range strings.Split(block, "\n") {
		for k < len(lines) && lines[k] != want {
			k++
		}
		if k == len(lines) {
			t.Errorf("%s: line %q of the sender.gossip block is not in policy/sender_gossip.go (in that order)", tutorial, want)
			break
		}
		k++
	}

	// Every ...Watcher interface in policy.go is named on the page.
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "policy.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var watchers []string
	ast.Inspect(f, func(n ast.Node) bool {
		if ts, ok := n.(*ast.TypeSpec); ok {
			if _, ok := ts.Type.(*ast.InterfaceType); ok && strings.HasSuffix(ts.Name.Name, "Watcher") {
				watchers = append(watchers, ts.Name.Name)
			}
		}
		return true
	})
	if len(watchers) < 4 {
		t.Fatalf("found Watchers %v in policy.go, want at least IdleWatcher, DoneWatcher, ReplyWatcher, PollWatcher", watchers)
	}
	for _, w := range watchers {
		if !strings.Contains(doc, "`"+w+"`") {
			t.Errorf("%s does not explain %s", tutorial, w)
		}
	}
}

// codeBlock returns the first fenced Go block of doc whose first line is
// first, without its fences.
func codeBlock(doc, first string) string {
	for _, part := range strings.Split(doc, "```go\n")[1:] {
		body, _, _ := strings.Cut(part, "```")
		if strings.HasPrefix(body, first+"\n") {
			return strings.TrimSuffix(body, "\n")
		}
	}
	return ""
}
