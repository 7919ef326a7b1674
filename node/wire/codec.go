package wire

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"net"
	"slices"
)

// headerLen is the size of a frame header: magic, version, type, id, from, length.
const headerLen = 20

// Payload flags: which optional sections follow.
const (
	flagJob  = 1 << 0
	flagLoad = 1 << 1
	flagDone = 1 << 2
	flagNote = 1 << 3
	// flagPhases: the job's phases follow its section (Job.Phases; only
	// with flagJob), a u32 count and that many float64s.
	flagPhases = 1 << 4
	// flagJobContent: the job's content follows its phases (Job.Hit,
	// Response and Lookup; only with flagJob), two float64s and a u8.
	flagJobContent = 1 << 5
	// flagDoneContent: the completion's content follows its section
	// (Completion.Lookup and Body; only with flagDone), a u8 and bytes.
	flagDoneContent = 1 << 6
	flagsAll        = flagJob | flagLoad | flagDone | flagNote | flagPhases | flagJobContent | flagDoneContent
)

// hasContent says whether j's content goes on the wire.
func (j *Job) hasContent() bool { return j.Hit != 0 || j.Response != 0 || j.Lookup != 0 }

// hasContent says whether c's content goes on the wire.
func (c *Completion) hasContent() bool { return c.Lookup != 0 || len(c.Body) > 0 }

// Fixed-width parts of the sections, excluding their length-prefixed tails.
const (
	jobFixed  = 8 + 8 + 8 + 4*4 + 8
	loadFixed = 3*4 + 2*8 + 8 + 8
	doneFixed = 8 + 4 + 4 + 8 + 8 + 1
	noteFixed = 1 + 8
)

// FrameError reports a malformed frame. A connection that produced one is
// out of step and must be closed.
type FrameError struct{ Reason string }

func (e *FrameError) Error() string { return "wire: bad frame: " + e.Reason }

func frameErrorf(format string, args ...any) *FrameError {
	return &FrameError{Reason: fmt.Sprintf(format, args...)}
}

// encodeError reports a message that cannot be encoded; nothing was written.
type encodeError struct{ reason string }

func (e *encodeError) Error() string { return "wire: cannot encode message: " + e.reason }

