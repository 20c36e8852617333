"""CPU time a benchmark's processes spent, read from /proc: on a machine shared with other
work, seconds of CPU per unit of work say which stage costs the most where wall-clock
latency only says that the machine was busy."""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float, str] | None:
    """(parent pid, user + system CPU seconds, command name) of a live process."""
    try:
        head, tail = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)
    except OSError:
        return None
    fields = tail.split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK, head.split("(", 1)[1]


# What a line of /proc/stat counts as busy: user, nice, system, irq, softirq, steal.
_BUSY = (0, 1, 2, 5, 6, 7)
MACHINE = "the machine, every process"


def machine_busy() -> float:
    """CPU seconds every core of the machine spent busy since it booted."""
    cpu = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    return sum(int(cpu[i]) for i in _BUSY) / TICK


# The RabbitMQ server's processes on this machine (its Erlang VM), by command name.
BROKER = {"beam.smp": "rabbitmq (the machine's broker)"}


class CpuAccount:
    """CPU seconds by owner from the first sample on, sampled now and then: what a process
    spent before the first sample (starting up) is left out, and a process started and
    stopped between two samples is missed (sample often)."""

    def __init__(self) -> None:
        self._base: dict[int, float] | None = None
        self._last: dict[int, tuple[str, float]] = {}

    def sample(
        self,
        roots: dict[int, str],
        extra: dict[int, str] | None = None,
        commands: dict[str, str] | None = None,
    ) -> None:
        """Note the CPU of each root process and its descendants under the root's name, of
        each ``extra`` pid (a database session) under its own name, and of every process whose
        command name is in ``commands`` (the broker) under the name given there."""
        children: dict[int, list[int]] = defaultdict(list)
        stats = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit() and (stat := _stat(int(entry))) is not None:
                stats[int(entry)] = stat
                children[stat[0]].append(int(entry))
        for root, name in roots.items():
            pending = [root]
            while pending:
                pid = pending.pop()
                if pid in stats:
                    self._last[pid] = (name, stats[pid][1])
                pending.extend(children.get(pid, ()))
        for pid, name in (extra or {}).items():
            if pid in stats:
                self._last[pid] = (name, stats[pid][1])
        for pid, (_, seconds, command) in stats.items():
            if commands and command in commands:
                self._last[pid] = (commands[command], seconds)
        self._last[0] = (MACHINE, machine_busy())  # no process has pid 0
        if self._base is None:
            self._base = {pid: seconds for pid, (_, seconds) in self._last.items()}

    def totals(self) -> dict[str, float]:
        """CPU seconds by name, most first."""
        sums: dict[str, float] = defaultdict(float)
        base = self._base or {}
        for pid, (name, seconds) in self._last.items():
            sums[name] += seconds - base.get(pid, 0.0)
        return dict(sorted(sums.items(), key=lambda item: -item[1]))
