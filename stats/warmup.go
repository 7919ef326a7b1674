package stats

// MSER5 finds the warm-up to delete from the start of a series of
// observations in the order they were made, for example response times in
// arrival order, by the MSER-5 rule (White 1997; White, Cobb & Spratt 2000;
// Franklin & White 2008). It is MSER with batches of 5; see MSER.
func MSER5(xs []float64) (d int, ok bool) { return MSER(xs, 5) }

// MSER finds the warm-up of a series by the marginal standard error rule
// (White 1997). The series is cut into k consecutive batches of the given
// size and each batch replaced by its mean Z₁…Z_k (observations after the
// last full batch are ignored). Deleting the first j batches leaves a mean
// whose marginal standard error is
//
//	MSER(j) = Σ_{i>j} (Z_i − Z̄_j)² / (k − j)²,
//
// which trades the bias of the kept transient against the variance lost
// with the deleted data. MSER returns d = batch·j* observations, j* the
// smallest j in 0…k/2 that minimises MSER(j).
//
// MSER stops about where the transient has fallen to the standard
// deviation of one observation: the rest of a slow transient (time
// constant τ) still biases the kept mean by about that deviation times
// τ/(n − d), which only a longer run makes small.
//
// ok is false when the series holds fewer than three batches, or when the
// minimum lies at the end of the search window (j* = k/2): the transient
// may then last longer than half the run, and the run should be longer
// (Franklin & White 2008). xs must not hold NaN; a batch below 1 is 1.
func MSER(xs []float64, batch int) (d int, ok bool) {
	if batch < 1 {
		batch = 1
	}
	k := len(xs) / batch
	if k < 3 {
		return 0, false
	}
	z := make([]float64, k)
	for i := range z {
		var s float64
		for _, x := range xs[i*batch : (i+1)*batch] {
			s += x
		}
		z[i] = s / float64(batch)
	}
	// Add the batch means from the last back to the first (Welford's
	// update, stable where sums of squares would cancel): after adding
	// z[j], mean and ss describe z[j:], the series with j batches deleted.
	var mean, ss float64
	best, bestJ := 0.0, -1
	for j := k - 1; j >= 0; j-- {
		m := float64(k - j)
		delta := z[j] - mean
		mean += delta / m
		ss += delta * (z[j] - mean)
		if j > k/2 {
			continue
		}
		if stat := ss / (m * m); bestJ < 0 || stat <= best {
			best, bestJ = stat, j
		}
	}
	return batch * bestJ, bestJ < k/2
}
