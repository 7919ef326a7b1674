package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/loadlab/loadlab/experiment"
	"github.com/loadlab/loadlab/report"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/workload"
)

func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run one point and print what it measured",
		UsageText: "loadlab run --nodes 16 --dispatch 'pod(d=2)' --load 0.9 --json",
		Description: "Times are in model units: a job of mean size runs 1 unit on a speed-1 node.\n" +
			"--load is the offered load per server. See `loadlab policies` for every policy and distribution.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "backend", Value: "sim", Usage: "where to run: sim (simulator), local (real agents started on 127.0.0.1) or testbed (agents already running: see --join)"},
			&cli.StringFlag{Name: "join", Usage: "testbed: gossip address of a running agent (loadlab cluster prints it)"},
			&cli.StringFlag{Name: "label", Value: "loadlab", Usage: "testbed: the agents' cluster label"},
			&cli.StringFlag{Name: "find-timeout", Value: "30s", Usage: "local, testbed: how long to wait for --nodes agents to be found"},
			&cli.StringFlag{Name: "bind", Value: "127.0.0.1", Usage: "testbed: address the coordinator binds to, reachable from the agents: an IP, or auto (as for loadlab agent)"},
			&cli.StringFlag{Name: "time-unit", Value: "10ms", Usage: "local, testbed: wall time of one model unit"},
			&cli.IntFlag{Name: "dispatchers", Value: 1, Usage: "local, testbed: dispatcher instances deciding concurrently"},
			&cli.StringFlag{Name: "kernel", Value: "sleep", Usage: "local, testbed: how agents do work: sleep (emulated), hash or matmul (real CPU)"},
			&cli.IntFlag{Name: "nodes", Value: 16, Usage: "cluster size N"},
			&cli.IntFlag{Name: "servers", Value: 1, Usage: "servers per node c"},
			&cli.StringFlag{Name: "discipline", Value: "fcfs", Usage: "fcfs or ps (processor sharing)"},
			&cli.StringFlag{Name: "speeds", Value: "1", Usage: `node speeds: "1", "1,2" (cycled) or a distribution`},
			&cli.StringFlag{Name: "distances", Usage: `one-way delay from the dispatcher to each node: "0.01,0.1" (cycled) or a distribution; local: emulated`, DefaultText: "none; real agents measure their own"},
			&cli.StringFlag{Name: "dispatch", Value: "random", Usage: "dispatch strategy, e.g. random, jsq, 'pod(d=2)'"},
			&cli.StringFlag{Name: "migrate", Value: "none", Usage: "migration policy, e.g. 'sender.threshold(T=2, probes=3)'"},
			&cli.Float64Flag{Name: "load", Value: 0.7, Usage: "offered load per server ρ, 0 < ρ < 1"},
			&cli.StringFlag{Name: "arrival", Value: "poisson", Usage: "arrival process: poisson, det, 'mmpp(rates=[0.5,2], switch=[0.1,0.1])'"},
			&cli.StringFlag{Name: "size", Value: "exp(mean=1)", Usage: "job-size distribution, e.g. 'hyperexp(mean=1, scv=4)'"},
			&cli.IntFlag{Name: "jobs", Value: 100000, Usage: "jobs issued"},
			&cli.IntFlag{Name: "warmup", Value: -1, Usage: "first jobs left out of the statistics", DefaultText: "jobs/10"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "the run's seed: same seed, same result (a record's seed reruns its point)"},
			&cli.Float64Flag{Name: "gossip", Usage: "load publication period, or delay (0: exact views)"},
			&cli.StringFlag{Name: "gossip-mode", Value: "periodic", Usage: "sim: periodic (a board refreshed every --gossip), individual (each node at exponential intervals) or delayed (every change seen --gossip later)"},
			&cli.IntFlag{Name: "batches", Value: 30, Usage: "batch means behind ci95_halfwidth"},
			&cli.Float64Flag{Name: "latency", Usage: "one-way network latency"},
			&cli.Float64Flag{Name: "dispatch-delay", Usage: "one-way delay from the dispatcher to a node, added to every job"},
			&cli.Float64Flag{Name: "bandwidth", Usage: "bytes per model unit (0: infinite)"},
			&cli.Float64Flag{Name: "job-bytes", Usage: "bytes a transfer moves per job"},
			&cli.Float64Flag{Name: "probe-cpu", Usage: "CPU time per probe at each end"},
			&cli.Float64Flag{Name: "transfer-cpu", Usage: "CPU time per transfer at the sender"},
			&cli.Float64Flag{Name: "receive-cpu", Usage: "CPU time per transfer at the receiver"},
			&cli.Float64Flag{Name: "preempt-cpu", Usage: "CPU time at the sender to move a running job, on top of --transfer-cpu"},
			&cli.StringFlag{Name: "front", Usage: "the cluster's front end: 'relay(request=0.03, byte=3e-5)' or 'handoff(request=0.05)' (see docs/clusters.md)", DefaultText: "none: a dispatcher of infinite capacity"},
			&cli.StringFlag{Name: "response", Usage: "with a relaying --front: size of a response in bytes, e.g. 'exp(mean=5000)'", DefaultText: "none: 0 bytes"},
			&cli.StringFlag{Name: "warm-start", Usage: "sim: how full the nodes start, so that a large cluster skips filling up: 'meanfield(d=2)' (the fixed point of power of d; d=1: M/M/1 queues) or 'tail(at_least=[0.9, 0.5])'; the record's steady_from tells whether it started near its steady state", DefaultText: "empty"},
			&cli.StringFlag{Name: "cache", Usage: "each node's cache of keys: 'lru(entries=100)' or 'lfu(entries=100)'; needs --keys and --hit", DefaultText: "none"},
			&cli.StringFlag{Name: "keys", Usage: "content keys of the jobs, e.g. 'zipf(n=1000, s=1.1)'", DefaultText: "none"},
			&cli.StringFlag{Name: "hit", Usage: "with --cache: size of a job whose key its node holds, e.g. 'exp(mean=0.2)'", DefaultText: "none"},
			&cli.StringFlag{Name: "jobs-out", Usage: "also write the jobs the point issued, as the backend issued them, to this file as a CSV trace (id,arrival,size,class,key), which arrival: trace(file=…) replays"},
			&cli.StringFlag{Name: "prometheus", Usage: "local, testbed: " + prometheusUsage + "; local: its agents' too, labelled by node", DefaultText: "off"},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON object"},
			&cli.BoolFlag{Name: "histogram", Usage: "with --json: include the encoded latency histogram"},
		}, keyFlags()...),
		Action: func(c *cli.Context) error {
			p, err := pointFromFlags(c)
			if err != nil {
				return err
			}
			var jobs *jobsOut
			if out := c.String("jobs-out"); out != "" {
				if jobs, err = createJobsOut(out); err != nil {
					return err
				}
				defer jobs.f.Close()
				p.OnIssue = jobs.issued
			}
			rec, err := experiment.Run(c.Context, p)
			if err != nil {
				return err
			}
			if jobs != nil {
				if err := jobs.write(); err != nil {
					return err
				}
			}
			if c.Bool("json") {
				if !c.Bool("histogram") {
					rec.Result.Histogram = ""
				}
				return printJSON(c.App.Writer, rec)
			}
			printResult(c.App.Writer, rec)
			return nil
		},
	}
}

