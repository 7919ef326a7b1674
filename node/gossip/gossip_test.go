package gossip

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/serf/serf"

	"github.com/loadlab/loadlab/load"
)

var runSeq atomic.Int64

// runID is unique per call in this process and across processes.
func runID() string {
	return fmt.Sprintf("%x-%d", time.Now().UnixNano(), runSeq.Add(1))
}

// startCluster starts n members on 127.0.0.1 with a label of their own,
// each joining the first, and waits until all see n members. edit, if not
// nil, adjusts each Config.
func startCluster(t testing.TB, n int, edit func(i int, c *Config)) []*Gossip {
	t.Helper()
	id := runID()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	gs := make([]*Gossip, n)
	for i := range gs {
		cfg := Config{
			Name:     fmt.Sprintf("n%02d-%s", i, id),
			BindAddr: "127.0.0.1",
			Label:    "test-" + id,
			Tags:     map[string]string{"role": "agent", "id": fmt.Sprint(i)},
		}
		if i > 0 {
			cfg.Join = []string{gs[0].Addr()}
		}
		if edit != nil {
			edit(i, &cfg)
		}
		g, err := Start(ctx, cfg)
		if err != nil {
			t.Fatalf("Start(%s): %v", cfg.Name, err)
		}
		t.Cleanup(func() { g.Close() })
		gs[i] = g
	}
	for _, g := range gs {
		if err := g.WaitMembers(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	return gs
}

// eventually polls cond every 5 ms until it holds or timeout passes.
func eventually(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// holds reports whether g holds load l from the member called name.
func holds(g *Gossip, name string, l load.State) bool {
	m, ok := g.Member(name)
	return ok && m.HasLoad && m.Load == l
}

func TestPublishReachesEveryone(t *testing.T) {
	gs := startCluster(t, 4, nil)
	for _, g := range gs {
		if got := len(g.Members()); got != 4 {
			t.Fatalf("%s: %d members, want 4", g.Name(), got)
		}
		if !strings.HasPrefix(g.Addr(), "127.0.0.1:") || strings.HasSuffix(g.Addr(), ":0") {
			t.Errorf("Addr() = %q, want 127.0.0.1 and the chosen port", g.Addr())
		}
	}

	prevSeq := map[string]uint64{}
	for round := 1; round <= 2; round++ {
		for i, pub := range gs {
			l := load.State{Queue: 10*round + i, Running: 1, Work: 1.5 * float64(round), Servers: 2, Speed: 1}
			before := time.Now()
			pub.Publish(l)
			for _, g := range gs {
				if g == pub {
					continue
				}
				if !eventually(2*time.Second, func() bool { return holds(g, pub.Name(), l) }) {
					m, _ := g.Member(pub.Name())
					t.Fatalf("round %d: %s holds %+v from %s after 2s, want %+v", round, g.Name(), m.Load, pub.Name(), l)
				}
				m, _ := g.Member(pub.Name())
				now := time.Now()
				if m.Seq <= prevSeq[g.Name()+pub.Name()] {
					t.Errorf("round %d: %s holds seq %d from %s, want > %d", round, g.Name(), m.Seq, pub.Name(), prevSeq[g.Name()+pub.Name()])
				}
				prevSeq[g.Name()+pub.Name()] = m.Seq
				if m.Sent.Before(before.Truncate(time.Microsecond)) || m.Received.Before(before) || m.Received.After(now) {
					t.Errorf("%s: Sent %v, Received %v; want both after %v", g.Name(), m.Sent, m.Received, before)
				}
				if age := m.Age(now); age >= time.Second {
					t.Errorf("%s: age of %s's load is %v, want < 1s", g.Name(), pub.Name(), age)
				}
				if m.Tags["role"] != "agent" || m.Tags["ld"] != "" || m.Status != serf.StatusAlive {
					t.Errorf("%s sees %s with tags %v, status %q", g.Name(), pub.Name(), m.Tags, m.Status)
				}
			}
			if self, _ := pub.Member(pub.Name()); self.Load != l || !self.HasLoad {
				t.Errorf("%s holds its own load %+v, want %+v", pub.Name(), self.Load, l)
			}
		}
	}

	ms := gs[0].Members()
	for i := 1; i < len(ms); i++ {
		if ms[i-1].Name >= ms[i].Name {
			t.Errorf("Members() not sorted: %q before %q", ms[i-1].Name, ms[i].Name)
		}
	}
	st := gs[0].Stats()
	if st["members"] != "4" || st["bad_load_tags"] != "0" || st["health_score"] == "" {
		t.Errorf("Stats() = %v", st)
	}
}

func TestHeartbeat(t *testing.T) {
	const period = 200 * time.Millisecond
	gs := startCluster(t, 2, func(i int, c *Config) { c.Heartbeat = period })
	pub, sub := gs[0], gs[1]
	l := load.State{Queue: 1, Servers: 1, Speed: 1}
	pub.Publish(l)
	if !eventually(2*time.Second, func() bool { return holds(sub, pub.Name(), l) }) {
		t.Fatal("first value did not arrive")
	}
	first, _ := sub.Member(pub.Name())
	time.Sleep(6 * period)
	last, _ := sub.Member(pub.Name())
	beats := last.Seq - first.Seq
	if beats < 3 || beats > 7 {
		t.Errorf("%d heartbeats in %v at a %v period, want about 6", beats, 6*period, period)
	}
	if beats > 0 {
		if mean := last.Sent.Sub(first.Sent) / time.Duration(beats); mean < period || mean > 2*period {
			t.Errorf("heartbeats every %v on average, want about %v", mean, period)
		}
	}
	if last.Load != l {
		t.Errorf("heartbeat changed the load to %+v, want %+v", last.Load, l)
	}
}

func TestNewestWins(t *testing.T) {
	gs := startCluster(t, 2, nil)
	pub, sub := gs[0], gs[1]
	start := time.Now()
	for i := 1; i <= 1000; i++ {
		pub.Publish(load.State{Queue: i, Servers: 1, Speed: 1})
	}
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Errorf("1000 Publish calls took %v, want < 50ms", d)
	}
	final := load.State{Queue: 1000, Servers: 1, Speed: 1}
	if !eventually(2*time.Second, func() bool { return holds(sub, pub.Name(), final) }) {
		m, _ := sub.Member(pub.Name())
		t.Fatalf("%s holds %+v, want the final %+v", sub.Name(), m.Load, final)
	}
	// Rate limiting merged the burst into a few SetTags calls.
	if n := pub.publishes.Load() + pub.pubErrors.Load(); n > 10 {
		t.Errorf("%d publications for a burst of 1000, want a few", n)
	}
}

// TestLeaveAndClose: a member that leaves is seen as left, not failed, by
// every other member of a cluster of 16, though it lingers only 0.3 s
// (loopbackLeaveDelay); its goroutines end.
func TestLeaveAndClose(t *testing.T) {
	base := runtime.NumGoroutine()
	func() {
		gs := startCluster(t, 16, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		leaver := gs[2]
		if err := leaver.Leave(ctx); err != nil {
			t.Fatalf("Leave: %v", err)
		}
		if err := leaver.Leave(ctx); err != ErrClosed {
			t.Errorf("second Leave = %v, want ErrClosed", err)
		}
		for _, g := range append(gs[:2:2], gs[3:]...) {
			if !eventually(5*time.Second, func() bool {
				m, ok := g.Member(gs[2].Name())
				return ok && m.Status == serf.StatusLeft
			}) {
				m, _ := g.Member(gs[2].Name())
				t.Errorf("%s sees the leaver with status %q, want left", g.Name(), m.Status)
			}
		}
		for _, g := range gs {
			if err := g.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}
	}()
	const tolerance = 3
	if !eventually(5*time.Second, func() bool { return runtime.NumGoroutine() <= base+tolerance }) {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after Close, %d before:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
	}
}

func TestLabelsIsolateClusters(t *testing.T) {
	a := startCluster(t, 2, nil)
	b := startCluster(t, 2, nil)
	if n, err := b[0].Join(a[0].Addr()); err == nil {
		t.Errorf("joining across labels contacted %d members, want an error", n)
	}
	time.Sleep(500 * time.Millisecond) // a few gossip and push/pull rounds
	for _, g := range append(a, b...) {
		if got := len(g.Members()); got != 2 {
			t.Errorf("%s sees %d members, want 2: %v", g.Name(), got, g.Members())
		}
	}
}

func TestMalformedLoadTagIgnored(t *testing.T) {
	gs := startCluster(t, 2, nil)
	bad, sub := gs[0], gs[1]
	// bad has never published, so its publisher is idle and this is the only
	// SetTags call.
	if err := bad.serf.SetTags(map[string]string{"role": "agent", "ld": "1,2,garbage"}); err != nil && !strings.Contains(err.Error(), "timeout") {
		t.Fatal(err)
	}
	if !eventually(2*time.Second, func() bool { return sub.Stats()["bad_load_tags"] != "0" }) {
		t.Fatal("malformed tag not counted")
	}
	if m, _ := sub.Member(bad.Name()); m.HasLoad || m.Status != serf.StatusAlive {
		t.Errorf("after a malformed tag: HasLoad %v, status %q; want false, alive", m.HasLoad, m.Status)
	}
	l := load.State{Queue: 5, Servers: 1, Speed: 1}
	bad.Publish(l)
	if !eventually(2*time.Second, func() bool { return holds(sub, bad.Name(), l) }) {
		t.Error("a good value after a malformed one did not arrive")
	}
}

// Tags that Validate accepts fit serf's limit with the longest load tag, and
// one byte more does not: the size check agrees with serf's own.
func TestTagLimitAgreesWithSerf(t *testing.T) {
	tags := map[string]string{"role": "agent"}
	n := 0
	for ; ; n++ {
		tags["blob"] = strings.Repeat("x", n+1)
		if (Config{Name: "a", Tags: tags}).Validate() != nil {
			break
		}
	}
	tags["blob"] = strings.Repeat("x", n)
	gs := startCluster(t, 1, func(_ int, c *Config) { c.Tags = tags })
	if err := gs[0].serf.SetTags(withLoadTag(tags, maxLoadTag)); err != nil {
		t.Errorf("largest valid tags (blob %d) with the longest load tag: %v", n, err)
	}
	tags["blob"] = strings.Repeat("x", n+1)
	if err := gs[0].serf.SetTags(withLoadTag(tags, maxLoadTag)); err == nil {
		t.Errorf("blob %d: serf accepted tags that Validate refuses", n+1)
	}
}

// TestStartErrors: a failed join says what to check. Members of another
// label close the connection at once, so serf says only EOF: the error
// asks about the label and keys, and names the label used.
func TestStartErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Start(ctx, Config{}); err == nil {
		t.Error("Start with an empty name succeeded")
	}
	// A port on 127.0.0.1 where nobody listens: bind one, then close it.
	probe, err := Start(ctx, Config{Name: "probe-" + runID(), Label: "test-" + runID()})
	if err != nil {
		t.Fatal(err)
	}
	dead := probe.Addr()
	probe.Close()
	other := startCluster(t, 1, nil)[0]
	for _, tc := range []struct {
		name, join, label string
		want              []string
	}{
		{"nobody there", dead, "test-" + runID(), []string{"joining " + dead, "is a member running there?"}},
		{"another label", other.Addr(), "wrong-label", []string{"joining " + other.Addr(), "did not accept the join",
			`cluster label right (this member uses "wrong-label"`, "gossip keys"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Start(ctx, Config{Name: "lonely-" + runID(), Label: tc.label, Join: []string{tc.join}})
			var je *JoinError
			if !errors.As(err, &je) {
				t.Fatalf("Start joining %s: got %v, want a JoinError", tc.join, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestPublicationSlots holds untilSlot to its rule: a publication waits
// out the interval since the last one, then for the member's slot, and
// never more than an interval beyond that.
func TestPublicationSlots(t *testing.T) {
	const iv = 2 * time.Second
	base := time.Unix(1_700_000_000, 0)
	for _, tc := range []struct {
		name      string
		phase     int64
		last, now time.Duration // after base; last < 0: no publication yet
	}{
		{"none yet", 123, -1, 0},
		{"slot after the interval", int64(500 * time.Millisecond), 0, 10 * time.Millisecond},
		{"slot within the interval's end", int64(100 * time.Millisecond), 300 * time.Millisecond, 400 * time.Millisecond},
		{"slot on the interval's end", 0, 0, time.Second},
		{"overdue", int64(700 * time.Millisecond), 0, 5 * time.Second},
		{"phase above the interval", int64(7*iv + 3*time.Millisecond), 10 * time.Millisecond, 20 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &Gossip{phase: tc.phase}
			g.minInterval.Store(int64(iv))
			var last time.Time
			if tc.last >= 0 {
				last = base.Add(tc.last)
			}
			now := base.Add(tc.now)
			wait := g.untilSlot(last, now)
			if last.IsZero() {
				if wait != 0 {
					t.Errorf("first publication waits %v, want 0", wait)
				}
				return
			}
			if now.Sub(last) > iv {
				if wait > 0 {
					t.Errorf("overdue publication waits %v, want none", wait)
				}
				return
			}
			at := now.Add(wait)
			if at.Before(last.Add(iv)) || !at.Before(last.Add(2*iv)) {
				t.Errorf("publishes %v after the last, want within [%v, %v)", at.Sub(last), iv, 2*iv)
			}
			if off := (at.UnixNano() - tc.phase%int64(iv) + int64(iv)) % int64(iv); off != 0 {
				t.Errorf("publishes %v off its slot", time.Duration(off))
			}
		})
	}
}

// TestNamePhasesSpread checks that the agents loadlab names in sequence
// get slots spread over the interval, not bunched as their names are.
func TestNamePhasesSpread(t *testing.T) {
	const n, iv, bins = 64, int64(2 * time.Second), 10
	var count [bins]int
	for i := 0; i < n; i++ {
		count[namePhase(fmt.Sprintf("agent-%04d", i))%iv*bins/iv]++
	}
	for b, c := range count {
		if c > n/4 {
			t.Errorf("a tenth of the interval (bin %d) holds %d of %d agents' slots: %v", b, c, n, count)
		}
	}
}

func TestSetMinInterval(t *testing.T) {
	g, err := Start(context.Background(), Config{Name: "solo", Label: "mininterval-" + t.Name(), MinInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	g.SetMinInterval(300 * time.Millisecond)
	start := time.Now()
	for i := 0; i < 40; i++ {
		g.Publish(load.State{Queue: i + 1, Servers: 1, Speed: 1})
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(start)
	n, _ := strconv.Atoi(g.Stats()["publishes"])
	// 0.8 s at one publication per 0.3 s: about 3 or 4, far fewer than 40.
	if maxN := int(elapsed/(300*time.Millisecond)) + 2; n < 1 || n > maxN {
		t.Errorf("%d publications in %v with a 300 ms interval, want 1..%d", n, elapsed, maxN)
	}
	g.SetMinInterval(time.Millisecond) // raised to the configured 10 ms
	if got := time.Duration(g.minInterval.Load()); got != 10*time.Millisecond {
		t.Errorf("interval %v, want the configured floor 10ms", got)
	}
}
