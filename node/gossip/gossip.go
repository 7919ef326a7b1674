package gossip

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/serf/serf"

	"github.com/loadlab/loadlab/load"
)

// ErrClosed is returned by Leave after Leave or Close.
var ErrClosed = errors.New("gossip: closed")

// Member is what we know of one member.
type Member struct {
	Name     string
	Addr     string            // gossip address host:port
	Tags     map[string]string // static tags (load tag removed); shared, do not modify
	Status   serf.MemberStatus // serf.StatusAlive, StatusLeaving, StatusLeft or StatusFailed
	Load     load.State        // last published load
	Seq      uint64            // publisher's sequence number of that load (from 1)
	Sent     time.Time         // publisher's clock when published (exact on one machine; across hosts assumes synced clocks)
	Received time.Time         // local clock when this value arrived
	HasLoad  bool              // false until a load from this member arrived
}

// Age returns now − Sent (clamped ≥ 0). It is the staleness of Load.
func (m Member) Age(now time.Time) time.Duration {
	if d := now.Sub(m.Sent); d > 0 {
		return d
	}
	return 0
}

// Gossip is one running member. Its methods are safe for concurrent use.
//
// Two goroutines run per Gossip besides serf's own: one drains serf's
// events into the member table, one publishes the load; both end with Leave
// or Close.
type Gossip struct {
	cfg    Config
	serf   *serf.Serf
	events chan serf.Event
	name   string
	addr   string

	mu      sync.RWMutex
	members map[string]*Member
	order   []string      // names of members, sorted; rebuilt when one joins or is reaped
	changed chan struct{} // closed and replaced whenever the table changes

	// Publish hands the newest load to the publisher through these.
	pubMu   sync.Mutex
	pending load.State
	dirty   bool
	wake    chan struct{} // capacity 1

	stop      chan struct{} // closed to end the publisher
	drained   chan struct{} // closed when the event loop has ended
	published chan struct{} // closed when the publisher has ended
	closeOnce sync.Once
	closeErr  error
	closed    atomic.Bool

	badTags, publishes, pubTimeouts, pubErrors, nEvents atomic.Uint64
	minInterval                                         atomic.Int64 // current MinInterval, ns (SetMinInterval)
	phase                                               int64        // the member's publication slot past each multiple of MinInterval, ns (untilSlot)
}

// Start creates the serf member described by cfg, starts the event loop and
// the publisher, and joins cfg.Join (an error if none is reachable).
//
// ctx bounds start-up only, as in net.Dialer.DialContext: once Start has
// returned, ctx no longer matters; end the member with Leave or Close.
func Start(ctx context.Context, cfg Config) (*Gossip, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	cfg.Tags = withLoadTag(cfg.Tags, "")
	cfg.Join = slices.Clone(cfg.Join)

	g := &Gossip{
		cfg:       cfg,
		events:    make(chan serf.Event, eventBuffer),
		name:      cfg.Name,
		members:   make(map[string]*Member),
		changed:   make(chan struct{}),
		wake:      make(chan struct{}, 1),
		stop:      make(chan struct{}),
		drained:   make(chan struct{}),
		published: make(chan struct{}),
	}
	g.minInterval.Store(int64(cfg.MinInterval))
	g.phase = namePhase(cfg.Name)
	sc := serfConfig(cfg, g.events)
	tr, err := newTransport(cfg.BindAddr, cfg.BindPort, sc.MemberlistConfig.Logger)
	if err != nil {
		return nil, fmt.Errorf("gossip: start %s: %w", cfg.Name, err)
	}
	tr.use(sc.MemberlistConfig)
	s, err := serf.Create(sc)
	if err != nil {
		tr.Shutdown()
		return nil, fmt.Errorf("gossip: start %s: %w", cfg.Name, err)
	}
	g.serf = s
	self := s.LocalMember()
	g.addr = net.JoinHostPort(self.Addr.String(), strconv.Itoa(int(self.Port)))
	g.apply(serf.EventMemberJoin, self, time.Now())

	go g.drain()
	go g.publish()

	if len(cfg.Join) > 0 {
		joined := make(chan error, 1)
		go func() {
			_, err := s.Join(cfg.Join, true)
			joined <- err
		}()
		select {
		case err = <-joined:
		case <-ctx.Done():
			err = ctx.Err()
		}
		if err != nil {
			g.Close()
			return nil, &JoinError{Name: cfg.Name, Addrs: cfg.Join, Label: cfg.Label, Err: err}
		}
	}
	return g, nil
}

