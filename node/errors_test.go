package node

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/loadlab/loadlab/node/wire"
)

// TestAgentErrorsTyped: an agent's refusals reach the caller as sentinel
// errors that errors.Is recognises across the connection (the coordinator
// fails a leaving agent's refused jobs as gone by it), not by their text.
func TestAgentErrorsTyped(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	kc := startKeyedCluster(t, 1, nil, nil, nil, 1, time.Millisecond, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a := kc.agents[0]
	c, err := kc.pool.Get(ctx, a.RPC())
	if err != nil {
		t.Fatal(err)
	}
	// One job of 100 s fills a queue of one.
	if _, err := c.Call(ctx, &wire.Msg{Type: wire.TypeSubmit, From: -1, Job: kc.job(1, 100000)}); err != nil {
		t.Fatal(err)
	}
	for !a.current().ex.Full() {
		if ctx.Err() != nil {
			t.Fatal("the agent's queue never filled")
		}
		time.Sleep(10 * time.Millisecond)
	}
	moved := kc.job(2, 1)
	moved.Hops = 1
	_, err = c.Call(ctx, &wire.Msg{Type: wire.TypeTransfer, From: 0, Job: moved})
	if !errors.Is(err, errShed) || errors.Is(err, errLeaving) {
		t.Errorf("transfer to a full agent: got %v, want errShed (and not errLeaving)", err)
	}

	a.pmu.Lock()
	a.leaving = true
	a.pmu.Unlock()
	_, err = c.Call(ctx, &wire.Msg{Type: wire.TypeSubmit, From: -1, Job: kc.job(3, 1)})
	if !errors.Is(err, errLeaving) || errors.Is(err, errShed) {
		t.Errorf("submit to a leaving agent: got %v, want errLeaving (and not errShed)", err)
	}
}