// check returns why m is not a valid message, or "" if it is. Encoder and
// decoder share it, so whatever encodes also decodes.
func check(m *Msg) string {
	if !m.Type.valid() {
		return fmt.Sprintf("unknown type %d", uint8(m.Type))
	}
	switch m.Type {
	case TypeSubmit, TypeTransfer:
		if m.Job == nil {
			return m.Type.String() + " message without job"
		}
	case TypeLoad:
		if m.Load == nil {
			return "load message without load"
		}
	case TypeCompletion:
		if m.Done == nil {
			return "completion message without completion"
		}
	case TypeCancel:
		if m.Done == nil {
			return "cancel message without completion (the job it names)"
		}
	case TypeMessage:
		if m.Note == nil {
			return "message without note"
		}
	}
	if j := m.Job; j != nil {
		switch {
		case !finite(j.Arrival):
			return fmt.Sprintf("job arrival %v is not finite", j.Arrival)
		case !finite(j.Size):
			return fmt.Sprintf("job size %v is not finite", j.Size)
		case !finite(j.Progress):
			return fmt.Sprintf("job progress %v is not finite", j.Progress)
		}
		if r := checkPhases(j); r != "" {
			return r
		}
		switch {
		case !finite(j.Hit) || j.Hit < 0:
			return fmt.Sprintf("job hit size %v: want a finite number >= 0", j.Hit)
		case !finite(j.Response) || j.Response < 0:
			return fmt.Sprintf("job response %v bytes: want a finite number >= 0", j.Response)
		case j.Lookup > LookupHit:
			return fmt.Sprintf("job lookup %d: want 0 (none), 1 (miss) or 2 (hit)", j.Lookup)
		}
	}
	if d := m.Done; d != nil && d.Lookup > LookupHit {
		return fmt.Sprintf("completion lookup %d: want 0 (none), 1 (miss) or 2 (hit)", d.Lookup)
	}
	if l := m.Load; l != nil {
		switch {
		case !finite(l.Work):
			return fmt.Sprintf("load work %v is not finite", l.Work)
		case !finite(l.Speed):
			return fmt.Sprintf("load speed %v is not finite", l.Speed)
		}
	}
	if n := m.Note; n != nil && !finite(n.Value) {
		return fmt.Sprintf("note value %v is not finite", n.Value)
	}
	return ""
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// checkPhases returns why j's phases are not valid, or "" if they are (or
// j has none): an odd count up to MaxPhases, each finite and ≥ 0, the
// bursts adding up to the size (to rounding).
func checkPhases(j *Job) string {
	n := len(j.Phases)
	if j.Phases == nil {
		return ""
	}
	if n%2 == 0 || n > MaxPhases {
		return fmt.Sprintf("job has %d phases: want an odd number (bursts around waits) up to %d", n, MaxPhases)
	}
	cpu := 0.0
	for i, v := range j.Phases {
		if !finite(v) || v < 0 {
			return fmt.Sprintf("job phase %d is %v: want a finite number >= 0", i, v)
		}
		if i%2 == 0 {
			cpu += v
		}
	}
	if math.Abs(cpu-j.Size) > 1e-9*math.Max(1, math.Abs(j.Size)) {
		return fmt.Sprintf("job phases' bursts add up to %v, but its size is %v", cpu, j.Size)
	}
	return ""
}

// payloadLen returns the payload size of a valid m.
func payloadLen(m *Msg) uint64 {
	n := uint64(1 + 4 + len(m.Data))
	if j := m.Job; j != nil {
		n += jobFixed + 4 + uint64(len(j.ReplyTo)) + 4 + uint64(len(j.State))
		n += 3*4 + uint64(len(j.Checkpoint)+len(j.Code)+len(j.Resources)) + 4 + 4*uint64(len(j.Homes)) + 4
		if j.Phases != nil {
			n += 4 + 8*uint64(len(j.Phases))
		}
		if j.hasContent() {
			n += 8 + 8 + 1
		}
	}
	if m.Load != nil {
		n += loadFixed
	}
	if d := m.Done; d != nil {
		n += doneFixed + 4 + uint64(len(d.Reason)) + 4 + uint64(len(d.Result))
		if d.hasContent() {
			n += 1 + 4 + uint64(len(d.Body))
		}
	}
	if m.Note != nil {
		n += noteFixed
	}
	return n
}

// Append appends m as a whole frame, header and payload, to dst. On error dst
// is returned unchanged.
func Append(dst []byte, m *Msg) ([]byte, error) {
	b, _, err := appendFrame(dst, m, 0)
	if err != nil {
		return dst, err
	}
	return b, nil
}

// frame collects the pieces of a frame written before its last: the
// encoder's own buffer up to a byte section of at least big bytes, then
// that section, referenced rather than copied (big 0: every section copied).
type frame struct {
	pieces net.Buffers
	big    int
}

// section appends p's length and p to b, or, if p is big, ends b as a
// piece, makes p the next, and continues in b's spare capacity.
func (f *frame) section(b, p []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(p)))
	if f.big > 0 && len(p) >= f.big {
		f.pieces = append(f.pieces, b, p)
		return b[len(b):len(b)]
	}
	return append(b, p...)
}