// jobsOut is --jobs-out: the jobs the backend issued, as it issued them
// (in issue order; closed users' arrivals as their think times ended),
// written as a CSV trace once the point is over.
type jobsOut struct {
	f    *os.File
	jobs []workload.Job
}

// createJobsOut creates the file at path, so that a path that cannot be
// written fails before the point runs.
func createJobsOut(path string) (*jobsOut, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--jobs-out: %w", err)
	}
	return &jobsOut{f: f}, nil
}

// issued is experiment.Point.OnIssue: the backends call it from one
// goroutine, which ends before their run returns.
func (o *jobsOut) issued(j workload.Job) { o.jobs = append(o.jobs, j) }

// write writes the jobs issued and closes the file.
func (o *jobsOut) write() error {
	if err := workload.WriteTrace(o.f, o.jobs); err != nil {
		return fmt.Errorf("--jobs-out %s: %w", o.f.Name(), err)
	}
	if err := o.f.Close(); err != nil {
		return fmt.Errorf("--jobs-out: %w", err)
	}
	return nil
}

// pointFromFlags builds the one-point spec the flags describe and
// validates it as a sweep spec is validated (experiment.OnePoint), so run
// refuses what a sweep refuses and records what it ran; errors name the
// flag and its value.
func pointFromFlags(c *cli.Context) (experiment.Point, error) {
	s := experiment.DefaultSpec()
	s.Backend, s.Join, s.Label, s.FindTimeout = c.String("backend"), c.String("join"), c.String("label"), c.String("find-timeout")
	s.TimeUnit, s.Kernel, s.Dispatchers = c.String("time-unit"), c.String("kernel"), c.Int("dispatchers")
	s.Nodes, s.Servers, s.Discipline = c.Int("nodes"), c.Int("servers"), c.String("discipline")
	s.Speeds, s.Distances = c.String("speeds"), c.String("distances")
	s.Loads = []float64{c.Float64("load")}
	s.Jobs, s.Warmup, s.Seed, s.Batches, s.Replications = c.Int("jobs"), c.Int("warmup"), c.Uint64("seed"), c.Int("batches"), 1
	s.Gossip, s.GossipMode = c.Float64("gossip"), c.String("gossip-mode")
	size := c.String("size")
	if !c.IsSet("size") {
		size = "" // the default, which a trace's arrival leaves to the trace
	}
	s.Front, s.Cache, s.WarmStart = c.String("front"), c.String("cache"), c.String("warm-start")
	wc := workload.Config{Arrival: c.String("arrival"), Size: size, Keys: c.String("keys"), Hit: c.String("hit"), Response: c.String("response")}
	if err := wc.Validate(); err != nil {
		for _, flag := range []string{"keys", "hit", "response"} { // the workload's error names its setting: name the flag
			if strings.HasPrefix(err.Error(), "workload "+flag+":") {
				return experiment.Point{}, inputErr("--%s %s: %v", flag, c.String(flag), err)
			}
		}
	}
	s.Workloads = []experiment.Workload{{Name: "cli", Config: wc}}
	s.Policies = []experiment.PolicyRow{{Dispatch: c.String("dispatch"), Migrate: c.String("migrate")}}
	flags := map[string]string{}
	for setting, flag := range runSettingFlags {
		flags[setting] = "--" + flag
		if v := fmt.Sprint(c.Value(flag)); v != "" {
			flags[setting] += " " + v
		}
	}
	for _, cost := range runCostFlags {
		v := c.Float64(cost.flag)
		_ = s.Costs.Set(cost.setting, v) // a known cost; OnePoint validates the value
		flags["costs."+cost.setting] = fmt.Sprintf("--%s %g", cost.flag, v)
	}
	pt, err := experiment.OnePoint(s, flags)
	if err != nil {
		return pt, err
	}
	if experiment.IsReal(s.Backend) {
		if pt.Security, pt.GossipKeys, err = clusterKeys(c); err != nil {
			return pt, err
		}
		if pt.Metrics, err = serveMetrics(c); err != nil {
			return pt, err
		}
	} else if c.String("prometheus") != "" {
		return pt, inputErr("--prometheus: the simulator has no agents to show; use --backend local or testbed")
	}
	if experiment.IsTestbed(s.Backend) {
		ip, err := bindAddr(c.String("bind"))
		if err != nil {
			return pt, inputErr("--bind: %v", err)
		}
		pt.Bind = ip.String()
		if !ip.IsLoopback() && (pt.Security == nil || pt.GossipKeys == nil) {
			fmt.Fprintf(c.App.ErrWriter, "loadlab run: warning: --bind %s without the secret and the gossip key: this coordinator's gossip and completions are open to anyone on the network (docs/security.md)\n", ip)
		}
	}
	return pt, nil
}

