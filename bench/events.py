"""Events benchmark: how soon a subscriber hears that another client changed the server.

Why: DESIGN.md replaces polling with control-mode notifications plus a subscription over every
pane's dead flag. This measures what a consumer of `Engine.subscribe()` actually sees: the time
from just before a separate `tmux` command (creating, renaming, killing a session or a window, or
making a pane die) to the matching event coming out of the stream. The time includes starting that
`tmux` client, so a bare `tmux display` is timed too, for scale. The baseline is what tmuxorch
replaces: the 0.5 s whole-server poll (bench/baselines.py), looking through tmux processes and
through libtmux, timed from the same instant to its first look that differs from the one before.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.baselines import (
    POLL_INTERVAL_S,
    Look,
    Poller,
    libtmux_look,
    phases,
    ratio,
    subprocess_look,
)
from bench.fleet import PANE_COMMAND, Fleet, Shape, fleet
from bench.report import finish, one_record_arguments, print_targets, progress
from tmuxorch.core.engine import Engine
from tmuxorch.core.tmux.server import TmuxServer

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
        """`stream` is the engine's event stream (None for a probe that waits otherwise)."""
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


class PollProbe(Probe):
    """The same changes, timed until the 0.5 s whole-server poll first sees them (a look that
    differs from the one before the command). Each change waits a moment first, a different
    share of the poll's period each time (see `phases`)."""

    def __init__(self, target: Fleet, poller: Poller) -> None:
        super().__init__(target, None)
        self.poller = poller
        self._phases = phases()

    async def timed(self, record: Latencies, args: list[str], **match: str) -> tuple[str, Any]:
        await asyncio.sleep(next(self._phases) * self.poller.interval)
        before = self.poller.latest()
        start = time.perf_counter()
        output = await self.command(*args)
        seen = await self.poller.changed(start, before, EVENT_TIMEOUT_S)
        if seen is None:
            record.missed += 1
            return output, None
        record.times_ms.append(seen * 1000)
        return output, seen


async def _subprocess_baseline(probe: Probe, runs: int = 10) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await probe.command("display-message", "-p", "x")
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _operations() -> tuple[dict[str, Latencies], Latencies]:
    ops = {
        name: Latencies(name, event)
        for name, event in (
            ("new-session", "session_added"), ("rename-session", "session_renamed"),
            ("new-window", "window_added"), ("rename-window", "window_renamed"),
            ("kill-window", "window_closed"), ("kill-session", "session_closed"),
        )
    }  # fmt: skip
    return ops, Latencies("respawn-pane 'exit 3'", "pane_died")


async def _changes(probe: Probe, repeats: int, panes: list[str]) -> dict[str, Any]:
    """Make each kind of change `repeats` times, then kill each of `panes`, timing each with
    `probe`; the latencies per operation, and what the pane_died events said."""
    ops, died = _operations()
    statuses: list[int | None] = []
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
    for i, pane in enumerate(panes):
        # tmux checks subscriptions on a 1 s timer, and the previous event came just after a
        # tick: spread the kills over that second so the samples are not all worst cases.
        await asyncio.sleep(i / len(panes))
        _, event = await probe.timed(
            died, ["respawn-pane", "-k", "-t", pane, "exit 3"], pane_id=pane
        )
        if event is not None:
            statuses.append(getattr(event, "status", None))
    # Alive again and remain-on-exit off, for whoever measures next.
    await probe.command("set-option", "-g", "remain-on-exit", "off")
    for pane in panes:
        await probe.command("respawn-pane", "-k", "-t", pane, PANE_COMMAND)
    session_window = [ms for op in ops.values() for ms in op.times_ms]
    return {
        "session_window_ms_median": _median(session_window),
        "session_window_ms_max": _round(max(session_window)) if session_window else None,
        "pane_died_ms_median": _median(died.times_ms),
        "pane_died_ms_max": _round(max(died.times_ms)) if died.times_ms else None,
        "session_window_missed": sum(op.missed for op in ops.values()),
        "pane_died_missed": died.missed,
        "statuses": statuses,
        "per_operation": {op.event: op.summary() for op in [*ops.values(), died]},
    }


async def _polled(target: Fleet, look: Look, repeats: int, panes: list[str]) -> dict[str, Any]:
    """The same changes seen by the 0.5 s poll with `look`."""
    with Poller(look) as poller:
        record = await _changes(PollProbe(target, poller), repeats, panes)
        record["look_ms"] = _round(poller.cost_ms)
    del record["statuses"]
    return record


