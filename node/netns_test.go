//go:build linux

package node

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loadlab/loadlab/node/gossip"
	"github.com/loadlab/loadlab/results"
)

// TestNetns runs one point on agents on separate hosts: four network
// namespaces, each with one `loadlab agent` process on its own address,
// and a fifth holding the switch (a bridge) and the coordinator. The hosts
// reach each other only over veth pairs into the bridge; every address
// lives in a private /24 that exists only inside these namespaces. The
// point must end as on the local backend: every issued job ends exactly
// once (completed + failed = issued) and none fails.
//
// It needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN) and iproute2's `ip`, and is
// skipped with the reason otherwise. Everything it creates is removed in
// t.Cleanup, also when it fails.
func TestNetns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds loadlab and starts agent processes in network namespaces")
	}
	ipTool, err := exec.LookPath("ip")
	if err != nil {
		t.Skip("network namespaces: no `ip` command (iproute2) on this machine")
	}
	if os.Geteuid() != 0 {
		t.Skip("network namespaces: needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to create them; run as root to include this test")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("network namespaces: no `go` command to build loadlab with")
	}

	agents := netnsAgents(t)
	tn := newTestNet(t, ipTool, agents)
	bin := filepath.Join(t.TempDir(), "loadlab")
	if out, err := exec.Command(goTool, "build", "-o", bin, "github.com/loadlab/loadlab/cmd/loadlab").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// Agents 0 and 1 are given their address; 2 and 3 find it with --bind
	// auto, 2 by its default route and 3 (which has none) by its interface.
	label := fmt.Sprintf("netns-%d", os.Getpid())
	procs := make([]*netnsAgent, agents)
	t.Cleanup(func() {
		for _, p := range procs {
			p.stop()
		}
	})
	for i := range agents {
		bind := tn.agentIP(i)
		if i >= 2 {
			bind = "auto"
		}
		args := []string{"agent", "--bind", bind, "--port", "7946", "--name", fmt.Sprintf("host-%d", i), "--label", label}
		if i > 0 {
			args = append(args, "--join", tn.agentIP(0)+":7946")
		}
		// All the agents share this machine's cores: the lan profile's
		// 100 ms up to 25 agents, longer beyond.
		args = append(args, "--gossip-interval", gossip.SharedHostInterval(gossip.ProfileLAN, agents).String())
		p, err := startNetnsAgent(ipTool, tn.ns[i], bin, args)
		if err != nil {
			t.Fatalf("agent %d in %s: %v", i, tn.ns[i], err)
		}
		procs[i] = p
		if want := tn.agentIP(i) + ":7946"; p.gossip != want {
			t.Fatalf("agent %d (--bind %s) gossips at %s, want %s", i, bind, p.gossip, want)
		}
	}

	jobs := max(1000, 10*agents)
	start := time.Now()
	r, how, err := runNetnsCoordinator(t, ipTool, tn, bin, label, agents, jobs)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d agents, %d jobs, unit %v: point took %.1f s", agents, jobs, netnsUnitFor(agents), time.Since(start).Seconds())
	t.Logf("coordinator (%s) in %s at %s: mean %.3f ± %.3f, completed %d failed %d of %d, probes/job %.2f, probe rtt p50 %.4f p99 %.4f, gossip age p50 %.3f, util %.3f %v, lag p99 %.3f, dispatch delay %.4f, emulation lag %.3f, service error %.3f",
		how, tn.ns[agents], tn.coordIP(), r.MeanResponse, r.CI95HalfWidth, r.JobsCompleted, r.JobsFailed, r.JobsIssued,
		r.ProbesPerJob, r.ProbeRTTP50, r.ProbeRTTP99, r.GossipAgeP50, r.Utilization, r.NodeUtilization, r.ScheduleLagP99, r.DispatchDelay, r.EmulationLag, r.ServiceError)
	if r.JobsIssued != int64(jobs) || r.JobsCompleted+r.JobsFailed != r.JobsIssued {
		t.Errorf("conservation: issued %d completed %d failed %d, want %d issued, each ended once", r.JobsIssued, r.JobsCompleted, r.JobsFailed, jobs)
	}
	if r.JobsFailed != 0 {
		t.Errorf("%d jobs failed: %v", r.JobsFailed, r.Failures)
	}
	if r.ProbesPerJob != 2 {
		t.Errorf("pod(d=2) probed %.3f per job, want 2", r.ProbesPerJob)
	}
	if len(r.NodeUtilization) != agents {
		t.Errorf("utilization of %d agents, want %d", len(r.NodeUtilization), agents)
	}
	// Agents leave gracefully on SIGTERM, as a service manager stops them
	// (all at once, as when a testbed is shut down).
	left := make([]chan error, agents)
	for i, p := range procs {
		left[i] = make(chan error, 1)
		go func() {
			out, err := p.terminate(30 * time.Second)
			if err == nil && !strings.Contains(out, "left the cluster") {
				err = fmt.Errorf("output %q", out)
			}
			left[i] <- err
		}()
	}
	for i := range left {
		if err := <-left[i]; err != nil {
			t.Errorf("agent %d did not leave gracefully: %v", i, err)
		}
	}
	// A run beside two other test suites fell 51 units behind (mean 21.3).
	skipIfLate(t, r, 5)
	if r.MeanResponse < 1 || r.MeanResponse > 10 {
		t.Errorf("mean response %.3f is implausible for ρ=0.7", r.MeanResponse)
	}
}

