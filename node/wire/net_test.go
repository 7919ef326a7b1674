package wire

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// server is a Serve running on a loopback port for one test.
type server struct {
	addr   string
	cancel context.CancelFunc
	done   chan error
}

func startServer(t testing.TB, maxPayload int, h Handler) *server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveOn(t, l, maxPayload, h)
}

func serveOn(t testing.TB, l net.Listener, maxPayload int, h Handler) *server {
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{addr: l.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- Serve(ctx, l, maxPayload, h) }()
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop cancels Serve and waits for it to return nil.
func (s *server) stop(t testing.TB) {
	t.Helper()
	s.cancel()
	select {
	case err, ok := <-s.done:
		if ok && err != nil {
			t.Errorf("Serve returned %v, want nil", err)
		}
		if ok {
			close(s.done)
		}
	case <-time.After(2 * time.Second):
		t.Fatalf("Serve did not return after cancel")
	}
}

func dial(t testing.TB, addr string) *Client {
	t.Helper()
	c, err := Dial(context.Background(), addr, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func rawDial(t testing.TB, addr string) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(3 * time.Second))
	t.Cleanup(func() { nc.Close() })
	return nc
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestCallConcurrent(t *testing.T) {
	const calls = 100
	var inFlight, peak atomic.Int32
	full := make(chan struct{}) // closed when DefaultMaxInFlight handlers run at once
	var once sync.Once
	s := startServer(t, 0, func(ctx context.Context, m *Msg) (*Msg, error) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		if n == DefaultMaxInFlight {
			once.Do(func() { close(full) })
		}
		select { // hold replies back so they return out of order
		case <-full:
		case <-time.After(time.Second):
		}
		time.Sleep(time.Duration(m.From%5) * time.Millisecond)
		return &Msg{Type: TypeLoad, From: 1, Load: &Load{Seq: uint64(m.From)}}, nil
	})
	c := dial(t, s.addr)
	ctx := testCtx(t)
	var wg sync.WaitGroup
	for i := range calls {
		wg.Go(func() {
			r, err := c.Call(ctx, &Msg{Type: TypeProbe, From: int32(i)})
			if err != nil {
				t.Errorf("call %d: %v", i, err)
				return
			}
			if r.Type != TypeLoad || r.Load == nil || r.Load.Seq != uint64(i) {
				t.Errorf("call %d got reply %+v (load %+v), want its own load", i, r, r.Load)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p != DefaultMaxInFlight {
		t.Errorf("peak handlers in flight = %d, want %d", p, DefaultMaxInFlight)
	}
}

func TestOneWaySend(t *testing.T) {
	got := make(chan *Msg, 1)
	s := startServer(t, 0, func(ctx context.Context, m *Msg) (*Msg, error) {
		if m.Type == TypeCompletion {
			got <- m
			return &Msg{Type: TypeAck}, nil // must not be sent: one-way
		}
		return &Msg{Type: TypeAck, Data: []byte("probe")}, nil
	})
	c := dial(t, s.addr)
	done := &Completion{JobID: 7, Node: 2, Hops: 1, StartUnixNano: 10, EndUnixNano: 20}
	if err := c.Send(&Msg{Type: TypeCompletion, ID: 99, From: 2, Done: done}); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m.ID != 0 || m.From != 2 || !reflect.DeepEqual(m.Done, done) {
			t.Errorf("handler got %+v (done %+v), want ID 0 and %+v", m, m.Done, done)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("one-way message not delivered")
	}

	// On a raw connection, the first frame back must answer the call, not
	// the one-way message sent before it.
	nc := rawDial(t, s.addr)
	wc := NewConn(nc, 0)
	if err := wc.Send(&Msg{Type: TypeCompletion, Done: done}); err != nil {
		t.Fatal(err)
	}
	if err := wc.Send(&Msg{Type: TypeProbe, ID: 5}); err != nil {
		t.Fatal(err)
	}
	r, err := wc.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != 5 || string(r.Data) != "probe" {
		t.Errorf("first frame back = %+v, want the reply to request 5", r)
	}
}

func TestHandlerReplies(t *testing.T) {
	s := startServer(t, 0, func(ctx context.Context, m *Msg) (*Msg, error) {
		switch m.Type {
		case TypeTransfer:
			return nil, errors.New("refused: queue full")
		case TypeSteal:
			return nil, nil
		case TypeControl:
			return &Msg{Type: TypeControl, Data: []byte(`{"x":NaN}`), Job: &Job{Size: math.NaN()}}, nil // unencodable
		}
		return &Msg{Type: TypeAck, From: 3}, nil
	})
	c := dial(t, s.addr)
	ctx := testCtx(t)

	r, err := c.Call(ctx, &Msg{Type: TypeTransfer, From: 1, Job: &Job{ID: 1, Size: 1}})
	if err == nil || err.Error() != "refused: queue full" {
		t.Errorf("Call error = %v, want %q", err, "refused: queue full")
	}
	if r == nil || r.Type != TypeError || r.Err() == nil {
		t.Errorf("Call reply = %+v, want the TypeError reply", r)
	}

	r, err = c.Call(ctx, &Msg{Type: TypeSteal, From: 1})
	if err != nil || r.Type != TypeAck || r.Job != nil || r.From != -1 {
		t.Errorf("nil reply: Call = %+v, %v; want an Ack from -1 without a job", r, err)
	}

	r, err = c.Call(ctx, &Msg{Type: TypeControl})
	if err == nil || !strings.Contains(err.Error(), "not finite") || r.Type != TypeError {
		t.Errorf("unencodable reply: Call = %+v, %v; want a TypeError explaining it", r, err)
	}

	// The caller's message is not modified.
	m := &Msg{Type: TypeProbe, From: 1}
	if _, err := c.Call(ctx, m); err != nil || m.ID != 0 {
		t.Errorf("Call = %v; caller's ID became %d, want 0", err, m.ID)
	}
}

func TestCallContext(t *testing.T) {
	release := make(chan struct{})
	s := startServer(t, 0, func(ctx context.Context, m *Msg) (*Msg, error) {
		if m.Type == TypeSteal {
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		return nil, nil
	})
	c := dial(t, s.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Call(ctx, &Msg{Type: TypeSteal}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Call error = %v, want context.DeadlineExceeded", err)
	}
	close(release) // the late reply is dropped; the client stays usable
	if _, err := c.Call(testCtx(t), &Msg{Type: TypeProbe}); err != nil {
		t.Errorf("Call after a timed-out call: %v", err)
	}
}

// TestBadFrames sends bad frames on raw connections: each gets a TypeError
// frame and then EOF, while a client on another connection keeps working.
func TestBadFrames(t *testing.T) {
	const limit = 4096
	s := startServer(t, limit, func(ctx context.Context, m *Msg) (*Msg, error) { return nil, nil })
	c := dial(t, s.addr)
	ctx := testCtx(t)
	oversize := rawFrame(Version, TypeControl, make([]byte, limit+1))
	tests := []struct {
		name   string
		send   []byte
		reason string
	}{
		{"short garbage", []byte("hello\n"), "wrong magic"},
		{"http", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "wrong magic"},
		{"next version", []byte{'L', 'L', Version + 1}, "unsupported version 4"},
		{"old version", []byte{'L', 'L', Version - 1}, "unsupported version 2, want 3"},
		{"unknown type", []byte{'L', 'L', Version, 0x7f}, "unknown type 127"},
		{"oversized header only", oversize[:headerLen], "exceeds the limit of 4096"},
		{"oversized with payload", oversize, "exceeds the limit of 4096"},
		{"NaN size", rawFrame(Version, TypeSubmit, patch(submitPayload(), 17, f64(math.NaN()))), "job size NaN"},
		{"after a good frame", append(mustAppend(t, &Msg{Type: TypeAck}), "junk"...), "wrong magic"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nc := rawDial(t, s.addr)
			if _, err := nc.Write(tc.send); err != nil {
				t.Fatal(err)
			}
			rc := NewConn(nc, 0)
			m, err := rc.Recv()
			if err != nil {
				t.Fatalf("Recv: %v, want a TypeError frame", err)
			}
			if m.Type != TypeError || !strings.Contains(string(m.Data), tc.reason) {
				t.Errorf("got %v %q, want an error containing %q", m.Type, m.Data, tc.reason)
			}
			if m, err := rc.Recv(); err != io.EOF {
				t.Errorf("after the error frame: Recv = %+v, %v; want EOF", m, err)
			}
			if _, err := c.Call(ctx, &Msg{Type: TypeProbe}); err != nil {
				t.Errorf("other connection: %v", err)
			}
		})
	}
	if _, err := dial(t, s.addr).Call(ctx, &Msg{Type: TypeProbe}); err != nil {
		t.Errorf("new connection after bad frames: %v", err)
	}
}

func TestServeCancel(t *testing.T) {
	started := make(chan struct{})
	s := startServer(t, 0, func(ctx context.Context, m *Msg) (*Msg, error) {
		if m.Type == TypeSteal {
			close(started)
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return nil, nil
	})
	c := dial(t, s.addr)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Call(context.Background(), &Msg{Type: TypeSteal})
		errc <- err
	}()
	<-started
	s.stop(t)
	// The pending call fails either way: the handler's error reply may race
	// the closing of the connection.
	select {
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) && (err == nil || err.Error() != context.Canceled.Error()) {
			t.Errorf("pending call error = %v, want net.ErrClosed or the handler's context error", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("pending call not failed after Serve stopped")
	}
	if _, err := c.Call(testCtx(t), &Msg{Type: TypeProbe}); !errors.Is(err, net.ErrClosed) {
		t.Errorf("call after Serve stopped = %v, want net.ErrClosed", err)
	}
	if nc, err := net.DialTimeout("tcp", s.addr, time.Second); err == nil {
		nc.Close()
		t.Errorf("listener still accepting after Serve returned")
	}
}

func TestServeListenerClosed(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- Serve(context.Background(), l, 0, func(context.Context, *Msg) (*Msg, error) { return nil, nil })
	}()
	l.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Serve = %v, want an error wrapping net.ErrClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Serve did not return after its listener closed")
	}
}

// TestClientServerDies: a server that reads a request and drops the
// connection fails the pending call; later calls fail fast.
func TestClientServerDies(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		nc, err := l.Accept()
		if err != nil {
			return
		}
		NewConn(nc, 0).Recv()
		nc.Close()
	}()
	c := dial(t, l.Addr().String())
	_, err = c.Call(testCtx(t), &Msg{Type: TypeProbe})
	if !errors.Is(err, net.ErrClosed) || !errors.Is(err, io.EOF) {
		t.Errorf("pending call error = %v, want one wrapping net.ErrClosed and io.EOF", err)
	}
	start := time.Now()
	_, err2 := c.Call(testCtx(t), &Msg{Type: TypeProbe})
	if !errors.Is(err2, net.ErrClosed) || time.Since(start) > 100*time.Millisecond {
		t.Errorf("later call error = %v after %v, want a fast net.ErrClosed", err2, time.Since(start))
	}
	if err := c.Send(&Msg{Type: TypeAck}); !errors.Is(err, net.ErrClosed) {
		t.Errorf("later send error = %v, want net.ErrClosed", err)
	}
}

// TestClientBadReply: a server that answers with garbage gets an error
// frame back, and the client's calls fail with the reason.
func TestClientBadReply(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan *Msg, 1)
	go func() {
		nc, err := l.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		rc := NewConn(nc, 0)
		rc.Recv()
		nc.Write([]byte("LL\x09garbage"))
		m, _ := rc.Recv()
		got <- m
	}()
	c := dial(t, l.Addr().String())
	_, err = c.Call(testCtx(t), &Msg{Type: TypeProbe})
	if !errors.Is(err, net.ErrClosed) || !strings.Contains(err.Error(), "unsupported version 9") {
		t.Errorf("call error = %v, want net.ErrClosed with the frame error", err)
	}
	if m := <-got; m == nil || m.Type != TypeError || !strings.Contains(string(m.Data), "unsupported version 9") {
		t.Errorf("server got %+v, want a TypeError naming the bad version", m)
	}
}

func TestClientPeerReport(t *testing.T) {
	// An error frame with ID 0 before the break explains it.
	s := startServer(t, 16, func(context.Context, *Msg) (*Msg, error) { return nil, nil })
	c, err := Dial(testCtx(t), s.addr, 1<<20) // a larger limit than the server's
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Call(testCtx(t), &Msg{Type: TypeControl, Data: make([]byte, 100)})
	if !errors.Is(err, net.ErrClosed) || !strings.Contains(err.Error(), "exceeds the limit of 16") {
		t.Errorf("call error = %v, want net.ErrClosed with the server's reason", err)
	}
}

func TestPoolRedial(t *testing.T) {
	handler := func(ctx context.Context, m *Msg) (*Msg, error) { return &Msg{Type: TypeAck, From: 1}, nil }
	s := startServer(t, 0, handler)
	p := NewPool(0)
	defer p.Close()
	ctx := testCtx(t)

	c1, err := p.Get(ctx, s.addr)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := p.Get(ctx, s.addr); c != c1 {
		t.Errorf("second Get dialled again, want the same client")
	}
	if _, err := c1.Call(ctx, &Msg{Type: TypeProbe}); err != nil {
		t.Fatal(err)
	}

	s.stop(t)
	var l net.Listener
	for deadline := time.Now().Add(2 * time.Second); ; {
		if l, err = net.Listen("tcp", s.addr); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("relisten on %s: %v", s.addr, err)
	}
	serveOn(t, l, 0, handler)

	// The old client notices the break asynchronously; a caller retries.
	var c2 *Client
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		c2, err = p.Get(ctx, s.addr)
		if err == nil {
			if _, err = c2.Call(ctx, &Msg{Type: TypeProbe}); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no successful call after restart: %v", err)
		}
	}
	if c2 == c1 {
		t.Errorf("Get returned the broken client")
	}

	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := p.Get(ctx, s.addr); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Get after Close = %v, want net.ErrClosed", err)
	}
	if _, err := c2.Call(ctx, &Msg{Type: TypeProbe}); !errors.Is(err, net.ErrClosed) {
		t.Errorf("call on a closed pool's client = %v, want net.ErrClosed", err)
	}
}

func TestPoolDialError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p := NewPool(0)
	defer p.Close()
	if _, err := p.Get(testCtx(t), addr); err == nil {
		t.Fatal("Get on a closed port succeeded")
	}
	// A failed dial is not cached.
	s := serveOn(t, mustListen(t, addr), 0, func(context.Context, *Msg) (*Msg, error) { return nil, nil })
	if _, err := p.Get(testCtx(t), s.addr); err != nil {
		t.Errorf("Get after the server came up: %v", err)
	}
}

