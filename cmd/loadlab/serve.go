package main

import (
	"fmt"
	"net"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/loadlab/loadlab/dashboard"
	"github.com/loadlab/loadlab/node/gossip"
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:      "serve",
		Usage:     "serve a web dashboard of the sweeps under directories: progress, figures redrawn as points land, report, tables",
		UsageText: "loadlab serve [DIR…] [--addr 127.0.0.1:8080] [--secret-file FILE] [--join AGENT:7946] [--scrape URL…]",
		Description: "Lists the sweep directories (those holding spec.yaml) under each DIR (default out), shows a\n" +
			"running sweep's progress and redraws its figures as its points land, and shows a finished\n" +
			"sweep's figures (SVG), report and table, with a form to draw a chosen metric for chosen\n" +
			"policies and loads. With --join it also watches a running cluster of agents live (each\n" +
			"agent's queue, running jobs, utilisation, gossip age, failures). With --scrape it reads the\n" +
			"Prometheus endpoint of a run, sweep or agent (their --prometheus) every --poll and shows the\n" +
			"run live: each node's queue, utilisation, TLP and gossip age, the migrations between nodes as\n" +
			"arrows on a map of the nodes, and the jobs completed and failed over time; the way to watch\n" +
			"--backend local runs. See docs/dashboard.md.\n\n" +
			"The page listens on loopback by default. An address off loopback needs the cluster's secret\n" +
			"(--secret-file or LOADLAB_SECRET): the page then asks for it as the password of basic auth\n" +
			"(any user name) or takes it as a bearer token. Served over plain HTTP: off loopback, put it\n" +
			"behind TLS or an SSH tunnel.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "addr", Value: "127.0.0.1:8080", Usage: "address to listen on, HOST:PORT (port 0: any free port)"},
			&cli.StringFlag{Name: "secret-file", Usage: "file of the cluster's shared secret (or LOADLAB_SECRET), required of every request; needed off loopback", EnvVars: []string{"LOADLAB_SECRET_FILE"}},
			&cli.StringFlag{Name: "join", Usage: "gossip address HOST:PORT of an agent of a running cluster to watch live: each agent's queue, running jobs, utilisation and gossip age"},
			&cli.StringFlag{Name: "label", Value: gossip.DefaultLabel, Usage: "the watched cluster's label (as its agents' --label)"},
			&cli.StringFlag{Name: "bind", Value: gossip.DefaultBindAddr, Usage: "address the dashboard's gossip member binds to, one the agents reach (with --join)"},
			&cli.StringFlag{Name: "gossip-key-file", Usage: "file of the cluster's gossip key (or LOADLAB_GOSSIP_KEY), with --join", EnvVars: []string{"LOADLAB_GOSSIP_KEY_FILE"}},
			&cli.StringSliceFlag{Name: "scrape", Usage: "URL of a Prometheus endpoint to watch a run live, e.g. http://127.0.0.1:9464/metrics of `loadlab sweep --prometheus 127.0.0.1:9464` (repeatable)"},
			&cli.DurationFlag{Name: "poll", Value: dashboard.DefaultConfig().Poll, Usage: "how often to look for new points, sample the agents and scrape the endpoints"},
		},
		Action: func(c *cli.Context) error {
			cfg := dashboard.DefaultConfig()
			if c.NArg() > 0 {
				cfg.Dirs = c.Args().Slice()
			}
			if cfg.Poll = c.Duration("poll"); cfg.Poll <= 0 {
				return inputErr("--poll %v: want a positive duration, e.g. 1s", cfg.Poll)
			}
			cfg.Scrape = c.StringSlice("scrape")
			secrets, err := clusterSecrets(c)
			if err != nil {
				return err
			}
			cfg.Secrets = secrets
			if join := c.String("join"); join != "" {
				_, keys, err := clusterKeys(c)
				if err != nil {
					return err
				}
				gc := gossip.Config{Name: fmt.Sprintf("dashboard-%d", os.Getpid()), BindAddr: c.String("bind"),
					Join: []string{join}, Label: c.String("label"), Keys: keys, Tags: map[string]string{"role": "dashboard"}}
				if ip := net.ParseIP(gc.BindAddr); ip == nil || !ip.IsLoopback() {
					gc.Profile = gossip.ProfileLAN
				}
				g, err := gossip.Start(c.Context, gc)
				if err != nil {
					return fmt.Errorf("serve: watch the cluster at --join %s: %w", join, err)
				}
				defer g.Close()
				cfg.Cluster = g
			}
			if err := cfg.Validate(); err != nil {
				return inputErr("serve: %v", err)
			}
			srv, err := dashboard.New(cfg)
			if err != nil {
				return err
			}
			defer srv.Close()
			l, err := srv.Listen(c.String("addr"))
			if err != nil {
				return inputErr("serve: %v", err)
			}
			fmt.Fprintf(c.App.Writer, "loadlab dashboard of %v on http://%s/ (Ctrl-C stops it)\n", cfg.Dirs, l.Addr())
			return srv.Serve(c.Context, l)
		},
	}
}