// netnsAgents is how many agent hosts TestNetns makes: 4, or
// LOADLAB_NETNS_AGENTS (4 to 200; docs/testing.md).
func netnsAgents(t *testing.T) int {
	s := os.Getenv("LOADLAB_NETNS_AGENTS")
	if s == "" {
		return 4
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 4 || n > 200 {
		t.Fatalf("LOADLAB_NETNS_AGENTS=%q: want a number of agents from 4 to 200 (one /24 holds them)", s)
	}
	return n
}

// testNet is the hosts of TestNetns: ns[0..n-1] for the agents, ns[n] for
// the coordinator and the bridge, all on the /24 prefix+".0".
type testNet struct {
	ip     string // path of the ip command
	ns     []string
	prefix string // "10.X.Y."
}

func (n *testNet) agentIP(i int) string { return fmt.Sprintf("%s%d", n.prefix, 11+i) }
func (n *testNet) coordIP() string      { return n.prefix + "1" }

// newTestNet creates agents+1 namespaces named ll-PID-i and wires them:
// a bridge br0 in the last (address .1), and in each agent's namespace an
// interface eth0 (address .11+i) whose veth peer is a port of the bridge.
// Agent 2 gets a default route via .1; the others have only their /24.
// It skips the test if the first namespace cannot be created.
func newTestNet(t *testing.T, ipTool string, agents int) *testNet {
	t.Helper()
	pid := os.Getpid()
	n := &testNet{ip: ipTool, prefix: fmt.Sprintf("10.%d.%d.", 100+pid%100, pid/100%256)}
	for i := 0; i <= agents; i++ {
		n.ns = append(n.ns, fmt.Sprintf("ll-%d-%d", pid, i))
	}
	raiseNeighbourTable(t, agents) // restored after the namespaces are deleted (cleanups run last first)
	// Deleting a namespace deletes its interfaces: the bridge, and both
	// ends of each veth pair.
	t.Cleanup(func() {
		for _, ns := range n.ns {
			if out, err := exec.Command(ipTool, "netns", "delete", ns).CombinedOutput(); err != nil && !strings.Contains(string(out), "No such file") {
				t.Logf("cleanup: ip netns delete %s: %v %s", ns, err, out)
			}
		}
	})
	for i, ns := range n.ns {
		if out, err := exec.Command(ipTool, "netns", "add", ns).CombinedOutput(); err != nil {
			if i == 0 {
				t.Skipf("network namespaces cannot be created here (ip netns add: %v: %s)", err, bytes.TrimSpace(out))
			}
			t.Fatalf("ip netns add %s: %v: %s", ns, err, out)
		}
	}
	hub := n.ns[agents]
	cmds := [][]string{
		{"-n", hub, "link", "set", "lo", "up"},
		{"-n", hub, "link", "add", "br0", "type", "bridge"},
		{"-n", hub, "addr", "add", n.coordIP() + "/24", "dev", "br0"},
		{"-n", hub, "link", "set", "br0", "up"},
	}
	for i := 0; i < agents; i++ {
		ns, port := n.ns[i], fmt.Sprintf("v%d", i)
		cmds = append(cmds,
			[]string{"-n", ns, "link", "set", "lo", "up"},
			[]string{"-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", port, "netns", hub},
			[]string{"-n", hub, "link", "set", port, "master", "br0"},
			[]string{"-n", hub, "link", "set", port, "up"},
			[]string{"-n", ns, "addr", "add", n.agentIP(i) + "/24", "dev", "eth0"},
			[]string{"-n", ns, "link", "set", "eth0", "up"})
		if i == 2 {
			cmds = append(cmds, []string{"-n", ns, "route", "add", "default", "via", n.coordIP()})
		}
	}
	for _, c := range cmds {
		if out, err := exec.Command(ipTool, c...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(c, " "), err, out)
		}
	}
	return n
}

