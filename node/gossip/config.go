package gossip

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-msgpack/v2/codec"
	"github.com/hashicorp/memberlist"
	"github.com/hashicorp/serf/serf"
)

// Profiles.
const (
	// ProfileLoopback tunes serf for many members on one host over
	// 127.0.0.1: fast gossip, large packets, no compression, no coordinates.
	ProfileLoopback = "loopback"
	// ProfileLAN is memberlist's LAN profile with faster gossip and push/pull
	// and network coordinates on, for a real testbed.
	ProfileLAN = "lan"
)

// Defaults of the zero Config fields.
const (
	DefaultBindAddr    = "127.0.0.1"
	DefaultLabel       = "loadlab"
	DefaultHeartbeat   = time.Second
	DefaultMinInterval = 50 * time.Millisecond
)

// Config configures one member. Zero fields take the documented defaults.
type Config struct {
	// Name is the member's node name, unique in the cluster (required).
	// A name reused after a crash can be refused by the others for a while.
	Name string
	// BindAddr is the IP address to listen on (UDP and TCP); default
	// "127.0.0.1".
	BindAddr string
	// BindPort is the port to listen on; 0 picks a free port (read it back
	// with Gossip.Addr).
	BindPort int
	// Advertise is the address others use, "ip" or "ip:port"; default: the
	// bind address and the chosen port. With BindPort 0 its port must be
	// omitted (or 0): the chosen port is advertised.
	Advertise string
	// Join lists addresses (host:port) of members to join; empty starts a
	// new cluster. Start fails if none is reachable.
	Join []string
	// Tags are static tags (role, RPC address, node id). The key "ld" is
	// reserved for the load. Encoded together with the longest possible
	// load tag they must fit serf's 512 bytes (Validate checks).
	Tags map[string]string
	// Label isolates this cluster from others on the same network: members
	// with different labels drop each other's packets. Use one per run on a
	// shared machine; default "loadlab"; at most 255 bytes.
	Label string
	// Heartbeat is the longest time between two publications of the current
	// load, even if unchanged, so readers can tell a quiet member from a
	// stale value (default 1s). Each publication costs N−1 deliveries.
	Heartbeat time.Duration
	// MinInterval is the shortest time between two publications (default
	// 50ms). Publish calls in between are merged: the newest value wins. A
	// member that publishes as often as it may does so at a phase of the
	// interval set by its name, so that members do not publish in step.
	MinInterval time.Duration
	// Profile selects serf's timing: "loopback" (default) or "lan"; see
	// ProfileLoopback and ProfileLAN, and serfConfig for the figures.
	Profile string
	// GossipInterval is how often memberlist sends queued messages (load
	// updates, joins, suspicions) to a few random members; 0 takes the
	// profile's (50ms loopback, 100ms lan). While messages are queued each
	// member sends a packet to 3 or 4 others every interval, so many
	// members sharing a few cores want a longer one: 128 agents on 2 cores
	// flood them at 100ms and run sound points at 500ms
	// (docs/BENCHMARKS.md). Longer intervals make loads staler.
	GossipInterval time.Duration
	// Keys, if set, encrypt and authenticate all gossip (AES-GCM,
	// memberlist's keyring): each key is 16, 24 or 32 bytes; the first
	// encrypts, all are tried to decrypt, so a cluster can rotate keys (see
	// ParseKeys and Gossip.KeyManager). A member without a key the others
	// use can neither join nor read their traffic, and they drop its
	// packets. Every member must be given keys, or none.
	Keys [][]byte
	// Logf receives serf's and memberlist's warnings and errors; nil
	// discards them. Their debug and info lines (one per tag update and
	// receiver) are always dropped.
	Logf func(format string, args ...any)
}

// The range of Config.GossipInterval: below 10ms memberlist's ticker is
// all a member does; above 10s a load is older than any point's unit.
const (
	minGossipInterval = 10 * time.Millisecond
	maxGossipInterval = 10 * time.Second
)

// The profiles' gossip intervals (memberlist's GossipInterval).
const (
	loopbackGossipInterval = 50 * time.Millisecond
	lanGossipInterval      = 100 * time.Millisecond
	// sharedHostPerMember is SharedHostInterval's interval a member.
	sharedHostPerMember = 4 * time.Millisecond
)

// SharedHostInterval is a gossip interval for n members of profile that
// share one host's cores (`loadlab cluster`, agents in network namespaces
// of one machine): the profile's, or 4 ms a member where that is longer
// (256 ms for 64, 512 ms for 128). Each member sends a packet to a few
// others every interval while messages are queued; at the lan profile's
// 100 ms, 128 members flood 2 cores and at 512 ms they run sound points
// (docs/BENCHMARKS.md). On a testbed of one member a machine the
// profile's interval is right.
func SharedHostInterval(profile string, n int) time.Duration {
	d := loopbackGossipInterval
	if profile == ProfileLAN {
		d = lanGossipInterval
	}
	return max(d, time.Duration(n)*sharedHostPerMember)
}

