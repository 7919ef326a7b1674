package wire

import (
	"errors"
	"strconv"
)

// Version is the protocol version written in, and required of, every frame.
// Version 2 added TypeMessage and its Note section; a steal is answered
// with an Ack and the jobs handed over follow as transfers. Version 3 added
// the work unit's segments to Job (Checkpoint, Code, Resources, Homes and
// their checksum), TypeFetch for code on demand, TypeAccess for remote
// uses of a resource, TypePage for state sent apart from its unit, and
// Completion.Result. Job.Phases came later within version 3, as an
// optional section behind a payload flag of its own: a frame without
// phases is byte for byte what it was, and a decoder from before them
// refuses a frame with phases as having unknown payload flags. TypeCancel
// came later still: every frame from before decodes as it did, and a
// decoder from before it refuses a cancellation as of an unknown type.
// A job's content (Hit, Response, Lookup) and a completion's (Lookup,
// Body) came later still, each an optional section behind a payload flag
// of its own, as phases are.
const Version = 3

// MaxPhases is the most entries a job's Phases may have: ten thousand
// waits with a burst on either side (workload.MaxCalls).
const MaxPhases = 2*10_000 + 1

// DefaultMaxFrame is the number of payload bytes accepted by default.
const DefaultMaxFrame = 8 << 20

// Type is the kind of a message.
type Type uint8

// The message types. Each comment names the reply a request gets.
const (
	TypeError      Type = iota + 1 // an error reply or report; Data holds the text, Note.Kind its code if any (Coder)
	TypeSubmit                     // a job to run (dispatcher → agent); reply TypeAck
	TypeAck                        // generic OK reply
	TypeProbe                      // ask for fresh load; reply TypeLoad
	TypeLoad                       // a load report
	TypeTransfer                   // a job moving between agents, with its state bytes; reply TypeAck (or TypeError if refused)
	TypeSteal                      // ask for work (receiver-initiated); reply TypeAck; the jobs handed over follow as TypeTransfer calls
	TypeCompletion                 // agent → generator: a job ended (completed or failed); no reply (one-way)
	TypeControl                    // JSON payload (configure, stats, start/stop); reply TypeControl
	TypeMessage                    // a policy message (Note) to another node's migration policy; no reply (one-way)
	TypeFetch                      // code on demand: Data names the code (kernel/version); reply TypeAck with the code's bytes in Data
	TypeAccess                     // a remote use of a resource: Data holds the use's bytes; reply TypeAck
	TypePage                       // part of a unit's state sent apart from the unit (pre-copy rounds, post-copy pushes): Data; reply TypeAck
	TypeCancel                     // stop a job where it is (a client's cancellation): Done.JobID names it; reply TypeAck, its Note the outcome (CancelStopped, CancelAbsent)
)

// The outcomes of a cancellation, in its reply's Note.Kind.
const (
	CancelAbsent  uint8 = iota // the job is not here: it ended, or has not arrived (it will be dropped as it does)
	CancelStopped              // the job was stopped; Note.Value is the work it had done, model units
)

var typeNames = [...]string{
	TypeError:      "error",
	TypeSubmit:     "submit",
	TypeAck:        "ack",
	TypeProbe:      "probe",
	TypeLoad:       "load",
	TypeTransfer:   "transfer",
	TypeSteal:      "steal",
	TypeCompletion: "completion",
	TypeControl:    "control",
	TypeMessage:    "message",
	TypeFetch:      "fetch",
	TypeAccess:     "access",
	TypePage:       "page",
	TypeCancel:     "cancel",
}

func (t Type) valid() bool { return t >= TypeError && t <= TypeCancel }

