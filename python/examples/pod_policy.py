"""Power of d choices: probe d distinct random nodes, join the one with
the shortest queue per server (ties at random). Mitzenmacher's
supermarket model. Usage: pod_policy.py [d], d = 2 by default."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from loadlab_policy import DispatchPolicy, run  # noqa: E402


class PowerOfD(DispatchPolicy):
    def __init__(self, d):
        if d < 1:
            raise ValueError("d must be at least 1, got %d" % d)
        self.d = d

    def pick(self, call):
        sample = self.rng.sample(range(self.nodes), min(self.d, self.nodes))
        loads = call.probe(sample)
        best, ties = None, []
        for i, node in enumerate(sample):
            q = loads.queue[i] / max(loads.servers[i], 1)
            if best is None or q < best:
                best, ties = q, [node]
            elif q == best:
                ties.append(node)
        return ties[0] if len(ties) == 1 else self.rng.choice(ties)


if __name__ == "__main__":
    run(PowerOfD(int(sys.argv[1]) if len(sys.argv) > 1 else 2))
