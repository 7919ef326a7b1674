package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"
	"github.com/urfave/cli/v2/altsrc"

	"github.com/loadlab/loadlab/external"
	"github.com/loadlab/loadlab/node"
	"github.com/loadlab/loadlab/node/executor"
	"github.com/loadlab/loadlab/node/gossip"
	"github.com/loadlab/loadlab/node/wire"
	"github.com/loadlab/loadlab/policy"
)

var agentFlags = []cli.Flag{
	&cli.StringFlag{Name: "config", Usage: "YAML file of settings, keys as these flags' names (flags and LOADLAB_ variables win)", EnvVars: []string{"LOADLAB_CONFIG"}},
	altsrc.NewStringFlag(&cli.StringFlag{Name: "name", Usage: "unique member name (default HOST-PID)", EnvVars: []string{"LOADLAB_NAME"}}),
	altsrc.NewStringFlag(&cli.StringFlag{Name: "bind", Value: "127.0.0.1", Usage: "address to bind gossip and TCP to, or auto: the address of the default route's interface, else of the first non-loopback interface that is up", EnvVars: []string{"LOADLAB_BIND"}}),
	altsrc.NewIntFlag(&cli.IntFlag{Name: "port", Usage: "gossip port (0: any free port)", EnvVars: []string{"LOADLAB_PORT"}}),
	altsrc.NewIntFlag(&cli.IntFlag{Name: "rpc-port", Usage: "TCP port of the endpoint for jobs, probes and transfers (0: any free port; it is advertised in gossip)", EnvVars: []string{"LOADLAB_RPC_PORT"}}),
	altsrc.NewStringFlag(&cli.StringFlag{Name: "advertise", Usage: "host:port others reach this agent's gossip at (default bind:port)", EnvVars: []string{"LOADLAB_ADVERTISE"}}),
	altsrc.NewStringSliceFlag(&cli.StringSliceFlag{Name: "join", Usage: "gossip address of a member to join (repeatable; a variable takes a comma-separated list)", EnvVars: []string{"LOADLAB_JOIN"}}),
	altsrc.NewStringFlag(&cli.StringFlag{Name: "label", Value: gossip.DefaultLabel, Usage: "cluster label: only members with the same label talk", EnvVars: []string{"LOADLAB_LABEL"}}),
	altsrc.NewStringFlag(&cli.StringFlag{Name: "profile", Usage: "serf settings: loopback or lan (default: loopback when bound to 127.0.0.1, else lan)", EnvVars: []string{"LOADLAB_PROFILE"}}),
	altsrc.NewDurationFlag(&cli.DurationFlag{Name: "gossip-interval", Usage: "how often serf sends queued updates to a few members; many agents sharing few cores want about 4ms an agent, e.g. 500ms for 128 agents on 2 cores", DefaultText: "the profile's: 50ms loopback, 100ms lan", EnvVars: []string{"LOADLAB_GOSSIP_INTERVAL"}}),
	altsrc.NewStringFlag(&cli.StringFlag{Name: "secret-file", Usage: "file of the cluster's shared secret (one per line, first in use; or LOADLAB_SECRET): mutual TLS on every connection", EnvVars: []string{"LOADLAB_SECRET_FILE"}}),
	altsrc.NewStringFlag(&cli.StringFlag{Name: "gossip-key-file", Usage: "file of the gossip keyring (base64 keys of 16, 24 or 32 bytes, one per line, first in use; or LOADLAB_GOSSIP_KEY): encrypted gossip", EnvVars: []string{"LOADLAB_GOSSIP_KEY_FILE"}}),
	altsrc.NewIntFlag(&cli.IntFlag{Name: "max-queue", Value: executor.DefaultMaxQueue, Usage: "jobs held at once, waiting and running; more are failed as \"shed: queue full\"", EnvVars: []string{"LOADLAB_MAX_QUEUE"}}),
	altsrc.NewStringFlag(&cli.StringFlag{Name: "prometheus", Usage: prometheusUsage, DefaultText: "off", EnvVars: []string{"LOADLAB_PROMETHEUS"}}),
	altsrc.NewBoolFlag(&cli.BoolFlag{Name: "allow-external", Usage: "run external migration policies (migrate: external(cmd=…)): the agent then starts, one process a point, the command a coordinator names; only on a cluster whose coordinators you trust (use the secret off loopback)", EnvVars: []string{"LOADLAB_ALLOW_EXTERNAL"}}),
	altsrc.NewBoolFlag(&cli.BoolFlag{Name: "insecure", Usage: "allow a non-loopback address without the secret and the gossip key (trusted networks only)", EnvVars: []string{"LOADLAB_INSECURE"}}),
}

