package results

import "github.com/loadlab/loadlab/latency"

// Responses accumulates the response-time statistics of measured jobs, in
// the order they complete. Every backend fills a Result's response fields
// through it, so the simulator and the agents report the same quantities
// computed the same way. Memory does not grow with the number of jobs.
type Responses struct {
	hist    *latency.Histogram
	batches *latency.Batches
	n       int64
	sumResp float64
	sumWait float64
	sumIO   float64
	sumSlow float64
	sumSize float64
}

// NewResponses prepares for n measured jobs cut into k batches for the
// batch-means interval.
func NewResponses(n int64, k int) *Responses {
	return &Responses{hist: latency.New(), batches: latency.NewBatches(n, k)}
}

// Add records one job, the i-th measured by arrival (0 to n−1, in any
// order): its response time, its own service time (CPU), the time it
// spent blocked in waits, and its size (model units).
func (s *Responses) Add(i int64, resp, service, blocked, size float64) {
	s.hist.Record(resp)
	s.batches.AddAt(i, resp)
	s.sumResp += resp
	s.sumWait += resp - service - blocked
	s.sumIO += blocked
	if service > 0 {
		s.sumSlow += resp / service
	}
	s.sumSize += size
	s.n++
}

// Count is the number of jobs recorded.
func (s *Responses) Count() int64 { return s.n }

// Fill sets r's response statistics: means, percentiles, the batch-means
// interval, JobsMeasured and the encoded histogram.
func (s *Responses) Fill(r *Result) error {
	r.JobsMeasured = s.n
	if s.n > 0 {
		n := float64(s.n)
		r.MeanResponse, r.MeanWait, r.MeanSlowdown, r.MeanSize = s.sumResp/n, s.sumWait/n, s.sumSlow/n, s.sumSize/n
		r.MeanCPU, r.MeanIO = (s.sumResp-s.sumWait-s.sumIO)/n, s.sumIO/n // response = cpu + io + wait
		r.P50Response, r.P95Response = s.hist.Quantile(0.50), s.hist.Quantile(0.95)
		r.P99Response, r.P999Response = s.hist.Quantile(0.99), s.hist.Quantile(0.999)
		r.CI95HalfWidth, r.Batches = s.batches.HalfWidth()
	}
	h, err := s.hist.Encode()
	r.Histogram = h
	return err
}