// JoinError is Start's error when no member at Addrs let it join. Members
// that run with another label, or other gossip keys, close the connection
// at once: serf then says only EOF, so the error says what to check.
type JoinError struct {
	Name  string   // the member that tried to join
	Addrs []string // where
	Label string   // its label
	Err   error    // serf's error
}

func (e *JoinError) Error() string {
	addrs := strings.Join(e.Addrs, ",")
	hint := "is a member running there?"
	if !strings.Contains(e.Err.Error(), "connection refused") {
		hint = fmt.Sprintf("the members at %s did not accept the join: is the cluster label right (this member uses %q; agents print theirs when they start)? With gossip keys, are they the same?", addrs, e.Label)
	}
	return fmt.Sprintf("gossip: %s joining %s: %s; %s", e.Name, addrs, oneLine(e.Err), hint)
}

// oneLine is err's text on one line: serf lists the errors of a join one
// per line, under a count.
func oneLine(err error) string {
	if m, ok := err.(interface{ WrappedErrors() []error }); ok {
		var parts []string
		for _, e := range m.WrappedErrors() {
			parts = append(parts, e.Error())
		}
		return strings.Join(parts, "; ")
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}

func (e *JoinError) Unwrap() error { return e.Err }

// Name is this member's node name.
func (g *Gossip) Name() string { return g.name }

// Addr is this member's advertised gossip address host:port (with the
// actual port when BindPort was 0). Others join it.
func (g *Gossip) Addr() string { return g.addr }

// Join joins the members at addrs (host:port) and returns how many were
// contacted; the error is non-nil only if none was. It blocks up to the
// profile's TCP timeout per unreachable address.
func (g *Gossip) Join(addrs ...string) (int, error) {
	n, err := g.serf.Join(addrs, true)
	if err != nil {
		return n, &JoinError{Name: g.name, Addrs: addrs, Label: g.cfg.Label, Err: err}
	}
	return n, nil
}

// Publish makes l this member's load. It never blocks: the publisher
// goroutine sends the newest value given, at most once per MinInterval and
// then in the member's own slot of the interval (untilSlot), and
// republishes it every Heartbeat. Work and Speed must be finite (others
// ignore a non-finite value).
func (g *Gossip) Publish(l load.State) {
	g.pubMu.Lock()
	g.pending, g.dirty = l, true
	g.pubMu.Unlock()
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// Members returns a snapshot of all known members, sorted by name, self
// included (with the load it last published). Left and failed members stay
// until serf reaps them.
func (g *Gossip) Members() []Member {
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := make([]Member, len(g.order))
	for i, name := range g.order {
		out[i] = *g.members[name]
	}
	return out
}

// Member returns what is known of the member called name.
func (g *Gossip) Member(name string) (Member, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	m, ok := g.members[name]
	if !ok {
		return Member{}, false
	}
	return *m, true
}

// WaitMembers waits until at least n members (self included) are alive, ctx
// is done or the Gossip is closed.
func (g *Gossip) WaitMembers(ctx context.Context, n int) error {
	for {
		g.mu.RLock()
		alive := 0
		for _, m := range g.members {
			if m.Status == serf.StatusAlive {
				alive++
			}
		}
		changed := g.changed
		g.mu.RUnlock()
		if alive >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("gossip: %s waiting for %d members (have %d): %w", g.name, n, alive, ctx.Err())
		case <-g.drained:
			return ErrClosed
		}
	}
}

// KeyManager returns serf's key manager, which changes the keyring of
// every member at once by a cluster query (InstallKey, UseKey, RemoveKey,
// ListKeys): a rotation without restarts. The keys live in memory only; a
// member restarted later needs the current keys in its configuration.
func (g *Gossip) KeyManager() *serf.KeyManager { return g.serf.KeyManager() }

// Stats returns serf's figures (members, queues, health_score: 0 is
// healthy) and this package's: bad_load_tags (malformed load tags from
// others, ignored), publishes, publish_timeouts (SetTags returned before
// the full retransmit count, normal), publish_errors, events, seq.
func (g *Gossip) Stats() map[string]string {
	st := g.serf.Stats()
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	st["health_score"] = strconv.Itoa(g.serf.Memberlist().GetHealthScore())
	st["bad_load_tags"] = u(g.badTags.Load())
	st["publishes"] = u(g.publishes.Load())
	st["publish_timeouts"] = u(g.pubTimeouts.Load())
	st["publish_errors"] = u(g.pubErrors.Load())
	st["events"] = u(g.nEvents.Load())
	if m, ok := g.Member(g.name); ok {
		st["seq"] = u(m.Seq)
	}
	return st
}

// Leave stops publishing, announces the departure (others see status left)
// and shuts down. The announcement lingers about a second for gossip to
// spread it; if ctx ends first, Leave shuts down at once and returns
// ctx's error.
func (g *Gossip) Leave(ctx context.Context) error {
	if g.closed.Load() {
		return ErrClosed
	}
	g.stopPublisher()
	left := make(chan error, 1)
	go func() { left <- g.serf.Leave() }()
	var err error
	select {
	case err = <-left:
		if err != nil {
			err = fmt.Errorf("gossip: %s leaving: %w", g.name, err)
		}
	case <-ctx.Done():
		err = fmt.Errorf("gossip: %s leaving: %w", g.name, ctx.Err())
	}
	return errors.Join(err, g.Close())
}

// Close shuts down without leaving (others will find this member failed)
// and waits for the goroutines to end. It is safe to call more than once.
func (g *Gossip) Close() error {
	g.closeOnce.Do(func() {
		g.closed.Store(true)
		g.stopPublisher()
		if err := g.serf.Shutdown(); err != nil {
			g.closeErr = fmt.Errorf("gossip: %s shutdown: %w", g.name, err)
		}
		<-g.drained
	})
	return g.closeErr
}

// stopPublisher ends the publisher and waits for it (at most one SetTags,
// bounded by BroadcastTimeout).
func (g *Gossip) stopPublisher() {
	g.pubMu.Lock()
	select {
	case <-g.stop:
	default:
		close(g.stop)
	}
	g.pubMu.Unlock()
	<-g.published
}

// drain moves serf's events into the member table until serf shuts down.
// serf stalls if its event channel is not drained.
func (g *Gossip) drain() {
	defer close(g.drained)
	done := g.serf.ShutdownCh()
	for {
		select {
		case e := <-g.events:
			g.handle(e)
		case <-done:
			for {
				select {
				case e := <-g.events:
					g.handle(e)
				default:
					return
				}
			}
		}
	}
}

func (g *Gossip) handle(e serf.Event) {
	me, ok := e.(serf.MemberEvent)
	if !ok {
		return // user events and queries are not ours
	}
	g.nEvents.Add(1)
	now := time.Now()
	for _, m := range me.Members {
		g.apply(me.Type, m, now)
	}
}

// apply updates the table with one member's event, received at now.
func (g *Gossip) apply(typ serf.EventType, sm serf.Member, now time.Time) {
	var tag loadTag
	hasTag, badTag := false, false
	if ld, ok := sm.Tags[loadTagKey]; ok {
		var err error
		if tag, err = decodeLoad(ld); err == nil {
			hasTag = true
		} else {
			badTag = true
		}
	}
	if badTag {
		g.badTags.Add(1)
		if g.cfg.Logf != nil {
			g.cfg.Logf("gossip: %s: ignoring malformed load tag %q from %s", g.name, sm.Tags[loadTagKey], sm.Name)
		}
	}

	g.mu.Lock()
	defer g.mu.Unlock()
	defer g.notifyLocked()
	if typ == serf.EventMemberReap {
		if _, ok := g.members[sm.Name]; ok {
			delete(g.members, sm.Name)
			g.sortLocked()
		}
		return
	}
	m, ok := g.members[sm.Name]
	if !ok {
		m = &Member{Name: sm.Name}
		g.members[sm.Name] = m
		g.sortLocked()
	}
	m.Addr = net.JoinHostPort(sm.Addr.String(), strconv.Itoa(int(sm.Port)))
	m.Status = sm.Status
	m.Tags = staticTags(sm.Tags)
	// Accept a value only if newer: a higher sequence number, or a later
	// clock (a member restarted under the same name begins again at 1).
	if hasTag && (!m.HasLoad || tag.Seq > m.Seq || tag.Sent.After(m.Sent)) {
		m.Load, m.Seq, m.Sent, m.Received, m.HasLoad = tag.Load, tag.Seq, tag.Sent, now, true
	}
}

// staticTags copies tags without the load tag.
func staticTags(tags map[string]string) map[string]string {
	out := make(map[string]string, len(tags))
	for k, v := range tags {
		if k != loadTagKey {
			out[k] = v
		}
	}
	return out
}

func (g *Gossip) sortLocked() {
	g.order = g.order[:0]
	for name := range g.members {
		g.order = append(g.order, name)
	}
	slices.Sort(g.order)
}

func (g *Gossip) notifyLocked() {
	close(g.changed)
	g.changed = make(chan struct{})
}

// SetMinInterval changes how often, at most, the load is published: a
// cluster of N members each publishing every T costs N·(N−1)/T deliveries
// per second, so large clusters on one host need a longer interval.
// Values below the configured MinInterval are raised to it.
func (g *Gossip) SetMinInterval(d time.Duration) {
	g.minInterval.Store(int64(max(d, g.cfg.MinInterval)))
}

// publish is the only caller of SetTags. It sends the newest pending load,
// waiting out MinInterval since the previous SetTags, and republishes the
// current load when Heartbeat passes without one.
func (g *Gossip) publish() {
	defer close(g.published)
	heartbeat := time.NewTimer(g.cfg.Heartbeat)
	defer heartbeat.Stop()
	var (
		seq     uint64
		current load.State
		last    time.Time // of the previous SetTags
	)
	for {
		beat := false
		select {
		case <-g.stop:
			return
		case <-g.wake:
		case <-heartbeat.C:
			beat = true
		}
		if wait := g.untilSlot(last, time.Now()); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-g.stop:
				t.Stop()
				return
			case <-t.C:
			}
		}
		g.pubMu.Lock()
		fresh := g.dirty
		if fresh {
			current, g.dirty = g.pending, false
		}
		g.pubMu.Unlock()
		if !fresh && (!beat || seq == 0) {
			continue // woken for a value already sent, or nothing to repeat yet
		}

		seq++
		now := time.Now()
		ld := encodeLoad(loadTag{Load: current, Seq: seq, Sent: now})
		tag, _ := decodeLoad(ld) // the value as others will see it
		g.setSelf(tag, now)
		err := g.serf.SetTags(withLoadTag(g.cfg.Tags, ld))
		last = time.Now()
		heartbeat.Reset(g.cfg.Heartbeat)
		switch {
		case err == nil:
			g.publishes.Add(1)
		case strings.Contains(err.Error(), "timeout waiting for update broadcast"):
			// The update is queued and will be retransmitted in full.
			g.publishes.Add(1)
			g.pubTimeouts.Add(1)
		default:
			g.pubErrors.Add(1)
			if g.cfg.Logf != nil {
				g.cfg.Logf("gossip: %s: publishing load: %v", g.name, err)
			}
		}
	}
}