// keyFlags are the options that give a coordinator or `loadlab cluster`
// the cluster's keys, as agentFlags give an agent.
func keyFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "secret-file", Usage: "file of the agents' shared secret (or LOADLAB_SECRET): mutual TLS", EnvVars: []string{"LOADLAB_SECRET_FILE"}},
		&cli.StringFlag{Name: "gossip-key-file", Usage: "file of the agents' gossip keyring (or LOADLAB_GOSSIP_KEY, base64)", EnvVars: []string{"LOADLAB_GOSSIP_KEY_FILE"}},
	}
}

// clusterSecrets reads the cluster's secrets (first in use) from
// --secret-file or LOADLAB_SECRET; nil when neither is given.
func clusterSecrets(c *cli.Context) ([][]byte, error) {
	file, env := c.String("secret-file"), os.Getenv("LOADLAB_SECRET")
	switch {
	case file != "" && env != "":
		return nil, inputErr("--secret-file and LOADLAB_SECRET both given: use one")
	case file != "":
		text, err := os.ReadFile(file)
		if err != nil {
			return nil, inputErr("--secret-file: %v", err)
		}
		secrets, err := wire.ParseSecrets(text)
		if err != nil {
			return nil, inputErr("--secret-file %s: %v", file, err)
		}
		return secrets, nil
	case env != "":
		if len(env) < wire.MinSecret {
			return nil, inputErr("LOADLAB_SECRET: %d bytes, want at least %d (e.g. openssl rand -base64 32)", len(env), wire.MinSecret)
		}
		return [][]byte{[]byte(env)}, nil
	}
	return nil, nil
}

// clusterKeys reads the cluster's keys: the secret behind mutual TLS from
// --secret-file or LOADLAB_SECRET, and the gossip keyring from
// --gossip-key-file or LOADLAB_GOSSIP_KEY (base64 keys separated by
// commas). Each is nil when not given.
func clusterKeys(c *cli.Context) (*wire.Security, [][]byte, error) {
	var sec *wire.Security
	secrets, err := clusterSecrets(c)
	if err != nil {
		return nil, nil, err
	}
	if secrets != nil {
		if sec, err = wire.NewSecurity(secrets...); err != nil {
			return nil, nil, err
		}
	}
	var keys [][]byte
	file, env := c.String("gossip-key-file"), os.Getenv("LOADLAB_GOSSIP_KEY")
	switch {
	case file != "" && env != "":
		return nil, nil, inputErr("--gossip-key-file and LOADLAB_GOSSIP_KEY both given: use one")
	case file != "":
		text, err := os.ReadFile(file)
		if err != nil {
			return nil, nil, inputErr("--gossip-key-file: %v", err)
		}
		if keys, err = gossip.ParseKeys(text); err != nil {
			return nil, nil, inputErr("--gossip-key-file %s: %v", file, err)
		}
	case env != "":
		var err error
		if keys, err = gossip.ParseKeys([]byte(strings.ReplaceAll(env, ",", "\n"))); err != nil {
			return nil, nil, inputErr("LOADLAB_GOSSIP_KEY: %v", err)
		}
	}
	return sec, keys, nil
}

