package gossip

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/loadlab/loadlab/load"
)

// The load tag is seven comma-separated fields:
//
//	queue,running,work,servers,speed,seq,sentUnixMicro
//
// integers in base 10, floats in Go's shortest 'g' form, for example
// "3,1,2.75,4,1,17,1767225600123456" (33 bytes). Commas never occur in
// the numbers, so fields split without escaping.

const loadTagFields = 7

// loadTag is one decoded load tag.
type loadTag struct {
	Load load.State
	Seq  uint64
	Sent time.Time // microsecond precision, no monotonic reading
}

// maxLoadTag is as long as the longest tag encodeLoad can produce (154
// bytes: 20-byte integers, 24-byte floats); Validate reserves room for it.
var maxLoadTag = strings.Join([]string{
	"-9223372036854775808", "-9223372036854775808", "-2.2250738585072014e-308",
	"-9223372036854775808", "-2.2250738585072014e-308", "18446744073709551615",
	"-9223372036854775808"}, ",")

// encodeLoad formats t as a load tag.
func encodeLoad(t loadTag) string {
	b := make([]byte, 0, 64)
	b = strconv.AppendInt(b, int64(t.Load.Queue), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(t.Load.Running), 10)
	b = append(b, ',')
	b = strconv.AppendFloat(b, t.Load.Work, 'g', -1, 64)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(t.Load.Servers), 10)
	b = append(b, ',')
	b = strconv.AppendFloat(b, t.Load.Speed, 'g', -1, 64)
	b = append(b, ',')
	b = strconv.AppendUint(b, t.Seq, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, t.Sent.UnixMicro(), 10)
	return string(b)
}

var errBadLoadTag = errors.New("gossip: malformed load tag")

// decodeLoad parses a load tag. Anything but exactly seven well-formed
// fields, a non-finite float or a zero sequence number is an error.
func decodeLoad(s string) (loadTag, error) {
	var f [loadTagFields]string
	n := 0
	for field := range strings.SplitSeq(s, ",") {
		if n == loadTagFields {
			return loadTag{}, errBadLoadTag
		}
		f[n] = field
		n++
	}
	if n != loadTagFields {
		return loadTag{}, errBadLoadTag
	}
	var t loadTag
	var err error
	ints := [...]struct {
		s   string
		dst *int
	}{{f[0], &t.Load.Queue}, {f[1], &t.Load.Running}, {f[3], &t.Load.Servers}}
	for _, x := range ints {
		v, e := strconv.ParseInt(x.s, 10, strconv.IntSize)
		if e != nil {
			return loadTag{}, errBadLoadTag
		}
		*x.dst = int(v)
	}
	floats := [...]struct {
		s   string
		dst *float64
	}{{f[2], &t.Load.Work}, {f[4], &t.Load.Speed}}
	for _, x := range floats {
		v, e := strconv.ParseFloat(x.s, 64)
		if e != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return loadTag{}, errBadLoadTag
		}
		*x.dst = v
	}
	if t.Seq, err = strconv.ParseUint(f[5], 10, 64); err != nil || t.Seq == 0 {
		return loadTag{}, errBadLoadTag
	}
	us, err := strconv.ParseInt(f[6], 10, 64)
	if err != nil {
		return loadTag{}, errBadLoadTag
	}
	t.Sent = time.UnixMicro(us)
	return t, nil
}
