"""SimPy peer of werk_process_bench (SimPy 2.x API, Debian python3-simpy).

    /usr/bin/python3 simpy_peer.py hold N EVENTS
    /usr/bin/python3 simpy_peer.py mm1 HORIZON_S

Prints one line "key=value ..." in the same format as the C++ benchmark.
"""
import random
import sys
import time

import SimPy
from SimPy.Simulation import (Process, Resource, activate, hold, initialize, now, release, request,
                              simulate)

events = 0
customers = 0
sojourn = 0.0


class Holder(Process):
    """Hold model: reschedules itself after a uniform delay, forever."""

    def run(self):
        global events
        while True:
            yield hold, self, random.uniform(0.0, 2.0)
            events += 1


def hold_model(n, target_events):
    initialize()
    for _ in range(n):
        h = Holder()
        activate(h, h.run(), at=random.uniform(0.0, 2.0))
    # The mean delay is 1 s, so N events happen per simulated second.
    horizon = target_events / n
    t0 = time.thread_time()
    simulate(until=horizon)
    wall = time.thread_time() - t0
    print("model=hold n=%d events=%d cpu_s=%.4f events_per_s=%.0f simpy=%s"
          % (n, events, wall, events / wall, SimPy.__version__))


class Customer(Process):
    def run(self, server):
        global customers, sojourn
        arrive = now()
        yield request, self, server
        yield hold, self, random.expovariate(1.0)
        yield release, self, server
        customers += 1
        sojourn += now() - arrive


class Arrivals(Process):
    def run(self, server):
        while True:
            yield hold, self, random.expovariate(0.9)
            c = Customer()
            activate(c, c.run(server))


def mm1(horizon):
    initialize()
    server = Resource(capacity=1)
    a = Arrivals()
    activate(a, a.run(server))
    t0 = time.thread_time()
    simulate(until=horizon)
    wall = time.thread_time() - t0
    print("model=mm1 horizon=%.0f customers=%d cpu_s=%.4f customers_per_s=%.0f mean_time_in_system=%.3f simpy=%s"
          % (horizon, customers, wall, customers / wall, sojourn / max(customers, 1), SimPy.__version__))


if __name__ == "__main__":
    random.seed(1)
    if len(sys.argv) == 4 and sys.argv[1] == "hold":
        hold_model(int(sys.argv[2]), int(sys.argv[3]))
    elif len(sys.argv) == 3 and sys.argv[1] == "mm1":
        mm1(float(sys.argv[2]))
    else:
        sys.exit("usage: simpy_peer.py hold N EVENTS | mm1 HORIZON_S")