// securityNote describes an agent's protection for its first line:
// "tls(ca FINGERPRINT)+gossip-key", "tls(…)", "gossip-key" or "none".
func securityNote(sec *wire.Security, keys [][]byte) string {
	var parts []string
	if sec != nil {
		parts = append(parts, "tls(ca "+sec.Fingerprint()+")")
	}
	if keys != nil {
		parts = append(parts, "gossip-key")
	}
	if parts == nil {
		return "none"
	}
	return strings.Join(parts, "+")
}

func agentCommand() *cli.Command {
	return &cli.Command{
		Name:      "agent",
		Usage:     "run one node: a serf member with a TCP endpoint that runs the points a coordinator gives it",
		UsageText: "loadlab agent [--join HOST:PORT] [--bind 127.0.0.1|IP|auto] [--port 7946]",
		Description: "The agent joins (or starts) a cluster and waits. A sweep or `loadlab run --backend testbed\n" +
			"--join HOST:PORT` configures it for each point. SIGINT or SIGTERM: it ends its point, leaves\n" +
			"the cluster gracefully and exits 0. It binds to 127.0.0.1 unless told otherwise; --bind auto\n" +
			"picks this host's address (containers, Kubernetes pods). On any address but loopback it needs\n" +
			"the cluster's secret (mutual TLS) and gossip key (encrypted serf), or --insecure: see\n" +
			"docs/security.md. --join takes IP:PORT or NAME:PORT;\n" +
			"a name that resolves to several addresses (a headless Service) joins every one that answers.",
		// Every setting comes from its flag, else its LOADLAB_ variable, else
		// the YAML file given by --config (keys as the flags' names).
		Flags: agentFlags,
		Before: func(c *cli.Context) error {
			if c.String("config") == "" {
				return nil
			}
			src, err := altsrc.NewYamlSourceFromFile(c.String("config"))
			if err != nil {
				return inputErr("--config: %v", err)
			}
			return altsrc.ApplyInputSourceValues(c, src, agentFlags)
		},
		Action: func(c *cli.Context) error {
			ip, err := bindAddr(c.String("bind"))
			if err != nil {
				return inputErr("--bind: %v", err)
			}
			sec, keys, err := clusterKeys(c)
			if err != nil {
				return err
			}
			if !ip.IsLoopback() && !c.Bool("insecure") && (sec == nil || keys == nil) {
				var missing []string
				if sec == nil {
					missing = append(missing, "the secret (--secret-file or LOADLAB_SECRET)")
				}
				if keys == nil {
					missing = append(missing, "the gossip key (--gossip-key-file or LOADLAB_GOSSIP_KEY)")
				}
				return inputErr("--bind %s (%s): without %s anyone who can reach this address could join the cluster or run work on it; give them (docs/security.md), bind to 127.0.0.1, or pass --insecure on a network you trust", c.String("bind"), ip, strings.Join(missing, " and "))
			}
			if c.Int("max-queue") < 1 {
				return inputErr("--max-queue: want at least 1, got %d", c.Int("max-queue"))
			}
			if err := gossip.CheckGossipInterval(c.Duration("gossip-interval")); err != nil {
				return inputErr("--gossip-interval: %v", err)
			}
			for _, f := range []string{"port", "rpc-port"} {
				if p := c.Int(f); p < 0 || p > 65535 {
					return inputErr("--%s: %d is not a port", f, p)
				}
			}
			name := c.String("name")
			if name == "" {
				host, _ := os.Hostname()
				name = host + "-" + strconv.Itoa(os.Getpid())
			}
			profile := c.String("profile")
			if profile == "" {
				profile = gossip.ProfileLAN
				if ip.IsLoopback() {
					profile = gossip.ProfileLoopback
				}
			}
			g := gossip.Config{Name: name, BindAddr: ip.String(), BindPort: c.Int("port"), Advertise: c.String("advertise"),
				Join: c.StringSlice("join"), Label: c.String("label"), Profile: profile, GossipInterval: c.Duration("gossip-interval"), Keys: keys}
			if err := g.Validate(); err != nil {
				return inputErr("agent: %v", err)
			}
			metrics, err := serveMetrics(c)
			if err != nil {
				return err
			}
			log := slog.New(slog.NewTextHandler(c.App.ErrWriter, nil))
			a, err := node.StartAgent(c.Context, node.AgentConfig{RPC: net.JoinHostPort(ip.String(), strconv.Itoa(c.Int("rpc-port"))), Gossip: g,
				Security: sec, MaxQueue: c.Int("max-queue"), Logger: log, Registry: agentRegistry(c.Bool("allow-external"))})
			if err != nil {
				return err
			}
			if metrics != nil {
				metrics.AddAgent(a)
			}
			fmt.Fprintf(c.App.Writer, "loadlab agent %s: gossip %s rpc %s label %s security %s\n", a.Name(), a.GossipAddr(), a.RPC(), g.Label, securityNote(sec, keys))
			<-c.Context.Done() // SIGINT or SIGTERM (main's signal context)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := a.Close(ctx); err != nil {
				return fmt.Errorf("agent %s: leave: %w", a.Name(), err)
			}
			fmt.Fprintf(c.App.Writer, "loadlab agent %s: left the cluster\n", a.Name())
			return nil
		},
	}
}

