package wire

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Defaults of Config's bounds.
const (
	// DefaultMaxConns bounds the connections a server holds at once. A
	// cluster needs one per peer and coordinator.
	DefaultMaxConns = 1024
	// DefaultMaxInFlight bounds the handlers running at once for one
	// connection; the connection's reader waits when it is reached, pushing
	// back on the sender.
	DefaultMaxInFlight = 64
	// DefaultHandshakeTimeout bounds a TLS handshake, so that a connection
	// that never completes one holds its place only this long.
	DefaultHandshakeTimeout = 10 * time.Second
)

// Config holds the settings of Serve, Dial and Pool. Zero fields take
// their defaults; a nil Security means plaintext.
type Config struct {
	// MaxPayload is the largest payload accepted (and sent): default
	// DefaultMaxFrame.
	MaxPayload int
	// Security, if set, authenticates and encrypts every connection
	// (mutual TLS from a shared secret). Both ends must have it, keyed by a
	// common secret: a server refuses (and logs) a peer that fails the
	// handshake, a dialer one whose certificate does not verify.
	Security *Security
	// MaxConns bounds a server's connections at once (DefaultMaxConns);
	// one over it is closed as soon as it is accepted, and logged (at most
	// once a second).
	MaxConns int
	// MaxInFlight bounds a server's handlers at once per connection
	// (DefaultMaxInFlight).
	MaxInFlight int
	// HandshakeTimeout bounds a TLS handshake (DefaultHandshakeTimeout).
	HandshakeTimeout time.Duration
	// Log receives a server's refusals (failed handshakes, connections
	// over MaxConns) with the remote address; nil: slog.Default().
	Log *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.MaxPayload <= 0 {
		c.MaxPayload = DefaultMaxFrame
	}
	if c.MaxConns <= 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return c
}

// Handler answers one message. It may be called concurrently, from one
// goroutine per request, and should return when ctx is done. Its reply gets
// the request's ID; a nil reply with a nil error is sent as a TypeAck (From
// -1) and an error as a TypeError carrying its text. Replies to one-way
// messages (ID 0) are dropped.
type Handler func(ctx context.Context, m *Msg) (*Msg, error)

// Serve is Config{MaxPayload: maxPayload}.Serve: plaintext, default bounds.
func Serve(ctx context.Context, l net.Listener, maxPayload int, h Handler) error {
	return Config{MaxPayload: maxPayload}.Serve(ctx, l, h)
}

// Serve accepts connections on l until ctx is done or l is closed, and runs h
// for every message received, each in its own goroutine, at most
// MaxInFlight at a time per connection, on at most MaxConns connections.
// With Security, each connection must first pass the TLS handshake; one
// that fails is logged with its address and closed. A connection that
// sends a bad frame is answered with a TypeError giving the reason and
// closed; other connections are unaffected. When ctx is done Serve closes
// l and every connection, waits for running handlers and returns nil; if l
// fails otherwise it returns the accept error.
func (cfg Config) Serve(ctx context.Context, l net.Listener, h Handler) error {
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		open = make(map[net.Conn]struct{}) // every connection held, handshaking or served
	)
	closed := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(closed)
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for nc := range open {
			nc.Close()
		}
	})
	defer func() {
		if !stop() {
			<-closed // started: Serve returns after it
		}
	}()

	var acceptErr error
	var backoff time.Duration
	var overLogged time.Time // last log of a connection over MaxConns
	overCount := 0           // connections refused since
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
		mu.Lock()
		if ctx.Err() != nil {
			mu.Unlock()
			nc.Close()
			break
		}
		if len(open) >= cfg.MaxConns {
			mu.Unlock()
			nc.Close()
			overCount++
			if time.Since(overLogged) >= time.Second {
				cfg.Log.Warn("wire: refused connection: too many connections", "remote", nc.RemoteAddr().String(), "limit", cfg.MaxConns, "refused", overCount)
				overLogged, overCount = time.Now(), 0
			}
			continue
		}
		open[nc] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				mu.Lock()
				delete(open, nc)
				mu.Unlock()
			}()
			conn := nc
			if cfg.Security != nil {
				tc, err := cfg.handshake(ctx, nc)
				if err != nil {
					nc.Close()
					if ctx.Err() == nil {
						cfg.Log.Warn("wire: refused connection: handshake failed", "remote", nc.RemoteAddr().String(), "err", err)
					}
					return
				}
				conn = tc
			}
			serveConn(ctx, NewConn(conn, cfg.MaxPayload), h, cfg.MaxInFlight)
		}()
	}
	cancel() // closes l and the connections
	wg.Wait()
	return acceptErr
}

// handshake runs the server side of the TLS handshake on nc, within
// HandshakeTimeout.
func (cfg Config) handshake(ctx context.Context, nc net.Conn) (*tls.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.HandshakeTimeout)
	defer cancel()
	tc := tls.Server(nc, cfg.Security.server)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	return tc, nil
}

// serveConn reads messages from c and hands each to h in its own goroutine.
func serveConn(ctx context.Context, c *Conn, h Handler, maxInFlight int) {
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
		if c, ok := errors.AsType[Coder](err); ok && c.Code() != 0 {
			out.Note = &Note{Kind: c.Code()} // the caller branches on it (RemoteError.Is)
		}
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
