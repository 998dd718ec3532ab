"""The ways of watching tmux that tmuxorch replaces: the baseline rows of events, states, fanout
and tui.

The tool tmuxorch replaces looked at the whole server every 0.5 s and diffed each look with the
one before (DESIGN.md: "No 0.5 s polling loop of the whole server"). `Poller` is that loop, in a
thread of its own (such a tool blocks while it looks), with two ways of looking: plain `tmux`
processes (one `list-panes -a`, and one `capture-pane` per agent pane) and libtmux
(`Server.panes`, `Pane.capture_pane`). A look starts every 0.5 s, or at once when the last one
took longer: the most the loop can do. Screens are read with tmuxorch's own patterns, so only the
way of looking differs. Every look is kept with the time it ended, so a benchmark asks when a
change it made at some instant was first seen.
"""

from __future__ import annotations

import asyncio
import importlib
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from bench.fleet import Fleet
from tmuxorch.core.agents.profiles import load_profiles
from tmuxorch.core.store.config import Settings

POLL_INTERVAL_S = 0.5
STRUCTURE = ("session_id", "session_name", "window_id", "window_name", "pane_id", "pane_dead")
"""What a look lists of every pane: enough to see any session, window or pane come, go, be
renamed or die."""
_FORMAT = "\x1f".join(f"#{{{field}}}" for field in STRUCTURE)

Look = Callable[[], dict[str, str]]
"""One look at the server: pane id -> its listing; `state %N` -> the state its screen shows."""
Seen = Callable[[dict[str, str]], bool]


def libtmux_or_none() -> Any | None:
    """libtmux if installed: it is optional (only .venv-bench has it), so imported by name."""
    try:
        return importlib.import_module("libtmux")
    except ImportError:
        return None


def classifier(kind: str = "sim") -> Callable[[str], str]:
    """The state a screen shows, by tmuxorch's own patterns for `kind`: a baseline that reads
    screens differs from tmuxorch only in how it reads them."""
    return load_profiles(Settings())[kind].classify


def subprocess_look(target: Fleet, agents: Sequence[str] = (), kind: str = "sim") -> Look:
    """A look by plain `tmux` processes: one `list-panes -a`, one `capture-pane` per agent."""
    classify = classifier(kind)

    def tmux(*args: str) -> str:
        return subprocess.run(
            target.argv(*args), capture_output=True, text=True, env=target.env, check=True
        ).stdout

    def look() -> dict[str, str]:
        out = tmux("list-panes", "-a", "-F", _FORMAT)
        seen = {line.split("\x1f")[4]: line for line in out.splitlines()}
        for pane in agents:
            seen[f"state {pane}"] = classify(tmux("capture-pane", "-p", "-t", pane))
        return seen

    return look


def libtmux_look(socket_path: Path, agents: Sequence[str] = (), kind: str = "sim") -> Look | None:
    """The same look through libtmux (None when it is not installed)."""
    lib = libtmux_or_none()
    if lib is None:
        return None
    classify = classifier(kind)
    wanted = set(agents)

    def look() -> dict[str, str]:
        seen: dict[str, str] = {}
        for pane in lib.Server(socket_path=socket_path).panes:
            seen[pane.pane_id] = "\x1f".join(str(getattr(pane, f)) for f in STRUCTURE)
            if pane.pane_id in wanted:
                seen[f"state {pane.pane_id}"] = classify("\n".join(pane.capture_pane()))
        return seen

    return look


class Poller:
    """The 0.5 s whole-server poll, running in a thread while the block runs."""

    def __init__(self, look: Look, interval: float = POLL_INTERVAL_S) -> None:
        self._look = look
        self.interval = interval
        self._looks: list[tuple[float, dict[str, str]]] = []
        """(perf_counter when the look ended, what it saw), in order."""
        self.costs_ms: list[float] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bench-poller", daemon=True)
        self._error: BaseException | None = None

    def __enter__(self) -> Poller:
        self._thread.start()
        while not self._looks and self._thread.is_alive():  # the first look is the reference
            time.sleep(0.005)
        self._raise()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(30)

    def _loop(self) -> None:
        due = time.perf_counter()
        try:
            while not self._stop.is_set():
                start = time.perf_counter()
                seen = self._look()
                end = time.perf_counter()
                with self._lock:
                    self._looks.append((end, seen))
                    self.costs_ms.append((end - start) * 1000)
                due = max(due + self.interval, end)
                self._stop.wait(due - end)
        except BaseException as exc:  # reported to the benchmark by the next wait
            self._error = exc

    def _raise(self) -> None:
        if self._error is not None:
            raise RuntimeError(f"the baseline poller failed: {self._error}") from self._error

    def latest(self) -> dict[str, str]:
        """What the last finished look saw."""
        self._raise()
        with self._lock:
            return self._looks[-1][1]

    async def seen(self, since: float, seen: Seen, timeout: float) -> float | None:
        """Seconds from `since` (a perf_counter time) to the end of the first look that ended
        after it and satisfies `seen`; None when none did within `timeout`."""
        index = 0
        deadline = since + timeout
        while True:
            self._raise()
            with self._lock:
                looks = self._looks[index:]
                index += len(looks)
            for end, result in looks:
                if end > since and seen(result):
                    return end - since
            if time.perf_counter() > deadline:
                return None
            await asyncio.sleep(0.002)

    async def changed(self, since: float, before: dict[str, str], timeout: float) -> float | None:
        """Seconds from `since` to the first look that differs from `before`."""
        return await self.seen(since, lambda result: result != before, timeout)

    @property
    def cost_ms(self) -> float:
        """Median time one look takes (its share of a 0.5 s period is the CPU it keeps busy)."""
        return statistics.median(self.costs_ms)


def phases() -> Iterator[float]:
    """Fractions of a period to wait before each change, covering [0, 1) evenly however many
    are taken (steps of the golden ratio): a change made right after the watcher last looked
    (the instant the previous change was seen) would always wait a whole period, and one made
    at a random instant would make runs differ more than they need to."""
    phase = 0.0
    while True:
        phase = (phase + 0.6180339887) % 1.0
        yield phase


def ratio(baseline: float | None, ours: float | None) -> float | None:
    """How many times longer the baseline took than tmuxorch (None when either is missing)."""
    if baseline is None or ours is None or ours <= 0:
        return None
    return round(baseline / ours, 1)
