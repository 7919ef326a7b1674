package wire_test

import (
	"context"
	"fmt"
	"net"

	"github.com/loadlab/loadlab/node/wire"
)

// An agent answers probes with its load; a dispatcher calls it.
func Example() {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	served := make(chan error, 1)
	go func() {
		served <- wire.Serve(ctx, l, wire.DefaultMaxFrame, func(ctx context.Context, m *wire.Msg) (*wire.Msg, error) {
			switch m.Type {
			case wire.TypeProbe:
				return &wire.Msg{Type: wire.TypeLoad, From: 1, Load: &wire.Load{Queue: 3, Servers: 1, Speed: 1}}, nil
			case wire.TypeTransfer:
				return nil, fmt.Errorf("refused job %d: queue full", m.Job.ID)
			}
			return nil, nil // an Ack
		})
	}()

	c, err := wire.Dial(ctx, l.Addr().String(), wire.DefaultMaxFrame)
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := c.Call(ctx, &wire.Msg{Type: wire.TypeProbe, From: -1})
	fmt.Println(r.Type, r.From, r.Load.Queue, err)
	r, err = c.Call(ctx, &wire.Msg{Type: wire.TypeTransfer, From: 2, Job: &wire.Job{ID: 7, Size: 1}})
	fmt.Println(r.Type, err)

	c.Close()
	stop()
	fmt.Println(<-served)
	// Output:
	// load 1 3 <nil>
	// error refused job 7: queue full
	// <nil>
}
