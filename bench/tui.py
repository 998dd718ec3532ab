"""TUI: first frame with 200 agents, agent state change on screen, memory with 500 panes.

The app runs headless (Textual's Pilot) against a real engine. 200 panes tagged as agents fill
the table; one of them is a real simulated agent, sent a message (by a separate `tmux`, as a user
would) so it shows its busy line. The latency a user sees runs from that screen change in the
pane (the instant tmux reads the busy line from the pane: a bare `tmux -C` client watching the
pane's output notes it) to the first frame the app paints with the row saying `busy` (a wrapper
around the app's display step notes it): the sweep interval, the state debounce, the event and
the redraw are all inside. Beside it, the baseline, with no app: the 0.5 s whole-server poll of
the tool tmuxorch replaces (bench/baselines.py), capturing all 200 agent panes per look, timed
from the same screen change to its first look that reads `busy`. Memory is the process's
resident set once the app shows 500 panes.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.agentfleet import wait_prompts
from bench.bare import ScreenWitness
from bench.baselines import Look, Poller, libtmux_look, phases, ratio, subprocess_look
from bench.fleet import SESSION_PREFIX, Fleet, Shape, fleet
from bench.report import finish, one_record_arguments, print_targets, progress
from bench.rss import rss_mb
from tmuxorch.core.engine import Engine
from tmuxorch.core.events import AgentStateChanged
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.streams import EventStream
from tmuxorch.core.tmux.server import TmuxServer
from tmuxorch.simagent.screen import BUSY_FORMAT
from tmuxorch.tui.app import TmuxorchApp

FIRST_FRAME_TARGET_S = 1.0
STATE_TARGET_MS = 1000.0
RSS_TARGET_MB = 150.0
BUSY_S = 5.0
"""How long the timed agent works: long enough for a poll whose looks take 2 s on a loaded
machine to read it busy (at 3 s one run saw it after 3.6 s)."""
BUSY_TEXT = BUSY_FORMAT.rsplit("· ", 1)[1].rstrip(")")
"""What the busy line says whatever its spinner and seconds (`esc to interrupt`)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `python -m bench tui`."""
    parser.add_argument("--agents", type=int, default=200, help="agent panes for the first frame")
    parser.add_argument("--panes", type=int, default=500, help="panes for the memory figure")
    parser.add_argument("--repeats", type=int, default=5, help="state changes to time")
    parser.add_argument(
        "--baseline-repeats", type=int, default=3, help="state changes for each poll"
    )
    one_record_arguments(parser)


def _command(n: int) -> list[str]:
    if n == 0:
        return [sys.executable, "-m", "tmuxorch.simagent", "--busy", f"{BUSY_S:g}", "--name", "t"]
    return ["sleep", "100000"]


def _tag_all(built: Fleet) -> None:
    built.chained(
        [["set-option", "-p", "-t", pane, "@tmuxorch-agent", "sim"] for pane in built.pane_ids()]
    )


async def _until(condition: Callable[[], object], step: float) -> None:
    """Let the app run until `condition` holds; a broken run fails after 60 s, never hangs.
    A plain sleep, not `Pilot.pause`: that one queues a message to every widget each time, and
    polled every millisecond it would slow down the very app being timed."""
    deadline = time.monotonic() + 60
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("the TUI bench waited 60 s for something that never happened")
        await asyncio.sleep(step)


async def _make_busy(built: Fleet, engine: Engine, pane: str, witness: ScreenWitness) -> float:
    """Type a message and Enter into the idle agent; when its busy line showed (perf_counter)."""
    built.tmux("send-keys", "-t", pane, "-l", "--", "work")
    if await wait_prompts(engine, [pane], "work"):  # typed, before Enter
        raise RuntimeError("the agent never showed the typed text")
    sent = time.perf_counter()
    built.tmux("send-keys", "-t", pane, "Enter")
    return await witness.appeared(BUSY_TEXT, sent)


class Painted:
    """Notes the first frame the app paints after `arm()` in which the pane's row says busy."""

    def __init__(self, app: TmuxorchApp, pane: str) -> None:
        self.app, self.pane = app, pane
        self.at: float | None = None
        self._armed = False
        display = app._display

        def noting(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            if self._armed and self.at is None and self._shows_busy(renderable):
                self.at = time.perf_counter()

        app._display = noting  # type: ignore[method-assign]

    def _shows_busy(self, renderable: Any) -> bool:
        """The row's state cell says busy and this frame carries it (its text says so)."""
        return (
            renderable is not None
            and "busy" in str(self.app._table.get_cell(self.pane, "state"))
            and "busy" in renderable.render_segments(self.app.console)
        )

    def arm(self) -> None:
        self.at, self._armed = None, True


async def _busy_event(stream: EventStream, pane: str) -> AgentStateChanged:
    """The engine's `agent_state` busy event for `pane` (it came before the row was painted)."""
    while True:
        event = await asyncio.wait_for(stream.__anext__(), 5)
        if isinstance(event, AgentStateChanged) and event.pane_id == pane and event.state == "busy":
            return event


async def _first_frame_and_states(
    built: Fleet, agents: int, repeats: int
) -> tuple[float, list[tuple[float, float]]]:
    """The first frame's time, and per state change: seconds from the screen change to the row
    painted, and to the engine's event (its share of the wait)."""
    timed = built.pane_ids()[0]
    witness = await ScreenWitness.attach(built.socket_path, f"{SESSION_PREFIX}000", timed)
    engine = Engine(TmuxServer(built.socket_path))
    app = TmuxorchApp(LocalBackend(engine))
    started = time.perf_counter()
    try:
        async with app.run_test(size=(160, 50)):
            await _until(lambda: _pane_rows(app) >= agents, 0.005)
            first_frame = time.perf_counter() - started
            painted = Painted(app, timed)
            stream = await engine.subscribe()
            latencies: list[tuple[float, float]] = []
            for phase in itertools.islice(phases(), repeats):
                await _until(lambda: _state(app, timed) == "idle", 0.02)
                await asyncio.sleep(phase * engine.agents.interval)
                painted.arm()
                changed = await _make_busy(built, engine, timed, witness)
                await _until(lambda: painted.at is not None, 0.001)
                assert painted.at is not None
                event = await _busy_event(stream, timed)
                wall_offset = time.time() - time.perf_counter()
                latencies.append((painted.at - changed, event.at - wall_offset - changed))
            await stream.close()
    finally:
        await engine.close()
        await witness.close()
    return first_frame, latencies


async def _polled(built: Fleet, look: Look, repeats: int) -> tuple[list[float], float]:
    """The same state changes as the 0.5 s poll sees them (no app), and what a look costs."""
    timed = built.pane_ids()[0]
    key = f"state {timed}"
    witness = await ScreenWitness.attach(built.socket_path, f"{SESSION_PREFIX}000", timed)
    engine = Engine(TmuxServer(built.socket_path))  # only to type and read the prompt
    latencies: list[float] = []
    try:
        with Poller(look) as poller:
            for phase in itertools.islice(phases(), repeats):
                idle = await poller.seen(time.perf_counter(), lambda r: r[key] == "idle", 30)
                if idle is None:
                    raise RuntimeError("the poll never saw the agent idle")
                await asyncio.sleep(phase * poller.interval)
                changed = await _make_busy(built, engine, timed, witness)
                seen = await poller.seen(changed, lambda r: r[key] == "busy", 30)
                if seen is None:
                    raise RuntimeError("the poll never saw the agent busy")
                latencies.append(seen * 1000)
            cost = poller.cost_ms
    finally:
        await engine.close()
        await witness.close()
    return latencies, cost


def _pane_rows(app: TmuxorchApp) -> int:
    return sum(1 for key in app._table._keys if key.startswith("%"))


def _state(app: TmuxorchApp, pane_id: str) -> str | None:
    """The agent state the app currently shows for a pane."""
    pane = app.fleet.panes_by_id.get(pane_id) if app.fleet is not None else None
    return pane.agent.state if pane is not None and pane.agent is not None else None


async def _memory(built: Fleet, panes: int) -> float:
    engine = Engine(TmuxServer(built.socket_path))
    app = TmuxorchApp(LocalBackend(engine))
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            await _until(lambda: _pane_rows(app) >= panes, 0.01)
            await pilot.pause(1.0)  # a second of live updates: the resident set at work
            rss = rss_mb()
    finally:
        await engine.close()
    return rss


def _summary(latencies: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(latencies), 1),
        "max_ms": round(max(latencies), 1),
    }


