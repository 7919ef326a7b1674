package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
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
	if args == "echo" { // TestAgentProcOutput: an agent's two lines, without the agent
		fmt.Println("loadlab agent echo: gossip 127.0.0.1:1 rpc 127.0.0.1:2 label echo security none")
		<-ctx.Done()
		fmt.Println("loadlab agent echo: left the cluster")
		os.Exit(0)
	}
	err := run(ctx, append([]string{"loadlab", "agent"}, strings.Fields(args)...), os.Stdout, os.Stderr)
	os.Exit(exitCode(err, os.Stderr))
}

type agentProc struct {
	cmd    *exec.Cmd
	first  string // the line that says it is up
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
	p.first = first
	f := strings.Fields(first)
	for i := range f {
		if f[i] == "gossip" {
			p.gossip = f[i+1]
		}
	}
	go func() { b, _ := io.ReadAll(lines); p.rest <- string(b) }()
	return p
}

// stop sends the agent SIGTERM and returns the rest of its output and how
// it exited. It reads the output to its end before it waits: Wait closes
// the pipe, and a line not yet read is lost. An agent that has not exited
// within a minute is killed.
func (p *agentProc) stop() (string, error) {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return "", err
	}
	var rest string
	select {
	case rest = <-p.rest:
	case <-time.After(time.Minute):
		_ = p.cmd.Process.Kill()
		rest = <-p.rest
	}
	return rest, p.cmd.Wait()
}

// TestAgentProcOutput: stopping an agent process yields its last line
// every time. Waiting for the process before reading its output to the
// end loses that line about one time in four (Wait closes the pipe), which
// made TestAgentsAndTestbed fail now and then.
func TestAgentProcOutput(t *testing.T) {
	// Many at once: the loss needs the reader to be scheduled late, as on
	// a busy machine.
	for round := range 3 {
		var wg sync.WaitGroup
		for i := range 64 {
			p := startAgent(t, "echo")
			wg.Add(1)
			go func() {
				defer wg.Done()
				rest, err := p.stop()
				if err != nil || !strings.Contains(rest, "left the cluster") {
					t.Errorf("round %d, stop %d: exit %v, output %q: the last line is lost", round, i, err, rest)
				}
			}()
		}
		wg.Wait()
	}
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
		rest, err := p.stop()
		if err != nil || !strings.Contains(rest, "left the cluster") {
			t.Errorf("agent did not leave gracefully: exit %v, output %q", err, rest)
		}
	}
	if _, _, err := loadlab(t, "run", "--backend", "testbed", "--nodes", "2"); err == nil || !strings.Contains(err.Error(), "--join") {
		t.Errorf("testbed without --join: %v", err)
	}
}

func TestPickBind(t *testing.T) {
	ip := net.ParseIP
	lo := ifaceAddrs{up: true, loopback: true, addrs: []net.IP{ip("127.0.0.1"), ip("::1")}}
	eth := ifaceAddrs{up: true, addrs: []net.IP{ip("fe80::1"), ip("2001:db8::5"), ip("10.0.0.5")}}
	v6only := ifaceAddrs{up: true, addrs: []net.IP{ip("fe80::2"), ip("2001:db8::7")}}
	down := ifaceAddrs{addrs: []net.IP{ip("192.168.1.9")}}
	linkLocal := ifaceAddrs{up: true, addrs: []net.IP{ip("169.254.0.3"), ip("fe80::3")}}
	for _, tc := range []struct {
		name   string
		route  net.IP
		ifaces []ifaceAddrs
		want   string // "" for none
	}{
		{"default route wins", ip("192.168.7.2"), []ifaceAddrs{lo, eth}, "192.168.7.2"},
		{"no route: first up non-loopback, IPv4 first", nil, []ifaceAddrs{lo, down, eth}, "10.0.0.5"},
		{"loopback route is not used", ip("127.0.0.1"), []ifaceAddrs{lo, eth}, "10.0.0.5"},
		{"link-local route is not used", ip("169.254.0.3"), []ifaceAddrs{linkLocal, eth}, "10.0.0.5"},
		{"global IPv6 when no IPv4", nil, []ifaceAddrs{lo, v6only, eth}, "2001:db8::7"},
		{"IPv6 route", ip("2001:db8::9"), []ifaceAddrs{eth}, "2001:db8::9"},
		{"only loopback and down", nil, []ifaceAddrs{lo, down, linkLocal}, ""},
		{"no interfaces", nil, nil, ""},
	} {
		got := pickBind(tc.route, tc.ifaces)
		if (got == nil) != (tc.want == "") || (got != nil && !got.Equal(ip(tc.want))) {
			t.Errorf("%s: pickBind = %v, want %q", tc.name, got, tc.want)
		}
	}
}

// TestBindAuto: --bind auto resolves to this host's non-loopback address,
// which, like any other, needs --insecure; a bad --bind is an input error.
func TestBindAuto(t *testing.T) {
	ip, err := bindAddr("auto")
	if err != nil {
		t.Skipf("no address for --bind auto on this machine: %v", err)
	}
	if ip.IsLoopback() || ip.IsUnspecified() {
		t.Fatalf("--bind auto gave %v", ip)
	}
	_, _, err = loadlab(t, "agent", "--bind", "auto")
	if err == nil || !strings.Contains(err.Error(), "--insecure") || !strings.Contains(err.Error(), ip.String()) {
		t.Errorf("--bind auto without --insecure: got %v, want a refusal naming %v and --insecure", err, ip)
	}
	for _, bad := range []string{"localhost", "10.0.0", "auto:7946"} {
		if _, err := bindAddr(bad); err == nil {
			t.Errorf("--bind %q: no error", bad)
		}
	}
}

// TestAgentJoinByName: --join takes a host name, as compose services and
// Kubernetes headless Services give (memberlist resolves it), and
// --rpc-port fixes the TCP endpoint's port for firewalls.
func TestAgentJoinByName(t *testing.T) {
	if testing.Short() {
		t.Skip("starts agent processes")
	}
	label := "joinname-" + time.Now().Format("150405.000")
	a := startAgent(t, "--name n-0 --label "+label)
	t.Cleanup(func() { _ = a.cmd.Process.Kill() })
	_, port, err := net.SplitHostPort(a.gossip)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a free port for --rpc-port
	if err != nil {
		t.Fatal(err)
	}
	rpc := ln.Addr().String()
	ln.Close()
	_, rpcPort, _ := net.SplitHostPort(rpc)
	b := startAgent(t, "--name n-1 --label "+label+" --join localhost:"+port+" --rpc-port "+rpcPort) // prints only once joined
	t.Cleanup(func() { _ = b.cmd.Process.Kill() })
	if !strings.Contains(b.first, "rpc "+rpc+" ") {
		t.Errorf("--rpc-port %s: agent says %q", rpcPort, b.first)
	}
	for _, p := range []*agentProc{b, a} {
		if rest, err := p.stop(); err != nil {
			t.Errorf("agent exit: %v, output %q", err, rest)
		}
	}
}

// TestAgentBoolFlagFirst: a bool flag (--insecure) followed by other flags
// takes no value, as in the README's `loadlab agent --insecure --bind IP`.
func TestAgentBoolFlagFirst(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out, errOut strings.Builder
	err := run(ctx, []string{"loadlab", "agent", "--insecure", "--port", "70000"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "--port: 70000") {
		t.Errorf("agent --insecure --port 70000: got %v (output %q), want the bad port reported", err, out.String())
	}
}
