"""loadlab's external policy protocol, for policies written in Python.

A dispatch strategy is a subclass of DispatchPolicy with a pick method;
run(policy) speaks the protocol over standard input and output: one JSON
object per line per call. The specification is in
docs/writing-a-policy-in-python.md. Standard library only.

    from loadlab_policy import DispatchPolicy, run

    class Random(DispatchPolicy):
        def pick(self, call):
            return self.rng.randrange(self.nodes)

    run(Random())
"""

import json
import random
import sys

PROTOCOL = 1


class ProtocolError(Exception):
    """A message that does not follow the protocol."""


class Loads:
    """Node loads in columns, as the protocol sends them: queue[i] is the
    jobs present at node i (waiting or in service), running[i] those in
    service, work[i] the work left, servers[i] and speed[i] its capacity,
    age[i] (gossip only) how old the value is, in model time units."""

    def __init__(self, m):
        self.queue = m.get("queue", [])
        self.running = m.get("running", [])
        self.work = m.get("work", [])
        self.servers = m.get("servers", [])
        self.speed = m.get("speed", [])
        self.age = m.get("age", [])

    def __len__(self):
        return len(self.queue)


class Pick:
    """One pick call: now (model time), job (a dict: id, size, class, key,
    hops), loads (the gossiped Loads of every node, or None when the spec
    says view=0) and probe(ids), which returns the probed nodes' fresh
    Loads in the order asked."""

    def __init__(self, m, channel):
        self.now = m["now"]
        self.job = m["job"]
        self.loads = Loads(m["loads"]) if "loads" in m else None
        self._channel = channel

    def probe(self, ids):
        ids = [int(i) for i in ids]
        answer = self._channel.ask({"probe": ids})
        if answer.get("call") != "probed":
            raise ProtocolError("want a probed message, got %r" % (answer,))
        return Loads(answer["loads"])


class DispatchPolicy:
    """Base class of a dispatch strategy. init sets nodes, servers, speeds
    and rng (a random.Random seeded with the run's seed: draw every random
    choice from it and the policy is deterministic)."""

    def init(self, m):
        self.nodes = m["nodes"]
        self.servers = m["servers"]
        self.speeds = m.get("speeds") or [1.0] * self.nodes
        self.rng = random.Random(m["seed"])

    def pick(self, call):
        """Return the node (0 .. nodes-1) that runs call.job."""
        raise NotImplementedError


class _Channel:
    def __init__(self, inp, out):
        self.inp, self.out = inp, out

    def send(self, m):
        self.out.write(json.dumps(m, separators=(",", ":")))
        self.out.write("\n")
        self.out.flush()

    def read(self):
        line = self.inp.readline()
        if not line:
            return None
        try:
            return json.loads(line)
        except ValueError as e:
            raise ProtocolError("not JSON: %r (%s)" % (line[:80], e))

    def ask(self, m):
        self.send(m)
        answer = self.read()
        if answer is None:
            raise ProtocolError("loadlab closed the input within a call")
        return answer


def run(policy, inp=None, out=None):
    """Serve calls until loadlab closes the input. An exception inside a
    call is answered as {"error": ...}, which fails the run with its text."""
    channel = _Channel(inp or sys.stdin, out or sys.stdout)
    while True:
        m = channel.read()
        if m is None:
            return
        call = m.get("call")
        try:
            if call == "init":
                if m.get("protocol") != PROTOCOL:
                    raise ProtocolError("protocol %r, this module speaks %d" % (m.get("protocol"), PROTOCOL))
                if m.get("kind") != "dispatch":
                    raise ProtocolError("kind %r: this policy is a dispatch strategy" % (m.get("kind"),))
                policy.init(m)
                channel.send({"ok": True})
            elif call == "pick":
                channel.send({"node": int(policy.pick(Pick(m, channel)))})
            else:
                raise ProtocolError("unknown call %r" % (call,))
        except Exception as e:  # the run fails with this text
            channel.send({"error": "%s: %s" % (type(e).__name__, e)})
