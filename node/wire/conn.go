package wire

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"net"
	"sync"
	"time"
)

// Defaults for the Conn timeouts.
const (
	DefaultWriteTimeout = 5 * time.Second
	DefaultReadTimeout  = 30 * time.Second
)

const (
	readBufSize  = 64 << 10
	keepWriteBuf = 2 << 20  // largest encode buffer kept between sends
	bigSection   = 32 << 10 // byte sections at least this long are written from the message, not copied (writev)
	allocAtOnce  = 2 << 20  // payloads up to this size are allocated before they arrive
)

// Conn sends and receives frames on a net.Conn. It is safe for one goroutine
// calling Recv and any number calling Send at the same time. Set the timeout
// fields before first use.
type Conn struct {
	// WriteTimeout bounds each Send (default DefaultWriteTimeout; 0 none).
	// A Send that times out closes the connection, as the peer may have
	// received part of a frame.
	WriteTimeout time.Duration
	// ReadTimeout bounds receiving the rest of a frame once its first byte
	// has arrived (default DefaultReadTimeout; 0 none). An idle connection
	// never times out.
	ReadTimeout time.Duration

	conn       net.Conn
	maxPayload int

	r    *bufio.Reader
	rerr error // sticky: after a failed Recv the stream is out of step

	wmu  sync.Mutex
	wbuf []byte
	werr error // sticky: after a failed write the peer may hold part of a frame

	closeOnce sync.Once
	closeErr  error
}

// NewConn returns a Conn on c that accepts payloads of up to maxPayload bytes
// (DefaultMaxFrame if maxPayload <= 0) and refuses to send larger ones.
func NewConn(c net.Conn, maxPayload int) *Conn {
	if maxPayload <= 0 {
		maxPayload = DefaultMaxFrame
	}
	return &Conn{
		WriteTimeout: DefaultWriteTimeout,
		ReadTimeout:  DefaultReadTimeout,
		conn:         c,
		maxPayload:   maxPayload,
		r:            bufio.NewReaderSize(c, readBufSize),
	}
}

// Send writes m as one frame. An encoding error (an invalid message, or a
// payload over the limit) writes nothing and leaves the connection usable; a
// write error closes it.
func (c *Conn) Send(m *Msg) error { return c.send(m, c.maxPayload) }

// sendError reports a failure to the peer. It ignores the payload limit: the
// text is short and the peer's limit may differ from ours.
func (c *Conn) sendError(id uint64, text string) error {
	return c.send(&Msg{Type: TypeError, ID: id, From: -1, Data: []byte(text)}, math.MaxInt)
}

func (c *Conn) send(m *Msg, limit int) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return c.werr
	}
	last, pieces, err := appendFrame(c.wbuf[:0], m, bigSection)
	if err != nil {
		return err
	}
	size, own := len(last), last // own: the start of the encoder's buffer
	for _, b := range pieces {
		size += len(b)
	}
	if len(pieces) > 0 {
		own = pieces[0]
	}
	if n := size - headerLen; n > limit {
		return &encodeError{reason: fmt.Sprintf("%s message payload of %d bytes exceeds the limit of %d", m.Type, n, limit)}
	}
	if cap(own) <= keepWriteBuf {
		c.wbuf = own[:0]
	} else {
		c.wbuf = nil
	}
	if c.WriteTimeout > 0 {
		if err := c.conn.SetWriteDeadline(time.Now().Add(c.WriteTimeout)); err != nil {
			return c.failWrite(err)
		}
	}
	if pieces == nil {
		_, err = c.conn.Write(last)
	} else {
		pieces = append(pieces, last)
		_, err = pieces.WriteTo(c.conn)
	}
	if err != nil {
		return c.failWrite(err)
	}
	return nil
}

func (c *Conn) failWrite(err error) error {
	c.werr = fmt.Errorf("wire: send to %s: %w", c.conn.RemoteAddr(), err)
	c.Close()
	return c.werr
}

// Recv reads the next frame. It returns io.EOF if the peer closed the
// connection between frames and a *FrameError for a malformed frame. Once it
// has failed it keeps returning the same error. Byte slices in the message
// are its own.
func (c *Conn) Recv() (*Msg, error) {
	if c.rerr != nil {
		return nil, c.rerr
	}
	armed := false
	arm := func() {
		if c.ReadTimeout > 0 && !armed {
			armed = true
			c.conn.SetReadDeadline(time.Now().Add(c.ReadTimeout))
		}
	}
	m, err := readFrame(c.r, c.maxPayload, arm)
	if armed {
		c.conn.SetReadDeadline(time.Time{})
	}
	if err != nil {
		c.rerr = err
	}
	return m, err
}

