package wire

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
)

// Client is one persistent connection on which calls are matched to replies
// by ID, so any number of goroutines may call at once. When the connection
// breaks, pending and later calls fail with an error wrapping net.ErrClosed
// (and the read error, if any); a broken Client stays broken.
type Client struct {
	conn   *Conn
	addr   string
	nextID atomic.Uint64

	mu      sync.Mutex
	pending map[uint64]chan *Msg
	err     error         // why the connection broke; set once
	done    chan struct{} // closed when err is set
	readEnd chan struct{} // closed when the reader goroutine returns
}

// Dial is Config{MaxPayload: maxPayload}.Dial: plaintext.
func Dial(ctx context.Context, addr string, maxPayload int) (*Client, error) {
	return Config{MaxPayload: maxPayload}.Dial(ctx, addr)
}

// Dial connects to addr ("host:port"), runs the TLS handshake if cfg has
// Security (the peer must prove it holds the cluster's secret) and starts
// the Client's reader. The context bounds the dial and handshake only.
func (cfg Config) Dial(ctx context.Context, addr string) (*Client, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("wire: dial: %w", err)
	}
	if cfg.Security != nil {
		tc := tls.Client(nc, cfg.Security.client)
		hctx, cancel := context.WithTimeout(ctx, cfg.withDefaults().HandshakeTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			nc.Close()
			return nil, fmt.Errorf("wire: dial %s: handshake: %w", addr, err)
		}
		nc = tc
	}
	c := &Client{
		conn:    NewConn(nc, cfg.MaxPayload),
		addr:    addr,
		pending: make(map[uint64]chan *Msg),
		done:    make(chan struct{}),
		readEnd: make(chan struct{}),
	}
	go c.read()
	return c, nil
}

// read delivers replies to their calls until the connection fails.
func (c *Client) read() {
	defer close(c.readEnd)
	var report *Msg // an unsolicited error from the peer, kept to explain the break
	for {
		m, err := c.conn.Recv()
		if err != nil {
			var fe *FrameError
			if errors.As(err, &fe) {
				c.conn.sendError(0, fe.Error())
				c.fail(err, report) // before lingering: calls need not wait
				c.conn.closeAfterError()
				return
			}
			c.conn.Close()
			c.fail(err, report)
			return
		}
		if m.ID == 0 {
			if m.Type == TypeError {
				report = m
			}
			continue
		}
		c.mu.Lock()
		ch := c.pending[m.ID]
		delete(c.pending, m.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- m // buffered; a call abandoned by its context is already removed
		}
	}
}

func (c *Client) fail(err error, report *Msg) {
	var e error
	switch {
	case errors.Is(err, net.ErrClosed):
		e = fmt.Errorf("wire: connection to %s closed: %w", c.addr, err)
	case report != nil:
		e = fmt.Errorf("wire: connection to %s lost after peer reported %q: %w: %w", c.addr, report.Data, net.ErrClosed, err)
	default:
		e = fmt.Errorf("wire: connection to %s lost: %w: %w", c.addr, net.ErrClosed, err)
	}
	c.mu.Lock()
	c.err = e
	c.pending = nil
	c.mu.Unlock()
	close(c.done)
}

// broken reports whether the connection has failed.
func (c *Client) broken() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Call sends a copy of m with a fresh ID and waits for the reply with that ID
// or for ctx to be done. A TypeError reply returns (reply, reply.Err()).
func (c *Client) Call(ctx context.Context, m *Msg) (*Msg, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := c.Start(m)
	if err != nil {
		return nil, err
	}
	return p.Wait(ctx)
}

// Pending is a call sent and not yet answered (Start).
type Pending struct {
	c   *Client
	id  uint64
	typ Type
	ch  chan *Msg
}

// Start sends a copy of m with a fresh ID, as Call does, and returns at
// once: the caller sends from its own goroutine and may wait for the
// reply in another (Pending.Wait), which it must do once.
func (c *Client) Start(m *Msg) (*Pending, error) {
	if m == nil {
		return nil, &encodeError{reason: "nil message"}
	}
	req := *m
	req.ID = c.nextID.Add(1)
	p := &Pending{c: c, id: req.ID, typ: req.Type, ch: make(chan *Msg, 1)}
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return nil, c.err
	}
	c.pending[req.ID] = p.ch
	c.mu.Unlock()
	if err := c.conn.Send(&req); err != nil {
		c.forget(req.ID)
		return nil, err
	}
	return p, nil
}