// raiseNeighbourTable makes room in the kernel's ARP table for agents
// hosts that each talk to all the others. The table is one for the whole
// machine, shared by every namespace, and its hard limit (gc_thresh3,
// 1,024 by default) holds the entries of about 32 such hosts: with 35 and
// more, the kernel logs "neighbor table overflow", new neighbours go
// unresolved, and joins fail with "no route to host" or time out. For more
// than 16 agents it raises the three thresholds to at least 1, 2 and 4
// times agents² and puts the old values back in t.Cleanup.
func raiseNeighbourTable(t *testing.T, agents int) {
	t.Helper()
	if agents <= 16 {
		return
	}
	for i, f := range []int{1, 2, 4} {
		path := fmt.Sprintf("/proc/sys/net/ipv4/neigh/default/gc_thresh%d", i+1)
		old, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%d agents need a larger ARP table: %v", agents, err)
		}
		var v int
		if _, err := fmt.Sscan(string(old), &v); err != nil {
			t.Fatalf("%s: %q: %v", path, old, err)
		}
		want := f * agents * agents
		if v >= want {
			continue
		}
		if err := os.WriteFile(path, []byte(fmt.Sprint(want)), 0o644); err != nil {
			t.Fatalf("%d agents need a larger ARP table (%s ≥ %d): %v", agents, path, want, err)
		}
		t.Logf("%s: %d → %d for %d agents (restored at the end)", path, v, want, agents)
		t.Cleanup(func() {
			if err := os.WriteFile(path, old, 0o644); err != nil {
				t.Logf("cleanup: restore %s to %s: %v", path, bytes.TrimSpace(old), err)
			}
		})
	}
}

// netnsAgent is a `loadlab agent` process in a namespace.
type netnsAgent struct {
	cmd    *exec.Cmd
	gossip string      // from its first line
	rest   chan string // the rest of its output once it exits
	done   chan error  // its exit
}

// startNetnsAgent starts bin with args in namespace ns and waits for the
// line that says it has joined.
func startNetnsAgent(ipTool, ns, bin string, args []string) (*netnsAgent, error) {
	cmd := exec.Command(ipTool, append([]string{"netns", "exec", ns, bin}, args...)...) // ip execs bin: same process
	// A non-loopback address needs --insecure; the network is this test's own.
	cmd.Env = append(os.Environ(), "LOADLAB_INSECURE=true")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &netnsAgent{cmd: cmd, rest: make(chan string, 1), done: make(chan error, 1)}
	first := make(chan string, 1)
	go func() {
		lines := bufio.NewReader(out)
		line, _ := lines.ReadString('\n')
		first <- line
		rest, _ := io.ReadAll(lines)
		p.rest <- string(rest)
		p.done <- cmd.Wait()
	}()
	select {
	case line := <-first:
		f := strings.Fields(line)
		for i := range f {
			if f[i] == "gossip" && i+1 < len(f) {
				p.gossip = f[i+1]
			}
		}
		if p.gossip == "" {
			p.stop()
			return nil, fmt.Errorf("did not start: %q, stderr %q", line, stderr.String())
		}
	case <-time.After(20 * time.Second):
		p.stop()
		return nil, fmt.Errorf("not up after 20 s: stderr %q", stderr.String())
	}
	return p, nil
}

// terminate sends SIGTERM and returns the output after the first line once
// the agent exits, or an error if it does not within d.
func (p *netnsAgent) terminate(d time.Duration) (string, error) {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return "", err
	}
	select {
	case out := <-p.rest:
		return out, <-p.done
	case <-time.After(d):
		return "", fmt.Errorf("still running %v after SIGTERM", d)
	}
}

// stop kills the agent if it still runs; safe to call more than once.
func (p *netnsAgent) stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Kill()
}

