"""`tmuxorch monitor`: a live dashboard of the event stream in the terminal.

Events per second, counts by event type, the latest events, and the agents by state from a
snapshot taken every few seconds; on this machine or, with `--connect`, on a `tmuxorch serve`.
It only reads. Ctrl-C (or SIGTERM) ends it with exit status 0.

The dashboard is redrawn by the event loop (never by rich's refresh thread), so its state is
only ever touched from one place. When stdout is not a terminal, the header is printed at once
and the dashboard once, at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import time
from collections import Counter, deque

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from tmuxorch.cli.render import event_line, make_console
from tmuxorch.core.backend import Backend
from tmuxorch.core.errors import BadInputError, TmuxorchError
from tmuxorch.core.events import Event
from tmuxorch.core.models import Snapshot
from tmuxorch.usecases.connection import connection_text
from tmuxorch.usecases.labels import STATE_BADGES, agents_by_state

RATE_WINDOW = 10.0
"""Seconds over which events/s is measured."""
REDRAW = 0.25
RETRY = 1.0


def _refused(backend: Backend) -> bool:
    """The server refused us for good (a bad token): retrying cannot help."""
    return backend.connection_state == "refused"


class Dashboard:
    """What the monitor has seen, and how it looks."""

    def __init__(self, label: str, *, recent: int = 12, started: float | None = None) -> None:
        self.label = label
        self.started = time.monotonic() if started is None else started
        self.counts: Counter[str] = Counter()
        self.arrivals: deque[float] = deque()
        self.recent: deque[Text] = deque(maxlen=recent)
        self.snapshot: Snapshot | None = None
        self.snapshot_at = 0.0
        self.connection: str | None = None
        self.problems: dict[str, str] = {}
        """What is wrong right now, by the side that saw it ("event stream", "snapshot"): each
        side clears its own when it works again."""

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add(self, event: Event, now: float) -> None:
        self.counts[event.event] += 1
        self.arrivals.append(now)
        self.recent.appendleft(event_line(event))
        self._forget(now)

    def set_snapshot(self, snapshot: Snapshot, now: float) -> None:
        self.snapshot = snapshot
        self.snapshot_at = now

    def rate(self, now: float) -> float:
        """Events per second over the last RATE_WINDOW seconds (or since the start)."""
        self._forget(now)
        span = min(RATE_WINDOW, max(now - self.started, 1.0))
        return len(self.arrivals) / span

    def _forget(self, now: float) -> None:
        while self.arrivals and self.arrivals[0] < now - RATE_WINDOW:
            self.arrivals.popleft()

    def header(self, now: float) -> Text:
        line = Text("tmuxorch monitor ", "bold")
        line.append(self.label, "dim")
        if self.connection is not None:
            style = "green" if self.connection.startswith("live") else "yellow"
            line.append(f"  {self.connection}", style)
        line.append(f"  up {_duration(now - self.started)}  ·  Ctrl-C to exit", "dim")
        return line

    def render(self, now: float) -> RenderableType:
        summary = Text.assemble(
            ("events ", "bold"), f"{self.total}", "  ·  ", (f"{self.rate(now):.1f}", "bold"),
            f"/s (last {RATE_WINDOW:g} s)",
        )  # fmt: skip
        parts: list[RenderableType] = [self.header(now), summary]
        for where, problem in self.problems.items():
            parts.append(Text(f"⚠ {where}: {problem}", "yellow"))
        side = Table.grid(padding=(0, 4))
        side.add_row(self._types_table(), self._agents_table(now))
        parts += [side, self._recent_table()]
        return Group(*parts)

    def _types_table(self) -> Table:
        table = Table(title="by type", title_justify="left", box=None, show_header=False)
        table.add_column("event")
        table.add_column("count", justify="right")
        for name, count in self.counts.most_common(10):
            table.add_row(name, str(count))
        if not self.counts:
            table.add_row(Text("no events yet", "dim"), "")
        return table

    def _agents_table(self, now: float) -> Table:
        table = Table(title="agents by state", title_justify="left", box=None, show_header=False)
        table.add_column("state")
        table.add_column("count", justify="right")
        snapshot = self.snapshot
        if snapshot is None:
            table.add_row(Text("waiting for a snapshot…", "dim"), "")
            return table
        if not snapshot.tmux.running:
            table.add_row(Text("tmux is not running", "yellow"), "")
            return table
        states = agents_by_state(snapshot)
        for state, count in states.items():
            symbol, style = STATE_BADGES[state]
            table.add_row(Text(f"{symbol} {state}", style), str(count))
        table.add_row(Text("agents", "bold"), str(sum(states.values())))
        table.add_row(
            Text(
                f"{len(snapshot.sessions)} sessions · {len(snapshot.windows())} windows · "
                f"{len(snapshot.panes())} panes · {_duration(now - self.snapshot_at)} ago",
                "dim",
            ),
            "",
        )
        return table

    def _recent_table(self) -> Table:
        table = Table(title="recent events", title_justify="left", box=None, show_header=False)
        table.add_column("event", no_wrap=True, overflow="ellipsis")
        for line in self.recent:
            table.add_row(line)
        if not self.recent:
            table.add_row(Text("waiting for events…", "dim"))
        return table


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds // 60 % 60:02d}m"


async def run_monitor(
    backend: Backend,
    stop: asyncio.Event,
    *,
    interval: float = 2.0,
    recent: int = 12,
    console: Console | None = None,
) -> Dashboard:
    """Show the dashboard until `stop` is set. A refused token ends it with that error; other
    problems (tmux down, a lost connection) are shown and retried."""
    console = console or make_console()
    dashboard = Dashboard(backend.label, recent=recent)

    async def follow() -> None:
        while True:
            try:
                subscription = await backend.subscribe()
                try:
                    dashboard.problems.pop("event stream", None)
                    async for event in subscription:
                        dashboard.add(event, time.monotonic())
                finally:
                    await subscription.close()
            except TmuxorchError as exc:
                if _refused(backend):
                    raise
                dashboard.problems["event stream"] = str(exc)
            await asyncio.sleep(RETRY)

    async def poll() -> None:
        while True:
            try:
                dashboard.set_snapshot(await backend.snapshot(), time.monotonic())
                dashboard.problems.pop("snapshot", None)
            except TmuxorchError as exc:
                if _refused(backend):
                    raise
                dashboard.problems["snapshot"] = str(exc)
            await asyncio.sleep(interval)

    if not console.is_terminal:
        console.print(dashboard.header(time.monotonic()))
    tasks = [asyncio.create_task(follow()), asyncio.create_task(poll())]
    stopped = asyncio.create_task(stop.wait())
    try:
        with Live(console=console, auto_refresh=False, transient=False) as live:
            while True:
                dashboard.connection = connection_text(backend)
                live.update(dashboard.render(time.monotonic()), refresh=True)
                done, _ = await asyncio.wait(
                    [*tasks, stopped], timeout=REDRAW, return_when=asyncio.FIRST_COMPLETED
                )
                for task in done:
                    if task is not stopped:
                        task.result()  # a task only ends by raising: pass it on
                if stopped in done:
                    break
    finally:
        for task in [*tasks, stopped]:
            task.cancel()
        await asyncio.gather(*tasks, stopped, return_exceptions=True)
    return dashboard


async def cmd_monitor(args: argparse.Namespace, backend: Backend) -> int:
    """`tmuxorch monitor`: until Ctrl-C or SIGTERM, then exit 0."""
    if args.interval <= 0:
        raise BadInputError("--interval must be more than 0 seconds")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    try:
        await run_monitor(backend, stop, interval=args.interval)
    finally:
        for signum in signals:
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(signum)
    return 0
