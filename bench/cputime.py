"""CPU time of a process and of its descendants, read from /proc, as a share of one core.

Why /proc and not `resource` or psutil: the processes measured (the TUI, `tmuxorch events`, the
tmux server) are not our children, or not yet reaped, and psutil is no dependency. utime+stime of
/proc/PID/stat count what the process itself spent; its descendants (the tmux control clients
the engine starts) are found by their parent pid and counted apart, so a figure never hides
whose work it is.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, utime+stime in ticks) of a live process; None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    fields = text.rpartition(")")[2].split()
    return int(fields[1]), int(fields[11]) + int(fields[12])


def started_at(pid: int) -> int | None:
    """When `pid` started (ticks since boot, field 22): with the pid, it names one process, so a
    signal never reaches another that was given a recycled pid."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(text.rpartition(")")[2].split()[19])


def ticks(pid: int) -> int:
    """CPU ticks `pid` has spent so far (0 when it is gone)."""
    found = _stat(pid)
    return 0 if found is None else found[1]


def descendant_ticks(pid: int) -> dict[int, int]:
    """CPU ticks of every live descendant of `pid`, by pid."""
    parents: dict[int, tuple[int, int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            found = _stat(int(entry.name))
            if found is not None:
                parents[int(entry.name)] = found
    out: dict[int, int] = {}
    frontier = {pid}
    while frontier:
        children = {child for child, (parent, _) in parents.items() if parent in frontier}
        children -= out.keys()
        out.update({child: parents[child][1] for child in children})
        frontier = children
    return out


@dataclass
class Sample:
    """CPU ticks of some processes at one instant, to subtract from a later sample."""

    at: float
    own: dict[int, int]
    """Ticks of each measured pid itself."""
    children: dict[int, dict[int, int]]
    """Ticks of each measured pid's descendants, by descendant pid."""

    @classmethod
    def take(cls, pids: list[int]) -> Sample:
        return cls(
            time.monotonic(),
            {pid: ticks(pid) for pid in pids},
            {pid: descendant_ticks(pid) for pid in pids},
        )


def percent(ticks_spent: int, seconds: float) -> float:
    """Ticks spent over `seconds` of wall time, as % of one core."""
    return round(100.0 * ticks_spent / TICKS_PER_S / seconds, 2) if seconds > 0 else 0.0


def shares(before: Sample, after: Sample, pid: int) -> tuple[float, float]:
    """(% of a core spent by `pid` itself, % by its descendants) between two samples. A
    descendant born in between counts from zero; one that died in between is lost (its few ticks
    are the cost of a short-lived process, which the engine does not start in steady state)."""
    seconds = after.at - before.at
    own = after.own[pid] - before.own[pid]
    was = before.children[pid]
    children = sum(now - was.get(child, 0) for child, now in after.children[pid].items())
    return percent(own, seconds), percent(children, seconds)
