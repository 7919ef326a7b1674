package gossip_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/loadlab/loadlab/load"
	"github.com/loadlab/loadlab/node/gossip"
)

func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	label := fmt.Sprint("example-", os.Getpid()) // one cluster per run

	a, err := gossip.Start(ctx, gossip.Config{Name: "a", Label: label, Tags: map[string]string{"role": "agent"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close()
	b, err := gossip.Start(ctx, gossip.Config{Name: "b", Label: label, Join: []string{a.Addr()}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	if err := b.WaitMembers(ctx, 2); err != nil {
		fmt.Println(err)
		return
	}

	a.Publish(load.State{Queue: 3, Running: 2, Servers: 2, Speed: 1})
	for ctx.Err() == nil {
		if m, _ := b.Member("a"); m.HasLoad {
			fmt.Println(m.Name, m.Tags["role"], m.Status, "queue", m.Load.Queue, "fresh", m.Age(time.Now()) < time.Second)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Output: a agent alive queue 3 fresh true
}
