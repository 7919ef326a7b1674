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
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/loadlab/loadlab/experiment"
)

// TestMain lets the test binary stand in for loadlab in the processes
// tests start: with LOADLAB_TEST_MAIN=1 it runs the command line it was
// given, as main does (so `loadlab cluster` started by a test starts its
// agents as the same binary); with LOADLAB_TEST_MAIN=echo it prints an
// agent's two lines, its first at once and its last on SIGTERM.
func TestMain(m *testing.M) {
	mode := os.Getenv("LOADLAB_TEST_MAIN")
	if mode == "" {
		os.Exit(m.Run())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if mode == "echo" {
		fmt.Println("loadlab agent echo: gossip 127.0.0.1:1 rpc 127.0.0.1:2 label echo security none")
		<-ctx.Done()
		fmt.Println("loadlab agent echo: left the cluster")
		os.Exit(0)
	}
	err := run(ctx, os.Args, os.Stdout, os.Stderr)
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
	cmd := exec.Command(os.Args[0], append([]string{"agent"}, strings.Fields(args)...)...)
	cmd.Env = append(os.Environ(), "LOADLAB_TEST_MAIN=1")
	if args == "echo" {
		cmd.Env = append(os.Environ(), "LOADLAB_TEST_MAIN=echo")
	}
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
	// More agents than run: after --find-timeout, how many were found and whom.
	_, _, err = loadlab(t, "run", "--backend", "testbed", "--join", b.gossip, "--label", label, "--nodes", "3", "--find-timeout", "1s")
	if err == nil || !strings.Contains(err.Error(), "found 2 live agents of the 3") || !strings.Contains(err.Error(), "t-0 (agent, alive), t-1 (agent, alive)") {
		t.Errorf("testbed run of 3 nodes on 2 agents: got %v, want how many were found and whom", err)
	}
	if _, _, err := loadlab(t, "run", "--backend", "testbed", "--join", b.gossip, "--find-timeout", "0s"); err == nil || !experiment.IsInput(err) || !strings.Contains(err.Error(), "--find-timeout") {
		t.Errorf("--find-timeout 0s: got %v, want an input error naming the flag", err)
	}
	// A wrong label: the agents drop the join, and the error says what to check.
	_, _, err = loadlab(t, "run", "--backend", "testbed", "--join", b.gossip, "--label", "not-"+label, "--nodes", "2")
	if err == nil || !strings.Contains(err.Error(), `is the cluster label right (this member uses "not-`+label+`"`) {
		t.Errorf("testbed run with a wrong --label: got %v, want a hint at the label", err)
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

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits up to a minute for out to match re and returns the match.
func waitFor(t *testing.T, out *syncBuffer, re string) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := rx.FindStringSubmatch(out.String()); m != nil {
			return m
		}
	}
	t.Fatalf("no %q in the output:\n%s", re, out.String())
	return nil
}

// freePort is a port on 127.0.0.1 that nothing held a moment ago, for
// TCP or UDP (gossip needs both).
func freePort(t *testing.T) int {
	t.Helper()
	for range 100 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if portFree(port) == nil {
			return port
		}
	}
	t.Fatal("no port free for both TCP and UDP in 100 tries")
	return 0
}

// startCluster runs `loadlab cluster` with args until the returned
// function cancels it; that function returns the command's error.
func startCluster(t *testing.T, out *syncBuffer, args ...string) func() error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"loadlab", "cluster"}, args...), out, out) }()
	var once sync.Once
	var err error
	stop := func() error { once.Do(func() { cancel(); err = <-done }); return err }
	t.Cleanup(func() { _ = stop() })
	return stop
}

// TestClusterPort: `loadlab cluster --port P` is joined at 127.0.0.1:P,
// again after a restart; a second cluster on the same port is refused with
// an error naming it.
func TestClusterPort(t *testing.T) {
	if testing.Short() {
		t.Skip("starts agent processes")
	}
	t.Setenv("LOADLAB_TEST_MAIN", "1") // its agents are this binary, as loadlab
	port := strconv.Itoa(freePort(t))
	label := "clusterport-" + time.Now().Format("150405.000")
	for round := range 2 { // the same address after a restart
		out := &syncBuffer{}
		stop := startCluster(t, out, "--nodes", "2", "--port", port, "--label", label)
		waitFor(t, out, `join it at 127\.0\.0\.1:`+port+` \(label `+regexp.QuoteMeta(label)+`\)`)
		if round == 0 {
			_, _, err := loadlab(t, "cluster", "--nodes", "1", "--port", port)
			if err == nil || !experiment.IsInput(err) || !strings.Contains(err.Error(), "--port "+port+": 127.0.0.1:"+port+" is in use") {
				t.Errorf("a second cluster on port %s: got %v, want an input error naming the port", port, err)
			}
		}
		if err := stop(); err != nil {
			t.Fatalf("round %d: cluster stopped with %v:\n%s", round, err, out.String())
		}
		if got := strings.Count(out.String(), "left the cluster"); got != 2 {
			t.Errorf("round %d: %d agents left gracefully, want 2:\n%s", round, got, out.String())
		}
	}
}

