"""Summaries the benchmark scripts print."""

from __future__ import annotations

import os
import statistics


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of ``values`` by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latency_line(ms: list[float]) -> str:
    """``p50 .. ms   p99 .. ms   max .. ms`` of a list of milliseconds."""
    return (
        f"p50 {statistics.median(ms):.1f} ms   p99 {percentile(ms, 0.99):.1f} ms   "
        f"max {max(ms):.1f} ms"
    )


def load_average() -> str:
    """The machine's load average over 1, 5 and 15 minutes: a busy machine's figures are not
    this code's."""
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


def machine_line() -> str:
    """The CPUs and the load average, printed beside figures so a busy machine shows."""
    return f"machine: {os.cpu_count()} CPUs, load average {load_average()}"
