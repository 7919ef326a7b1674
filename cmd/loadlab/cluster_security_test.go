package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	testSecret    = "test-secret-0123456789-abcdefghij"
	testGossipKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // 32 bytes
)

// TestAgentNeedsKeys: on an address other than loopback an agent starts
// only with both the secret and the gossip key (or --insecure); bad key
// material is an input error naming where it came from.
func TestAgentNeedsKeys(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	secret, key := write("secret", testSecret+"\n"), write("gossip.key", testGossipKey+"\n")
	short, badKey := write("short", "tooshort\n"), write("bad.key", base64.StdEncoding.EncodeToString([]byte("seven b"))+"\n")
	// 192.0.2.1 (TEST-NET-1) is not this host's: an agent that passes the
	// checks fails only when it binds.
	const away = "192.0.2.1"
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want []string // substrings of the error
	}{
		{"no keys", nil, nil, []string{"--insecure", "the secret", "the gossip key"}},
		{"secret only", map[string]string{"LOADLAB_SECRET": testSecret}, nil, []string{"without the gossip key"}},
		{"gossip key only", map[string]string{"LOADLAB_GOSSIP_KEY": testGossipKey}, nil, []string{"without the secret"}},
		{"both keys from files", nil, []string{"--secret-file", secret, "--gossip-key-file", key}, []string{"assign requested address"}},
		{"both keys from variables", map[string]string{"LOADLAB_SECRET": testSecret, "LOADLAB_GOSSIP_KEY": testGossipKey}, nil, []string{"assign requested address"}},
		{"insecure", nil, []string{"--insecure"}, []string{"assign requested address"}},
		{"short secret", nil, []string{"--secret-file", short}, []string{"--secret-file", "at least 16"}},
		{"short secret variable", map[string]string{"LOADLAB_SECRET": "tooshort"}, nil, []string{"LOADLAB_SECRET", "at least 16"}},
		{"bad gossip key", nil, []string{"--gossip-key-file", badKey}, []string{"--gossip-key-file", "16, 24 or 32"}},
		{"secret twice", map[string]string{"LOADLAB_SECRET": testSecret}, []string{"--secret-file", secret}, []string{"both given"}},
		{"missing file", nil, []string{"--secret-file", filepath.Join(dir, "none")}, []string{"--secret-file", "no such file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range []string{"LOADLAB_SECRET", "LOADLAB_GOSSIP_KEY", "LOADLAB_SECRET_FILE", "LOADLAB_GOSSIP_KEY_FILE", "LOADLAB_INSECURE"} {
				t.Setenv(v, tc.env[v])
			}
			args := append([]string{"agent", "--bind", away}, tc.args...)
			_, _, err := loadlab(t, args...)
			if err == nil {
				t.Fatal("agent started")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestSecureAgents: agents given the keys say so, with the CA fingerprint
// (the same for both: the same secret); one without the keys cannot join
// them.
func TestSecureAgents(t *testing.T) {
	if testing.Short() {
		t.Skip("starts agent processes")
	}
	t.Setenv("LOADLAB_SECRET", testSecret)
	t.Setenv("LOADLAB_GOSSIP_KEY", testGossipKey)
	label := "secure-" + time.Now().Format("150405.000")
	a := startAgent(t, "--name s-0 --label "+label)
	t.Cleanup(func() { _ = a.cmd.Process.Kill() })
	b := startAgent(t, "--name s-1 --label "+label+" --join "+a.gossip)
	t.Cleanup(func() { _ = b.cmd.Process.Kill() })
	note := func(first string) string {
		_, after, _ := strings.Cut(first, " security ")
		return strings.TrimSpace(after)
	}
	if n := note(a.first); !strings.HasPrefix(n, "tls(ca ") || !strings.HasSuffix(n, ")+gossip-key") || n != note(b.first) {
		t.Errorf("agents say %q and %q: want the same tls(ca …)+gossip-key", a.first, b.first)
	}

	t.Setenv("LOADLAB_SECRET", "")
	t.Setenv("LOADLAB_GOSSIP_KEY", "")
	_, _, err := loadlab(t, "agent", "--name", "stranger", "--label", label, "--join", a.gossip)
	if err == nil || !strings.Contains(err.Error(), "joining") {
		t.Errorf("agent without keys joining: got %v, want a failed join", err)
	}
	for _, p := range []*agentProc{b, a} {
		if rest, err := p.stop(); err != nil {
			t.Errorf("agent exit: %v, output %q", err, rest)
		}
	}
}