// String returns the type's lower-case name, or "Type(n)" for an unknown one.
func (t Type) String() string {
	if t.valid() {
		return typeNames[t]
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// Job is a job on the wire.
type Job struct {
	ID       int64
	Arrival  float64 // scheduled arrival, model units since the run's epoch
	Size     float64 // service demand, model units
	Class    int32
	Key      int32
	Hops     int32
	Origin   int32
	Progress float64 // work already done (strong mobility), model units
	ReplyTo  string  // host:port of the completion listener
	State    []byte  // execution segment: the unit's data (may be empty; up to the frame limit)

	// The rest is a work unit's segments as they travel (see
	// workload.Unit); all may be empty. Sum covers them and State.
	Checkpoint []byte  // a real kernel's state at a safe point (strong mobility), as the executor wrote it
	Code       []byte  // the code segment, when the move sends it
	Resources  []byte  // resources moved or copied with the unit, in the order of its resource segment
	Homes      []int32 // per resource of the unit's segment, the node that holds it (-1: bound here)
	Sum        uint32  // CRC-32C of the segments, written by Job.Seal, checked by Job.Verify

	// Phases, for a job that blocks, alternate CPU bursts and waits as
	// workload.Job.Phases does: [cpu₀, wait₀, cpu₁, …, cpuₖ], an odd
	// number of finite entries ≥ 0 (at most MaxPhases) whose bursts add
	// up to Size. nil: one burst of Size.
	Phases []float64

	// A job's content, with caches of keys and a front end (packages
	// cache and front); all zero otherwise, and then not on the wire.
	Hit      float64 // service demand if Key is warm in its node's cache (Size is a miss's), model units
	Response float64 // bytes of its response, which the agent sends back with its completion
	Lookup   uint8   // the cache lookup made where it was first admitted (LookupNone, LookupMiss, LookupHit)
}

// The outcomes of a job's cache lookup (Job.Lookup, Completion.Lookup).
const (
	LookupNone uint8 = iota // not looked up: no cache, or not admitted yet
	LookupMiss
	LookupHit
)

// Load is a node's load report.
type Load struct {
	Queue, Running, Servers int32
	Work, Speed             float64
	Seq                     uint64
	SentUnixNano            int64
}

// Completion reports that a job ended, completed or failed.
type Completion struct {
	JobID                      int64
	Node                       int32
	Hops                       int32
	StartUnixNano, EndUnixNano int64 // wall clock at the agent
	Failed                     bool
	Reason                     string
	Result                     []byte // a real kernel's result (e.g. its final digest), if it has one
	Lookup                     uint8  // the job's cache lookup (LookupNone, LookupMiss, LookupHit)
	Body                       []byte // the job's response (Job.Response bytes), for the client or the front end relaying it
}

// Note is a policy message: a kind whose meaning the policy defines, and a
// value (policy.Message).
type Note struct {
	Kind  uint8
	Value float64
}

// Msg is one frame's content: Type plus the field(s) that type uses.
// Decoded empty byte slices are nil.
type Msg struct {
	Type Type
	ID   uint64      // request id; a reply carries the id of its request; 0 for one-way
	From int32       // sender node id (-1: not a node)
	Job  *Job        // Submit, Transfer
	Load *Load       // Load; in a Probe, the prober's own load (none from a dispatcher)
	Done *Completion // Completion
	Note *Note       // Message
	Data []byte      // Control (JSON), Error text

	payload []byte // the frame buffer the byte slices above share, if pooled (see Release)
}

// A Coder is an error with a code a caller can branch on. A handler's
// error that is or wraps a Coder reaches the caller with its code: the
// TypeError reply carries it in Note.Kind, and Call returns a *RemoteError
// with that Code, which errors.Is matches against any Coder of the same
// code. Codes are the application's; 0 means none.
type Coder interface {
	error
	Code() uint8
}

// RemoteError is the error a TypeError message stands for: the peer's text
// and, if its error was a Coder, its code.
type RemoteError struct {
	Code uint8 // 0: the peer gave none
	Text string
}

func (e *RemoteError) Error() string { return e.Text }

// Is reports whether target is a Coder with e's code (not 0), so that a
// sentinel Coder is matched by errors.Is on both sides of a call.
func (e *RemoteError) Is(target error) bool {
	c, ok := target.(Coder)
	return ok && e.Code != 0 && c.Code() == e.Code
}

// Err returns, for a TypeError message, a *RemoteError with Data as its
// text and Note.Kind (if there is a Note) as its code; for any other type
// it returns nil.
func (m *Msg) Err() error {
	if m == nil || m.Type != TypeError {
		return nil
	}
	if len(m.Data) == 0 {
		return errors.New("wire: remote error without text")
	}
	e := &RemoteError{Text: string(m.Data)}
	if m.Note != nil {
		e.Code = m.Note.Kind
	}
	return e
}
