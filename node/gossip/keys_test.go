package gossip

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/loadlab/loadlab/load"
)

var (
	keyA = bytes.Repeat([]byte{0xa1}, 32)
	keyB = bytes.Repeat([]byte{0xb2}, 16)
)

// join starts a member named name with keys that joins addr; it returns the
// member or the error of Start.
func join(t *testing.T, name, label, addr string, keys ...[]byte) (*Gossip, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	g, err := Start(ctx, Config{Name: name, BindAddr: "127.0.0.1", Label: label, Keys: keys, Join: []string{addr}})
	if err == nil {
		t.Cleanup(func() { g.Close() })
	}
	return g, err
}

// TestEncryptedStranger: in a cluster whose gossip is encrypted, a member
// without the key, or with another, cannot join: Start fails, and the
// cluster never lists it. With the key it joins and sees the loads.
func TestEncryptedStranger(t *testing.T) {
	label := ""
	gs := startCluster(t, 2, func(i int, c *Config) { c.Keys, label = [][]byte{keyA}, c.Label })
	l := load.State{Queue: 3, Servers: 1, Speed: 1}
	gs[1].Publish(l)
	for _, tc := range []struct {
		name string
		keys [][]byte
		ok   bool
	}{
		{"no key", nil, false},
		{"wrong key", [][]byte{keyB}, false},
		{"the key", [][]byte{keyA}, true},
		{"the key, not primary", [][]byte{keyB, keyA}, false}, // it encrypts with B, which the cluster cannot read
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "stranger-" + runID()
			g, err := join(t, name, label, gs[0].Addr(), tc.keys...)
			if !tc.ok {
				if err == nil {
					t.Fatalf("joined with keys %x, want refused", tc.keys)
				}
				time.Sleep(300 * time.Millisecond) // let any packet it sent arrive
				for _, m := range gs {
					if _, ok := m.Member(name); ok {
						t.Errorf("%s lists the stranger", m.Name())
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !eventually(5*time.Second, func() bool { return holds(g, gs[1].Name(), l) }) {
				t.Errorf("member with the key does not see %s's load", gs[1].Name())
			}
		})
	}
}

// TestRollingKeyRotation replaces each member of a two-member cluster in
// turn, as a rolling restart does, through the keyrings [A] → [A,B] →
// [B,A] → [B]: the cluster stays whole at every step, and at the end a
// member with only the old key cannot join.
func TestRollingKeyRotation(t *testing.T) {
	gs := startCluster(t, 2, func(i int, c *Config) { c.Keys = [][]byte{keyA} })
	label := gs[0].cfg.Label
	step := 0
	for _, ring := range [][][]byte{{keyA, keyB}, {keyB, keyA}, {keyB}} {
		for i := range gs {
			step++
			other := gs[1-i]
			// Out of the cluster with a leave, as a rolling restart stops
			// a member: a member closed without one stays "alive" to the
			// others for seconds, and gossip sent its way is lost, so an
			// update could miss the live peer for longer than the wait.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err := gs[i].Leave(ctx)
			cancel()
			if err != nil {
				t.Fatalf("step %d: leave: %v", step, err)
			}
			g, err := join(t, fmt.Sprintf("r%d-%s", step, runID()), label, other.Addr(), ring...)
			if err != nil {
				t.Fatalf("step %d (keyring of %d keys, primary %x…): %v", step, len(ring), ring[0][:1], err)
			}
			gs[i] = g
			// Both read each other: a load published by each reaches the other.
			l := load.State{Queue: step, Servers: 1, Speed: 1}
			for k, m := range gs {
				m.Publish(l)
				peer := gs[1-k]
				if !eventually(5*time.Second, func() bool { return holds(peer, m.Name(), l) }) {
					t.Fatalf("step %d: %s does not see %s's load", step, peer.Name(), m.Name())
				}
			}
		}
	}
	if _, err := join(t, "old-"+runID(), label, gs[0].Addr(), keyA); err == nil {
		t.Fatal("a member with the retired key joined")
	}
}

// TestKeyManagerRotation rotates the keys of a running cluster with serf's
// key manager: install B, use it, remove A. Then only B admits a member.
func TestKeyManagerRotation(t *testing.T) {
	gs := startCluster(t, 2, func(i int, c *Config) { c.Keys = [][]byte{keyA} })
	label := gs[0].cfg.Label
	km := gs[0].KeyManager()
	b, a := base64.StdEncoding.EncodeToString(keyB), base64.StdEncoding.EncodeToString(keyA)
	for _, op := range []struct {
		name string
		do   func(string) (any, error)
		key  string
	}{
		{"install", func(k string) (any, error) { return km.InstallKey(k) }, b},
		{"use", func(k string) (any, error) { return km.UseKey(k) }, b},
		{"remove", func(k string) (any, error) { return km.RemoveKey(k) }, a},
	} {
		if r, err := op.do(op.key); err != nil {
			t.Fatalf("%s: %v (%+v)", op.name, err, r)
		}
	}
	if _, err := join(t, "old-"+runID(), label, gs[1].Addr(), keyA); err == nil {
		t.Fatal("a member with the removed key joined")
	}
	if _, err := join(t, "new-"+runID(), label, gs[1].Addr(), keyB); err != nil {
		t.Fatalf("a member with the new key: %v", err)
	}
}

func TestParseKeys(t *testing.T) {
	a, b := base64.StdEncoding.EncodeToString(keyA), base64.StdEncoding.EncodeToString(keyB)
	for _, tc := range []struct {
		text string
		want [][]byte
		err  string
	}{
		{a + "\n", [][]byte{keyA}, ""},
		{"# new first\n" + b + "\n\n  " + a + "  \n", [][]byte{keyB, keyA}, ""},
		{`["` + a + `", "` + b + `"]`, [][]byte{keyA, keyB}, ""}, // serf's keyring file
		{"not base64!\n", nil, "not base64"},
		{base64.StdEncoding.EncodeToString([]byte("short")), nil, "5 bytes"},
		{"\n# none\n", nil, "no key"},
		{`["` + a + `"`, nil, "keyring"},
	} {
		got, err := ParseKeys([]byte(tc.text))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseKeys(%q): got error %v, want %q", tc.text, err, tc.err)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("ParseKeys(%q) = %x, %v; want %x", tc.text, got, err, tc.want)
			continue
		}
		for i := range got {
			if !bytes.Equal(got[i], tc.want[i]) {
				t.Errorf("ParseKeys(%q) key %d = %x, want %x", tc.text, i, got[i], tc.want[i])
			}
		}
	}
	if err := (Config{Name: "a", Keys: [][]byte{[]byte("seven b")}}).Validate(); err == nil || !strings.Contains(err.Error(), "16, 24 or 32") {
		t.Errorf("Validate with a 7-byte key: %v", err)
	}
}
