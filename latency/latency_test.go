package latency

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

func TestQuantilesMatchExact(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	h := New()
	xs := make([]float64, 200000)
	for i := range xs {
		xs[i] = r.ExpFloat64() * 3
		h.Record(xs[i])
	}
	sort.Float64s(xs)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		exact := xs[int(q*float64(len(xs)))-1]
		if got := h.Quantile(q); math.Abs(got-exact)/exact > 0.002 {
			t.Errorf("q%.3f: histogram %.5f, exact %.5f", q, got, exact)
		}
	}
	if h.Count() != int64(len(xs)) {
		t.Errorf("count %d", h.Count())
	}
}

func TestMergeEncodeDecode(t *testing.T) {
	a, b := New(), New()
	for i := 1; i <= 1000; i++ {
		a.Record(float64(i) / 100)
		b.Record(float64(i) / 10)
	}
	b.Record(2 * MaxValue)
	a.Merge(b)
	if a.Count() != 2001 || a.Clamped != 1 {
		t.Fatalf("merged count %d clamped %d", a.Count(), a.Clamped)
	}
	s, err := a.Encode()
	if err != nil {
		t.Fatal(err)
	}
	c, err := Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	if c.Count() != a.Count() || c.Quantile(0.5) != a.Quantile(0.5) || c.Quantile(0.99) != a.Quantile(0.99) {
		t.Errorf("round trip changed the histogram: %d %g %g vs %d %g %g", c.Count(), c.Quantile(0.5), c.Quantile(0.99), a.Count(), a.Quantile(0.5), a.Quantile(0.99))
	}
	for _, bad := range []string{"not base64!", "aGVsbG8="} {
		if _, err := Decode(bad); err == nil {
			t.Errorf("Decode(%q) accepted garbage", bad)
		}
	}
	if e, err := Decode(""); err != nil || e.Count() != 0 || e.Quantile(0.5) != 0 {
		t.Errorf("empty histogram: %v", err)
	}
}

func TestCDF(t *testing.T) {
	h := New()
	for _, v := range []float64{1, 2, 2, 4} {
		h.Record(v)
	}
	vals, fr := h.CDF()
	if len(vals) != 3 || fr[len(fr)-1] != 1 || fr[0] != 0.25 {
		t.Errorf("CDF %v %v", vals, fr)
	}
}

func BenchmarkRecord(b *testing.B) {
	h := New()
	for i := 0; i < b.N; i++ {
		h.Record(float64(i%1000) * 0.01)
	}
}

func TestBatches(t *testing.T) {
	// Independent normal values: the batch-means interval should be close
	// to the classical one, 1.96·σ/√n for large n.
	r := rand.New(rand.NewPCG(3, 4))
	b := NewBatches(100000, 20)
	for i := 0; i < 100000; i++ {
		b.Add(5 + 2*r.NormFloat64())
	}
	h, k := b.HalfWidth()
	want := 1.96 * 2 / math.Sqrt(100000)
	if k != 20 || h < 0.6*want || h > 1.6*want {
		t.Errorf("half-width %.5f with %d batches, want about %.5f", h, k, want)
	}
	if h, k := NewBatches(10, 5).HalfWidth(); h != 0 || k != 0 {
		t.Errorf("empty: %v %v", h, k)
	}
}

// TestBatchesCut checks that value j (from 0) goes to batch
// min(j/size, k−1), values beyond n included, for sizes that divide n
// and sizes that do not.
func TestBatchesCut(t *testing.T) {
	for _, c := range []struct {
		n int64
		k int
	}{{100, 10}, {101, 10}, {7, 3}, {5, 10}, {1, 1}, {30, 30}} {
		b := NewBatches(c.n, c.k)
		want := make([]int64, c.k)
		for j := int64(0); j < 2*c.n+3; j++ {
			b.Add(float64(j))
			want[min(j/b.size, int64(c.k-1))]++
		}
		for i := range want {
			if b.count[i] != want[i] {
				t.Errorf("n %d, k %d: batch %d holds %d values, want %d", c.n, c.k, i, b.count[i], want[i])
			}
		}
		// AddAt, the values given by index from the last to the first,
		// cuts them the same.
		at := NewBatches(c.n, c.k)
		for j := 2*c.n + 2; j >= 0; j-- {
			at.AddAt(j, float64(j))
		}
		for i := range want {
			if at.count[i] != want[i] || at.sum[i] != b.sum[i] {
				t.Errorf("n %d, k %d, AddAt: batch %d holds %d values summing to %g, want %d summing to %g", c.n, c.k, i, at.count[i], at.sum[i], want[i], b.sum[i])
			}
		}
	}
}

// TestBatchesAddAtExact: AddAt puts index i in batch i/size exactly, at
// every batch boundary of sizes up to 2,000, and past 2³² values (a
// division there).
func TestBatchesAddAtExact(t *testing.T) {
	big := NewBatches(1<<33, 2)
	big.AddAt(1<<32-1, 1)
	big.AddAt(1<<32, 1)
	big.AddAt(-1, 1)
	if big.count[0] != 2 || big.count[1] != 1 {
		t.Errorf("n = 2³³ in 2 batches: counts %v, want [2 1]", big.count)
	}
	for size := int64(1); size < 2000; size++ {
		b := NewBatches(size*5, 5)
		for m := int64(1); m < 5; m++ {
			for _, i := range []int64{m*size - 1, m * size} {
				before := append([]int64(nil), b.count...)
				b.AddAt(i, 1)
				want := int(i / size)
				if b.count[want] != before[want]+1 {
					t.Fatalf("size %d: index %d went elsewhere than batch %d", size, i, want)
				}
			}
		}
	}
}
