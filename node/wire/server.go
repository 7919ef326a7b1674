package wire

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// maxInFlight bounds the handlers running at once for one connection; the
// connection's reader waits when it is reached, pushing back on the sender.
const maxInFlight = 64

// Handler answers one message. It may be called concurrently, from one
// goroutine per request, and should return when ctx is done. Its reply gets
// the request's ID; a nil reply with a nil error is sent as a TypeAck (From
// -1) and an error as a TypeError carrying its text. Replies to one-way
// messages (ID 0) are dropped.
type Handler func(ctx context.Context, m *Msg) (*Msg, error)

// Serve accepts connections on l until ctx is done or l is closed, and runs h
// for every message received, each in its own goroutine, at most 64 at a time
// per connection. A connection that sends a bad frame is answered with a
// TypeError giving the reason and closed; other connections are unaffected.
// When ctx is done Serve closes l and every connection, waits for running
// handlers and returns nil; if l fails otherwise it returns the accept error.
func Serve(ctx context.Context, l net.Listener, maxPayload int, h Handler) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = make(map[*Conn]struct{})
	)
	stop := context.AfterFunc(ctx, func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for c := range conns {
			c.Close()
		}
	})
	defer stop()

	var acceptErr error
	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if te, ok := err.(interface{ Temporary() bool }); ok && te.Temporary() {
				// Out of file descriptors and the like: wait, as net/http does.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				select {
				case <-time.After(backoff):
				case <-ctx.Done():
				}
				continue
			}
			acceptErr = fmt.Errorf("wire: accept: %w", err)
			break
		}
		backoff = 0
		c := NewConn(nc, maxPayload)
		mu.Lock()
		if ctx.Err() != nil {
			mu.Unlock()
			c.Close()
			break
		}
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			serveConn(ctx, c, h)
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
		}()
	}
	cancel() // closes l and the connections
	wg.Wait()
	return acceptErr
}

// serveConn reads messages from c and hands each to h in its own goroutine.
func serveConn(ctx context.Context, c *Conn, h Handler) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	sem := make(chan struct{}, maxInFlight)
	for {
		m, err := c.Recv()
		if err != nil {
			var fe *FrameError
			if errors.As(err, &fe) {
				c.sendError(0, fe.Error())
				cancel()
				c.closeAfterError()
				return
			}
			// The peer is gone or has stopped sending: let running
			// handlers reply (it may have only half-closed), then close.
			wg.Wait()
			c.Close()
			return
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			c.Close()
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			reply(ctx, c, h, m)
		}()
	}
}

// reply runs h on m and sends its answer, unless m is one-way.
func reply(ctx context.Context, c *Conn, h Handler, m *Msg) {
	r, err := h(ctx, m)
	if m.ID == 0 {
		return
	}
	var out Msg
	switch {
	case err != nil:
		out = Msg{Type: TypeError, From: -1, Data: []byte(err.Error())}
	case r == nil:
		out = Msg{Type: TypeAck, From: -1}
	default:
		out = *r
	}
	out.ID = m.ID
	err = c.Send(&out)
	var ee *encodeError
	if errors.As(err, &ee) {
		// The handler's reply cannot be sent; the caller still gets an answer.
		c.sendError(m.ID, fmt.Sprintf("wire: reply to %s: %v", m.Type, err))
	}
}
