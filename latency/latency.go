// Package latency provides a mergeable histogram of response times in model
// units, backed by an HDR histogram (3 significant digits).
//
// Values are stored as integer ticks of 1/TicksPerUnit model units, from one
// tick up to MaxValue units; larger values are clamped to MaxValue and
// counted in Clamped, so nothing is silently lost.
package latency

import (
	"encoding/base64"
	"fmt"
	"math"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

const (
	// TicksPerUnit is the resolution: 1e-4 model units.
	TicksPerUnit = 1e4
	// MaxValue is the largest value recorded exactly, in model units.
	MaxValue = 1e8
	digits   = 3
)

// Histogram records non-negative values in model units. Not safe for
// concurrent use.
type Histogram struct {
	h       *hdr.Histogram
	Clamped int64 // values above MaxValue, recorded as MaxValue
}

// New returns an empty histogram.
func New() *Histogram {
	return &Histogram{h: hdr.New(1, int64(MaxValue*TicksPerUnit), digits)}
}

// Record adds one value.
func (h *Histogram) Record(v float64) {
	t := int64(v*TicksPerUnit + 0.5)
	if t < 1 {
		t = 1
	}
	if v > MaxValue {
		t = int64(MaxValue * TicksPerUnit)
		h.Clamped++
	}
	_ = h.h.RecordValue(t) // in range by construction
}

// Count is the number of values recorded.
func (h *Histogram) Count() int64 { return h.h.TotalCount() }

// Quantile returns the q-quantile (0 < q ≤ 1) in model units, 0 when empty.
func (h *Histogram) Quantile(q float64) float64 {
	if h.h.TotalCount() == 0 {
		return 0
	}
	return float64(h.h.ValueAtQuantile(q*100)) / TicksPerUnit
}

// Mean returns the mean of the recorded values (to histogram resolution).
func (h *Histogram) Mean() float64 { return h.h.Mean() / TicksPerUnit }

// Merge adds other's counts into h.
func (h *Histogram) Merge(other *Histogram) {
	h.h.Merge(other.h)
	h.Clamped += other.Clamped
}

// CDF returns points (value, cumulative fraction) for plotting.
func (h *Histogram) CDF() (values, fractions []float64) {
	total := float64(h.h.TotalCount())
	if total == 0 {
		return nil, nil
	}
	var cum float64
	for _, b := range h.h.Distribution() {
		if b.Count == 0 {
			continue
		}
		cum += float64(b.Count)
		values = append(values, float64(b.To)/TicksPerUnit)
		fractions = append(fractions, cum/total)
	}
	return values, fractions
}

// Encode returns the histogram in HDR's compressed, base64 form (the form
// stored in result records; readable by any HDR implementation, with values
// in ticks of 1/TicksPerUnit).
func (h *Histogram) Encode() (string, error) {
	b, err := h.h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return "", fmt.Errorf("encode histogram: %w", err)
	}
	return string(b), nil
}

// Decode reads what Encode wrote.
func Decode(s string) (*Histogram, error) {
	if s == "" {
		return New(), nil
	}
	if _, err := base64.StdEncoding.DecodeString(s); err != nil {
		return nil, fmt.Errorf("decode histogram: not base64: %w", err)
	}
	h, err := hdr.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("decode histogram: %w", err)
	}
	if h.LowestTrackableValue() > 1 || h.HighestTrackableValue() < int64(MaxValue*TicksPerUnit) || math.IsNaN(h.Mean()) {
		return nil, fmt.Errorf("decode histogram: range %d..%d ticks does not match this version", h.LowestTrackableValue(), h.HighestTrackableValue())
	}
	return &Histogram{h: h}, nil
}