def _baselines(built: Fleet, repeats: int) -> dict[str, dict[str, float]]:
    agents = built.pane_ids()
    looks: dict[str, Look | None] = {
        "poll_tmux": subprocess_look(built, agents),
        "poll_libtmux": libtmux_look(built.socket_path, agents),
    }
    out: dict[str, dict[str, float]] = {}
    for name, look in looks.items():
        if look is not None:
            progress(f"tui: the same state change seen by the 0.5 s poll ({name})")
            latencies, cost = asyncio.run(_polled(built, look, repeats))
            out[name] = {**_summary(latencies), "look_ms": round(cost, 1)}
    return out


def run(args: argparse.Namespace) -> int:
    """Run the TUI benchmark; the exit status is 1 only with --strict and a failed target."""
    shape = Shape(panes=args.agents, panes_per_window=1, windows_per_session=10)
    with fleet(shape, command=_command, size=(200, 50)) as built:
        _tag_all(built)
        first_frame, changes = asyncio.run(
            _first_frame_and_states(built, args.agents, args.repeats)
        )
        polls = _baselines(built, args.baseline_repeats)
    with fleet(Shape(panes=args.panes, panes_per_window=1, windows_per_session=10)) as built:
        rss = asyncio.run(_memory(built, args.panes))
    ours = _summary([painted * 1000 for painted, _ in changes])
    to_event = _summary([event * 1000 for _, event in changes])
    print(
        f"\nAgent state change, from the busy line in the pane to the row saying busy on the "
        f"app's screen\n({args.agents} agent panes; sweep, debounce, event and redraw included)"
    )
    print(f"  {'who':<38} {'median ms':>10} {'max ms':>9} {'x':>7} {'look ms':>8}")
    print(f"  {'tmuxorch tui':<38} {ours['median_ms']:>10} {ours['max_ms']:>9}")
    label = "  of which: to the engine's event"
    print(f"  {label:<38} {to_event['median_ms']:>10} {to_event['max_ms']:>9}")
    for name, poll in polls.items():
        x = ratio(poll["median_ms"], ours["median_ms"])
        label = f"0.5 s poll ({name.removeprefix('poll_')}), no screen"
        print(
            f"  {label:<38} {poll['median_ms']:>10} {poll['max_ms']:>9} "
            f"{'' if x is None else f'{x:.1f}x':>7} {poll['look_ms']:>8}"
        )
    targets = [
        (
            f"first frame with {args.agents} agents (<= {FIRST_FRAME_TARGET_S} s)",
            f"{first_frame:.3f} s",
            first_frame <= FIRST_FRAME_TARGET_S,
        ),
        (
            f"state change on screen, max (<= {STATE_TARGET_MS:.0f} ms)",
            f"{ours['max_ms']:.1f} ms (median {ours['median_ms']:.1f})",
            ours["max_ms"] <= STATE_TARGET_MS,
        ),
        (
            f"resident set with {args.panes} panes (< {RSS_TARGET_MB:.0f} MB)",
            f"{rss:.0f} MB",
            rss < RSS_TARGET_MB,
        ),
    ]
    print_targets(targets)
    record: dict[str, Any] = {
        "bench": "tui",
        "agents": args.agents,
        "first_frame_s": round(first_frame, 3),
        "state_change_ms_median": ours["median_ms"],
        "state_change_ms_max": ours["max_ms"],
        "panes": args.panes,
        "rss_mb": round(rss, 1),
        "state_change_from": "screen change in the pane",
        "state_event_ms_median": to_event["median_ms"],
        "state_event_ms_max": to_event["max_ms"],
        "repeats": args.repeats,
        "baseline_repeats": args.baseline_repeats,
    }
    for name, poll in polls.items():
        record[name] = poll
        record[f"{name}_ratio"] = ratio(poll["median_ms"], ours["median_ms"])
    return finish(args, record, targets)
