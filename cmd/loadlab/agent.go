package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"
	"github.com/urfave/cli/v2/altsrc"

	"github.com/loadlab/loadlab/node"
	"github.com/loadlab/loadlab/node/executor"
	"github.com/loadlab/loadlab/node/gossip"
	"github.com/loadlab/loadlab/node/wire"
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
	altsrc.NewStringFlag(&cli.StringFlag{Name: "secret-file", Usage: "file of the cluster's shared secret (one per line, first in use; or LOADLAB_SECRET): mutual TLS on every connection", EnvVars: []string{"LOADLAB_SECRET_FILE"}}),
	altsrc.NewStringFlag(&cli.StringFlag{Name: "gossip-key-file", Usage: "file of the gossip keyring (base64 keys of 16, 24 or 32 bytes, one per line, first in use; or LOADLAB_GOSSIP_KEY): encrypted gossip", EnvVars: []string{"LOADLAB_GOSSIP_KEY_FILE"}}),
	altsrc.NewIntFlag(&cli.IntFlag{Name: "max-queue", Value: executor.DefaultMaxQueue, Usage: "jobs held at once, waiting and running; more are failed as \"shed: queue full\"", EnvVars: []string{"LOADLAB_MAX_QUEUE"}}),
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

// clusterKeys reads the cluster's keys: the secret behind mutual TLS from
// --secret-file or LOADLAB_SECRET, and the gossip keyring from
// --gossip-key-file or LOADLAB_GOSSIP_KEY (base64 keys separated by
// commas). Each is nil when not given.
func clusterKeys(c *cli.Context) (*wire.Security, [][]byte, error) {
	var sec *wire.Security
	var secrets [][]byte
	file, env := c.String("secret-file"), os.Getenv("LOADLAB_SECRET")
	switch {
	case file != "" && env != "":
		return nil, nil, inputErr("--secret-file and LOADLAB_SECRET both given: use one")
	case file != "":
		text, err := os.ReadFile(file)
		if err != nil {
			return nil, nil, inputErr("--secret-file: %v", err)
		}
		if secrets, err = wire.ParseSecrets(text); err != nil {
			return nil, nil, inputErr("--secret-file %s: %v", file, err)
		}
	case env != "":
		if len(env) < wire.MinSecret {
			return nil, nil, inputErr("LOADLAB_SECRET: %d bytes, want at least %d (e.g. openssl rand -base64 32)", len(env), wire.MinSecret)
		}
		secrets = [][]byte{[]byte(env)}
	}
	if secrets != nil {
		var err error
		if sec, err = wire.NewSecurity(secrets...); err != nil {
			return nil, nil, err
		}
	}
	var keys [][]byte
	file, env = c.String("gossip-key-file"), os.Getenv("LOADLAB_GOSSIP_KEY")
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
				Join: c.StringSlice("join"), Label: c.String("label"), Profile: profile, Keys: keys}
			if err := g.Validate(); err != nil {
				return inputErr("agent: %v", err)
			}
			log := slog.New(slog.NewTextHandler(c.App.ErrWriter, nil))
			a, err := node.StartAgent(c.Context, node.AgentConfig{RPC: net.JoinHostPort(ip.String(), strconv.Itoa(c.Int("rpc-port"))), Gossip: g,
				Security: sec, MaxQueue: c.Int("max-queue"), Logger: log})
			if err != nil {
				return err
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
		UsageText: "loadlab cluster --nodes 8",
		Description: "Prints the address to join (for `loadlab run --backend testbed --join ADDR` or a spec's\n" +
			"`join:`) and runs until SIGINT or SIGTERM, then stops every agent gracefully.",
		Flags: append([]cli.Flag{
			&cli.IntFlag{Name: "nodes", Value: 4, Usage: "agents to start"},
			&cli.StringFlag{Name: "label", Value: gossip.DefaultLabel, Usage: "cluster label"},
		}, keyFlags()...),
		Action: func(c *cli.Context) error {
			n := c.Int("nodes")
			if n < 1 || n > 256 {
				return inputErr("--nodes: want 1 to 256, got %d", n)
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
			var procs []*exec.Cmd
			var wg sync.WaitGroup
			stopAll := func() {
				for _, p := range procs {
					_ = p.Process.Signal(syscall.SIGTERM)
				}
				wg.Wait()
			}
			join := ""
			for i := 0; i < n; i++ {
				args := append([]string{"agent", "--name", fmt.Sprintf("agent-%04d", i), "--label", c.String("label")}, keyArgs...)
				if join != "" {
					args = append(args, "--join", join)
				}
				cmd := exec.Command(self, args...)
				cmd.Stderr = c.App.ErrWriter
				out, err := cmd.StdoutPipe()
				if err != nil {
					stopAll()
					return err
				}
				if err := cmd.Start(); err != nil {
					stopAll()
					return err
				}
				procs = append(procs, cmd)
				lines := bufio.NewScanner(out)
				if !lines.Scan() {
					stopAll()
					return fmt.Errorf("agent %d did not start", i)
				}
				line := lines.Text()
				fmt.Fprintln(c.App.Writer, line)
				if join == "" {
					f := strings.Fields(line)
					for k := range f {
						if f[k] == "gossip" && k+1 < len(f) {
							join = f[k+1]
						}
					}
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					for lines.Scan() {
						fmt.Fprintln(c.App.Writer, lines.Text())
					}
					_ = cmd.Wait()
				}()
			}
			fmt.Fprintf(c.App.Writer, "cluster of %d agents is up; join it at %s (label %s); Ctrl-C stops it\n", n, join, c.String("label"))
			<-c.Context.Done()
			stopAll()
			return nil
		},
	}
}