// Wait waits for the reply to the call p or for ctx to be done. A
// TypeError reply returns (reply, reply.Err()).
func (p *Pending) Wait(ctx context.Context) (*Msg, error) {
	c := p.c
	select {
	case r := <-p.ch:
		return r, r.Err()
	case <-ctx.Done():
		c.forget(p.id)
		return nil, fmt.Errorf("wire: %s call to %s: %w", p.typ, c.addr, ctx.Err())
	case <-c.done:
		select {
		case r := <-p.ch: // the reply arrived just before the break
			return r, r.Err()
		default:
			return nil, c.err
		}
	}
}

func (c *Client) forget(id uint64) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

// Send sends a copy of m as a one-way message (ID 0): no reply is awaited.
func (c *Client) Send(m *Msg) error {
	if m == nil {
		return &encodeError{reason: "nil message"}
	}
	if c.broken() {
		return c.err
	}
	req := *m
	req.ID = 0
	return c.conn.Send(&req)
}

// Close closes the connection, fails pending calls and waits for the reader
// goroutine to end.
func (c *Client) Close() error {
	err := c.conn.Close()
	<-c.readEnd
	return err
}

// Pool keeps one Client per address, dialled on first use and redialled when
// its connection has broken. It is safe for concurrent use.
type Pool struct {
	cfg Config

	mu      sync.Mutex
	closed  bool
	clients map[string]*poolEntry
}

type poolEntry struct {
	sem chan struct{} // held while the entry's client is checked or dialled
	c   *Client
}

// NewPool returns an empty Pool whose clients accept payloads of up to
// maxPayload bytes (DefaultMaxFrame if maxPayload <= 0), in plaintext.
func NewPool(maxPayload int) *Pool { return Config{MaxPayload: maxPayload}.NewPool() }

// NewPool returns an empty Pool whose clients are dialled with cfg.
func (cfg Config) NewPool() *Pool {
	return &Pool{cfg: cfg, clients: make(map[string]*poolEntry)}
}

var errPoolClosed = fmt.Errorf("wire: pool closed: %w", net.ErrClosed)

// Get returns the Client for addr, dialling it if there is none or the last
// one broke. Concurrent Gets for one address share a single dial.
func (p *Pool) Get(ctx context.Context, addr string) (*Client, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errPoolClosed
	}
	e := p.clients[addr]
	if e == nil {
		e = &poolEntry{sem: make(chan struct{}, 1)}
		p.clients[addr] = e
	}
	p.mu.Unlock()

	select {
	case e.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-e.sem }()
	if e.c != nil && !e.c.broken() {
		return e.c, nil
	}
	if e.c != nil {
		e.c.Close()
		e.c = nil
	}
	c, err := p.cfg.Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed { // Close ran while we dialled and may have missed this client
		c.Close()
		return nil, errPoolClosed
	}
	e.c = c
	return c, nil
}

// Ready returns addr's Client if it is dialled and unbroken and nobody
// is checking or dialling it right now, else nil: Get without waiting,
// for a caller that has a slower way round.
func (p *Pool) Ready(addr string) *Client {
	p.mu.Lock()
	e := p.clients[addr]
	closed := p.closed
	p.mu.Unlock()
	if e == nil || closed {
		return nil
	}
	select {
	case e.sem <- struct{}{}:
	default:
		return nil
	}
	defer func() { <-e.sem }()
	if e.c == nil || e.c.broken() {
		return nil
	}
	return e.c
}

// Close closes every client; later Gets fail with an error wrapping
// net.ErrClosed.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	entries := make([]*poolEntry, 0, len(p.clients))
	for _, e := range p.clients {
		entries = append(entries, e)
	}
	p.mu.Unlock()
	var errs []error
	for _, e := range entries {
		e.sem <- struct{}{}
		if e.c != nil {
			if err := e.c.Close(); err != nil {
				errs = append(errs, err)
			}
			e.c = nil
		}
		<-e.sem
	}
	return errors.Join(errs...)
}
