"""Random dispatch: each job to a node chosen uniformly at random (with
no balancing, N independent M/M/1 queues under Poisson arrivals)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from loadlab_policy import DispatchPolicy, run  # noqa: E402


class Random(DispatchPolicy):
    def pick(self, call):
        return self.rng.randrange(self.nodes)


if __name__ == "__main__":
    run(Random())
