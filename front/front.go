// Package front models a server cluster's front end, the lecture's
// logical switch (Tanenbaum & van Steen, ch. 3, server clusters): every
// request passes it before it is dispatched to a server and, when it
// relays, every response passes it on its way back to the client. With
// TCP handoff it passes the connection on to the chosen server, which
// answers the client directly, so responses never come back through it.
//
// A front end is one FCFS server with its own time, in model units (not a
// node's size units): a request costs it Request, plus Handoff to pass its
// connection on; a relayed response costs it Byte for each byte of the
// response (workload.Config.Response). N front ends share the requests
// round robin, as DNS hands out their addresses; a response returns
// through the front end its request came in by. Without a front end a
// cluster's dispatcher has infinite capacity, as before.
package front

import (
	"math"
	"strconv"

	"github.com/loadlab/loadlab/param"
)

// Front is a cluster's front end with its parameters.
type Front struct {
	Mode    string  // relay or handoff
	N       int     // front ends, taking requests in turn
	Request float64 // time to take in a request and dispatch it
	Byte    float64 // relay: time to pass one byte of a response back
	Handoff float64 // handoff: time to pass a request's connection to its server
	spec    string  // canonical form
}

// Default costs, for a model unit of 10 ms: a request takes 50 µs of a
// switch that parses it; relaying a byte costs 10 ns (100 MB/s of
// copying); a handoff 20 µs more.
const (
	RequestCost = 0.005
	ByteCost    = 1e-6
	HandoffCost = 0.002
)

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

var (
	request = param.Param{Name: "request", Kind: param.Float, Default: ftoa(RequestCost), Doc: "front-end time per request, model units, >= 0"}
	count   = param.Param{Name: "n", Kind: param.Int, Default: "1", Doc: "front ends, taking requests round robin (DNS), >= 1"}
)

var modes = param.Registry[*Front]{
	{Name: "relay", Doc: "the front end takes each request in and relays its response back: it pays per request and per response byte",
		Schema: param.Schema{request, {Name: "byte", Kind: param.Float, Default: ftoa(ByteCost), Doc: "front-end time per response byte, model units, >= 0"}, count},
		Build: func(v param.Values) (*Front, error) {
			return check(&Front{Mode: "relay", N: v.Int("n"), Request: v.Float("request"), Byte: v.Float("byte")}, v, "byte", v.Float("byte"))
		}},
	{Name: "handoff", Doc: "TCP handoff: the front end takes each request in and passes its connection to the server, which answers the client directly",
		Schema: param.Schema{request, {Name: "handoff", Kind: param.Float, Default: ftoa(HandoffCost), Doc: "front-end time to hand a connection off, model units, >= 0"}, count},
		Build: func(v param.Values) (*Front, error) {
			return check(&Front{Mode: "handoff", N: v.Int("n"), Request: v.Float("request"), Handoff: v.Float("handoff")}, v, "handoff", v.Float("handoff"))
		}},
}

// check checks f, built from v, whose mode's own cost is the parameter
// named cost, of value x.
func check(f *Front, v param.Values, cost string, x float64) (*Front, error) {
	finite := func(x float64) bool { return x >= 0 && !math.IsInf(x, 0) }
	switch {
	case f.N < 1:
		return nil, v.Errorf("n", "must be at least 1, got %d", f.N)
	case !finite(f.Request):
		return nil, v.Errorf("request", "must be a finite number >= 0, got %v", f.Request)
	case !finite(x):
		return nil, v.Errorf(cost, "must be a finite number >= 0, got %v", x)
	}
	return f, nil
}

// Parse parses a front end: "relay", "relay(byte=1e-6, n=2)",
// "handoff(handoff=0.002, request=0.005)". The empty string is none (nil).
func Parse(s string) (*Front, error) {
	if s == "" {
		return nil, nil
	}
	f, spec, err := modes.ParseCanonical("front end", s)
	if err != nil {
		return nil, err
	}
	f.spec = spec
	return f, nil
}

// Entries lists the front-end modes for `loadlab policies`.
func Entries() []param.Entry { return modes.Entries() }

// String is the canonical form, every parameter given.
func (f *Front) String() string {
	if f == nil {
		return ""
	}
	return f.spec
}

// In is the front end's time for a request on its way in.
func (f *Front) In() float64 { return f.Request + f.Handoff }

// Out is the front end's time for a response of the given bytes on its
// way back: 0 with handoff, which never sees responses.
func (f *Front) Out(bytes float64) float64 {
	if f.Mode != "relay" {
		return 0
	}
	return bytes * f.Byte
}

// Relays reports whether responses come back through the front end.
func (f *Front) Relays() bool { return f.Mode == "relay" }
