package node

import (
	"testing"
	"time"

	"github.com/loadlab/loadlab/latency"
	"github.com/loadlab/loadlab/node/executor"
	"github.com/loadlab/loadlab/node/wire"
)

// BenchmarkMigrate1MiBTLS is BenchmarkMigrate1MiB between agents that
// hold the cluster's secret and gossip key: the transfer goes over mutual
// TLS 1.3 (AES-GCM). The difference between the two is what security
// costs a migration.
//
//	go test ./node -run '^$' -bench Migrate1MiB -benchtime 500x
func BenchmarkMigrate1MiBTLS(b *testing.B) {
	sec, err := wire.NewSecurity(testSecret)
	if err != nil {
		b.Fatal(err)
	}
	kc := startKeyedCluster(b, 2, sec, [][]byte{testKey}, nil, 0, time.Millisecond, executor.KernelSleep)
	src := kc.agents[0].current()
	state := make([]byte, benchStateBytes)
	h := latency.New()
	b.SetBytes(int64(len(state)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := &wire.Job{ID: int64(i), Size: 0, ReplyTo: kc.sink.addr, State: state}
		start := time.Now()
		if !src.transfer(1, j, false, nil, time.Time{}) {
			b.Fatal("transfer failed")
		}
		h.Record(float64(time.Since(start)) / float64(time.Millisecond))
	}
	b.StopTimer()
	b.ReportMetric(h.Quantile(0.5), "p50-ms")
	b.ReportMetric(h.Quantile(0.99), "p99-ms")
}