// runSettingFlags names the flag of run that gives each spec setting, as
// the spec's errors name the setting.
var runSettingFlags = map[string]string{
	"backend": "backend", "join": "join", "find_timeout": "find-timeout", "time_unit": "time-unit", "kernel": "kernel", "dispatchers": "dispatchers",
	"nodes": "nodes", "servers": "servers", "discipline": "discipline", "speeds": "speeds", "distances": "distances",
	"loads[0]": "load", "load": "load", "jobs": "jobs", "warmup": "warmup", "seed": "seed", "batches": "batches",
	"gossip": "gossip", "gossip_mode": "gossip-mode", "policies[0].gossip": "gossip", "policies[0].gossip_mode": "gossip-mode",
	"workloads[0].arrival": "arrival", "workloads[0].size": "size", "workloads[0]": "size",
	"policies[0].dispatch": "dispatch", "policies[0].migrate": "migrate", "front": "front", "policies[0].front": "front", "cache": "cache", "warm_start": "warm-start",
	"workloads[0].keys": "keys", "workloads[0].hit": "hit", "workloads[0].response": "response",
}

// runCostFlags are run's flags of the cost model: flag and cost setting.
var runCostFlags = []struct{ flag, setting string }{
	{"latency", "latency"}, {"dispatch-delay", "dispatch"}, {"bandwidth", "bandwidth"}, {"job-bytes", "job_bytes"},
	{"probe-cpu", "probe_cpu"}, {"transfer-cpu", "transfer_cpu"}, {"receive-cpu", "receive_cpu"}, {"preempt-cpu", "preempt_cpu"},
}

