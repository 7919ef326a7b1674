package node

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/loadlab/loadlab/node/gossip"
	"github.com/loadlab/loadlab/node/wire"
)

// TestSecurePoints runs points with the cluster's keys: on a local cluster
// (RunLocal gives them to its agents) and on running agents (RunTestbed),
// every job completes over mutual TLS and encrypted gossip, with a
// migration policy that transfers and probes; a coordinator without the
// keys cannot even join the testbed's gossip.
func TestSecurePoints(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real clusters")
	}
	t.Parallel()
	sec, err := wire.NewSecurity(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	keys := [][]byte{testKey}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	c := localPoint(t, 3, "random", "sender.threshold(T=1, probes=2)", 0.7, 600, 5*time.Millisecond)
	c.Security, c.GossipKeys = sec, keys
	r, err := RunLocal(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if r.JobsCompleted != 600 || r.JobsFailed != 0 || r.MigrationsPerJob == 0 {
		t.Errorf("local: completed %d failed %d (%v), migrations/job %.3f", r.JobsCompleted, r.JobsFailed, r.Failures, r.MigrationsPerJob)
	}

	label := "secure-" + runLabel()
	logs := &syncLog{}
	var agents []*Agent
	defer func() { closeAgents(agents) }()
	for i := range 3 {
		g := gossip.Config{Name: fmt.Sprintf("sec-%d-%s", i, label), BindAddr: "127.0.0.1", Label: label, Keys: keys}
		if i > 0 {
			g.Join = []string{agents[0].GossipAddr()}
		}
		a, err := StartAgent(ctx, AgentConfig{Gossip: g, Security: sec, Logger: slog.New(slog.NewTextHandler(logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		agents = append(agents, a)
	}
	c = localPoint(t, 3, "pod(d=2)", "none", 0.6, 400, 5*time.Millisecond)
	c.Security, c.GossipKeys = sec, keys
	if r, err = RunTestbed(ctx, c, agents[1].GossipAddr(), "127.0.0.1", label); err != nil {
		t.Fatal(err)
	}
	if r.JobsCompleted != 400 || r.JobsFailed != 0 || r.ProbesPerJob == 0 {
		t.Errorf("testbed: completed %d failed %d (%v), probes/job %.3f", r.JobsCompleted, r.JobsFailed, r.Failures, r.ProbesPerJob)
	}
	if l := logs.String(); l != "" {
		t.Errorf("agents refused connections of a coordinator with the keys: %s", l)
	}

	c.Security, c.GossipKeys = nil, nil
	if _, err := RunTestbed(ctx, c, agents[1].GossipAddr(), "127.0.0.1", label); err == nil || !strings.Contains(err.Error(), "joining") {
		t.Errorf("coordinator without keys: got %v, want its join refused", err)
	}
}
