"""How soon a user hears an agent's state change: a subscriber of `Engine.subscribe()` after
`LocalBackend.send`, and the 0.5 s whole-server poll of the tool tmuxorch replaces (the baseline)
after the same send. Part of the states benchmark (bench/states.py)."""

from __future__ import annotations

import asyncio
import collections
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.baselines import Poller, libtmux_look, phases, subprocess_look
from bench.fleet import Fleet
from bench.report import progress
from tmuxorch.core.engine import Engine
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.streams import EventStream

EVENT_TIMEOUT_S = 5.0
AGENT_BUSY_S = 2.0


@dataclass
class Received:
    """Every event the subscriber got, with the time it left the stream."""

    events: list[tuple[Any, float]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def collect(self, stream: EventStream) -> None:
        async for event in stream:
            self.events.append((event, time.perf_counter()))
            self.arrived.set()

    async def wait(
        self, predicate: Callable[[Any], bool], start: int, timeout: float
    ) -> tuple[int, Any, float] | None:
        """The first event from index `start` on that matches: (index, event, time received)."""
        deadline = time.monotonic() + timeout
        index = start
        while True:
            while index < len(self.events):
                event, received = self.events[index]
                if predicate(event):
                    return index, event, received
                index += 1
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), remaining)
            except TimeoutError:
                return None


def _state_event(pane: str, state: str) -> Callable[[Any], bool]:
    def predicate(event: Any) -> bool:
        return (
            event.event == "agent_state"
            and getattr(event, "pane_id", None) == pane
            and getattr(event, "state", None) == state
        )

    return predicate


async def time_events(engine: Engine, panes: Sequence[str], repeats: int) -> dict[str, Any]:
    """Send to one idle agent at a time; time its `busy` event, then wait for `idle`."""
    backend = LocalBackend(engine)
    interval = engine.agents.interval
    stream = await engine.subscribe()
    received = Received()
    collector = asyncio.create_task(received.collect(stream), name="bench-states-collector")
    busy_ms: list[float] = []
    seen_ms: list[float] = []
    held_ms: list[float] = []
    idle_after_s: list[float] = []
    missed_busy = missed_idle = 0
    receipts: collections.Counter[str] = collections.Counter()
    chosen = _chosen(panes, repeats)
    try:
        for i, pane in enumerate(chosen):
            # Sweeps run on a fixed interval and the previous event came just after one: spread
            # the sends over that interval so the samples are not all the same phase.
            await asyncio.sleep(interval * i / repeats)
            mark = len(received.events)
            wall, start = time.time(), time.perf_counter()
            for receipt in await backend.send([pane], f"state probe {i}"):
                receipts[receipt.status] += 1
            found = await received.wait(_state_event(pane, "busy"), mark, EVENT_TIMEOUT_S)
            if found is None:
                missed_busy += 1
                continue
            index, event, at = found
            busy_ms.append((at - start) * 1000)
            seen_ms.append((event.since - wall) * 1000)
            held_ms.append((event.at - event.since) * 1000)
            idle = await received.wait(
                _state_event(pane, "idle"), index + 1, AGENT_BUSY_S + EVENT_TIMEOUT_S
            )
            if idle is None:
                missed_idle += 1
            else:
                idle_after_s.append(idle[2] - at)
        wrong = [
            f"{e.pane_id} {e.previous}->{e.state}"
            for e, _ in received.events
            if e.event == "agent_state"
            and not (e.pane_id in chosen and (e.state, e.previous) in _EXPECTED)
        ]
        dropped = stream.dropped
    finally:
        collector.cancel()
        await stream.close()
    return {
        "busy_ms": busy_ms,
        "seen_ms": seen_ms,
        "held_ms": held_ms,
        "idle_after_s": idle_after_s,
        "missed_busy": missed_busy,
        "missed_idle": missed_idle,
        "receipts": dict(receipts),
        "wrong": wrong,
        "dropped": dropped,
        "interval_ms": interval * 1000,
        "debounce_ms": engine.agents.debounce * 1000,
    }


_EXPECTED = {("busy", "idle"), ("idle", "busy")}


def _chosen(panes: Sequence[str], repeats: int) -> list[str]:
    """The agents sent a message: spread over the fleet."""
    return [panes[(i * len(panes)) // repeats] for i in range(repeats)]


def _reads(pane: str, state: str) -> Callable[[dict[str, str]], bool]:
    """Does a poll's look read `state` on `pane`'s screen?"""
    return lambda seen: seen.get(f"state {pane}") == state


async def time_polls(
    target: Fleet, engine: Engine, panes: Sequence[str], repeats: int
) -> dict[str, Any]:
    """The baseline: the 0.5 s whole-server poll, capturing every agent each look (tmux
    processes, then libtmux). What one look costs, and when it first reads `busy` after the
    same `LocalBackend.send` to one idle agent at a time."""
    backend = LocalBackend(engine)
    looks = {
        "poll_tmux": subprocess_look(target, panes),
        "poll_libtmux": libtmux_look(target.socket_path, panes),
    }
    out: dict[str, Any] = {}
    for name, look in looks.items():
        if look is None:
            continue
        progress(f"states: the same sends seen by the 0.5 s poll ({name})")
        busy_ms: list[float] = []
        missed = 0
        with Poller(look) as poller:
            chosen = _chosen(panes, repeats)
            for i, (pane, phase) in enumerate(zip(chosen, phases(), strict=False)):
                await asyncio.sleep(phase * poller.interval)
                start = time.perf_counter()
                await backend.send([pane], f"poll probe {i}")
                seen = await poller.seen(start, _reads(pane, "busy"), EVENT_TIMEOUT_S)
                if seen is None:
                    missed += 1
                else:
                    busy_ms.append(seen * 1000)
                back = AGENT_BUSY_S + EVENT_TIMEOUT_S
                if await poller.seen(time.perf_counter(), _reads(pane, "idle"), back) is None:
                    raise RuntimeError(f"the {name} poll never saw {pane} idle again")
            out[name] = {
                "look_ms": median_of(poller.costs_ms, 1),
                "state_event_ms_median": median_of(busy_ms, 1),
                "state_event_ms_max": max_of(busy_ms),
                "missed": missed,
            }
    return out


def median_of(values: Sequence[float], digits: int = 3) -> float | None:
    """The median, rounded for the report (None for no values: nothing was measured)."""
    return round(statistics.median(values), digits) if values else None


def max_of(values: Sequence[float], digits: int = 1) -> float | None:
    """The worst value, rounded (None for no values)."""
    return round(max(values), digits) if values else None
