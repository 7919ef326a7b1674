package gossip

import (
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	big := map[string]string{"blob": strings.Repeat("x", 400)}
	fits := map[string]string{"role": "agent", "rpc": "127.0.0.1:7000", "id": "31", "blob": strings.Repeat("x", 250)}
	for _, tc := range []struct {
		name string
		cfg  Config
		want string // substring of the error; "" for none
	}{
		{"minimal", Config{Name: "a"}, ""},
		{"full", Config{Name: "a", BindAddr: "127.0.0.1", BindPort: 7946, Advertise: "127.0.0.1:7946", Tags: fits, Label: "run-1", Profile: "lan"}, ""},
		{"empty name", Config{}, "empty name"},
		{"tags over 512 bytes", Config{Name: "a", Tags: big}, "limit 512"},
		{"reserved tag", Config{Name: "a", Tags: map[string]string{"ld": "1"}}, "reserved"},
		{"bad profile", Config{Name: "a", Profile: "wan"}, "unknown profile"},
		{"bind not an IP", Config{Name: "a", BindAddr: "localhost"}, "not an IP"},
		{"bind port", Config{Name: "a", BindPort: 70000}, "out of range"},
		{"advertise host", Config{Name: "a", Advertise: "example.com:1"}, "not an IP"},
		{"advertise port with port 0", Config{Name: "a", Advertise: "127.0.0.1:9000"}, "fixed bind port"},
		{"label too long", Config{Name: "a", Label: strings.Repeat("l", 256)}, "label"},
		{"negative heartbeat", Config{Name: "a", Heartbeat: -1}, "heartbeat"},
		{"negative min interval", Config{Name: "a", MinInterval: -1}, "min interval"},
		{"gossip interval", Config{Name: "a", GossipInterval: 500 * time.Millisecond}, ""},
		{"gossip interval too short", Config{Name: "a", GossipInterval: time.Millisecond}, "gossip interval: 1ms is out of range"},
		{"gossip interval too long", Config{Name: "a", GossipInterval: time.Minute}, "gossip interval: 1m0s is out of range"},
		{"negative gossip interval", Config{Name: "a", GossipInterval: -time.Second}, "gossip interval"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestGossipIntervalReachesMemberlist checks each profile's interval and
// that Config.GossipInterval replaces it.
func TestGossipIntervalReachesMemberlist(t *testing.T) {
	for _, tc := range []struct {
		profile string
		set     time.Duration
		want    time.Duration
	}{
		{ProfileLoopback, 0, 50 * time.Millisecond},
		{ProfileLAN, 0, 100 * time.Millisecond},
		{ProfileLoopback, 300 * time.Millisecond, 300 * time.Millisecond},
		{ProfileLAN, 500 * time.Millisecond, 500 * time.Millisecond},
	} {
		c := Config{Name: "a", Profile: tc.profile, GossipInterval: tc.set}.withDefaults()
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		if got := serfConfig(c, nil).MemberlistConfig.GossipInterval; got != tc.want {
			t.Errorf("profile %s, GossipInterval %v: memberlist gossips every %v, want %v", tc.profile, tc.set, got, tc.want)
		}
	}
}

func TestSharedHostInterval(t *testing.T) {
	for _, tc := range []struct {
		profile string
		n       int
		want    time.Duration
	}{
		{ProfileLoopback, 4, 50 * time.Millisecond},
		{ProfileLoopback, 12, 50 * time.Millisecond},
		{ProfileLoopback, 64, 256 * time.Millisecond},
		{ProfileLAN, 4, 100 * time.Millisecond},
		{ProfileLAN, 25, 100 * time.Millisecond},
		{ProfileLAN, 32, 128 * time.Millisecond},
		{ProfileLAN, 128, 512 * time.Millisecond},
	} {
		if got := SharedHostInterval(tc.profile, tc.n); got != tc.want {
			t.Errorf("SharedHostInterval(%s, %d) = %v, want %v", tc.profile, tc.n, got, tc.want)
		}
		if err := CheckGossipInterval(SharedHostInterval(tc.profile, tc.n)); err != nil {
			t.Errorf("SharedHostInterval(%s, %d): %v", tc.profile, tc.n, err)
		}
	}
}
