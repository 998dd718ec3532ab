"""The snapshot benchmark's baselines: the usual ways of listing a whole server, and the loop
that times them (a warm-up run, then runs until a count or a time budget is reached, counting the
tmux processes each run starts)."""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.baselines import libtmux_or_none
from bench.fleet import Fleet
from bench.procs import ProcessCounter

SEP = "\x1f"
_SESSION_FORMAT = SEP.join(
    f"#{{{f}}}"
    for f in ("session_id", "session_name", "session_attached", "session_created",
              "session_activity")
)  # fmt: skip
_WINDOW_FORMAT = SEP.join(
    f"#{{{f}}}"
    for f in ("window_id", "window_index", "window_name", "window_active", "window_activity")
)
_PANE_FORMAT = SEP.join(
    f"#{{{f}}}"
    for f in ("pane_id", "pane_index", "pane_active", "pane_pid", "pane_dead",
              "pane_dead_status", "pane_width", "pane_height", "pane_current_command",
              "pane_current_path")
)  # fmt: skip


@dataclass
class Timing:
    """The runs of one method on one server."""

    method: str
    times_ms: list[float] = field(default_factory=list)
    procs: float | None = None
    """tmux processes started per snapshot (timed runs only)."""
    panes_seen: int = 0
    note: str = ""

    @property
    def median(self) -> float:
        """Median run time in ms: robust against a GC pause or a scheduler hiccup."""
        return statistics.median(self.times_ms)


def naive_snapshot(target: Fleet) -> int:
    """What a script without control mode does: one subprocess per list command, walking the
    tree. Returns the number of panes seen."""

    def lines(*args: str) -> list[list[str]]:
        out = subprocess.run(
            target.argv(*args), capture_output=True, text=True, env=target.env, check=True
        ).stdout
        return [line.split(SEP) for line in out.splitlines()]

    tree: dict[str, Any] = {}
    for session in lines("list-sessions", "-F", _SESSION_FORMAT):
        windows: dict[str, Any] = {}
        tree[session[0]] = {"fields": session, "windows": windows}
        for window in lines("list-windows", "-t", session[0], "-F", _WINDOW_FORMAT):
            panes = lines("list-panes", "-t", window[0], "-F", _PANE_FORMAT)
            windows[window[0]] = {"fields": window, "panes": {p[0]: p for p in panes}}
    return sum(len(w["panes"]) for s in tree.values() for w in s["windows"].values())


def libtmux_panes(socket_path: Path) -> int:
    """libtmux's cheapest full listing: `Server.panes`, one `list-panes -a` with ~120 fields.
    A fresh Server each time, though its properties re-query tmux on every access anyway."""
    lib = libtmux_or_none()
    assert lib is not None
    panes = lib.Server(socket_path=socket_path).panes
    return sum(1 for p in panes if p.pane_id)


def libtmux_walk(socket_path: Path) -> int:
    """The way libtmux is usually used: sessions, then each one's windows, then their panes."""
    lib = libtmux_or_none()
    assert lib is not None
    count = 0
    for session in lib.Server(socket_path=socket_path).sessions:
        for window in session.windows:
            count += sum(1 for p in window.panes if p.pane_id)
    return count


def time_sync(
    method: str, run: Callable[[], int], *, max_runs: int, min_runs: int, budget_s: float
) -> Timing:
    """Time a blocking snapshot function: one warm-up run, then runs until `max_runs` or until
    the time budget is spent (but at least `min_runs`), counting the processes it starts."""
    timing = Timing(method)
    timing.panes_seen = run()  # warm-up: page cache, libtmux's cached `tmux -V`
    spent = 0.0
    with ProcessCounter() as counter:
        while len(timing.times_ms) < max_runs and (
            len(timing.times_ms) < min_runs or spent < budget_s
        ):
            start = time.perf_counter()
            timing.panes_seen = run()
            elapsed = time.perf_counter() - start
            spent += elapsed
            timing.times_ms.append(elapsed * 1000)
    timing.procs = counter.popen_tmux / len(timing.times_ms)
    return timing
