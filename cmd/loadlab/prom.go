package main

import (
	"fmt"
	"net"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/loadlab/loadlab/node"
)

// prometheusUsage is the --prometheus flag's usage, shared by agent, run and sweep.
const prometheusUsage = "serve Prometheus metrics at http://ADDR/metrics, e.g. 127.0.0.1:9464 (see docs/metrics.md)"

// serveMetrics starts the Prometheus endpoint --prometheus asks for, until
// the command's context ends, and says where it is on standard error;
// nil if the flag is not set.
func serveMetrics(c *cli.Context) (*node.Metrics, error) {
	addr := c.String("prometheus")
	if addr == "" {
		return nil, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if p, perr := strconv.Atoi(port); err != nil || perr != nil || p < 0 || p > 65535 || (host != "" && net.ParseIP(host) == nil) {
		return nil, inputErr("--prometheus %q: want IP:PORT, e.g. 127.0.0.1:9464 (port 0: any free port)", addr)
	}
	m := node.NewMetrics()
	bound, err := m.Serve(c.Context, addr)
	if err != nil {
		return nil, fmt.Errorf("--prometheus: %w", err)
	}
	fmt.Fprintf(c.App.ErrWriter, "loadlab: Prometheus metrics at http://%s/metrics\n", bound)
	return m, nil
}