func mustListen(t testing.TB, addr string) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", addr, err)
	}
	return l
}

func TestConnTimeouts(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	peer := rawDial(t, l.Addr().String())
	nc, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c := NewConn(nc, 0)
	defer c.Close()
	c.ReadTimeout = 50 * time.Millisecond

	// Idle longer than ReadTimeout between frames is fine.
	go func() {
		time.Sleep(100 * time.Millisecond)
		peer.Write(mustAppend(t, &Msg{Type: TypeAck, ID: 1}))
		peer.Write([]byte{'L', 'L', Version}) // then a frame that stalls
	}()
	if m, err := c.Recv(); err != nil || m.ID != 1 {
		t.Fatalf("Recv after idling = %+v, %v", m, err)
	}
	start := time.Now()
	if _, err := c.Recv(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("stalled frame: Recv error = %v, want a deadline error", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("stalled frame took %v to time out", d)
	}

	// Refusing to send an oversized frame leaves the connection usable.
	small := NewConn(peer, 10)
	if err := small.Send(&Msg{Type: TypeControl, Data: make([]byte, 11)}); err == nil || !strings.Contains(err.Error(), "exceeds the limit of 10") {
		t.Errorf("oversized Send error = %v", err)
	}
	if err := small.Send(&Msg{Type: TypeAck}); err != nil {
		t.Errorf("Send after a refused one: %v", err)
	}
}

func TestCallLargeState(t *testing.T) {
	s := startServer(t, 0, func(ctx context.Context, m *Msg) (*Msg, error) {
		if m.Job == nil {
			return nil, nil
		}
		return &Msg{Type: TypeTransfer, Job: m.Job}, nil // echo
	})
	c := dial(t, s.addr)
	job := &Job{ID: 9, Size: 1, State: bigState(5 << 20)}
	r, err := c.Call(testCtx(t), &Msg{Type: TypeTransfer, Job: job})
	if err != nil {
		t.Fatal(err)
	}
	if r.Job == nil || r.Job.ID != 9 || !bytes.Equal(r.Job.State, job.State) {
		t.Errorf("5 MiB state did not come back intact")
	}
	big := &Job{ID: 10, Size: 1, State: make([]byte, DefaultMaxFrame)}
	if _, err := c.Call(testCtx(t), &Msg{Type: TypeTransfer, Job: big}); err == nil || !strings.Contains(err.Error(), "exceeds the limit") {
		t.Errorf("Call with a state over the limit = %v, want a local limit error", err)
	}
	if _, err := c.Call(testCtx(t), &Msg{Type: TypeProbe}); err != nil {
		t.Errorf("Call after a refused one: %v", err)
	}
}

// codeErr is a sentinel error with a code (Coder).
type codeErr uint8

func (e codeErr) Error() string { return "coded " + string('0'+rune(e)) }
func (e codeErr) Code() uint8   { return uint8(e) }

// TestErrorCodes: a handler's error that wraps a Coder reaches the caller
// with its code, so errors.Is matches the sentinel across the connection;
// an error without a code matches no sentinel, and the text is kept.
func TestErrorCodes(t *testing.T) {
	const full, leaving = codeErr(1), codeErr(2)
	s := startServer(t, 0, func(ctx context.Context, m *Msg) (*Msg, error) {
		switch m.From {
		case 1:
			return nil, fmt.Errorf("transfer refused: %w", full)
		case 2:
			return nil, leaving
		}
		return nil, errors.New("coded 1") // same text, no code
	})
	c := dial(t, s.addr)
	ctx := testCtx(t)
	for _, tc := range []struct {
		from     int32
		text     string
		want     error
		notWant  error
		wantCode uint8
	}{
		{1, "transfer refused: coded 1", full, leaving, 1},
		{2, "coded 2", leaving, full, 2},
		{3, "coded 1", nil, full, 0},
	} {
		_, err := c.Call(ctx, &Msg{Type: TypeSteal, From: tc.from})
		var re *RemoteError
		if !errors.As(err, &re) || re.Code != tc.wantCode || err.Error() != tc.text {
			t.Errorf("from %d: got %#v, want a RemoteError %q with code %d", tc.from, err, tc.text, tc.wantCode)
		}
		if tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("from %d: errors.Is(%v, %v) = false, want true", tc.from, err, tc.want)
		}
		if errors.Is(err, tc.notWant) {
			t.Errorf("from %d: errors.Is(%v, %v) = true, want false", tc.from, err, tc.notWant)
		}
	}
}