// runNetnsCoordinator runs the point from the coordinator's namespace as
// its own process: `loadlab run --backend testbed --bind IP` when the CLI
// has that flag, else this test binary as TestNetnsCoordinatorHelper,
// which calls RunTestbed bound to the namespace's address. It says which.
func runNetnsCoordinator(t *testing.T, ipTool string, tn *testNet, bin, label string, agents, jobs int) (results.Result, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), netnsTimeout(agents))
	defer cancel()
	hub, join := tn.ns[agents], tn.agentIP(0)+":7946"
	var r results.Result
	help, _ := exec.Command(bin, "run", "--help").CombinedOutput()
	if bytes.Contains(help, []byte("--bind")) {
		cmd := exec.CommandContext(ctx, ipTool, "netns", "exec", hub, bin, "run", "--backend", "testbed", "--bind", tn.coordIP(),
			"--join", join, "--label", label, "--nodes", fmt.Sprint(agents), "--dispatch", "pod(d=2)", "--load", "0.7",
			"--jobs", fmt.Sprint(jobs), "--time-unit", netnsUnitFor(agents).String(), "--seed", "3", "--json")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return r, "", fmt.Errorf("loadlab run: %v: %s", err, stderr.String())
		}
		return r, "loadlab run", json.Unmarshal(out, &r)
	}
	file := filepath.Join(t.TempDir(), "result.json")
	cmd := exec.CommandContext(ctx, ipTool, "netns", "exec", hub, os.Args[0], "-test.run=^TestNetnsCoordinatorHelper$")
	cmd.Env = append(os.Environ(), "LOADLAB_NETNS_COORDINATOR="+strings.Join([]string{join, tn.coordIP(), label, fmt.Sprint(agents), fmt.Sprint(jobs), file}, ","))
	if out, err := cmd.CombinedOutput(); err != nil {
		return r, "", fmt.Errorf("coordinator: %v: %s", err, out)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return r, "", err
	}
	return r, "RunTestbed in a helper process (loadlab run has no --bind yet)", json.Unmarshal(data, &r)
}

// netnsUnit is the time unit of TestNetns's point: 1,000 jobs at ρ = 0.7
// on 4 agents arrive over about 7 s; pod(d=2)'s dispatcher has 7 ms a job
// for its probes (five times as long under -race: race_test.go). Probes
// over the namespaces' veth pairs take about 1 ms at the median and up to
// 20 ms at the 99th percentile on a loaded 2-core machine; with 10 ms and
// 3.6 ms a job the single dispatcher fell behind its schedule in about one
// run of three (dispatch delay 3–17 units, mean response 5–19), which the
// test then took for a wrong response time.
const netnsUnit = raceScale * 20 * time.Millisecond

// netnsUnitFor is the unit for a point on agents hosts: netnsUnit for 4,
// longer in proportion for more, so that arrivals come at the same rate
// (140 a second at ρ = 0.7): 128 agents emulate their service by sleeping,
// but their processes' gossip and runtime share the machine's cores.
func netnsUnitFor(agents int) time.Duration {
	return netnsUnit * time.Duration(max(agents, 4)) / 4
}

// netnsTimeout bounds the coordinator of a point on agents hosts: 90 s for
// 4, and 8 s more for each further agent. 128 agents' point takes about
// 25 s (docs/BENCHMARKS.md); at the lan profile's gossip interval it took
// 15 minutes, and a test that saturates the machine should end by saying
// so (skipIfLate), not by a deadline.
func netnsTimeout(agents int) time.Duration {
	return 90*time.Second + time.Duration(agents-4)*8*time.Second
}

// TestNetnsCoordinatorHelper is TestNetns's coordinator process: with
// LOADLAB_NETNS_COORDINATOR=join,bind,label,nodes,jobs,file it runs the
// point pod(d=2) at ρ = 0.7 on the testbed and writes the result to file.
func TestNetnsCoordinatorHelper(t *testing.T) {
	env := os.Getenv("LOADLAB_NETNS_COORDINATOR")
	if env == "" {
		t.Skip("helper process for TestNetns")
	}
	var join, bind, label, file string
	var nodes, jobs int
	f := strings.Split(env, ",")
	if len(f) != 6 {
		t.Fatalf("LOADLAB_NETNS_COORDINATOR=%q: want 6 fields", env)
	}
	join, bind, label, file = f[0], f[1], f[2], f[5]
	if _, err := fmt.Sscan(f[3]+" "+f[4], &nodes, &jobs); err != nil {
		t.Fatal(err)
	}
	cfg := localPoint(t, nodes, "pod(d=2)", "none", 0.7, jobs, netnsUnitFor(nodes))
	ctx, cancel := context.WithTimeout(context.Background(), netnsTimeout(nodes)-10*time.Second)
	defer cancel()
	r, err := RunTestbed(ctx, cfg, join, bind, label)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