// appendFrame encodes m after dst. The frame is pieces (nil unless big
// sections were referenced, see frame) followed by last.
func appendFrame(dst []byte, m *Msg, big int) (last []byte, pieces net.Buffers, err error) {
	if m == nil {
		return nil, nil, &encodeError{reason: "nil message"}
	}
	if reason := check(m); reason != "" {
		return nil, nil, &encodeError{reason: reason}
	}
	n := payloadLen(m)
	if n > math.MaxUint32 {
		return nil, nil, &encodeError{reason: fmt.Sprintf("payload of %d bytes exceeds the u32 length field", n)}
	}
	le := binary.LittleEndian
	grow := headerLen + int(n)
	if big > 0 {
		grow = min(grow, 64<<10)
	}
	f := frame{big: big}
	b := slices.Grow(dst, grow)
	b = append(b, 'L', 'L', Version, byte(m.Type))
	b = le.AppendUint64(b, m.ID)
	b = le.AppendUint32(b, uint32(m.From))
	b = le.AppendUint32(b, uint32(n))

	var flags byte
	if m.Job != nil {
		flags |= flagJob
		if m.Job.Phases != nil {
			flags |= flagPhases
		}
		if m.Job.hasContent() {
			flags |= flagJobContent
		}
	}
	if m.Load != nil {
		flags |= flagLoad
	}
	if m.Done != nil {
		flags |= flagDone
		if m.Done.hasContent() {
			flags |= flagDoneContent
		}
	}
	if m.Note != nil {
		flags |= flagNote
	}
	b = append(b, flags)
	if j := m.Job; j != nil {
		b = le.AppendUint64(b, uint64(j.ID))
		b = le.AppendUint64(b, math.Float64bits(j.Arrival))
		b = le.AppendUint64(b, math.Float64bits(j.Size))
		b = le.AppendUint32(b, uint32(j.Class))
		b = le.AppendUint32(b, uint32(j.Key))
		b = le.AppendUint32(b, uint32(j.Hops))
		b = le.AppendUint32(b, uint32(j.Origin))
		b = le.AppendUint64(b, math.Float64bits(j.Progress))
		b = le.AppendUint32(b, uint32(len(j.ReplyTo)))
		b = append(b, j.ReplyTo...)
		for _, seg := range [][]byte{j.State, j.Checkpoint, j.Code, j.Resources} {
			b = f.section(b, seg)
		}
		b = le.AppendUint32(b, uint32(len(j.Homes)))
		for _, h := range j.Homes {
			b = le.AppendUint32(b, uint32(h))
		}
		b = le.AppendUint32(b, j.Sum)
		if j.Phases != nil {
			b = le.AppendUint32(b, uint32(len(j.Phases)))
			for _, v := range j.Phases {
				b = le.AppendUint64(b, math.Float64bits(v))
			}
		}
		if j.hasContent() {
			b = le.AppendUint64(b, math.Float64bits(j.Hit))
			b = le.AppendUint64(b, math.Float64bits(j.Response))
			b = append(b, j.Lookup)
		}
	}
	if l := m.Load; l != nil {
		b = le.AppendUint32(b, uint32(l.Queue))
		b = le.AppendUint32(b, uint32(l.Running))
		b = le.AppendUint32(b, uint32(l.Servers))
		b = le.AppendUint64(b, math.Float64bits(l.Work))
		b = le.AppendUint64(b, math.Float64bits(l.Speed))
		b = le.AppendUint64(b, l.Seq)
		b = le.AppendUint64(b, uint64(l.SentUnixNano))
	}
	if d := m.Done; d != nil {
		b = le.AppendUint64(b, uint64(d.JobID))
		b = le.AppendUint32(b, uint32(d.Node))
		b = le.AppendUint32(b, uint32(d.Hops))
		b = le.AppendUint64(b, uint64(d.StartUnixNano))
		b = le.AppendUint64(b, uint64(d.EndUnixNano))
		var failed byte
		if d.Failed {
			failed = 1
		}
		b = append(b, failed)
		b = le.AppendUint32(b, uint32(len(d.Reason)))
		b = append(b, d.Reason...)
		b = f.section(b, d.Result)
		if d.hasContent() {
			b = append(b, d.Lookup)
			b = f.section(b, d.Body)
		}
	}
	if n := m.Note; n != nil {
		b = append(b, n.Kind)
		b = le.AppendUint64(b, math.Float64bits(n.Value))
	}
	b = f.section(b, m.Data)
	return b, f.pieces, nil
}

// header is a parsed frame header.
type header struct {
	typ    Type
	id     uint64
	from   int32
	length int // payload bytes
}

// parseHeader checks as much of a header as b holds, in wire order, so that
// garbage is rejected from its first bytes. It returns io.ErrUnexpectedEOF if
// b is a valid but incomplete header.
func parseHeader(b []byte, maxPayload int) (header, error) {
	if (len(b) > 0 && b[0] != 'L') || (len(b) > 1 && b[1] != 'L') {
		return header{}, frameErrorf("wrong magic %q, want \"LL\"", b[:min(len(b), 2)])
	}
	if len(b) > 2 && b[2] != Version {
		return header{}, frameErrorf("unsupported version %d, want %d", b[2], Version)
	}
	if len(b) > 3 && !Type(b[3]).valid() {
		return header{}, frameErrorf("unknown type %d", b[3])
	}
	if len(b) < headerLen {
		return header{}, io.ErrUnexpectedEOF
	}
	le := binary.LittleEndian
	n := le.Uint32(b[16:])
	if uint64(n) > uint64(maxPayload) {
		return header{}, frameErrorf("payload of %d bytes exceeds the limit of %d", n, maxPayload)
	}
	return header{typ: Type(b[3]), id: le.Uint64(b[4:]), from: int32(le.Uint32(b[12:])), length: int(n)}, nil
}