// untilSlot is how long a publication due at now waits after the
// previous one at last (zero: none yet, so none; negative: overdue, so at
// once). It waits out MinInterval and then for the member's own slot: the
// instants that are phase(name) past a multiple of MinInterval on the wall
// clock. Members that publish as often as they may would otherwise stay in
// step from the moment a point set their interval: 64 agents on one host
// each sent an update within a few milliseconds every 2 s, and in each
// burst of 4,000 deliveries the point's dispatch fell up to 190 ms behind.
// Their slots spread them over the interval; a member publishes at most
// once an interval either way. The interval is measured on the monotonic
// clock, so a step of the wall clock moves the slot, never delays it more
// than an interval.
func (g *Gossip) untilSlot(last, now time.Time) time.Duration {
	iv := g.minInterval.Load()
	if last.IsZero() || iv <= 0 {
		return 0
	}
	wait := time.Duration(iv) - now.Sub(last)
	if wait < 0 {
		return wait
	}
	at := now.Add(wait).UnixNano()
	lag := ((g.phase-at)%iv + iv) % iv // 0 ≤ lag < iv
	return wait + time.Duration(lag)
}

// setSelf records our own publication in the table.
func (g *Gossip) setSelf(t loadTag, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	m, ok := g.members[g.name]
	if !ok {
		return
	}
	m.Load, m.Seq, m.Sent, m.Received, m.HasLoad = t.Load, t.Seq, t.Sent, now, true
	g.notifyLocked()
}

// namePhase spreads members' publication slots by their names: FNV-1a,
// mixed (SplitMix64's finalizer) so that names differing in a digit land
// far apart. Any non-negative value; reduced modulo the interval when used.
func namePhase(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	x := h.Sum64()
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	x ^= x >> 31
	return int64(x >> 1)
}
