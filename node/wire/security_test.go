package wire

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// logBuffer collects a slog text log; safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits up to 3 s for the log to contain every one of want.
func (b *logBuffer) waitFor(want ...string) bool {
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		s, all := b.String(), true
		for _, w := range want {
			all = all && strings.Contains(s, w)
		}
		if all {
			return true
		}
	}
	return false
}

func newLog() (*logBuffer, *slog.Logger) {
	b := &logBuffer{}
	return b, slog.New(slog.NewTextHandler(b, nil))
}

var (
	secretA = []byte("aaaaaaaaaaaaaaaa-cluster-secret-1")
	secretB = []byte("bbbbbbbbbbbbbbbb-cluster-secret-2")
)

func mustSecurity(t testing.TB, secrets ...[]byte) *Security {
	t.Helper()
	if secrets == nil {
		return nil
	}
	s, err := NewSecurity(secrets...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// serveWith runs cfg.Serve on a loopback port for one test.
func serveWith(t testing.TB, cfg Config, h Handler) *server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{addr: l.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- cfg.Serve(ctx, l, h) }()
	t.Cleanup(func() { s.stop(t) })
	return s
}

func probeHandler(context.Context, *Msg) (*Msg, error) {
	return &Msg{Type: TypeLoad, From: 1, Load: &Load{Queue: 2, Servers: 1, Speed: 1}}, nil
}

// TestSecurity calls a server from a client with the secrets of each case:
// the call succeeds only when each end's certificate is signed by a CA the
// other trusts, and the server logs every refusal with the client's address.
func TestSecurity(t *testing.T) {
	for _, tc := range []struct {
		name           string
		server, client [][]byte // nil: plaintext
		ok             bool
		logged         bool // the server logs a refused handshake
	}{
		{"same secret", [][]byte{secretA}, [][]byte{secretA}, true, false},
		{"plaintext both", nil, nil, true, false},
		{"wrong secret", [][]byte{secretA}, [][]byte{secretB}, false, true},
		{"plaintext client", [][]byte{secretA}, nil, false, true},
		{"plaintext server", nil, [][]byte{secretA}, false, false},
		{"rotation: both know both", [][]byte{secretA, secretB}, [][]byte{secretB, secretA}, true, false},
		{"rotation: new primary, old server", [][]byte{secretA}, [][]byte{secretB, secretA}, false, true},
		{"rotation: old primary, new server", [][]byte{secretB}, [][]byte{secretA, secretB}, false, true},
		{"rotation: finished", [][]byte{secretB}, [][]byte{secretB}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs, log := newLog()
			s := serveWith(t, Config{Security: mustSecurity(t, tc.server...), Log: log}, probeHandler)
			ctx := testCtx(t)
			c, err := Config{Security: mustSecurity(t, tc.client...)}.Dial(ctx, s.addr)
			var local string
			if err == nil {
				defer c.Close()
				local = c.conn.conn.LocalAddr().String()
				var r *Msg
				r, err = c.Call(ctx, &Msg{Type: TypeProbe, From: -1})
				if err == nil && (r.Load == nil || r.Load.Queue != 2) {
					t.Fatalf("got reply %+v, want the server's load", r)
				}
			}
			if tc.ok && err != nil {
				t.Fatalf("call failed: %v", err)
			}
			if !tc.ok && err == nil {
				t.Fatal("call succeeded, want it refused")
			}
			if tc.logged {
				want := []string{"refused connection", "handshake failed"}
				if local != "" {
					want = append(want, "remote="+local)
				}
				if !logs.waitFor(want...) {
					t.Fatalf("server log %q lacks %q", logs.String(), want)
				}
			} else if l := logs.String(); l != "" {
				t.Errorf("server logged %q, want nothing", l)
			}
		})
	}
}