// Decode parses one frame from the front of frame and returns the message
// and the number of bytes consumed. It returns io.ErrUnexpectedEOF if frame
// holds only part of a frame and a *FrameError if the frame is malformed or
// its payload exceeds maxPayload bytes (DefaultMaxFrame if maxPayload <= 0).
// The message does not alias frame.
func Decode(frame []byte, maxPayload int) (*Msg, int, error) {
	if maxPayload <= 0 {
		maxPayload = DefaultMaxFrame
	}
	h, err := parseHeader(frame, maxPayload)
	if err != nil {
		return nil, 0, err
	}
	if len(frame)-headerLen < h.length {
		return nil, 0, io.ErrUnexpectedEOF
	}
	end := headerLen + h.length
	m, err := decodePayload(h, frame[headerLen:end], false)
	if err != nil {
		return nil, 0, err
	}
	return m, end, nil
}

// decodePayload decodes p, the whole payload of a frame with header h. With
// alias, byte slices in the message share p's memory.
func decodePayload(h header, p []byte, alias bool) (*Msg, error) {
	d := decoder{b: p, alias: alias}
	m := &Msg{Type: h.typ, ID: h.id, From: h.from}
	flags := d.u8("flags")
	if d.err == "" && flags&^flagsAll != 0 {
		return nil, frameErrorf("unknown payload flags %#02x", flags)
	}
	if d.err == "" && flags&flagPhases != 0 && flags&flagJob == 0 {
		return nil, frameErrorf("%s message: phases without a job", h.typ)
	}
	if d.err == "" && flags&flagJobContent != 0 && flags&flagJob == 0 {
		return nil, frameErrorf("%s message: job content without a job", h.typ)
	}
	if d.err == "" && flags&flagDoneContent != 0 && flags&flagDone == 0 {
		return nil, frameErrorf("%s message: completion content without a completion", h.typ)
	}
	if flags&flagJob != 0 {
		j := new(Job)
		j.ID = int64(d.u64("job id"))
		j.Arrival = d.f64("job arrival")
		j.Size = d.f64("job size")
		j.Class = int32(d.u32("job class"))
		j.Key = int32(d.u32("job key"))
		j.Hops = int32(d.u32("job hops"))
		j.Origin = int32(d.u32("job origin"))
		j.Progress = d.f64("job progress")
		j.ReplyTo = string(d.bytes("job reply-to", true)) // string() copies
		j.State = d.bytes("job state", alias)
		j.Checkpoint = d.bytes("job checkpoint", alias)
		j.Code = d.bytes("job code", alias)
		j.Resources = d.bytes("job resources", alias)
		j.Homes = d.int32s("job homes")
		j.Sum = d.u32("job checksum")
		if flags&flagPhases != 0 {
			j.Phases = d.float64s("job phases", MaxPhases)
			if d.err == "" && j.Phases == nil {
				d.err = "job phases section with no phase"
			}
		}
		if flags&flagJobContent != 0 {
			j.Hit = d.f64("job hit size")
			j.Response = d.f64("job response")
			j.Lookup = d.u8("job lookup")
			if d.err == "" && !j.hasContent() {
				d.err = "job content section with no content"
			}
		}
		m.Job = j
	}
	if flags&flagLoad != 0 {
		l := new(Load)
		l.Queue = int32(d.u32("load queue"))
		l.Running = int32(d.u32("load running"))
		l.Servers = int32(d.u32("load servers"))
		l.Work = d.f64("load work")
		l.Speed = d.f64("load speed")
		l.Seq = d.u64("load seq")
		l.SentUnixNano = int64(d.u64("load sent time"))
		m.Load = l
	}
	if flags&flagDone != 0 {
		c := new(Completion)
		c.JobID = int64(d.u64("completion job id"))
		c.Node = int32(d.u32("completion node"))
		c.Hops = int32(d.u32("completion hops"))
		c.StartUnixNano = int64(d.u64("completion start"))
		c.EndUnixNano = int64(d.u64("completion end"))
		switch f := d.u8("completion failed"); f {
		case 0:
		case 1:
			c.Failed = true
		default:
			if d.err == "" {
				d.err = fmt.Sprintf("completion failed flag %d is not 0 or 1", f)
			}
		}
		c.Reason = string(d.bytes("completion reason", true))
		c.Result = d.bytes("completion result", alias)
		if flags&flagDoneContent != 0 {
			c.Lookup = d.u8("completion lookup")
			c.Body = d.bytes("completion body", alias)
			if d.err == "" && !c.hasContent() {
				d.err = "completion content section with no content"
			}
		}
		m.Done = c
	}
	if flags&flagNote != 0 {
		n := new(Note)
		n.Kind = d.u8("note kind")
		n.Value = d.f64("note value")
		m.Note = n
	}
	m.Data = d.bytes("data", alias)
	if d.err != "" {
		return nil, &FrameError{Reason: fmt.Sprintf("%s message: %s", h.typ, d.err)}
	}
	if rest := len(d.b) - d.off; rest != 0 {
		return nil, frameErrorf("%s message: %d bytes of trailing garbage in the payload", h.typ, rest)
	}
	if reason := check(m); reason != "" {
		return nil, &FrameError{Reason: reason}
	}
	return m, nil
}