// TestClusterAgentDies: when one of its agents is killed, `loadlab
// cluster` says which and how, and keeps the other; when the last one
// dies it ends with an error.
func TestClusterAgentDies(t *testing.T) {
	if testing.Short() {
		t.Skip("starts agent processes")
	}
	t.Setenv("LOADLAB_TEST_MAIN", "1")
	out := &syncBuffer{}
	stop := startCluster(t, out, "--nodes", "2", "--label", "clusterdies-"+time.Now().Format("150405.000"))
	m := waitFor(t, out, `up \(pids (\d+) (\d+)\)`)
	kill := func(pid string) {
		p, _ := strconv.Atoi(pid)
		if err := syscall.Kill(p, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
	}
	kill(m[2])
	waitFor(t, out, `agent agent-0001 \(pid `+m[2]+`\) ended: signal: killed; 1 of 2 agents still run`)
	if strings.Contains(out.String(), "agent-0000 (pid") {
		t.Errorf("agent-0000 reported ended:\n%s", out.String())
	}
	kill(m[1])
	waitFor(t, out, `agent agent-0000 \(pid `+m[1]+`\) ended: signal: killed; 0 of 2 agents still run`)
	if err := stop(); err == nil || experiment.IsInput(err) || !strings.Contains(err.Error(), "every agent has ended") {
		t.Errorf("cluster whose agents all died: got %v, want an error (exit status 1)", err)
	}
}

// TestAgentsAllowExternal: testbed agents run an external migration
// policy only when started with --allow-external (it is a command the
// coordinator names); otherwise the point fails as they are configured,
// with an error saying which flag allows it, and no job is issued.
func TestAgentsAllowExternal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts agent processes")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed: the test runs the Python example policy")
	}
	if exe, err := exec.Command(py, "-c", "import sys; print(sys.executable)").Output(); err == nil {
		py = strings.TrimSpace(string(exe)) // the interpreter itself, not a wrapper script that may take a second to start
	}
	policyFile, err := filepath.Abs(filepath.Join("..", "..", "python", "examples", "sender_threshold.py"))
	if err != nil {
		t.Fatal(err)
	}
	migrate := `external(cmd="` + py + " " + policyFile + ` 2 2", view=0, probes=2)`
	for _, allow := range []bool{false, true} {
		t.Run(fmt.Sprintf("allow=%v", allow), func(t *testing.T) {
			label := fmt.Sprintf("clitest-ext-%v-%s", allow, time.Now().Format("150405.000"))
			flag := ""
			if allow {
				flag = " --allow-external"
			}
			a := startAgent(t, "--name x-0 --label "+label+flag)
			b := startAgent(t, "--name x-1 --label "+label+" --join "+a.gossip+flag)
			defer func() {
				for _, p := range []*agentProc{a, b} {
					if rest, err := p.stop(); err != nil {
						t.Errorf("agent: exit %v, output %q", err, rest)
					}
				}
			}()
			out, _, err := loadlab(t, "run", "--backend", "testbed", "--join", a.gossip, "--label", label, "--nodes", "2",
				"--dispatch", "random", "--migrate", migrate, "--load", "0.8", "--jobs", "600", "--warmup", "60", "--time-unit", "20ms", "--json")
			if !allow {
				if err == nil || !strings.Contains(err.Error(), "--allow-external") {
					t.Fatalf("external policy on agents without --allow-external: got %v, want an error naming the flag", err)
				}
				t.Logf("refused: %v", err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var r map[string]any
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatal(err)
			}
			t.Logf("completed %v, failed %v, migrations/job %v, mean response %v", r["jobs_completed"], r["jobs_failed"], r["migrations_per_job"], r["mean_response"])
			if r["jobs_completed"].(float64) != 600 || r["jobs_failed"].(float64) != 0 || !(r["migrations_per_job"].(float64) > 0) {
				t.Errorf("testbed run with an external migration policy: completed %v failed %v migrations/job %v, want 600, 0 and some",
					r["jobs_completed"], r["jobs_failed"], r["migrations_per_job"])
			}
		})
	}
}