func printJSON(w io.Writer, rec results.Record) error {
	out := struct {
		results.Result
		Point results.PortablePoint `json:"point"`
		Env   results.Env           `json:"env"`
	}{rec.Result, rec.Point.Portable(), rec.Env}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func printResult(w io.Writer, rec results.Record) {
	r, p := rec.Result, rec.Point
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "point\t%s on %d×%d (%s), load %g, %s arrivals, sizes %s\n", p.Policy, p.Nodes, p.Servers, p.Discipline, p.Load, p.Arrival, p.Size)
	fmt.Fprintf(tw, "mean response\t%.4f ± %.4f (95%% CI, %d batch means)\n", r.MeanResponse, r.CI95HalfWidth, r.Batches)
	fmt.Fprintf(tw, "p50 / p95 / p99 / p99.9\t%.3f / %.3f / %.3f / %.3f\n", r.P50Response, r.P95Response, r.P99Response, r.P999Response)
	fmt.Fprintf(tw, "mean wait / slowdown\t%.4f / %.3f\n", r.MeanWait, r.MeanSlowdown)
	fmt.Fprintf(tw, "migrations / probes per job\t%.4f / %.4f\n", r.MigrationsPerJob, r.ProbesPerJob)
	fmt.Fprintf(tw, "jobs issued / completed / failed\t%d / %d / %d (measured %d after %d warm-up)\n", r.JobsIssued, r.JobsCompleted, r.JobsFailed, r.JobsMeasured, p.Warmup)
	if late := report.LateSteady(rec); late != "" {
		fmt.Fprintf(tw, "steady state (MSER)\t%s: raise --warmup, and --jobs with it\n", late)
	} else {
		fmt.Fprintf(tw, "steady state (MSER)\tfrom job %d\n", r.SteadyFrom)
	}
	for _, reason := range slices.Sorted(maps.Keys(r.Failures)) {
		fmt.Fprintf(tw, "  failed: %s\t%d\n", reason, r.Failures[reason])
	}
	fmt.Fprintf(tw, "mean in system / wait while idle\t%.4f / %.4f\n", r.MeanInSystem, r.WaitWhileIdle)
	if p.Front != "" {
		fmt.Fprintf(tw, "front end %s: utilization / time\t%.4f / %.4f\n", p.Front, r.FrontUtilization, r.FrontTime)
	}
	if p.Cache != "" {
		fmt.Fprintf(tw, "cache %s: hit rate\t%.4f\n", p.Cache, r.CacheHitRate)
	}
	if !experiment.IsReal(p.Backend) {
		fmt.Fprintf(tw, "utilization / TLP\t%.4f / %.3f\n", r.Utilization, r.TLP)
		fmt.Fprintf(tw, "wall time\t%.2fs (%.2fM jobs/s)\n", rec.Env.Seconds, float64(r.JobsIssued)/rec.Env.Seconds/1e6)
	} else {
		fmt.Fprintf(tw, "utilization / TLP\t%.4f / %.3f\n", r.Utilization, r.TLP)
		fmt.Fprintf(tw, "gossip age p50 / p99\t%.3f / %.3f (model units of %s)\n", r.GossipAgeP50, r.GossipAgeP99, p.TimeUnit)
		fmt.Fprintf(tw, "probe / transfer round trip p50\t%.4f / %.4f\n", r.ProbeRTTP50, r.TransferRTTP50)
		fmt.Fprintf(tw, "generator schedule lag p99\t%.4f\n", r.ScheduleLagP99)
		fmt.Fprintf(tw, "service time error / emulation lag p99\t%+.2f%% / %.4f\n", 100*r.ServiceError, r.EmulationLag)
		fmt.Fprintf(tw, "process CPU / worst serf health\t%.2fs / %d (0 is healthy)\n", r.ProcessCPU, r.SerfHealth)
		fmt.Fprintf(tw, "wall time\t%.2fs\n", rec.Env.Seconds)
	}
	tw.Flush()
}
