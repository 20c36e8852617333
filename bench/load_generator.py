"""A closed-loop load generator: N clients, each its own OS process, each sending its next
request as soon as the last one is answered, for a fixed time; concurrency raised step by step.

Processes, not threads, so no client waits on another's GIL and the latencies are the
server's, not the generator's. Each client times every request it starts after the warm-up;
the rate of a step is those requests over the measured window. The CPU time the clients
used is reported too: on a small machine the generator takes its share of the cores.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.figures import percentile

# A client: built in its own process from the step's concurrency and its own index, returns
# the function that does one request (raising on a failure).
Client = Callable[[int, int], Callable[[], None]]


@dataclass
class Step:
    clients: int
    seconds: float
    ms: list[float]
    errors: int
    first_error: str
    client_cpu: float
    answered: int

    @property
    def rate(self) -> float:
        return len(self.ms) / self.seconds

    @property
    def p99(self) -> float:
        return percentile(self.ms, 0.99) if self.ms else float("inf")

    def line(self) -> str:
        p50 = percentile(self.ms, 0.5) if self.ms else float("inf")
        errors = f"   {self.errors} errors ({self.first_error})" if self.errors else ""
        return (
            f"    {self.clients:>3} clients: {self.rate:8,.0f}/s   p50 {p50:6.1f} ms   "
            f"p99 {self.p99:6.1f} ms   ({len(self.ms):,} requests, clients' CPU "
            f"{self.client_cpu:.1f} s){errors}"
        )


def _client(make: Client, clients: int, index: int, times: tuple, out) -> None:
    begin, measure, end = times
    once = make(clients, index)
    ms, errors, first_error, answered = [], 0, "", 0
    while time.monotonic() < begin:
        time.sleep(0.001)
    while True:
        started = time.monotonic()
        if started >= end:
            break
        try:
            once()
        except Exception as exc:  # counted and shown: the step is then invalid
            errors += 1
            first_error = first_error or repr(exc)[:200]
            continue
        answered += 1
        if started >= measure:
            ms.append((time.monotonic() - started) * 1000)
    cpu = os.times()
    out.put((ms, errors, first_error, cpu.user + cpu.system, answered))


def step(make: Client, clients: int, seconds: float, warmup: float) -> Step:
    """Run ``clients`` processes for ``warmup`` + ``seconds``; time what starts after warm-up."""
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    # Every client set up (connections opened) before the clock starts.
    begin = time.monotonic() + 1.0 + clients * 0.05
    times = (begin, begin + warmup, begin + warmup + seconds)
    procs = [
        context.Process(target=_client, args=(make, clients, i, times, out), daemon=True)
        for i in range(clients)
    ]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=times[2] - time.monotonic() + 60) for _ in procs]
    for proc in procs:
        proc.join(timeout=10)
    ms = [m for r in results for m in r[0]]
    errors = sum(r[1] for r in results)
    first = next((r[2] for r in results if r[2]), "")
    cpu = sum(r[3] for r in results)
    return Step(clients, seconds, ms, errors, first, cpu, sum(r[4] for r in results))


def ramp(
    make: Client, levels: Sequence[int], seconds: float, warmup: float, p99_ms: float
) -> tuple[list[Step], Step | None]:
    """Raise the concurrency through ``levels`` until p99 exceeds ``p99_ms`` (or errors);
    return every step and the fastest one within the bound."""
    steps: list[Step] = []
    for clients in levels:
        done = step(make, clients, seconds, warmup)
        steps.append(done)
        print(done.line(), flush=True)
        if done.errors or done.p99 > p99_ms:
            break
    within = [s for s in steps if not s.errors and s.p99 <= p99_ms]
    return steps, max(within, key=lambda s: s.rate, default=None)