// Close closes the connection; a blocked Recv returns an error.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() { c.closeErr = c.conn.Close() })
	return c.closeErr
}

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.conn.RemoteAddr() }

// closeAfterError half-closes the connection so the peer sees the frames
// already sent and then EOF, discards what the peer still sends for up to a
// second, and closes. Closing at once with unread input would reset the
// connection, and a reset can destroy the error frame before the peer reads it.
func (c *Conn) closeAfterError() {
	if cw, ok := c.conn.(interface{ CloseWrite() error }); ok {
		c.wmu.Lock()
		cw.CloseWrite()
		c.wmu.Unlock()
		c.conn.SetReadDeadline(time.Now().Add(time.Second))
		io.Copy(io.Discard, io.LimitReader(c.conn, int64(c.maxPayload)+headerLen))
	}
	c.Close()
}

// readFrame reads one frame from r. It checks the header as its bytes arrive,
// so garbage is answered without waiting for a full header, and calls arm
// before the first read that must wait for bytes not yet buffered, once the
// frame has started. It returns io.EOF only when r ends between frames.
func readFrame(r *bufio.Reader, maxPayload int, arm func()) (*Msg, error) {
	if _, err := r.Peek(1); err != nil {
		return nil, err
	}
	var h header
	for want := 1; ; want++ {
		want = min(max(want, r.Buffered()), headerLen)
		if r.Buffered() < want {
			arm()
		}
		b, err := r.Peek(want)
		if err != nil {
			return nil, unexpected(err)
		}
		h, err = parseHeader(b, maxPayload)
		if err == nil {
			break
		}
		if err != io.ErrUnexpectedEOF {
			return nil, err
		}
	}
	r.Discard(headerLen)

	var p []byte
	if h.length <= allocAtOnce || r.Buffered() >= h.length {
		p = getPayload(h.length)
		if r.Buffered() < h.length {
			arm()
		}
		if _, err := io.ReadFull(r, p); err != nil {
			return nil, unexpected(err)
		}
	} else {
		// A large payload grows as it arrives, so a header alone cannot
		// make us allocate the full limit.
		arm()
		p = getPayload(allocAtOnce)[:0]
		for len(p) < h.length {
			if len(p) == cap(p) {
				next := 2 * cap(p)
				if h.length-next < cap(p)/2 { // not another growth for a sliver
					next = h.length
				}
				np := getPayload(min(next, h.length))[:len(p)]
				copy(np, p)
				putPayload(p)
				p = np
			}
			chunk := p[len(p):min(cap(p), h.length)]
			if _, err := io.ReadFull(r, chunk); err != nil {
				return nil, unexpected(err)
			}
			p = p[:len(p)+len(chunk)]
		}
	}
	m, err := decodePayload(h, p, true)
	if err == nil && cap(p) >= minPooled {
		m.payload = p
	}
	return m, err
}

// Payload buffers of at least minPooled bytes come from pools by size
// class (powers of two), so that large frames (units' state) reuse memory
// rather than fault in fresh pages each time; Msg.Release returns them.
const minPooled = 32 << 10

var payloadPools [32]sync.Pool // by log2 of capacity

func poolClass(n int) int { return bits.Len(uint(n - 1)) }

func getPayload(n int) []byte {
	if n < minPooled {
		return make([]byte, n)
	}
	c := poolClass(n)
	if b, ok := payloadPools[c].Get().(*[]byte); ok {
		return (*b)[:n]
	}
	return make([]byte, n, 1<<c)
}

// Release gives the frame buffer of a received message back for reuse.
// Call it once nothing holds any byte slice of the message (Data, the
// job's segments, a completion's result): they share that buffer. A
// message not released is collected as usual.
func (m *Msg) Release() {
	putPayload(m.payload)
	m.payload = nil
}

// putPayload gives a buffer from getPayload back to its pool.
func putPayload(p []byte) {
	if cap(p) < minPooled || cap(p)&(cap(p)-1) != 0 { // not from a pool
		return
	}
	p = p[:0]
	payloadPools[poolClass(cap(p))].Put(&p)
}

// unexpected turns an EOF inside a frame into io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