// TestPoolReady: Ready gives the pool's client only when it is dialled
// and unbroken, never dials, and gives nothing once the pool is closed; a
// call started on it (Start) is answered through Wait as Call's is.
func TestPoolReady(t *testing.T) {
	s := startServer(t, 0, func(ctx context.Context, m *Msg) (*Msg, error) { return &Msg{Type: TypeAck, From: 7}, nil })
	p := NewPool(0)
	defer p.Close()
	ctx := testCtx(t)
	if c := p.Ready(s.addr); c != nil {
		t.Fatal("Ready before any Get returned a client, want nil (it never dials)")
	}
	c, err := p.Get(ctx, s.addr)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Ready(s.addr); got != c {
		t.Fatalf("Ready after Get = %p, want the dialled client %p", got, c)
	}
	pend, err := c.Start(&Msg{Type: TypeProbe})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := pend.Wait(ctx); err != nil || r.Type != TypeAck || r.From != 7 {
		t.Fatalf("Wait = %v, %v; want the handler's ack", r, err)
	}
	s.stop(t)
	for deadline := time.Now().Add(5 * time.Second); p.Ready(s.addr) != nil; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Ready still returns the client of a stopped server, want nil once the break is seen")
		}
	}
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if c := p.Ready(s.addr); c != nil {
		t.Error("Ready on a closed pool returned a client, want nil")
	}
}
