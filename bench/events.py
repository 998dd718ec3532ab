"""Events benchmark: how soon a subscriber hears that another client changed the server.

Why: DESIGN.md replaces polling with control-mode notifications plus a subscription over every
pane's dead flag. This measures what a consumer of `Engine.subscribe()` actually sees: the time
from just before a separate `tmux` command (creating, renaming, killing a session or a window, or
making a pane die) to the matching event coming out of the stream. The time includes starting that
`tmux` client, so a bare `tmux display` is timed too, for scale.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.fleet import PANE_COMMAND, Fleet, Shape, fleet
from bench.report import finish, one_record_arguments, print_targets
from tmuxorch.core.engine import Engine
from tmuxorch.core.tmux_server import TmuxServer

SESSION_WINDOW_TARGET_MS = 100.0
PANE_DIED_TARGET_MS = 1500.0
EVENT_TIMEOUT_S = 5.0

Predicate = Callable[[Any], bool]


@dataclass
class Latencies:
    """The measurements of one kind of operation."""

    operation: str
    event: str
    times_ms: list[float] = field(default_factory=list)
    missed: int = 0

    def summary(self) -> dict[str, float | int | None]:
        """Median, max and misses, for the table and the JSON line."""
        if not self.times_ms:
            return {"median_ms": None, "max_ms": None, "missed": self.missed}
        return {
            "median_ms": round(statistics.median(self.times_ms), 2),
            "max_ms": round(max(self.times_ms), 2),
            "missed": self.missed,
        }


class Probe:
    """Runs tmux commands against the fleet and times the event each one should cause."""

    def __init__(self, target: Fleet, stream: Any) -> None:
        self.target = target
        self.stream = stream

    async def _wait(self, predicate: Predicate, timeout: float) -> tuple[Any, float]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            event = await asyncio.wait_for(self.stream.__anext__(), remaining)
            if predicate(event):
                return event, time.perf_counter()

    async def command(self, *args: str) -> str:
        """Run one tmux command (not timed) and return its output."""
        process = await asyncio.create_subprocess_exec(
            *self.target.argv(*args),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self.target.env,
        )
        out, err = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"tmux {args[0]} failed: {err.decode().strip()}")
        return out.decode().strip()

    async def timed(self, record: Latencies, args: list[str], **match: str) -> tuple[str, Any]:
        """Run `args`, then wait for the first `record.event` event whose attributes equal
        `match`, and record the latency. Returns the command's output and the event (None when
        it did not come within EVENT_TIMEOUT_S)."""

        def predicate(event: Any) -> bool:
            return event.event == record.event and all(
                getattr(event, key, None) == value for key, value in match.items()
            )

        start = time.perf_counter()
        # Listen from the start: the event can come before the `tmux` client has even exited.
        waiter = asyncio.create_task(self._wait(predicate, EVENT_TIMEOUT_S))
        try:
            output = await self.command(*args)
        except BaseException:
            waiter.cancel()
            raise
        try:
            event, received = await waiter
        except TimeoutError:
            record.missed += 1
            return output, None
        record.times_ms.append((received - start) * 1000)
        return output, event


async def _subprocess_baseline(probe: Probe, runs: int = 10) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await probe.command("display-message", "-p", "x")
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


async def measure(target: Fleet, repeats: int, died_repeats: int) -> dict[str, Any]:
    """Subscribe an engine to the fleet, then time each kind of change `repeats` times."""

    ops = {
        name: Latencies(name, event)
        for name, event in (
            ("new-session", "session_added"), ("rename-session", "session_renamed"),
            ("new-window", "window_added"), ("rename-window", "window_renamed"),
            ("kill-window", "window_closed"), ("kill-session", "session_closed"),
        )
    }  # fmt: skip
    died = Latencies("respawn-pane 'exit 3'", "pane_died")
    statuses: list[int | None] = []
    engine = Engine(TmuxServer(socket_path=target.socket_path))
    try:
        stream = await engine.subscribe()
        probe = Probe(target, stream)
        baseline = await _subprocess_baseline(probe)
        for i in range(repeats):
            name = f"ev{i:02d}"
            sid, _ = await probe.timed(
                ops["new-session"],
                ["new-session", "-d", "-P", "-F", "#{session_id}", "-s", name, PANE_COMMAND],
                name=name,
            )
            await probe.timed(
                ops["rename-session"], ["rename-session", "-t", sid, f"{name}-renamed"],
                session_id=sid,
            )  # fmt: skip
            wid, _ = await probe.timed(
                ops["new-window"],
                ["new-window", "-d", "-P", "-F", "#{window_id}", "-t", f"{sid}:", PANE_COMMAND],
                session_id=sid,
            )
            await probe.timed(
                ops["rename-window"], ["rename-window", "-t", wid, "renamed"], window_id=wid
            )
            await probe.timed(ops["kill-window"], ["kill-window", "-t", wid], window_id=wid)
            await probe.timed(ops["kill-session"], ["kill-session", "-t", sid], session_id=sid)
        await probe.command("set-option", "-g", "remain-on-exit", "on")
        for i, pane in enumerate(target.pane_ids()[:died_repeats]):
            # tmux checks subscriptions on a 1 s timer, and the previous event came just after a
            # tick: spread the kills over that second so the samples are not all worst cases.
            await asyncio.sleep(i / died_repeats)
            _, event = await probe.timed(
                died, ["respawn-pane", "-k", "-t", pane, "exit 3"], pane_id=pane
            )
            if event is not None:
                statuses.append(event.status)
        dropped = stream.dropped
        await stream.close()
    finally:
        await engine.close()

    session_window = [ms for op in ops.values() for ms in op.times_ms]
    missed = sum(op.missed for op in ops.values())
    return {
        "bench": "events",
        "session_window_ms_median": _round(statistics.median(session_window))
        if session_window
        else None,
        "session_window_ms_max": _round(max(session_window)) if session_window else None,
        "pane_died_ms_median": _round(statistics.median(died.times_ms)) if died.times_ms else None,
        "pane_died_ms_max": _round(max(died.times_ms)) if died.times_ms else None,
        "session_window_missed": missed,
        "pane_died_missed": died.missed,
        "pane_died_statuses": statuses,
        "pane_died_without_status": sum(status is None for status in statuses),
        "subprocess_ms_median": _round(baseline),
        "repeats": repeats,
        "pane_died_repeats": died_repeats,
        "dropped": dropped,
        "per_operation": {op.event: op.summary() for op in [*ops.values(), died]},
    }


def _round(value: float) -> float:
    return round(value, 2)


def _targets(record: dict[str, Any]) -> list[tuple[str, str, bool]]:
    sw_max, died_max = record["session_window_ms_max"], record["pane_died_ms_max"]
    return [
        (
            f"session/window events <= {SESSION_WINDOW_TARGET_MS:g} ms (max), none missed",
            f"max {sw_max} ms, missed {record['session_window_missed']}",
            sw_max is not None
            and sw_max <= SESSION_WINDOW_TARGET_MS
            and record["session_window_missed"] == 0,
        ),
        (
            f"pane_died <= {PANE_DIED_TARGET_MS / 1000:g} s (max), none missed",
            f"max {died_max} ms, missed {record['pane_died_missed']}",
            died_max is not None
            and died_max <= PANE_DIED_TARGET_MS
            and record["pane_died_missed"] == 0,
        ),
    ]


def _print_report(record: dict[str, Any], panes: int) -> list[tuple[str, str, bool]]:
    print(
        f"\nEvent latency on a {panes}-pane server: from just before another `tmux` command to "
        "the event\nleaving Engine.subscribe()'s stream"
    )
    print(f"  {'event':<18} {'median ms':>10} {'max ms':>9} {'missed':>7}")
    for event, summary in record["per_operation"].items():
        median = "-" if summary["median_ms"] is None else f"{summary['median_ms']:.1f}"
        worst = "-" if summary["max_ms"] is None else f"{summary['max_ms']:.1f}"
        print(f"  {event:<18} {median:>10} {worst:>9} {summary['missed']:>7}")
    print(
        f"  ({record['repeats']} of each session/window change, {record['pane_died_repeats']} "
        f"panes killed with exit status 3, statuses seen {record['pane_died_statuses']}; "
        f"a bare `tmux display` subprocess takes {record['subprocess_ms_median']:.1f} ms)"
    )
    targets = _targets(record)
    print_targets(targets)
    return targets


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `python -m bench events`."""
    one_record_arguments(parser)
    parser.add_argument("--repeats", type=int, default=10, help="rounds of session/window changes")
    parser.add_argument("--died", type=int, default=10, help="panes to kill for pane_died")
    parser.add_argument("--panes", type=int, default=16, help="size of the server")


def run(args: argparse.Namespace) -> int:
    """Run the events benchmark; the exit status is 1 only with --strict and a failed target."""
    started = time.perf_counter()
    with fleet(Shape(args.panes)) as target:
        record = asyncio.run(measure(target, args.repeats, min(args.died, args.panes)))
    print(f"bench: events done in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    targets = _print_report(record, args.panes)
    return finish(args, record, targets)