// agentRegistry is where an agent looks up the migration policies
// coordinators name: the built-in ones, and external ones if allowed
// (--allow-external); otherwise an external one fails its point as the
// agent is configured, saying how to allow it.
func agentRegistry(allowExternal bool) *policy.Registry {
	if allowExternal {
		return external.Builtin()
	}
	r := policy.Builtin()
	external.Refuse(r, "external policies run on this agent only if it is started with --allow-external (it would start a command the coordinator names)")
	return r
}

// bindAddr resolves the agent's --bind value: an IP address, or "auto".
func bindAddr(s string) (net.IP, error) {
	if s != "auto" {
		ip := net.ParseIP(s)
		if ip == nil {
			return nil, fmt.Errorf("%q is not an IP address (or auto)", s)
		}
		return ip, nil
	}
	addrs, err := interfaceAddrs()
	if err != nil {
		return nil, fmt.Errorf("auto: %w", err)
	}
	ip := pickBind(routeSource(), addrs)
	if ip == nil {
		return nil, errors.New("auto: no default route and no non-loopback interface that is up with an address; give the address")
	}
	return ip, nil
}

// routeSource is the source address the kernel would use to reach a
// public address over IPv4, else IPv6: the address of the default route's
// interface. Connecting a UDP socket sends nothing; with no route it is nil.
func routeSource() net.IP {
	for _, target := range []string{"192.0.2.1:9", "[2001:db8::1]:9"} { // documentation addresses (RFC 5737, 3849)
		conn, err := net.Dial("udp", target)
		if err != nil {
			continue
		}
		a, ok := conn.LocalAddr().(*net.UDPAddr)
		conn.Close()
		if ok && !a.IP.IsUnspecified() {
			return a.IP
		}
	}
	return nil
}

// ifaceAddrs is one network interface, for pickBind.
type ifaceAddrs struct {
	up, loopback bool
	addrs        []net.IP
}

// interfaceAddrs lists this host's interfaces in the system's order.
func interfaceAddrs() ([]ifaceAddrs, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var out []ifaceAddrs
	for _, ifc := range ifs {
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		ia := ifaceAddrs{up: ifc.Flags&net.FlagUp != 0, loopback: ifc.Flags&net.FlagLoopback != 0}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				ia.addrs = append(ia.addrs, n.IP)
			}
		}
		out = append(out, ia)
	}
	return out, nil
}