// decoder reads fixed-width fields and length-prefixed byte strings from a
// payload. The first failure is kept in err and later reads return zeros.
type decoder struct {
	b     []byte
	off   int
	alias bool
	err   string
}

func (d *decoder) take(n int, what string) []byte {
	if d.err != "" {
		return nil
	}
	if rest := len(d.b) - d.off; n > rest {
		d.err = fmt.Sprintf("%s truncated: need %d bytes, %d remain", what, n, rest)
		return nil
	}
	p := d.b[d.off : d.off+n : d.off+n]
	d.off += n
	return p
}

func (d *decoder) u8(what string) byte {
	if p := d.take(1, what); p != nil {
		return p[0]
	}
	return 0
}

func (d *decoder) u32(what string) uint32 {
	if p := d.take(4, what); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (d *decoder) u64(what string) uint64 {
	if p := d.take(8, what); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

// u32Of reads a u32 named what + suffix (a length or a count), building
// that name only for an error: decoding must not allocate for it.
func (d *decoder) u32Of(what, suffix string) uint32 {
	if d.err == "" && len(d.b)-d.off < 4 {
		d.err = fmt.Sprintf("%s%s truncated: need 4 bytes, %d remain", what, suffix, len(d.b)-d.off)
	}
	return d.u32(what)
}

func (d *decoder) f64(what string) float64 { return math.Float64frombits(d.u64(what)) }

// int32s reads a u32 count and that many int32s, checking the count
// against what remains first. An empty result is nil.
func (d *decoder) int32s(what string) []int32 {
	n := d.u32Of(what, " count")
	if d.err != "" || n == 0 {
		return nil
	}
	if rest := len(d.b) - d.off; uint64(n)*4 > uint64(rest) {
		d.err = fmt.Sprintf("%s count %d exceeds the %d bytes remaining", what, n, rest)
		return nil
	}
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(d.u32(what))
	}
	return out
}

// float64s reads a u32 count, at most limit, and that many float64s,
// checking the count against what remains first. An empty result is nil.
func (d *decoder) float64s(what string, limit int) []float64 {
	n := d.u32Of(what, " count")
	if d.err != "" || n == 0 {
		return nil
	}
	if uint64(n) > uint64(limit) {
		d.err = fmt.Sprintf("%s count %d exceeds the limit of %d", what, n, limit)
		return nil
	}
	if rest := len(d.b) - d.off; uint64(n)*8 > uint64(rest) {
		d.err = fmt.Sprintf("%s count %d exceeds the %d bytes remaining", what, n, rest)
		return nil
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = d.f64(what)
	}
	return out
}

// bytes reads a u32 length and that many bytes, checking the length against
// what remains before touching memory. Empty results are nil.
func (d *decoder) bytes(what string, alias bool) []byte {
	n := d.u32Of(what, " length")
	if d.err != "" {
		return nil
	}
	if rest := len(d.b) - d.off; uint64(n) > uint64(rest) {
		d.err = fmt.Sprintf("%s length %d exceeds the %d bytes remaining", what, n, rest)
		return nil
	}
	if n == 0 {
		return nil
	}
	p := d.take(int(n), what)
	if alias {
		return p
	}
	return slices.Clone(p)
}
