package node

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadlab/loadlab/node/executor"
	"github.com/loadlab/loadlab/node/gossip"
	"github.com/loadlab/loadlab/node/wire"
	"github.com/loadlab/loadlab/policy"
)

// The tests in this file hold agents to issue 7's security and overload
// guarantees: a stranger without the keys can neither join the gossip nor
// submit, probe, transfer, steal or configure, and is logged; an agent
// refuses a unit naming a kernel it does not have; an agent offered ten
// times its capacity sheds within a bounded queue, shows it in its load,
// ends every job exactly once and recovers.

// syncLog collects a slog text log; safe for concurrent use.
type syncLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncLog) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncLog) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// has waits up to 3 s for the log to contain every one of want.
func (b *syncLog) has(want ...string) bool {
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		s, all := b.String(), true
		for _, w := range want {
			all = all && strings.Contains(s, w)
		}
		if all || time.Now().After(deadline) {
			return all
		}
	}
}

// sink is a coordinator's completion listener: it records every
// completion by job id.
type sink struct {
	addr string
	mu   sync.Mutex
	got  map[int64][]wire.Completion
}

func startSink(t testing.TB, sec *wire.Security) *sink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{addr: ln.Addr().String(), got: map[int64][]wire.Completion{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		wire.Config{Security: sec}.Serve(ctx, ln, func(_ context.Context, m *wire.Msg) (*wire.Msg, error) {
			if m.Type == wire.TypeCompletion && m.Done != nil {
				s.mu.Lock()
				s.got[m.Done.JobID] = append(s.got[m.Done.JobID], *m.Done)
				s.mu.Unlock()
			}
			return nil, nil
		})
	}()
	t.Cleanup(func() { cancel(); <-done })
	return s
}

// ended returns the completions of job id so far.
func (s *sink) ended(id int64) []wire.Completion {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]wire.Completion(nil), s.got[id]...)
}

// count waits up to d for n jobs to have ended and returns how many have.
func (s *sink) count(n int, d time.Duration) int {
	for deadline := time.Now().Add(d); ; time.Sleep(10 * time.Millisecond) {
		s.mu.Lock()
		got := len(s.got)
		s.mu.Unlock()
		if got >= n || time.Now().After(deadline) {
			return got
		}
	}
}

// keyedCluster is n agents started with the given keys (nil: none), each
// configured for a point with the migration policy "none" by a
// coordinator that holds the same keys.
type keyedCluster struct {
	agents []*Agent
	pool   *wire.Pool // the coordinator's
	sink   *sink
	label  string
	epoch  time.Time
	unit   time.Duration
}