// pickBind is --bind auto's rule: the default route's source address if it
// is usable, else the first IPv4 address of the first non-loopback
// interface that is up, else its first global IPv6 address. Link-local
// addresses never count (they need a zone). nil: nothing suitable.
func pickBind(route net.IP, ifaces []ifaceAddrs) net.IP {
	usable := func(ip net.IP) bool {
		return ip != nil && !ip.IsUnspecified() && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() && !ip.IsMulticast()
	}
	if usable(route) {
		return route
	}
	for _, ifc := range ifaces {
		if !ifc.up || ifc.loopback {
			continue
		}
		var v6 net.IP
		for _, ip := range ifc.addrs {
			switch {
			case !usable(ip):
			case ip.To4() != nil:
				return ip
			case v6 == nil:
				v6 = ip
			}
		}
		if v6 != nil {
			return v6
		}
	}
	return nil
}

func clusterCommand() *cli.Command {
	return &cli.Command{
		Name:      "cluster",
		Usage:     "start N agent processes on this machine for hands-on experiments",
		UsageText: "loadlab cluster [--nodes 4] [--port 7946] [--label loadlab]",
		Description: "Starts N `loadlab agent` processes on 127.0.0.1, prints the address to join (for\n" +
			"`loadlab run --backend testbed --join ADDR` or a spec's `join:`) and runs until SIGINT or SIGTERM,\n" +
			"then stops every agent gracefully. With --port the first agent's gossip port is PORT, so the\n" +
			"address to join, 127.0.0.1:PORT, stays the same across restarts; the other agents take free\n" +
			"ports. A port in use is an error naming it (exit status 2).\n\n" +
			"An agent that ends on its own (crashed, killed) is reported with how it ended (exit status or\n" +
			"signal), and the others keep running; when none is left, the command exits with status 1.",
		Flags: append([]cli.Flag{
			&cli.IntFlag{Name: "nodes", Value: 4, Usage: "agents to start"},
			&cli.IntFlag{Name: "port", Usage: "gossip port of the first agent, the address to join (0: any free port; the others always take free ports)"},
			&cli.StringFlag{Name: "label", Value: gossip.DefaultLabel, Usage: "cluster label"},
			&cli.BoolFlag{Name: "allow-external", Usage: "start the agents with --allow-external: they run external migration policies, commands a coordinator names"},
			&cli.DurationFlag{Name: "gossip-interval", Usage: "the agents' --gossip-interval: they share this machine's cores, and their gossip would crowd it", DefaultText: "50ms, or 4ms an agent beyond 12"},
		}, keyFlags()...),
		Action: func(c *cli.Context) error {
			n, port := c.Int("nodes"), c.Int("port")
			if n < 1 || n > 256 {
				return inputErr("--nodes: want 1 to 256, got %d", n)
			}
			if port < 0 || port > 65535 {
				return inputErr("--port: %d is not a port", port)
			}
			interval := c.Duration("gossip-interval")
			if interval == 0 {
				interval = gossip.SharedHostInterval(gossip.ProfileLoopback, n)
			}
			if err := gossip.CheckGossipInterval(interval); err != nil {
				return inputErr("--gossip-interval: %v", err)
			}
			if port > 0 {
				if err := portFree(port); err != nil {
					return inputErr("--port %d: 127.0.0.1:%d is in use (%v): stop what holds it (another `loadlab cluster` or agent?) or pick another port", port, port, err)
				}
			}
			self, err := os.Executable()
			if err != nil {
				return err
			}
			// Check the keys here, once; each agent reads them again (the
			// files given, or the same LOADLAB_ variables, inherited).
			if _, _, err := clusterKeys(c); err != nil {
				return err
			}
			var keyArgs []string
			for _, f := range []string{"secret-file", "gossip-key-file"} {
				if v := c.String(f); v != "" {
					if abs, err := filepath.Abs(v); err == nil {
						v = abs
					}
					keyArgs = append(keyArgs, "--"+f, v)
				}
			}
			cl := &localCluster{out: &lockedWriter{w: c.App.Writer}, errOut: &lockedWriter{w: c.App.ErrWriter}, nodes: n, gone: make(chan struct{})}
			join := ""
			for i := 0; i < n; i++ {
				name := fmt.Sprintf("agent-%04d", i)
				args := append([]string{"agent", "--name", name, "--label", c.String("label"), "--gossip-interval", interval.String()}, keyArgs...)
				if c.Bool("allow-external") {
					args = append(args, "--allow-external")
				}
				if join != "" {
					args = append(args, "--join", join)
				} else if port > 0 {
					args = append(args, "--port", strconv.Itoa(port))
				}
				addr, err := cl.start(self, name, args)
				if err != nil {
					cl.stop()
					return err
				}
				if join == "" {
					join = addr
				}
			}
			fmt.Fprintf(cl.out, "cluster of %d agents is up (pids %s); join it at %s (label %s); Ctrl-C stops it\n", n, cl.pids(), join, c.String("label"))
			select {
			case <-c.Context.Done():
				cl.stop()
				return nil
			case <-cl.gone:
				cl.stop()
				return errors.New("cluster: every agent has ended (see above)")
			}
		},
	}
}