// CheckGossipInterval reports whether d is a valid Config.GossipInterval:
// 0 (the profile's) or between 10ms and 10s.
func CheckGossipInterval(d time.Duration) error {
	if d != 0 && (d < minGossipInterval || d > maxGossipInterval) {
		return fmt.Errorf("%v is out of range: want 0 (the profile's) or %v to %v", d, minGossipInterval, maxGossipInterval)
	}
	return nil
}

// loadTagKey is the tag that carries the load.
const loadTagKey = "ld"

// maxLabel is memberlist's limit on Label.
const maxLabel = 255

// withDefaults returns c with its zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.BindAddr == "" {
		c.BindAddr = DefaultBindAddr
	}
	if c.Label == "" {
		c.Label = DefaultLabel
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = DefaultHeartbeat
	}
	if c.MinInterval == 0 {
		c.MinInterval = DefaultMinInterval
	}
	if c.Profile == "" {
		c.Profile = ProfileLoopback
	}
	return c
}

// Validate reports the first problem with c, after defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.Name == "" {
		return errors.New("gossip: empty name")
	}
	if net.ParseIP(c.BindAddr) == nil {
		return fmt.Errorf("gossip: bind address %q is not an IP address", c.BindAddr)
	}
	if c.BindPort < 0 || c.BindPort > 65535 {
		return fmt.Errorf("gossip: bind port %d out of range", c.BindPort)
	}
	if c.Advertise != "" {
		if _, port, err := splitAdvertise(c.Advertise); err != nil {
			return err
		} else if port != 0 && c.BindPort == 0 {
			return fmt.Errorf("gossip: advertise port %d needs a fixed bind port", port)
		}
	}
	if len(c.Label) > maxLabel {
		return fmt.Errorf("gossip: label longer than %d bytes", maxLabel)
	}
	if c.Heartbeat < 0 {
		return fmt.Errorf("gossip: negative heartbeat %v", c.Heartbeat)
	}
	if c.MinInterval < 0 {
		return fmt.Errorf("gossip: negative min interval %v", c.MinInterval)
	}
	if err := CheckGossipInterval(c.GossipInterval); err != nil {
		return fmt.Errorf("gossip: gossip interval: %w", err)
	}
	for i, k := range c.Keys {
		if err := memberlist.ValidateKey(k); err != nil {
			return fmt.Errorf("gossip: key %d: %d bytes, want 16, 24 or 32 (AES-128, -192, -256)", i+1, len(k))
		}
	}
	if c.Profile != ProfileLoopback && c.Profile != ProfileLAN {
		return fmt.Errorf("gossip: unknown profile %q (want %q or %q)", c.Profile, ProfileLoopback, ProfileLAN)
	}
	if _, ok := c.Tags[loadTagKey]; ok {
		return fmt.Errorf("gossip: tag %q is reserved for the load", loadTagKey)
	}
	if n := encodedTagsLen(withLoadTag(c.Tags, maxLoadTag)); n > memberlist.MetaMaxSize {
		return fmt.Errorf("gossip: tags encode to %d bytes with the load tag, limit %d", n, memberlist.MetaMaxSize)
	}
	return nil
}

// ParseKeys reads a gossip keyring: either one base64 key per line (blank
// lines and lines starting with # ignored), or serf's keyring file format,
// a JSON array of base64 strings. The first key is the primary: it
// encrypts; the others only decrypt. Generate a key with
// `openssl rand -base64 32`.
func ParseKeys(text []byte) ([][]byte, error) {
	var lines []string
	if t := bytes.TrimSpace(text); len(t) > 0 && t[0] == '[' {
		if err := json.Unmarshal(t, &lines); err != nil {
			return nil, fmt.Errorf("gossip: keyring: %w", err)
		}
	} else {
		for _, l := range strings.Split(string(text), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				lines = append(lines, l)
			}
		}
	}
	if len(lines) == 0 {
		return nil, errors.New("gossip: keyring: no key")
	}
	keys := make([][]byte, len(lines))
	for i, l := range lines {
		k, err := base64.StdEncoding.DecodeString(l)
		if err != nil {
			return nil, fmt.Errorf("gossip: keyring: key %d is not base64: %w", i+1, err)
		}
		if err := memberlist.ValidateKey(k); err != nil {
			return nil, fmt.Errorf("gossip: keyring: key %d has %d bytes, want 16, 24 or 32", i+1, len(k))
		}
		keys[i] = k
	}
	return keys, nil
}

// splitAdvertise parses "ip" or "ip:port"; port 0 means none given.
func splitAdvertise(s string) (net.IP, int, error) {
	host, portStr := s, ""
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, portStr = h, p
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return nil, 0, fmt.Errorf("gossip: advertise address %q: host is not an IP address", s)
	}
	port := 0
	if portStr != "" {
		p, err := strconv.ParseUint(portStr, 10, 16)
		if err != nil {
			return nil, 0, fmt.Errorf("gossip: advertise address %q: bad port", s)
		}
		port = int(p)
	}
	return ip, port, nil
}

