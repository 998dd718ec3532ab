"""TUI: first frame with 200 agents, agent state change on screen, memory with 500 panes.

The app runs headless (Textual's Pilot) against a real engine. 200 panes tagged as agents fill
the table; one of them is a real simulated agent, sent a message so the engine emits a
`busy` state change: the latency is from the event's creation in the engine to the moment the
table shows the new state. Memory is the process's resident set once the app shows 500 panes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Callable

from textual.pilot import Pilot

from bench.agentfleet import wait_prompts
from bench.fleet import Fleet, Shape, fleet
from bench.report import print_targets
from bench.rss import rss_mb
from tmuxorch.core.backend import LocalBackend
from tmuxorch.core.engine import Engine
from tmuxorch.core.events import AgentStateChanged
from tmuxorch.core.tmux_server import TmuxServer
from tmuxorch.tui.app import TmuxorchApp

FIRST_FRAME_TARGET_S = 1.0
STATE_TARGET_MS = 100.0
RSS_TARGET_MB = 150.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agents", type=int, default=200, help="agent panes for the first frame")
    parser.add_argument("--panes", type=int, default=500, help="panes for the memory figure")
    parser.add_argument("--repeats", type=int, default=5, help="state changes to time")
    parser.add_argument("--json", action="store_true", help="one JSON line at the end")


def _command(n: int) -> list[str]:
    if n == 0:
        return [sys.executable, "-m", "tmuxorch.simagent", "--busy", "0.6", "--name", "timed"]
    return ["sleep", "100000"]


def _tag_all(built: Fleet) -> None:
    built.chained(
        [["set-option", "-p", "-t", pane, "@tmuxorch-agent", "sim"] for pane in built.pane_ids()]
    )


async def _until(pilot: Pilot[None], condition: Callable[[], object], step: float) -> None:
    """Let the app run until `condition` holds; a broken run fails after 60 s, never hangs."""
    deadline = time.monotonic() + 60
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("the TUI bench waited 60 s for something that never happened")
        await pilot.pause(step)


async def _first_frame_and_states(
    built: Fleet, agents: int, repeats: int
) -> tuple[float, list[float]]:
    engine = Engine(TmuxServer(built.socket_path))
    app = TmuxorchApp(LocalBackend(engine))
    started = time.perf_counter()
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            await _until(pilot, lambda: _pane_rows(app) >= agents, 0.005)
            first_frame = time.perf_counter() - started
            timed = built.pane_ids()[0]
            stream = await engine.subscribe()
            latencies: list[float] = []
            for _ in range(repeats):
                await _until(pilot, lambda: _state(app, timed) == "idle", 0.02)
                built.tmux("send-keys", "-t", timed, "-l", "--", "work")
                if await wait_prompts(engine, [timed], "work"):  # typed, before Enter
                    raise RuntimeError("the agent never showed the typed text")
                built.tmux("send-keys", "-t", timed, "Enter")
                event = None
                while event is None:
                    candidate = await asyncio.wait_for(stream.__anext__(), 5)
                    if (
                        isinstance(candidate, AgentStateChanged)
                        and candidate.pane_id == timed
                        and candidate.state == "busy"
                    ):
                        event = candidate
                await _until(
                    pilot, lambda: "busy" in str(app._table.get_cell(timed, "state")), 0.001
                )
                latencies.append((time.time() - event.at) * 1000)
            await stream.close()
    finally:
        await engine.close()
    return first_frame, latencies


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
            await _until(pilot, lambda: _pane_rows(app) >= panes, 0.01)
            await pilot.pause(1.0)  # a second of live updates: the resident set at work
            rss = rss_mb()
    finally:
        await engine.close()
    return rss


def run(args: argparse.Namespace) -> int:
    shape = Shape(panes=args.agents, panes_per_window=1, windows_per_session=10)
    with fleet(shape, command=_command, size=(200, 50)) as built:
        _tag_all(built)
        first_frame, latencies = asyncio.run(
            _first_frame_and_states(built, args.agents, args.repeats)
        )
    with fleet(Shape(panes=args.panes, panes_per_window=1, windows_per_session=10)) as built:
        rss = asyncio.run(_memory(built, args.panes))
    state_median = statistics.median(latencies)
    state_max = max(latencies)
    print_targets(
        [
            (
                f"first frame with {args.agents} agents (<= {FIRST_FRAME_TARGET_S} s)",
                f"{first_frame:.3f} s",
                first_frame <= FIRST_FRAME_TARGET_S,
            ),
            (
                f"state change on screen, median (<= {STATE_TARGET_MS:.0f} ms)",
                f"{state_median:.1f} ms",
                state_median <= STATE_TARGET_MS,
            ),
            (
                f"state change on screen, max (<= {STATE_TARGET_MS:.0f} ms)",
                f"{state_max:.1f} ms",
                state_max <= STATE_TARGET_MS,
            ),
            (
                f"resident set with {args.panes} panes (< {RSS_TARGET_MB:.0f} MB)",
                f"{rss:.0f} MB",
                rss < RSS_TARGET_MB,
            ),
        ]
    )
    if args.json:
        print(
            json.dumps(
                {
                    "bench": "tui",
                    "agents": args.agents,
                    "first_frame_s": round(first_frame, 3),
                    "state_change_ms_median": round(state_median, 1),
                    "state_change_ms_max": round(state_max, 1),
                    "panes": args.panes,
                    "rss_mb": round(rss, 1),
                }
            )
        )
    return 0