func startKeyedCluster(t testing.TB, n int, sec *wire.Security, keys [][]byte, log *slog.Logger, maxQueue int, unit time.Duration, kernel string) *keyedCluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	kc := &keyedCluster{label: "keyed-" + runLabel(), epoch: time.Now(), unit: unit}
	var roster []string
	for i := range n {
		g := gossip.Config{Name: fmt.Sprintf("k%d-%s", i, kc.label), BindAddr: "127.0.0.1", Label: kc.label, Keys: keys}
		if i > 0 {
			g.Join = []string{kc.agents[0].GossipAddr()}
		}
		a, err := StartAgent(ctx, AgentConfig{Gossip: g, Security: sec, Logger: log, MaxQueue: maxQueue})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close(context.Background()) })
		kc.agents = append(kc.agents, a)
		roster = append(roster, g.Name)
	}
	kc.pool = wire.Config{Security: sec}.NewPool()
	t.Cleanup(func() { kc.pool.Close() })
	kc.sink = startSink(t, sec)
	for i, a := range kc.agents {
		s := &Setup{Run: kc.label, ID: int32(i), Roster: roster, Migrate: "none", Servers: 1, Speed: 1, TimeUnit: unit,
			Kernel: kernel, Seed: 1, EpochNano: kc.epoch.UnixNano(), Publish: PublishInterval(n)}
		if _, err := call(ctx, kc.pool, a.RPC(), control{Op: opConfigure, Setup: s}); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range kc.agents { // until every agent sees the others through serf
		for !a.current().view.peers.knowsAll(n) {
			if ctx.Err() != nil {
				t.Fatal("agents do not see each other")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return kc
}

// knowsAll reports whether the roster's first n nodes are all known.
func (p *peers) knowsAll(n int) bool {
	for i := range n {
		if _, ok := p.get(policy.NodeID(i)); !ok {
			return false
		}
	}
	return true
}

// job is a job for the cluster, arriving now.
func (kc *keyedCluster) job(id int64, size float64) *wire.Job {
	return &wire.Job{ID: id, Arrival: float64(time.Since(kc.epoch)) / float64(kc.unit), Size: size, Origin: -1, ReplyTo: kc.sink.addr}
}

// stats asks agent i for its counters.
func (kc *keyedCluster) stats(t *testing.T, i int) AgentStats {
	t.Helper()
	r, err := call(context.Background(), kc.pool, kc.agents[i].RPC(), control{Op: opStats})
	if err != nil || r.Stats == nil {
		t.Fatalf("stats of agent %d: %v", i, err)
	}
	return *r.Stats
}

var (
	testSecret = []byte("issue-7-test-secret-0123456789abcdef")
	testKey    = bytes.Repeat([]byte{7}, 32)
)

// TestStranger: in a cluster whose agents hold the secret and the gossip
// key, a stranger without them (or with others) cannot join the gossip,
// and each of its messages (submit, probe, transfer, steal, configure) is
// refused at the handshake, logged with its address, and has no effect.
// With the keys, the same member and messages are accepted.
func TestStranger(t *testing.T) {
	if testing.Short() {
		t.Skip("starts agents")
	}
	sec, err := wire.NewSecurity(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	other, err := wire.NewSecurity([]byte("some-other-cluster-secret-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncLog{}
	kc := startKeyedCluster(t, 2, sec, [][]byte{testKey}, slog.New(slog.NewTextHandler(logs, nil)), 0, time.Millisecond, executor.KernelSleep)
	a0 := kc.agents[0]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// (a) Gossip.
	for _, tc := range []struct {
		name string
		keys [][]byte
		ok   bool
	}{
		{"no key", nil, false},
		{"another key", [][]byte{bytes.Repeat([]byte{8}, 32)}, false},
		{"the key", [][]byte{testKey}, true},
	} {
		name := "stranger-" + strings.ReplaceAll(tc.name, " ", "-")
		g, err := gossip.Start(ctx, gossip.Config{Name: name, BindAddr: "127.0.0.1", Label: kc.label, Keys: tc.keys, Join: []string{a0.GossipAddr()}})
		if tc.ok {
			if err != nil {
				t.Fatalf("gossip, %s: %v", tc.name, err)
			}
			if err := g.WaitMembers(ctx, 3); err != nil {
				t.Errorf("gossip, %s: %v", tc.name, err)
			}
			g.Close()
			continue
		}
		if err == nil {
			g.Close()
			t.Errorf("gossip, %s: joined", tc.name)
			continue
		}
		time.Sleep(200 * time.Millisecond)
		for _, a := range kc.agents {
			if _, ok := a.g.Member(name); ok {
				t.Errorf("gossip, %s: agent %s lists the stranger", tc.name, a.Name())
			}
		}
	}

	// (b) Messages. Each stranger connection is its own, so that its
	// refusal can be found in the log by its address.
	transfer := kc.job(901, 1)
	transfer.Hops = 1
	transfer.Seal()
	evil, _ := json.Marshal(control{Op: opConfigure, Setup: &Setup{ID: 0, Roster: []string{a0.Name()}, Migrate: "none"}})
	msgs := []struct {
		name string
		m    *wire.Msg
	}{
		{"submit", &wire.Msg{Type: wire.TypeSubmit, ID: 1, From: -1, Job: kc.job(900, 1)}},
		{"probe", &wire.Msg{Type: wire.TypeProbe, ID: 1, From: -1}},
		{"transfer", &wire.Msg{Type: wire.TypeTransfer, ID: 1, From: 1, Job: transfer}},
		{"steal", &wire.Msg{Type: wire.TypeSteal, ID: 1, From: 1}},
		{"configure", &wire.Msg{Type: wire.TypeControl, ID: 1, From: -1, Data: evil}},
	}
	for _, who := range []struct {
		name string
		tls  *tls.Config // nil: plaintext
	}{
		{"plaintext", nil},
		{"another secret", other.ClientTLS()},
	} {
		for _, m := range msgs {
			local, err := strangerCall(a0.RPC(), who.tls, m.m)
			if err == nil {
				t.Errorf("%s %s: answered", who.name, m.name)
				continue
			}
			if !logs.has("refused connection", "remote="+local) {
				t.Errorf("%s %s from %s: refusal not logged; log:\n%s", who.name, m.name, local, logs.String())
			}
		}
	}
	if first, _, ok := strings.Cut(logs.String(), "\n"); ok {
		t.Logf("a refusal as logged: %s", first)
	}
	time.Sleep(100 * time.Millisecond)
	for _, id := range []int64{900, 901} {
		if got := kc.sink.ended(id); len(got) != 0 {
			t.Errorf("stranger's job %d ended: %+v", id, got)
		}
	}
	if s := kc.stats(t, 0); s.Completed != 0 {
		t.Errorf("agent ran %d jobs from strangers", s.Completed)
	}
	if p := a0.current(); p == nil || p.setup.Run != kc.label {
		t.Errorf("the stranger's configure replaced the point")
	}

	// With the secret: the same messages are served.
	c, err := wire.Config{Security: sec}.Dial(ctx, a0.RPC())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, m := range msgs[:4] { // not configure: it would end the point
		if _, err := c.Call(ctx, m.m); err != nil {
			t.Errorf("with the secret, %s: %v", m.name, err)
		}
	}
	if kc.sink.count(2, 5*time.Second) != 2 {
		t.Fatal("jobs submitted and transferred with the secret did not end")
	}
	for _, id := range []int64{900, 901} {
		if got := kc.sink.ended(id); len(got) != 1 || got[0].Failed {
			t.Errorf("job %d with the secret: ended %+v, want completed once", id, got)
		}
	}
}

// strangerCall sends m to addr over a connection of its own, in plaintext
// or TLS with the given configuration, and returns the connection's local
// address and the error that ended the exchange (nil: answered).
func strangerCall(addr string, cfg *tls.Config, m *wire.Msg) (string, error) {
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(3 * time.Second))
	local := nc.LocalAddr().String()
	conn := nc
	if cfg != nil {
		tc := tls.Client(nc, cfg)
		if err := tc.Handshake(); err != nil {
			return local, err
		}
		conn = tc
	}
	wc := wire.NewConn(conn, 0)
	if err := wc.Send(m); err != nil {
		return local, err
	}
	r, err := wc.Recv()
	if err != nil {
		return local, err
	}
	if r.Type == wire.TypeError {
		return local, r.Err()
	}
	return local, nil
}

// TestUnknownKernelRefused: a unit whose checkpoint names a kernel the
// agent does not have is refused as a transfer (the sender keeps it) and
// failed as a submission, never run.
func TestUnknownKernelRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("starts agents")
	}
	kc := startKeyedCluster(t, 1, nil, nil, nil, 0, time.Millisecond, executor.KernelHash)
	comp, err := executor.NewComputation(executor.KernelHash, 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	cp := comp.Checkpoint()
	i := bytes.Index(cp, []byte("\x04hash"))
	if i < 0 {
		t.Fatal("no kernel name in the checkpoint")
	}
	copy(cp[i+1:], "evil")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := kc.pool.Get(ctx, kc.agents[0].RPC())
	if err != nil {
		t.Fatal(err)
	}

	moved := kc.job(1, 1)
	moved.Hops, moved.Checkpoint = 1, cp
	moved.Seal()
	_, err = c.Call(ctx, &wire.Msg{Type: wire.TypeTransfer, From: 0, Job: moved})
	if err == nil || !strings.Contains(err.Error(), `kernel "evil"`) {
		t.Errorf("transfer of a unit of kernel evil: got %v, want it refused naming the kernel", err)
	}

	sub := kc.job(2, 1)
	sub.Checkpoint = cp
	if _, err := c.Call(ctx, &wire.Msg{Type: wire.TypeSubmit, From: -1, Job: sub}); err != nil {
		t.Fatal(err)
	}
	if kc.sink.count(1, 5*time.Second) != 1 {
		t.Fatal("submitted unit never ended")
	}
	if got := kc.sink.ended(2); len(got) != 1 || !got[0].Failed || !strings.Contains(got[0].Reason, `kernel "evil"`) {
		t.Errorf("submitted unit of kernel evil ended %+v, want failed once naming the kernel", got)
	}
	if got := kc.sink.ended(1); len(got) != 0 {
		t.Errorf("refused transfer ended here: %+v", got)
	}
	if s := kc.stats(t, 0); s.Completed != 0 {
		t.Errorf("agent completed %d units, want none", s.Completed)
	}
}

// TestOverload offers one agent ten times its capacity for 3 s: it holds
// at most MaxQueue jobs and sheds the rest ("shed: queue full"), its load
// (probed, and gossiped to another agent) shows the full queue, memory and
// goroutines stay bounded, every job ends exactly once, and after the burst
// it serves an ordinary load with no job shed and drains its queue.
func TestOverload(t *testing.T) {
	if testing.Short() {
		t.Skip("starts agents")
	}
	const (
		unit     = raceScale * 2 * time.Millisecond // a job of size 1 takes 2 ms: capacity 500 jobs/s (100 under -race: race_test.go)
		maxQueue = 200
		burst    = 3 * time.Second
		calm     = 2 * time.Second
		capacity = float64(time.Second / unit)
	)
	kc := startKeyedCluster(t, 2, nil, nil, nil, maxQueue, unit, executor.KernelSleep)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := kc.pool.Get(ctx, kc.agents[0].RPC())
	if err != nil {
		t.Fatal(err)
	}

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap0, gor0 := ms.HeapAlloc, runtime.NumGoroutine()
	var heapPeak uint64
	var gorPeak, queuePeak, gossipPeak int
	var workPeak float64
	sample := func() {
		runtime.ReadMemStats(&ms)
		heapPeak = max(heapPeak, ms.HeapAlloc)
		gorPeak = max(gorPeak, runtime.NumGoroutine())
		if r, err := c.Call(ctx, &wire.Msg{Type: wire.TypeProbe, From: -1}); err == nil && r.Load != nil {
			queuePeak = max(queuePeak, int(r.Load.Queue))
			workPeak = max(workPeak, r.Load.Work)
		}
		if m, ok := kc.agents[1].g.Member(kc.agents[0].Name()); ok {
			gossipPeak = max(gossipPeak, m.Load.Queue)
		}
	}

	// offer submits jobs of size 1 at rate per second for d, from id on.
	var submitErrs atomic.Int64
	offer := func(id int64, rate float64, d time.Duration, during func()) int64 {
		sem := make(chan struct{}, 256)
		var wg sync.WaitGroup
		start, next := time.Now(), id
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		lastSample := start
		for now := range tick.C {
			if now.Sub(start) >= d {
				break
			}
			due := id + int64(rate*now.Sub(start).Seconds())
			for ; next < due; next++ {
				j := kc.job(next, 1)
				sem <- struct{}{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					if _, err := c.Call(ctx, &wire.Msg{Type: wire.TypeSubmit, From: -1, Job: j}); err != nil {
						submitErrs.Add(1)
					}
				}()
			}
			if during != nil && now.Sub(lastSample) >= 50*time.Millisecond {
				during()
				lastSample = now
			}
		}
		wg.Wait()
		return next
	}

	burstEnd := offer(0, 10*capacity, burst, sample)
	sample()
	// Every burst job ends: the held ones within maxQueue × 2 ms.
	if got := kc.sink.count(int(burstEnd), 10*time.Second); got != int(burstEnd) {
		t.Fatalf("%d of %d burst jobs ended", got, burstEnd)
	}
	calmEnd := offer(burstEnd, capacity/2, calm, nil)
	if got := kc.sink.count(int(calmEnd), 10*time.Second); got != int(calmEnd) {
		t.Fatalf("%d of %d jobs ended", got, calmEnd)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	heapAfter := ms.HeapAlloc

	var completed, shed int
	for id := range calmEnd {
		got := kc.sink.ended(id)
		switch {
		case len(got) != 1:
			t.Fatalf("job %d ended %d times: %+v", id, len(got), got)
		case !got[0].Failed:
			completed++
		case got[0].Reason != "shed: queue full":
			t.Errorf("job %d failed: %q, want only sheds", id, got[0].Reason)
		case id >= burstEnd:
			t.Errorf("job %d, after the burst, shed", id)
		default:
			shed++
		}
	}
	st := kc.stats(t, 0)
	r, err := c.Call(ctx, &wire.Msg{Type: wire.TypeProbe, From: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("offered %d jobs in %v (%.0f/s, capacity %.0f/s), then %d in %v: %d completed, %d shed (agent counts %d)",
		burstEnd, burst, float64(burstEnd)/burst.Seconds(), capacity, calmEnd-burstEnd, calm, completed, shed, st.Shed)
	t.Logf("peak queue %d (probe), %d (gossip), work %.1f; heap %.1f MiB at start, peak %.1f, after %.1f; goroutines %d at start, peak %d; submit errors %d",
		queuePeak, gossipPeak, workPeak, mib(heap0), mib(heapPeak), mib(heapAfter), gor0, gorPeak, submitErrs.Load())

	if submitErrs.Load() != 0 {
		t.Errorf("%d submits failed: every job must be accepted, then run or shed", submitErrs.Load())
	}
	if burstEnd < int64(0.8*10*capacity*burst.Seconds()) {
		t.Errorf("offered only %d jobs in the burst, want about %.0f", burstEnd, 10*capacity*burst.Seconds())
	}
	if want := float64(burstEnd) * 0.8; float64(shed) < want {
		t.Errorf("%d of %d burst jobs shed, want at least %.0f (90%% offered over capacity)", shed, burstEnd, want)
	}
	if int64(shed) != st.Shed {
		t.Errorf("agent counts %d shed, sink %d", st.Shed, shed)
	}
	if queuePeak > maxQueue || queuePeak < maxQueue*9/10 {
		t.Errorf("peak probed queue %d, want near and at most %d", queuePeak, maxQueue)
	}
	if workPeak < 0.9*maxQueue {
		t.Errorf("peak probed work %.1f, want near %d", workPeak, maxQueue)
	}
	if gossipPeak < maxQueue/2 {
		t.Errorf("peak gossiped queue %d, want the overload visible (near %d)", gossipPeak, maxQueue)
	}
	if r.Load.Queue != 0 {
		t.Errorf("queue %d after the load fell, want drained", r.Load.Queue)
	}
	if growth := mib(heapPeak) - mib(heap0); growth > 64 {
		t.Errorf("heap grew %.1f MiB during the burst, want bounded", growth)
	}
	if gorPeak-gor0 > 2000 {
		t.Errorf("goroutines grew from %d to %d", gor0, gorPeak)
	}
}
