"""loadlab's external policy protocol, for policies written in Python.

A dispatch strategy is a subclass of DispatchPolicy with a pick method; a
migration policy (one process per node) a subclass of MigratePolicy with
any of arrived, departed, timer, requested, message, replied and polled.
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


class Load:
    """One node's load: queue (jobs present, waiting or in service),
    running, work (left), servers and speed."""

    def __init__(self, m):
        self.queue = m["queue"]
        self.running = m["running"]
        self.work = m["work"]
        self.servers = m["servers"]
        self.speed = m["speed"]


class Pick:
    """One pick call: now (model time), job (a dict: id, size, class, key,
    hops), loads (the gossiped Loads of every node, or None when the spec
    says view=0) and probe(ids), which returns the probed nodes' fresh
    Loads in the order asked."""

    def __init__(self, m, channel):
        self.now = m["now"]
        self.job = m.get("job")
        self.loads = Loads(m["loads"]) if "loads" in m else None
        self._channel = channel

    def probe(self, ids):
        ids = [int(i) for i in ids]
        answer = self._channel.ask({"probe": ids})
        if answer.get("call") != "probed":
            raise ProtocolError("want a probed message, got %r" % (answer,))
        return Loads(answer["loads"])


class Call(Pick):
    """One migration call. Besides Pick's now, job (arrived only), loads
    and probe: name ("arrived", "departed", ...), local (this node's exact
    Load), jobs (the jobs present, dicts with id, size, class, key, hops,
    origin, running, done, since, in service first: only if the policy sets
    jobs = True), sender (from: requested, message, replied, polled; -1 is
    a dispatcher's probe), kind and value (message), load (replied: the
    node's answer; polled: the prober's load). send(to, kind, value) and
    probe_later(ids) ride on the answer, whatever it is."""

    def __init__(self, m, channel):
        Pick.__init__(self, m, channel)
        self.name = m["call"]
        self.local = Load(m["local"])
        self.jobs = m.get("jobs")
        self.sender = m.get("from")
        self.kind = m.get("kind")
        self.value = m.get("value")
        self.load = Load(m["load"]) if "load" in m else None
        self._send, self._later = [], []

    def send(self, to, kind, value=0.0):
        self._send.append({"to": int(to), "kind": int(kind), "value": float(value)})

    def probe_later(self, ids):
        self._later.extend(int(i) for i in ids)

    def answer(self, a):
        a = dict(a or {})
        if self._send:
            a["send"] = self._send
        if self._later:
            a["probe_later"] = self._later
        return a


def keep(wake=None):
    """The answer that does nothing (the arriving job stays); wake, a model
    time after now, asks for a timer call then."""
    return {"wake": float(wake)} if wake else {}


def transfer(node, wake=None):
    """Send the arriving job to node (from arrived only)."""
    return dict(keep(wake), verb="transfer", node=int(node))


def request(node, wake=None):
    """Ask node for work: its requested decides."""
    return dict(keep(wake), verb="request", node=int(node))


def push(job, node, wake=None):
    """Send job (an index into call.jobs) to node."""
    return dict(keep(wake), verb="push", job=int(job), node=int(node))


def hand_over(first=0, n=0):
    """requested's answer: call.jobs[first:first+n]; n = 0 refuses."""
    return {"first": int(first), "n": int(n)} if n else {}


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


CALLS = ("arrived", "departed", "timer", "requested", "message", "replied", "polled")


class MigratePolicy:
    """Base class of a migration policy, one process per node. init sets
    node (this node), nodes, servers, speeds and rng (seeded from the
    node's stream). Define only the calls the policy reacts to: loadlab
    sends only those (the others keep). Each returns keep(), transfer(n),
    request(n) or push(i, n) (requested: hand_over(first, n); replied and
    polled: None). Set jobs = True to receive call.jobs."""

    jobs = False

    def init(self, m):
        self.node = m["node"]
        self.nodes = m["nodes"]
        self.servers = m["servers"]
        self.speeds = m.get("speeds") or [1.0] * self.nodes
        self.rng = random.Random(m["seed"])

    def calls(self):
        """The calls this policy defines, which loadlab is to send."""
        return [c for c in CALLS if getattr(type(self), c, None) is not getattr(MigratePolicy, c, None)]


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
    kind = "migrate" if isinstance(policy, MigratePolicy) else "dispatch"
    while True:
        m = channel.read()
        if m is None:
            return
        call = m.get("call")
        try:
            if call == "init":
                if m.get("protocol") != PROTOCOL:
                    raise ProtocolError("protocol %r, this module speaks %d" % (m.get("protocol"), PROTOCOL))
                if m.get("kind") != kind:
                    raise ProtocolError("kind %r: this policy is a %s policy" % (m.get("kind"), kind))
                policy.init(m)
                if kind == "migrate":
                    channel.send({"ok": True, "calls": policy.calls(), "jobs": bool(policy.jobs)})
                else:
                    channel.send({"ok": True})
            elif call == "pick" and kind == "dispatch":
                channel.send({"node": int(policy.pick(Pick(m, channel)))})
            elif call in CALLS and kind == "migrate":
                c = Call(m, channel)
                channel.send(c.answer(getattr(policy, call)(c)))
            else:
                raise ProtocolError("unknown call %r" % (call,))
        except Exception as e:  # the run fails with this text
            channel.send({"error": "%s: %s" % (type(e).__name__, e)})