async def measure(
    target: Fleet, repeats: int, died_repeats: int, baseline_repeats: int
) -> dict[str, Any]:
    """Subscribe an engine to the fleet, time each kind of change `repeats` times; then the
    same as the 0.5 s whole-server poll sees it (tmux processes, then libtmux)."""
    panes = target.pane_ids()[:died_repeats]
    engine = Engine(TmuxServer(socket_path=target.socket_path))
    try:
        stream = await engine.subscribe()
        probe = Probe(target, stream)
        baseline = await _subprocess_baseline(probe)
        ours = await _changes(probe, repeats, panes)
        dropped = stream.dropped
        await stream.close()
    finally:
        await engine.close()
    polls: dict[str, Any] = {}
    looks = {"poll_tmux": subprocess_look(target), "poll_libtmux": libtmux_look(target.socket_path)}
    for name, look in looks.items():
        if look is not None:
            progress(f"events: the same changes seen by the 0.5 s poll ({name})")
            polls[name] = await _polled(target, look, baseline_repeats, panes)
    statuses = ours.pop("statuses")
    per_operation = ours.pop("per_operation")
    record: dict[str, Any] = {"bench": "events", **ours}
    record.update(
        pane_died_statuses=statuses,
        pane_died_without_status=sum(status is None for status in statuses),
        subprocess_ms_median=_round(baseline),
        repeats=repeats,
        pane_died_repeats=died_repeats,
        dropped=dropped,
        per_operation=per_operation,
        baseline_repeats=baseline_repeats,
        poll_interval_ms=POLL_INTERVAL_S * 1000,
    )
    for name, poll in polls.items():
        record[name] = poll
        for what in ("session_window", "pane_died"):
            key = f"{what}_ms_median"
            record[f"{name}_{what}_ratio"] = ratio(poll[key], record[key])
    return record


def _median(values: list[float]) -> float | None:
    return _round(statistics.median(values)) if values else None


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


POLLS = {"poll_tmux": "0.5 s poll, tmux", "poll_libtmux": "0.5 s poll, libtmux"}


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _print_report(record: dict[str, Any], panes: int) -> list[tuple[str, str, bool]]:
    print(
        f"\nEvent latency on a {panes}-pane server: from just before another `tmux` command to "
        "the event\nleaving Engine.subscribe()'s stream; beside it, to the first look of the "
        "0.5 s whole-server poll\nthat differs from the one before (tmux processes or libtmux)"
    )
    polls = [name for name in POLLS if name in record]
    head = "".join(f" {POLLS[name]:>20} {'x':>6}" for name in polls)
    print(f"  {'event':<18} {'median ms':>10} {'max ms':>9} {'missed':>7}{head}")
    for event, summary in record["per_operation"].items():
        row = f"  {event:<18} {_ms(summary['median_ms']):>10} {_ms(summary['max_ms']):>9} "
        row += f"{summary['missed']:>7}"
        for name in polls:
            theirs = record[name]["per_operation"][event]["median_ms"]
            x = ratio(theirs, summary["median_ms"])
            row += f" {_ms(theirs):>20} {'' if x is None else f'{x:.1f}x':>6}"
        print(row)
    print(
        f"  ({record['repeats']} of each session/window change ({record['baseline_repeats']} "
        f"for each poll), {record['pane_died_repeats']} panes killed with exit status 3, "
        f"statuses seen {record['pane_died_statuses']};\n  a bare `tmux display` subprocess "
        f"takes {record['subprocess_ms_median']:.1f} ms"
        + "".join(f"; a look of the {POLLS[n]} {record[n]['look_ms']} ms" for n in polls)
        + ")"
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
    parser.add_argument(
        "--baseline-repeats", type=int, default=5, help="rounds of changes for each poll"
    )


def run(args: argparse.Namespace) -> int:
    """Run the events benchmark; the exit status is 1 only with --strict and a failed target."""
    started = time.perf_counter()
    with fleet(Shape(args.panes)) as target:
        record = asyncio.run(
            measure(target, args.repeats, min(args.died, args.panes), args.baseline_repeats)
        )
    progress(f"events done in {time.perf_counter() - started:.1f} s")
    targets = _print_report(record, args.panes)
    return finish(args, record, targets)
