package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/loadlab/loadlab/cache"
	"github.com/loadlab/loadlab/client"
	"github.com/loadlab/loadlab/external"
	"github.com/loadlab/loadlab/front"
	"github.com/loadlab/loadlab/param"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/server"
	"github.com/loadlab/loadlab/session"
	"github.com/loadlab/loadlab/topology"
	"github.com/loadlab/loadlab/workload"
)

func policiesCommand() *cli.Command {
	return &cli.Command{
		Name:  "policies",
		Usage: "list every policy, distribution and arrival process with its parameters, defaults and source",
		Action: func(c *cli.Context) error {
			tw := tabwriter.NewWriter(c.App.Writer, 0, 0, 2, ' ', 0)
			reg := external.Builtin()
			titles := map[policy.Kind]string{
				policy.Dispatch: "DISPATCH STRATEGIES (--dispatch, policies[].dispatch)",
				policy.Migrate:  "MIGRATION POLICIES (--migrate, policies[].migrate)",
				policy.Scale:    "AUTOSCALERS (policies[].scale; see Elastic clusters in docs/workloads.md)",
				policy.Admit:    "ADMISSION POLICIES (admit, policies[].admit; each node's, at a job's arrival and start; see docs/workloads.md)",
			}
			for _, k := range []policy.Kind{policy.Dispatch, policy.Migrate, policy.Scale, policy.Admit} {
				fmt.Fprintln(tw, titles[k])
				for _, i := range reg.List(k) {
					fmt.Fprintf(tw, "  %s\t%s\n", call(i.Name, i.Params.Usage()), i.Doc)
					fmt.Fprintf(tw, "  \tfrom: %s\n", i.Ref)
					for _, p := range i.Params {
						fmt.Fprintf(tw, "  \t  %s: %s (%s)\n", p.Name, p.Doc, p.Kind)
					}
				}
				fmt.Fprintln(tw)
			}
			section(tw, "JOB-SIZE DISTRIBUTIONS (--size, workloads[].size)", workload.DistEntries())
			section(tw, "ARRIVAL PROCESSES (--arrival, workloads[].arrival)", workload.ArrivalEntries())
			section(tw, "TRACES (workloads[].arrival: a file replayed, scaled to each load; formats csv, swf, google, azure)", workload.TraceEntries())
			section(tw, "SERVER ARCHITECTURES (server, policies[].server; see docs/servers.md)", server.Entries())
			section(tw, "CLIENT POLICIES (client, policies[].client; join with +, e.g. hedge(after=2) + retry(max=3))", client.Entries())
			section(tw, "FRONT ENDS (front, policies[].front; see docs/clusters.md)", front.Entries())
			section(tw, "CACHES OF KEYS (cache; workloads need keys and hit; see docs/clusters.md)", cache.Entries())
			section(tw, "PER-CLIENT STATE (state, policies[].state; workloads need keys, one a client; see docs/clusters.md)", session.Entries())
			section(tw, "TOPOLOGIES (topology; workloads give regions, one share per client region; see docs/clusters.md)", topology.Entries())
			section(tw, "WARM STARTS (--warm-start, warm_start; the simulator: how full the nodes start; see docs/scale.md)", scenario.WarmStarts())
			return tw.Flush()
		},
	}
}

// section lists entries under title, then a blank line.
func section(w io.Writer, title string, entries []param.Entry) {
	fmt.Fprintln(w, title)
	for _, e := range entries {
		fmt.Fprintf(w, "  %s\t%s\n", call(e.Name, e.Params), e.Doc)
	}
	fmt.Fprintln(w)
}

func call(name, params string) string {
	if params == "" {
		return name
	}
	return name + "(" + params + ")"
}
