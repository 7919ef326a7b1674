package node

import (
	"strconv"

	"github.com/loadlab/loadlab/node/wire"
	"github.com/loadlab/loadlab/scenario"
)

// Failure reasons: the keys of results.Result.Failures that real agents
// and their coordinator write. There is one reason per cause, whatever
// path noticed it, so that the failures of one cause add up under one key:
// a dead agent's jobs all fail "agent gone: NAME", whether serf found it
// failed, its endpoint refused a submit, or the dispatcher picked it after
// serf had dropped it.
const (
	// reasonTimeout: the job never ended within the drain time, and
	// nothing says why (its agent is alive as far as serf knows).
	reasonTimeout = "timeout: no completion within the drain time"
	// reasonPointEnded: the coordinator ended the point (or began another)
	// while the agent still held the job.
	reasonPointEnded = "point ended before the job ran"
	// reasonCancelled: a copy a client cancelled before it reached its
	// agent, dropped as it arrived; not a failure of its request.
	reasonCancelled = "cancelled"
	// reasonIgnored counts completion reports of jobs that had already
	// ended (or never existed); it is not a job failure.
	reasonIgnored = "ignored (not a job failure): duplicate or unknown completion report"
)

// reasonGone is the reason of every job lost with agent name: it crashed,
// left, or its endpoint is closed.
func reasonGone(name string) string { return "agent gone: " + name }

// reasonRefused is the reason of a job the live agent name refused at
// submission (an injected fault, or a point it does not run).
func reasonRefused(name string) string { return "submit refused: agent " + name }

// reasonUnreachable is the reason of a job whose submission to agent name
// got no answer, while serf kept the agent alive to the end of the point.
func reasonUnreachable(name string) string { return "agent unreachable: " + name }

// reasonNoNode is the reason of a job placed on a node id outside the
// roster: a dispatch strategy's bug.
func reasonNoNode(n int) string {
	return "invalid placement: node " + strconv.Itoa(n) + " is not in the cluster"
}

// codedError is a sentinel error whose code crosses the wire
// (wire.Coder): errors.Is tells it apart whether it was returned here or
// by the agent that answered a call, without reading its text.
type codedError struct {
	code uint8
	text string
}

func (e *codedError) Error() string { return e.text }
func (e *codedError) Code() uint8   { return e.code }

var _ wire.Coder = (*codedError)(nil)

// The codes of the sentinel errors agents answer with; each names one
// error for the run (agents and coordinator are the same binary).
const (
	codeShed    = 1
	codeLeaving = 2
)

// errShed is the failure reason of a job refused because the agent holds
// AgentConfig.MaxQueue jobs already: under overload an agent sheds work
// rather than grow without bound, and the job is reported failed.
var errShed error = &codedError{codeShed, scenario.ShedReason}

// errLeaving is a closing agent's answer to every request (and a killed
// one's, to a request that reached it as it died); the coordinator
// fails a job it refused so as gone (reasonGone), as the agent's own.
var errLeaving error = &codedError{codeLeaving, "agent leaving the cluster"}