// withLoadTag returns a fresh map holding static and, if ld is not empty,
// the load tag. serf keeps the map it is given, so each SetTags needs its own.
func withLoadTag(static map[string]string, ld string) map[string]string {
	m := make(map[string]string, len(static)+1)
	for k, v := range static {
		m[k] = v
	}
	if ld != "" {
		m[loadTagKey] = ld
	}
	return m
}

// encodedTagsLen is the size of tags as serf (protocol ≥ 3) encodes them:
// a magic byte then msgpack.
func encodedTagsLen(tags map[string]string) int {
	var buf bytes.Buffer
	buf.WriteByte(0xff)
	if err := codec.NewEncoder(&buf, &codec.MsgpackHandle{}).Encode(tags); err != nil {
		return memberlist.MetaMaxSize + 1
	}
	return buf.Len()
}

// serfConfig builds serf's configuration for c (already validated and
// defaulted), sending events to events.
//
// loopback: memberlist.DefaultLocalConfig with GossipInterval 50ms,
// GossipNodes 4, RetransmitMult 4, PushPullInterval 2s, UDPBufferSize 8192,
// compression off, TCPTimeout 5s; serf coordinates off, LeavePropagateDelay
// 0.3s. Measured on 2 cores:
// one update reaches 31 others in ~0.1s (p50), ~0.3s (p99).
//
// lan: memberlist.DefaultLANConfig with RetransmitMult 4, PushPullInterval 5s,
// GossipInterval 100ms; coordinates on.
//
// Config.GossipInterval, if set, replaces the profile's.
//
// Both: BroadcastTimeout 50ms, so SetTags returns quickly (a timeout leaves
// the message queued and counts as success), and no event coalescing.
func serfConfig(c Config, events chan<- serf.Event) *serf.Config {
	logger := newLogger(c.Logf)

	var ml *memberlist.Config
	sc := serf.DefaultConfig()
	switch c.Profile {
	case ProfileLAN:
		ml = memberlist.DefaultLANConfig()
		ml.RetransmitMult = 4
		ml.PushPullInterval = 5 * time.Second
		ml.GossipInterval = lanGossipInterval
		sc.DisableCoordinates = false
	default:
		ml = memberlist.DefaultLocalConfig()
		ml.GossipInterval = loopbackGossipInterval
		ml.GossipNodes = 4
		ml.RetransmitMult = 4
		ml.PushPullInterval = 2 * time.Second
		ml.UDPBufferSize = 8192
		ml.EnableCompression = false
		ml.TCPTimeout = 5 * time.Second
		sc.DisableCoordinates = true
		// A leaver lingers for its leave to spread: serf's 1 s is made for
		// real networks; here an update reaches 31 others within 0.3 s
		// (p99), and the others relay the leave after the leaver is gone.
		// Every point ends with a leave, so this is most of a short point.
		sc.LeavePropagateDelay = loopbackLeaveDelay
	}
	if c.GossipInterval > 0 {
		ml.GossipInterval = c.GossipInterval
	}
	ml.Name = c.Name
	ml.BindAddr = c.BindAddr
	ml.BindPort = c.BindPort
	ml.AdvertisePort = c.BindPort
	if c.Advertise != "" {
		ip, port, _ := splitAdvertise(c.Advertise)
		ml.AdvertiseAddr = ip.String()
		if port != 0 {
			ml.AdvertisePort = port
		}
	}
	ml.Label = c.Label
	if len(c.Keys) > 0 {
		// The keys are validated; NewKeyring cannot fail on them.
		ml.Keyring, _ = memberlist.NewKeyring(c.Keys, c.Keys[0])
		ml.GossipVerifyIncoming, ml.GossipVerifyOutgoing = true, true
	}
	ml.Logger = logger
	ml.LogOutput = nil

	sc.NodeName = c.Name
	sc.Tags = withLoadTag(c.Tags, "")
	sc.EventCh = events
	sc.BroadcastTimeout = 50 * time.Millisecond
	sc.CoalescePeriod = 0
	sc.UserCoalescePeriod = 0
	sc.MemberlistConfig = ml
	sc.Logger = logger
	sc.LogOutput = nil
	return sc
}

// loopbackLeaveDelay is how long a leaving member of the loopback profile
// stays up for its leave to spread (serf's LeavePropagateDelay).
const loopbackLeaveDelay = 300 * time.Millisecond

// eventBuffer is the capacity of serf's event channel: enough for a burst of
// member updates while the table is locked.
const eventBuffer = 4096

// newLogger returns a logger for serf and memberlist that forwards warnings
// and errors to logf and drops the rest.
func newLogger(logf func(string, ...any)) *log.Logger {
	if logf == nil {
		return log.New(io.Discard, "", 0)
	}
	return log.New(logWriter(logf), "", 0)
}

// logWriter adapts Logf to the io.Writer a log.Logger needs.
type logWriter func(string, ...any)

func (w logWriter) Write(p []byte) (int, error) {
	line := strings.TrimRight(string(p), "\n")
	if strings.Contains(line, "[WARN]") || strings.Contains(line, "[ERR]") {
		w("%s", line)
	}
	return len(p), nil
}
