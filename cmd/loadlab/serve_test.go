package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestServe starts `loadlab serve` on a free loopback port, asks it for
// its sweeps, and stops it as SIGINT would; bad addresses and a secret
// missing off loopback are bad input.
func TestServe(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"serve", "--addr", "0.0.0.0:0"}, []string{"--addr 0.0.0.0:0", "off loopback", "secret"}},
		{[]string{"serve", "--addr", "nowhere"}, []string{"--addr", "HOST:PORT"}},
		{[]string{"serve", "--poll", "0s"}, []string{"--poll"}},
	} {
		t.Setenv("LOADLAB_SECRET", "")
		_, stderr, code := status(t, context.Background(), tc.args...)
		if code != exitBadInput {
			t.Errorf("%v: status %d, want %d (%s)", tc.args, code, exitBadInput, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%v: %q, want it to say %q", tc.args, stderr, w)
			}
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"loadlab", "serve", t.TempDir(), "--addr", "127.0.0.1:0"}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed %q: %v", line, err)
	}
	go io.Copy(io.Discard, pr)
	_, rest, ok := strings.Cut(line, "http://")
	if !ok {
		t.Fatalf("serve printed %q, want its http:// address", line)
	}
	addr := strings.Fields(rest)[0]
	resp, err := http.Get("http://" + addr + "api/sweeps")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "[]" {
		t.Errorf("GET /api/sweeps of an empty directory: %d %q, want 200 []", resp.StatusCode, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve after its context ended: %v, want nil", err)
	}
}
