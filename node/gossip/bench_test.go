package gossip

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/loadlab/loadlab/load"
)

// BenchmarkPropagation32 runs 32 members in this process on 127.0.0.1 with
// the loopback profile: GossipInterval 50ms, GossipNodes 4, RetransmitMult
// 4, PushPullInterval 2s, UDPBufferSize 8192, no compression, coordinates
// off, ProbeInterval 1s and ProbeTimeout 200ms (DefaultLocalConfig),
// BroadcastTimeout 50ms, MinInterval 50ms. Heartbeat is 1h so only the
// published updates travel.
//
// Each iteration, one member (in turn) publishes a changed load and the
// iteration ends when all 31 others hold it. Reported, from the receivers'
// stamps (Received − Sent, one clock):
//
//	all-p50-ms, all-p99-ms  time until the last of the 31 holds it
//	one-p50-ms, one-p99-ms  each single delivery
//
// Then every member publishes a changed load at 1 Hz (random phase) for
// 5 s, while each member's view of every other is sampled every 100 ms:
//
//	age-p50-ms, age-p99-ms  age of the freshest value held (now − Sent)
//	busy-one-p50-ms, busy-one-p99-ms  single deliveries under that load
//	cores                   process CPU time / wall time in that phase
//	health-max              worst memberlist health score seen (0 is healthy)
func BenchmarkPropagation32(b *testing.B) { benchmarkPropagation(b, 32, 0) }

// BenchmarkPropagation32Interval128ms and ...500ms are
// BenchmarkPropagation32 with a longer Config.GossipInterval: 4 ms an
// agent for 32 and for 128 agents on one host (what TestNetns gives them),
// to measure how much staler the loads get.
func BenchmarkPropagation32Interval128ms(b *testing.B) {
	benchmarkPropagation(b, 32, 128*time.Millisecond)
}

func BenchmarkPropagation32Interval500ms(b *testing.B) {
	benchmarkPropagation(b, 32, 500*time.Millisecond)
}

// benchmarkPropagation is BenchmarkPropagation32 for n members gossiping
// every interval (0: the profile's).
func benchmarkPropagation(b *testing.B, n int, interval time.Duration) {
	gs := startCluster(b, n, func(_ int, c *Config) { c.Heartbeat, c.GossipInterval = time.Hour, interval })
	time.Sleep(time.Second) // let the joins' gossip die down

	var all, one []float64
	i := 0
	for b.Loop() {
		pub := gs[i%n]
		l := load.State{Queue: 1000 + i, Running: 1, Work: float64(i), Servers: 4, Speed: 1}
		i++
		pub.Publish(l)
		deadline := time.Now().Add(20 * time.Second)
		pending := make([]*Gossip, 0, n-1)
		for _, g := range gs {
			if g != pub {
				pending = append(pending, g)
			}
		}
		worst := time.Duration(0)
		for len(pending) > 0 {
			if time.Now().After(deadline) {
				b.Fatalf("update %d from %s: %d members still lack it after 20s", i, pub.Name(), len(pending))
			}
			rest := pending[:0]
			for _, g := range pending {
				m, _ := g.Member(pub.Name())
				if m.Load != l {
					rest = append(rest, g)
					continue
				}
				d := m.Received.Sub(m.Sent)
				one = append(one, ms(d))
				worst = max(worst, d)
			}
			pending = rest
			time.Sleep(2 * time.Millisecond)
		}
		all = append(all, ms(worst))
	}
	b.StopTimer()
	b.ReportMetric(percentile(all, 0.50), "all-p50-ms")
	b.ReportMetric(percentile(all, 0.99), "all-p99-ms")
	b.ReportMetric(percentile(one, 0.50), "one-p50-ms")
	b.ReportMetric(percentile(one, 0.99), "one-p99-ms")

	ages, busy, cores, health := publishAll(gs, time.Second, 5*time.Second)
	b.ReportMetric(percentile(ages, 0.50), "age-p50-ms")
	b.ReportMetric(percentile(ages, 0.99), "age-p99-ms")
	b.ReportMetric(percentile(busy, 0.50), "busy-one-p50-ms")
	b.ReportMetric(percentile(busy, 0.99), "busy-one-p99-ms")
	b.ReportMetric(cores, "cores")
	b.ReportMetric(float64(health), "health-max")
	for _, g := range gs {
		if bad := g.badTags.Load(); bad > 0 {
			b.Errorf("%s: %d malformed load tags", g.Name(), bad)
		}
	}
}

// publishAll has every member publish a changed load every period (random
// phase) for dur, sampling every 100 ms after the first period each
// member's view of the others. It returns the ages of the values held and
// the delivery times seen (ms), the CPU cores used and the worst health
// score.
func publishAll(gs []*Gossip, period, dur time.Duration) (ages, deliveries []float64, cores float64, health int) {
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	rng := rand.New(rand.NewPCG(1, 2))
	var wg sync.WaitGroup
	for k, g := range gs {
		phase := time.Duration(rng.Int64N(int64(period)))
		wg.Go(func() {
			t := time.NewTimer(phase)
			defer t.Stop()
			for q := 0; ; q++ {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				g.Publish(load.State{Queue: q, Running: k % 4, Work: float64(q), Servers: 4, Speed: 1})
				t.Reset(period)
			}
		})
	}

	start, cpu0 := time.Now(), cpuTime()
	seen := make(map[[2]int]uint64) // (viewer, member) → last seq seen
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			cores = float64(cpuTime()-cpu0) / float64(time.Since(start))
			return ages, deliveries, cores, health
		case now := <-tick.C:
			if now.Sub(start) < period+200*time.Millisecond {
				continue // not everyone has published yet
			}
			for v, g := range gs {
				if h, err := strconv.Atoi(g.Stats()["health_score"]); err == nil {
					health = max(health, h)
				}
				for w, o := range gs {
					if v == w {
						continue
					}
					m, ok := g.Member(o.Name())
					if !ok || !m.HasLoad {
						ages = append(ages, math.Inf(1))
						continue
					}
					ages = append(ages, ms(m.Age(now)))
					if key := [2]int{v, w}; seen[key] != m.Seq {
						seen[key] = m.Seq
						deliveries = append(deliveries, ms(m.Received.Sub(m.Sent)))
					}
				}
			}
		}
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// percentile returns the p-quantile of xs (nearest rank); NaN if empty.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	k := int(math.Ceil(p*float64(len(s)))) - 1
	return s[min(max(k, 0), len(s)-1)]
}
