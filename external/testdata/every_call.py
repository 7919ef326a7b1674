"""A migration policy that uses every call and every answer, for tests:
an idle node asks a random other node for work (departed, and again at a
wake-up while idle), a node asked hands over its newest waiting job
(requested, with the jobs list), a node with 3 or more jobs pushes its
newest waiting one to a random node, every arrival tells a random node its
queue (send, message) and probes one later (probe_later, replied); probes
of this node are counted (polled). Usage: every_call.py [counts-file]: at
the end each node appends one line "node calls..." with its count of each
call, so a test can see that every call came."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))

from loadlab_policy import CALLS, MigratePolicy, hand_over, keep, push, request, run  # noqa: E402


class EveryCall(MigratePolicy):
    jobs = True

    def __init__(self):
        self.count = dict.fromkeys(CALLS, 0)

    def other(self):
        n = self.rng.randrange(self.nodes - 1)
        return n + 1 if n >= self.node else n

    def newest_waiting(self, call):
        if call.jobs and not call.jobs[-1]["running"]:
            return len(call.jobs) - 1
        return None

    def arrived(self, call):
        self.count["arrived"] += 1
        call.send(self.other(), 1, call.local.queue)
        call.probe_later([self.other()])
        i = self.newest_waiting(call)
        if call.local.queue >= 3 and i is not None:
            return push(i, self.other())
        return keep()

    def departed(self, call):
        self.count["departed"] += 1
        if call.local.queue == 0:
            return request(self.other(), wake=call.now + 1)
        return keep()

    def timer(self, call):
        self.count["timer"] += 1
        if call.local.queue == 0:
            return request(self.other(), wake=call.now + 1)
        return keep()

    def requested(self, call):
        self.count["requested"] += 1
        i = self.newest_waiting(call)
        return hand_over(i, 1) if i is not None and len(call.jobs) >= 2 else hand_over()

    def message(self, call):
        self.count["message"] += 1
        if call.kind != 1 or call.value != int(call.value):
            raise ValueError("message %r %r" % (call.kind, call.value))
        return keep()

    def replied(self, call):
        self.count["replied"] += 1

    def polled(self, call):
        self.count["polled"] += 1


if __name__ == "__main__":
    p = EveryCall()
    run(p)
    if len(sys.argv) > 1:
        with open(sys.argv[1], "a") as f:
            f.write("%d %s\n" % (p.node, " ".join("%s=%d" % (c, p.count[c]) for c in CALLS)))
