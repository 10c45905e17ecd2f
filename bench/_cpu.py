"""Where a benchmark phase's CPU went: CPU time per process group and for the whole machine,
read from ``/proc`` (Linux), turned into CPU microseconds per event and a ceiling.

A phase is measured between :meth:`CpuMeter.start` and :meth:`CpuMeter.stop`. Each live process
is put in a group: by pid where the caller names it (``names``: the bench process, the load
generator), else by its command name: ``postgres`` for every PostgreSQL process (backends, WAL
writer, checkpointer, background writer), ``mosquitto``, ``kernel_threads`` (kworker,
ksoftirqd, ...), and any other under its own name. A process that starts during the phase counts
from zero; one that ends during it is lost (none of the groups above does). The machine's
busy time (``/proc/stat``: all but idle and iowait, so kernel and softirq time for loopback
networking count too) is the total that bounds throughput:

    ceiling_events_per_s = cores * 1e6 / machine busy CPU microseconds per event

is what the same work per event would reach with every core busy all the time and nothing else
running: a target above it cannot be met without making the work per event cheaper.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "CpuMeter",
    "ProcStat",
    "Snapshot",
    "ceiling",
    "machine_ticks",
    "parse_stat",
    "snapshot",
    "summarise",
]

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_BY_COMM = ("postgres", "mosquitto")
# kernel threads (writeback, block I/O, soft interrupts, memory monitoring) as one group
_KERNEL = ("kworker/", "ksoftirqd/", "kdamond", "rcu_", "migration/", "kswapd", "jbd2/")


@dataclass(frozen=True)
class ProcStat:
    comm: str
    ticks: int  # utime + stime
    started: int  # start time after boot (ticks): with the pid, names one process


def parse_stat(text: str) -> ProcStat:
    """One ``/proc/<pid>/stat`` line. The command name is between the first ``(`` and the last
    ``)`` (it may hold spaces and parentheses itself; a kernel worker's changes as it works)."""
    open_, close = text.index("("), text.rindex(")")
    rest = text[close + 2 :].split()  # fields 3.. of proc(5): state, ppid, ...
    # fields 14 (utime), 15 (stime) and 22 (starttime)
    return ProcStat(text[open_ + 1 : close], int(rest[11]) + int(rest[12]), int(rest[19]))


CPU_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


def machine_ticks(text: str) -> dict[str, int]:
    """Ticks of all cores by kind (:data:`CPU_FIELDS`) from the text of ``/proc/stat``."""
    for line in text.splitlines():
        if line.startswith("cpu "):
            vals = [int(v) for v in line.split()[1:9]]  # guest time is inside user
            return dict(zip(CPU_FIELDS, vals, strict=True))
    raise ValueError("no aggregate cpu line in /proc/stat")


def ceiling(machine_busy_us_per_event: float) -> int | None:
    """Events/s with every core busy all the time at this much machine CPU per event."""
    if machine_busy_us_per_event <= 0:
        return None
    return round((os.cpu_count() or 1) * 1e6 / machine_busy_us_per_event)


@dataclass(frozen=True)
class Snapshot:
    procs: dict[int, ProcStat]
    machine: dict[str, int]


def snapshot(proc: Path = Path("/proc")) -> Snapshot:
    procs: dict[int, ProcStat] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            procs[int(entry.name)] = parse_stat((entry / "stat").read_text())
        except (OSError, ValueError, IndexError):
            continue  # ended while being read, or not readable
    return Snapshot(procs, machine_ticks((proc / "stat").read_text()))


@dataclass
class CpuMeter:
    """CPU per group over a phase; ``names`` maps pids to group names (added to at any time)."""

    names: dict[int, str] = field(default_factory=dict)
    proc: Path = Path("/proc")
    _start: Snapshot | None = None

    def group(self, pid: int, comm: str) -> str:
        if pid in self.names:
            return self.names[pid]
        if comm.startswith(_KERNEL):
            return "kernel_threads"
        return next((g for g in _BY_COMM if comm.startswith(g)), comm)

    def start(self) -> CpuMeter:
        self._start = snapshot(self.proc)
        return self

    def stop(self, *, events: int) -> dict[str, Any]:
        """The phase's CPU microseconds per event by group and for the machine, how busy the
        machine was, and the ceiling (module docstring)."""
        if self._start is None:
            raise RuntimeError("CpuMeter.stop before start")
        end = snapshot(self.proc)
        return summarise(self._start, end, events=events, group=self.group)


def summarise(
    start: Snapshot, end: Snapshot, *, events: int, group: Callable[[int, str], str]
) -> dict[str, Any]:
    per_group: dict[str, int] = {}
    for pid, now in end.procs.items():
        before = start.procs.get(pid)
        same = before is not None and before.started == now.started
        used = now.ticks - before.ticks if before is not None and same else now.ticks
        if used > 0:
            name = group(pid, now.comm)
            per_group[name] = per_group.get(name, 0) + used
    kinds = {k: end.machine[k] - start.machine[k] for k in CPU_FIELDS}
    total = sum(kinds.values())
    busy = total - kinds["idle"] - kinds["iowait"]
    n = max(events, 1)
    us = 1e6 / _TICK / n
    machine_us = busy * us
    return {
        "cpu_us_per_event": {k: round(v * us, 1) for k, v in sorted(per_group.items())},
        "machine_busy_us_per_event": round(machine_us, 1),
        "machine_busy_fraction": round(busy / total, 3) if total else None,
        "machine_us_per_event": {
            k: round(v * us, 1) for k, v in kinds.items() if k not in ("idle", "iowait") and v
        },
        "ceiling_events_per_s": ceiling(machine_us),
    }
