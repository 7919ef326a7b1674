package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHelperAgent is the child process of TestAgentsAndTestbed: it runs
// `loadlab agent` with the arguments in LOADLAB_TEST_AGENT_ARGS.
func TestHelperAgent(t *testing.T) {
	args := os.Getenv("LOADLAB_TEST_AGENT_ARGS")
	if args == "" {
		t.Skip("helper process for TestAgentsAndTestbed")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, append([]string{"loadlab", "agent"}, strings.Fields(args)...), os.Stdout, os.Stderr)
	os.Exit(exitCode(err, os.Stderr))
}

type agentProc struct {
	cmd    *exec.Cmd
	gossip string
	rest   chan string
}

func startAgent(t *testing.T, args string) *agentProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperAgent$")
	cmd.Env = append(os.Environ(), "LOADLAB_TEST_AGENT_ARGS="+args)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &agentProc{cmd: cmd, rest: make(chan string, 1)}
	lines := bufio.NewReader(out)
	first, err := lines.ReadString('\n')
	if err != nil {
		t.Fatalf("agent did not start: %v", err)
	}
	f := strings.Fields(first)
	for i := range f {
		if f[i] == "gossip" {
			p.gossip = f[i+1]
		}
	}
	go func() { b, _ := io.ReadAll(lines); p.rest <- string(b) }()
	return p
}

func TestAgentsAndTestbed(t *testing.T) {
	if testing.Short() {
		t.Skip("starts agent processes")
	}
	label := "clitest-" + time.Now().Format("150405.000")
	a := startAgent(t, "--name t-0 --label "+label)
	// The second agent takes its name and label from a config file.
	cfg := filepath.Join(t.TempDir(), "agent.yaml")
	if err := os.WriteFile(cfg, []byte("name: t-1\nlabel: "+label+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := startAgent(t, "--config "+cfg+" --join "+a.gossip)
	procs := []*agentProc{a, b}
	defer func() {
		for _, p := range procs {
			_ = p.cmd.Process.Kill()
		}
	}()
	out, _, err := loadlab(t, "run", "--backend", "testbed", "--join", b.gossip, "--label", label, "--nodes", "2",
		"--dispatch", "pod(d=2)", "--load", "0.5", "--jobs", "400", "--warmup", "40", "--time-unit", "10ms", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r["jobs_completed"].(float64) != 400 || r["jobs_failed"].(float64) != 0 || r["probes_per_job"].(float64) != 2 {
		t.Errorf("testbed run: completed %v failed %v probes/job %v", r["jobs_completed"], r["jobs_failed"], r["probes_per_job"])
	}
	for _, p := range procs {
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		err := p.cmd.Wait()
		rest := <-p.rest
		if err != nil || !strings.Contains(rest, "left the cluster") {
			t.Errorf("agent did not leave gracefully: exit %v, output %q", err, rest)
		}
	}
	if _, _, err := loadlab(t, "run", "--backend", "testbed", "--nodes", "2"); err == nil || !strings.Contains(err.Error(), "--join") {
		t.Errorf("testbed without --join: %v", err)
	}
}
