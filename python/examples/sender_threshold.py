"""Sender-initiated threshold migration (Eager, Lazowska & Zahorjan 1986),
the twin of the built-in sender.threshold(T, probes): a job arriving fresh
from the dispatcher at a node whose queue is already T or more probes up
to `probes` random other nodes, one at a time, and goes to the first whose
queue is below T; if none is, it stays. A transferred job is never moved
again. Usage: sender_threshold.py [T] [probes], 2 and 3 by default (the
built-in's defaults)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from loadlab_policy import MigratePolicy, keep, run, transfer  # noqa: E402


class SenderThreshold(MigratePolicy):
    def __init__(self, t, probes):
        if t < 1 or probes < 1:
            raise ValueError("T and probes must be at least 1, got %d and %d" % (t, probes))
        self.t, self.probes = t, probes

    def arrived(self, call):
        if call.job["hops"] > 0 or call.local.queue < self.t or self.nodes < 2:
            return keep()
        others = [n for n in range(self.nodes) if n != self.node]
        for n in self.rng.sample(others, min(self.probes, len(others))):
            if call.probe([n]).queue[0] < self.t:
                return transfer(n)
        return keep()


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    run(SenderThreshold(*(args + [2, 3][len(args):])))