// portFree checks that nothing holds 127.0.0.1:port, for TCP or UDP: an
// agent's gossip needs both.
func portFree(port int) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	l.Close()
	u, err := net.ListenPacket("udp", addr)
	if err != nil {
		return err
	}
	return u.Close()
}

// localCluster is the agent processes of `loadlab cluster`.
type localCluster struct {
	out, errOut io.Writer // shared by the agents' output
	nodes       int       // agents asked for
	procs       []*exec.Cmd
	names       []string
	wg          sync.WaitGroup // one per agent: its output copied, then its process waited for
	stopping    atomic.Bool    // stop began: agents that end are not reported
	alive       atomic.Int64
	gone        chan struct{} // closed when every agent has ended on its own
}

// start starts one agent process and returns its gossip address, read
// from its first line; its further output is copied to cl.out. If the
// agent ends on its own later, a line says which and how.
func (cl *localCluster) start(self, name string, args []string) (string, error) {
	cmd := exec.Command(self, args...)
	cmd.Stderr = cl.errOut
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("agent %s: %w", name, err)
	}
	lines := bufio.NewScanner(out)
	if !lines.Scan() {
		_, _ = io.Copy(io.Discard, out) // to its end before Wait, which closes the pipe
		return "", fmt.Errorf("agent %s did not start (%v); its error is above", name, cmd.Wait())
	}
	line := lines.Text()
	fmt.Fprintln(cl.out, line)
	addr := ""
	if f := strings.Fields(line); len(f) > 0 {
		for k := range f[:len(f)-1] {
			if f[k] == "gossip" {
				addr = f[k+1]
			}
		}
	}
	cl.procs, cl.names = append(cl.procs, cmd), append(cl.names, name)
	cl.alive.Add(1)
	cl.wg.Add(1)
	go func() {
		defer cl.wg.Done()
		for lines.Scan() { // to the end of its output, then wait
			fmt.Fprintln(cl.out, lines.Text())
		}
		err := cmd.Wait()
		if cl.stopping.Load() {
			return
		}
		how := "exit status 0"
		if err != nil {
			how = err.Error() // "exit status 1", "signal: killed"
		}
		left := cl.alive.Add(-1)
		fmt.Fprintf(cl.out, "loadlab cluster: agent %s (pid %d) ended: %s; %d of %d agents still run\n", name, cmd.Process.Pid, how, left, cl.nodes)
		if left == 0 {
			close(cl.gone)
		}
	}()
	if addr == "" {
		return "", fmt.Errorf("agent %s: no gossip address in its first line %q", name, line)
	}
	return addr, nil
}

// pids lists the agents' process ids.
func (cl *localCluster) pids() string {
	var ps []string
	for _, p := range cl.procs {
		ps = append(ps, strconv.Itoa(p.Process.Pid))
	}
	return strings.Join(ps, " ")
}

// stop asks every agent to leave (SIGTERM) and waits for them.
func (cl *localCluster) stop() {
	cl.stopping.Store(true)
	for _, p := range cl.procs {
		_ = p.Process.Signal(syscall.SIGTERM)
	}
	cl.wg.Wait()
}

// lockedWriter serialises writes from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