// TestSecurityPool: a Pool dials with its Config's security.
func TestSecurityPool(t *testing.T) {
	cfg := Config{Security: mustSecurity(t, secretA)}
	s := serveWith(t, cfg, probeHandler)
	p := cfg.NewPool()
	defer p.Close()
	ctx := testCtx(t)
	c, err := p.Get(ctx, s.addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Call(ctx, &Msg{Type: TypeProbe, From: -1}); err != nil {
		t.Fatal(err)
	}
	if _, err := NewPool(0).Get(ctx, s.addr); err != nil {
		t.Fatalf("a plaintext dial fails only at the first call, got %v", err)
	}
}

// TestSecurityDerivation: the CA depends on the secret alone, and short
// secrets are refused.
func TestSecurityDerivation(t *testing.T) {
	a1, a2, b := mustSecurity(t, secretA), mustSecurity(t, secretA), mustSecurity(t, secretB)
	if a1.Fingerprint() != a2.Fingerprint() {
		t.Errorf("same secret, CA fingerprints %s and %s", a1.Fingerprint(), a2.Fingerprint())
	}
	if a1.Fingerprint() == b.Fingerprint() {
		t.Errorf("different secrets, same CA fingerprint %s", a1.Fingerprint())
	}
	if _, err := NewSecurity([]byte("short")); err == nil || !strings.Contains(err.Error(), "at least 16") {
		t.Errorf("short secret: got %v, want an error asking for 16 bytes", err)
	}
	if _, err := NewSecurity(); err == nil {
		t.Error("no secret: got no error")
	}
}

func TestParseSecrets(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string
		err  string
	}{
		{"0123456789abcdef\n", []string{"0123456789abcdef"}, ""},
		{"# rotation\n  new-secret-0123456789  \n\nold-secret-0123456789\n", []string{"new-secret-0123456789", "old-secret-0123456789"}, ""},
		{"short\n", nil, "line 1: secret of 5 bytes"},
		{"# nothing\n\n", nil, "no secret"},
	} {
		got, err := ParseSecrets([]byte(tc.text))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseSecrets(%q): got error %v, want %q", tc.text, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseSecrets(%q): %v", tc.text, err)
			continue
		}
		var s []string
		for _, b := range got {
			s = append(s, string(b))
		}
		if strings.Join(s, "|") != strings.Join(tc.want, "|") {
			t.Errorf("ParseSecrets(%q) = %q, want %q", tc.text, s, tc.want)
		}
	}
}

// TestMaxConns: a connection over the bound is closed at once and logged;
// when one leaves, a new one is served.
func TestMaxConns(t *testing.T) {
	logs, log := newLog()
	s := serveWith(t, Config{MaxConns: 2, Log: log}, probeHandler)
	ctx := testCtx(t)
	c1, c2 := dial(t, s.addr), dial(t, s.addr)
	for _, c := range []*Client{c1, c2} {
		if _, err := c.Call(ctx, &Msg{Type: TypeProbe, From: -1}); err != nil {
			t.Fatal(err)
		}
	}
	over := rawDial(t, s.addr)
	if n, err := over.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("third connection: read %d bytes, %v; want EOF (closed)", n, err)
	}
	if !logs.waitFor("too many connections", "limit=2", "remote="+over.LocalAddr().String()) {
		t.Fatalf("log %q does not report the refusal", logs.String())
	}
	c1.Close()
	for deadline := time.Now().Add(3 * time.Second); ; {
		c3, err := Dial(ctx, s.addr, 0)
		if err == nil {
			_, err = c3.Call(ctx, &Msg{Type: TypeProbe, From: -1})
			c3.Close()
		}
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection served after one left: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHandshakeTimeout: a connection that never starts its handshake is
// closed after HandshakeTimeout and logged.
func TestHandshakeTimeout(t *testing.T) {
	logs, log := newLog()
	s := serveWith(t, Config{Security: mustSecurity(t, secretA), HandshakeTimeout: 100 * time.Millisecond, Log: log}, probeHandler)
	nc := rawDial(t, s.addr)
	start := time.Now()
	if _, err := nc.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("idle connection: read gave %v, want EOF", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("closed after %v, want about 100ms", d)
	}
	if !logs.waitFor("handshake failed", "remote="+nc.LocalAddr().String()) {
		t.Fatalf("log %q does not report the refusal", logs.String())
	}
}

// BenchmarkCallRoundTripTLS is BenchmarkCallRoundTrip over mutual TLS.
//
//	go test ./node/wire -run '^$' -bench 'RoundTrip|Handshake'
func BenchmarkCallRoundTripTLS(b *testing.B) {
	cfg := Config{Security: mustSecurity(b, secretA)}
	s := serveWith(b, cfg, func(context.Context, *Msg) (*Msg, error) { return &Msg{Type: TypeAck, From: 1}, nil })
	ctx := context.Background()
	c, err := cfg.Dial(ctx, s.addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	m := &Msg{Type: TypeProbe, From: 2}
	if _, err := c.Call(ctx, m); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Call(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandshake is the cost of a new connection with mutual TLS: dial,
// handshake (both certificates verified) and one call.
func BenchmarkHandshake(b *testing.B) {
	cfg := Config{Security: mustSecurity(b, secretA), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	s := serveWith(b, cfg, func(context.Context, *Msg) (*Msg, error) { return nil, nil })
	ctx := context.Background()
	for b.Loop() {
		c, err := cfg.Dial(ctx, s.addr)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Call(ctx, &Msg{Type: TypeProbe, From: 2}); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}
