package results

import "math"

// OverTime accumulates, per bin of Bin model units from the start, the
// mean response time of the jobs that arrived in the bin and the number
// that failed: Result.ResponseOverTime and FailedOverTime, as the
// simulator and the coordinator both record them. The zero value (Bin 0)
// records nothing.
type OverTime struct {
	Bin     float64
	respSum []float64
	respN   []int64
	failed  []int64
}

// bin returns the bin of model time t, growing the series; -1 without
// bins or for a negative t.
func (o *OverTime) bin(t float64) int {
	if o.Bin <= 0 || !(t >= 0) {
		return -1
	}
	b := int(t / o.Bin)
	for len(o.respN) <= b {
		o.respSum, o.respN, o.failed = append(o.respSum, 0), append(o.respN, 0), append(o.failed, 0)
	}
	return b
}

// Completed records a job that arrived at arrival and completed with the
// response time response.
func (o *OverTime) Completed(arrival, response float64) {
	if b := o.bin(arrival); b >= 0 {
		o.respSum[b] += response
		o.respN[b]++
	}
}

// Failed records a job that arrived at arrival and failed.
func (o *OverTime) Failed(arrival float64) {
	if b := o.bin(arrival); b >= 0 {
		o.failed[b]++
	}
}

// Fill writes the series into r: the mean response per bin (-1 for a bin
// where no job completed) and the failures per bin.
func (o *OverTime) Fill(r *Result) {
	if o.Bin <= 0 {
		return
	}
	r.ResponseBin = o.Bin
	r.ResponseOverTime = make([]float64, len(o.respN))
	for i, n := range o.respN {
		r.ResponseOverTime[i] = -1
		if n > 0 {
			r.ResponseOverTime[i] = o.respSum[i] / float64(n)
		}
	}
	r.FailedOverTime = o.failed
}

// TimeSeries is the time average of a quantity per bin of Bin model units
// from the start, fed as the quantity's value over intervals. The zero
// value (Bin 0) records nothing.
type TimeSeries struct {
	Bin  float64
	area []float64
}

// Add records that the quantity was v from time t0 to t1.
func (s *TimeSeries) Add(t0, t1, v float64) {
	if s.Bin <= 0 || !(t1 > t0) || t0 < 0 || v == 0 {
		return
	}
	for t0 < t1 {
		b := int(t0 / s.Bin)
		for len(s.area) <= b {
			s.area = append(s.area, 0)
		}
		end := min(t1, float64(b+1)*s.Bin)
		if end <= t0 { // rounding at a bin's edge
			end = math.Nextafter(t0, math.Inf(1))
		}
		s.area[b] += v * (end - t0)
		t0 = end
	}
}

// Means returns each bin's time average divided by n (nil without bins).
func (s *TimeSeries) Means(n float64) []float64 {
	if s.Bin <= 0 {
		return nil
	}
	out := make([]float64, len(s.area))
	for i, a := range s.area {
		out[i] = a / s.Bin / n
	}
	return out
}
