// Package wire is the TCP protocol between loadlab agents, dispatchers and load generators: versioned, length-prefixed binary frames.
//
// # Frame layout
//
// Every message is one frame; all integers are little-endian and floats are
// IEEE 754 binary64 bit patterns.
//
//	offset size field
//	0      2    magic "LL"
//	2      1    version (Version, 2)
//	3      1    type (Type: 1 error … 9 control, 10 message)
//	4      8    id u64 (request id; a reply carries its request's id; 0 one-way)
//	12     4    from i32 (sender node id, -1 when not a node)
//	16     4    payload length u32 (at most the receiver's limit, DefaultMaxFrame by default)
//	20     n    payload
//
// The payload is a presence byte followed by the present sections in a
// fixed order, and ends with the Data bytes:
//
//	flags u8         bit 0 Job, bit 1 Load, bit 2 Completion, bit 3 Note; other bits must be 0
//	Job (if bit 0)   ID i64, Arrival f64, Size f64, Class i32, Key i32, Hops i32,
//	                 Origin i32, Progress f64, ReplyTo (u32 n, n bytes), State (u32 n, n bytes)
//	Load (if bit 1)  Queue i32, Running i32, Servers i32, Work f64, Speed f64,
//	                 Seq u64, SentUnixNano i64
//	Completion (bit 2) JobID i64, Node i32, Hops i32, StartUnixNano i64,
//	                 EndUnixNano i64, Failed u8 (0 or 1), Reason (u32 n, n bytes)
//	Note (if bit 3)  Kind u8, Value f64
//	Data             u32 n, n bytes (Control JSON, Error text; may be empty)
//
// Any message may carry any section, but Submit and Transfer require a Job,
// Load requires a Load, Completion requires a Completion and Message a
// Note. A Probe from an agent carries the prober's own Load; an Error may
// carry a Note whose Kind is the error's code (Coder, RemoteError). Floats must be
// finite. The encoding is canonical: a frame that decodes re-encodes to the
// same bytes.
//
// # Errors and limits
//
// A receiver checks the header as its bytes arrive and every inner length
// against the bytes that remain before allocating, so a peer can never make
// it allocate more than its payload limit. A malformed, oversized or
// unknown-version frame yields a *FrameError; Serve and Client answer it with
// a TypeError frame carrying the reason and then close the connection.
//
// # Connections
//
// Conn frames a net.Conn. Client keeps one persistent connection and matches
// replies to calls by id, so many calls may be in flight at once; Pool keeps
// one Client per address and redials one whose connection broke. Serve runs a
// Handler for every request in its own goroutine, at most 64 at a time per
// connection, on at most 1,024 connections (Config sets both).
//
// # Security
//
// With Config.Security every connection is mutual TLS 1.3 keyed by a shared
// secret: each node derives the same CA from the secret (HKDF-SHA256 to an
// Ed25519 seed), mints its own certificate under it at start, and accepts
// only peers whose certificate chains to that CA. One secret thus gives
// encryption and mutual authentication with no PKI to manage; a peer without
// it is refused at the handshake, and Serve logs the refusal with the
// remote address. Several secrets allow rotation (NewSecurity). Without
// Security the protocol is plaintext, for loopback and trusted networks.
package wire
