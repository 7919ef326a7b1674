package sim

import (
	"cmp"
	"context"
	"math"
	"testing"

	"github.com/loadlab/loadlab/fault"
	"github.com/loadlab/loadlab/param"
	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/scale"
	"github.com/loadlab/loadlab/scenario"
	"github.com/loadlab/loadlab/server"
	"github.com/loadlab/loadlab/workload"
)

// perServer is jsq's key: the queue per server.
func perServer(l policy.Load) float64 { return float64(l.Queue) / float64(max(l.Servers, 1)) }

// boardChecker wraps jsq and checks each of its picks against a scan of
// the board: the simulator must post every change of what Gossip reports,
// or jsq's index picks a node that is not among the shortest.
type boardChecker struct {
	t     *testing.T
	inner policy.Dispatcher
	posts int
	picks int
}

func (d *boardChecker) Posted(id policy.NodeID, l policy.Load) {
	d.posts++
	d.inner.(policy.BoardWatcher).Posted(id, l)
}

func (d *boardChecker) Pick(v policy.View, j *policy.Job) policy.NodeID {
	least := math.Inf(1)
	for i := 0; i < v.Nodes(); i++ {
		l, _ := v.Gossip(policy.NodeID(i))
		least = min(least, perServer(l))
	}
	n := d.inner.Pick(v, j)
	l, _ := v.Gossip(n)
	if k := perServer(l); k != least && d.picks < 1e9 {
		d.t.Errorf("pick %d at t=%g: node %d at %g per server, the board's least is %g", d.picks, v.Now(), n, k, least)
		d.picks = 1e9 // one report is enough
	}
	d.picks++
	return n
}

// TestBoardPosted runs jsq on its index under each way the board changes
// (the nodes themselves, a periodic, individual or delayed board; jobs
// moved by a migration policy; several servers; processor sharing; a node
// killed, one slowed, one paused; threaded servers whose requests block on
// I/O; fork-join requests) and checks every pick against a scan.
func TestBoardPosted(t *testing.T) {
	arch, err := server.Parse("thread-per-request(create=0.01, switch=0.001)")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		cfg     Config
		migrate string
		work    workload.Config // zero: the default workload
	}{
		{name: "exact", cfg: Config{Model: scenario.Model{Nodes: 12, Load: 0.9}}},
		{name: "exact, 3 servers, ps", cfg: Config{Model: scenario.Model{Nodes: 8, Servers: 3, Load: 0.9, Discipline: "ps"}}},
		{name: "exact, migrations", cfg: Config{Model: scenario.Model{Nodes: 10, Load: 0.95}}, migrate: "receiver.threshold(T=1, probes=3)"},
		{name: "periodic", cfg: Config{Model: scenario.Model{Nodes: 12, Load: 0.8}, Gossip: 0.5}},
		{name: "individual", cfg: Config{Model: scenario.Model{Nodes: 12, Load: 0.8}, Gossip: 0.5, GossipMode: GossipIndividual}},
		{name: "delayed", cfg: Config{Model: scenario.Model{Nodes: 12, Load: 0.8}, Gossip: 0.2, GossipMode: GossipDelayed}},
		{name: "faults", cfg: Config{Model: scenario.Model{Nodes: 12, Load: 0.7, Faults: []fault.Fault{
			{Kind: fault.Kill, At: 500, Nodes: []int{2}},
			{Kind: fault.Slow, At: 800, Nodes: []int{5}, Factor: 3},
			{Kind: fault.Pause, At: 1200, Nodes: []int{7}, Duration: 50},
		}}}},
		{name: "servers with I/O", cfg: Config{Model: scenario.Model{Nodes: 8, Servers: 2, Load: 0.6, Server: arch}},
			work: workload.Config{Phases: "cpu(exp(mean=1)), io(det(value=1))"}},
		{name: "fork-join", cfg: Config{Model: scenario.Model{Nodes: 12, Load: 0.7}}, work: workload.Config{Size: "exp(mean=1)", Tasks: 3}},
	} {
		t.Run(c.name, func(t *testing.T) {
			reg := policy.Builtin()
			jsq, err := reg.Dispatch("jsq")
			if err != nil {
				t.Fatal(err)
			}
			var chk *boardChecker
			build := func(env policy.Env) policy.Dispatcher {
				chk = &boardChecker{t: t, inner: jsq.New(env)}
				return chk
			}
			cfg := c.cfg
			cfg.Jobs, cfg.Warmup, cfg.Seed = 20000, 2000, 5
			if cfg.Migrate, err = reg.Migrate(cmp.Or(c.migrate, "none")); err != nil {
				t.Fatal(err)
			}
			own := policy.NewRegistry()
			own.AddDispatch(policy.Info{Name: "checked-jsq"}, func(param.Values) (policy.DispatchBuilder, error) { return build, nil })
			if cfg.Dispatch, err = own.Dispatch("checked-jsq"); err != nil {
				t.Fatal(err)
			}
			work := c.work
			if work.Size == "" && work.Phases == "" {
				work = workload.DefaultConfig()
			}
			if cfg.Workload, err = workload.New(work); err != nil {
				t.Fatal(err)
			}
			r, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if chk.posts <= cfg.Nodes {
				t.Errorf("%d posts for %d nodes: the index was never kept", chk.posts, cfg.Nodes)
			}
			if c.migrate != "" && r.Migrations == 0 {
				t.Errorf("no migrations: the case does not test them")
			}
			if len(cfg.Faults) > 0 && r.JobsFailed == 0 {
				t.Errorf("no job failed: the kill did not happen")
			}
		})
	}
}

// TestBoardNotPosted: where the simulator cannot see every change of what
// Gossip reports (an elastic cluster's nodes out of service, nodes out for
// an evacuation), it never posts, and jsq scans.
func TestBoardNotPosted(t *testing.T) {
	u := units(t, workload.UnitConfig{Unit: workload.Unit{Code: workload.CodeSegment{Bytes: 1e5}}})
	for _, cfg := range []Config{
		{Model: scenario.Model{Nodes: 4, Load: 0.5, Jobs: 100, Elastic: &scale.Config{Initial: 2, Startup: 10, Schedule: []scale.Step{{At: 100, Add: 2}}}}},
		{Model: scenario.Model{Nodes: 4, Load: 0.5, Jobs: 100, Faults: []fault.Fault{{Kind: fault.Evacuate, At: 10, Nodes: []int{1}}}}, Units: u},
	} {
		c, err := start(config(t, cfg, "jsq", "none", ""))
		if err != nil {
			t.Fatal(err)
		}
		if c.boardWatch != nil {
			t.Errorf("%+v: posted the board", cfg.Model)
		}
		c.end()
	}
	c, err := start(config(t, Config{Model: scenario.Model{Nodes: 4, Load: 0.5, Jobs: 100}}, "jsq", "none", ""))
	if err != nil {
		t.Fatal(err)
	}
	if c.boardWatch == nil {
		t.Errorf("a fixed cluster: the board not posted")
	}
	c.end()
}
