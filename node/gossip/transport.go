package gossip

import (
	"errors"
	"fmt"
	"log"
	"net"
	"strconv"
	"sync"
	"time"

	sockaddr "github.com/hashicorp/go-sockaddr"
	"github.com/hashicorp/memberlist"
)

// transport is memberlist's network transport (UDP for gossip, TCP for
// push/pull and joins) with one difference from memberlist.NetTransport:
// a received packet is read into one reused buffer and handed on in a
// slice of its own length. NetTransport allocates 64 KiB for every packet
// it receives: with 32 agents near idle that was about 206 MB/s of
// garbage and 67 collections in 10 s, against 60 MB/s and 24 with this
// one (docs/BENCHMARKS.md).
type transport struct {
	bindIP   net.IP
	port     int
	tcp      *net.TCPListener
	udp      *net.UDPConn
	packetCh chan *memberlist.Packet
	streamCh chan net.Conn
	logger   *log.Logger
	wg       sync.WaitGroup
	done     chan struct{} // closed by Shutdown
	once     sync.Once
}

// udpRecvBuffer is the socket receive buffer asked for, as NetTransport
// does: gossip comes in bursts.
const udpRecvBuffer = 2 << 20

// maxPacket is the largest UDP payload.
const maxPacket = 65536

// newTransport listens on ip:port for TCP and UDP (port 0: a free port,
// the same for both, tried up to ten times).
func newTransport(ip string, port int, logger *log.Logger) (*transport, error) {
	bindIP := net.ParseIP(ip)
	if bindIP == nil {
		return nil, fmt.Errorf("bind address %q is not an IP address", ip)
	}
	tries := 1
	if port == 0 {
		tries = 10
	}
	var err error
	for range tries {
		var t *transport
		if t, err = listen(bindIP, port, logger); err == nil {
			t.wg.Add(2)
			go t.readPackets()
			go t.acceptStreams()
			return t, nil
		}
	}
	return nil, fmt.Errorf("listen on %s: %w", net.JoinHostPort(ip, strconv.Itoa(port)), err)
}

func listen(ip net.IP, port int, logger *log.Logger) (*transport, error) {
	tcp, err := net.ListenTCP("tcp", &net.TCPAddr{IP: ip, Port: port})
	if err != nil {
		return nil, err
	}
	port = tcp.Addr().(*net.TCPAddr).Port
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip, Port: port})
	if err != nil {
		tcp.Close()
		return nil, err
	}
	_ = udp.SetReadBuffer(udpRecvBuffer) // best effort: a smaller buffer only drops more in a burst
	return &transport{
		bindIP:   ip,
		port:     port,
		tcp:      tcp,
		udp:      udp,
		packetCh: make(chan *memberlist.Packet),
		streamCh: make(chan net.Conn),
		logger:   logger,
		done:     make(chan struct{}),
	}, nil
}

// FinalAdvertiseAddr returns ip and port if ip is given, else the bound
// address (a private address of this machine when bound to all) and port.
func (t *transport) FinalAdvertiseAddr(ip string, port int) (net.IP, int, error) {
	if ip != "" {
		a := net.ParseIP(ip)
		if a == nil {
			return nil, 0, fmt.Errorf("advertise address %q is not an IP address", ip)
		}
		if a4 := a.To4(); a4 != nil {
			a = a4
		}
		return a, port, nil
	}
	if !t.bindIP.IsUnspecified() {
		return t.bindIP, t.port, nil
	}
	private, err := sockaddr.GetPrivateIP()
	if err != nil {
		return nil, 0, fmt.Errorf("find a private address to advertise: %w", err)
	}
	a := net.ParseIP(private)
	if a == nil {
		return nil, 0, errors.New("no private IP address found to advertise: give one (advertise)")
	}
	return a, t.port, nil
}

func (t *transport) WriteTo(b []byte, addr string) (time.Time, error) {
	a, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return time.Time{}, err
	}
	_, err = t.udp.WriteTo(b, a)
	return time.Now(), err
}

func (t *transport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	return t.WriteTo(b, a.Addr)
}

func (t *transport) PacketCh() <-chan *memberlist.Packet { return t.packetCh }

func (t *transport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	return d.Dial("tcp", addr)
}

func (t *transport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	return t.DialTimeout(a.Addr, timeout)
}

func (t *transport) StreamCh() <-chan net.Conn { return t.streamCh }

// Shutdown closes the listeners and waits for their goroutines.
func (t *transport) Shutdown() error {
	t.once.Do(func() {
		close(t.done)
		t.tcp.Close()
		t.udp.Close()
	})
	t.wg.Wait()
	return nil
}

// closed reports whether Shutdown was called.
func (t *transport) closed() bool {
	select {
	case <-t.done:
		return true
	default:
		return false
	}
}

// readPackets hands each packet on in a slice of its own length: memberlist
// may keep what it decodes from it.
func (t *transport) readPackets() {
	defer t.wg.Done()
	buf := make([]byte, maxPacket)
	for {
		n, from, err := t.udp.ReadFrom(buf)
		now := time.Now()
		if err != nil {
			if t.closed() {
				return
			}
			t.logger.Printf("[ERR] memberlist: Error reading UDP packet: %v", err)
			continue
		}
		if n < 1 {
			continue
		}
		p := make([]byte, n)
		copy(p, buf[:n])
		select {
		case t.packetCh <- &memberlist.Packet{Buf: p, From: from, Timestamp: now}:
		case <-t.done:
			return
		}
	}
}

// acceptStreams hands on each TCP connection, backing off after errors.
func (t *transport) acceptStreams() {
	defer t.wg.Done()
	const maxDelay = time.Second
	var delay time.Duration
	for {
		conn, err := t.tcp.AcceptTCP()
		if err != nil {
			if t.closed() {
				return
			}
			delay = min(max(2*delay, 5*time.Millisecond), maxDelay)
			t.logger.Printf("[ERR] memberlist: Error accepting TCP connection: %v", err)
			select {
			case <-time.After(delay):
			case <-t.done:
				return
			}
			continue
		}
		delay = 0
		select {
		case t.streamCh <- conn:
		case <-t.done:
			conn.Close()
			return
		}
	}
}

// use makes ml send and receive through t, and take t's port where ml
// asks for any (port 0).
func (t *transport) use(ml *memberlist.Config) {
	ml.Transport = t
	if ml.BindPort == 0 {
		ml.BindPort, ml.AdvertisePort = t.port, t.port
	}
}
