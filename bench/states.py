"""States benchmark: what reading 100 agents' states costs, and how soon a change is heard.

Why: DESIGN.md promises agent states from one pipelined capture of every agent pane, with
unchanged screens (same hash) costing nothing more, and state changes pushed on the event stream.
On a server of simulated agents (`python -m tmuxorch.simagent --busy 2`, one per window) this
times `engine.agents.sweep(snapshot)` three ways: by a fresh tracker (it must also find which panes
are agents), after every screen changed (a character typed into, or cleared from, every input
box), and in a steady fleet (the hash path). Then it subscribes and sends a message to one idle
agent at a time with `LocalBackend.send`, timing from the call until `agent_state` `busy` for that
pane leaves the stream, and waits for it to go back to `idle`. Any other `agent_state` event, or
a state other than `idle` at rest, is counted as wrong. The baseline, beside both: the 0.5 s
whole-server poll of the tool tmuxorch replaces (bench/baselines.py: a `list-panes` and a capture
of every agent per look, by tmux processes or by libtmux), what one look costs and how long after
the same send its first look reads `busy`, as ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import time
from collections.abc import Sequence
from typing import Any

from bench.agentfleet import agent_fleet, clear_prompts, wait_prompts, wait_ready
from bench.baselines import ratio
from bench.fleet import Fleet
from bench.procs import ProcessCounter
from bench.report import finish, one_record_arguments, print_targets, progress
from bench.state_latency import AGENT_BUSY_S, max_of, median_of, time_events, time_polls
from tmuxorch.core.agents.tracker import AgentTracker
from tmuxorch.core.engine import Engine
from tmuxorch.core.tmux.server import TmuxServer

SWEEP_TARGET_MS = 10.0
EVENT_TARGET_MS = 1000.0


async def _timed_sweep(tracker: AgentTracker, engine: Engine) -> tuple[float, int]:
    snapshot = await engine.snapshot()
    start = time.perf_counter()
    changes = await tracker.sweep(snapshot)
    return (time.perf_counter() - start) * 1000, len(changes)


def _states(tracker: AgentTracker) -> dict[str, int]:
    return dict(collections.Counter(state for _, _, state in tracker.states()))


async def time_sweeps(engine: Engine, panes: Sequence[str], rounds: int) -> dict[str, Any]:
    """Cold, changed and unchanged sweeps of every agent."""
    cold: list[float] = []
    cold_states: dict[str, int] = {}
    for _ in range(3):
        tracker = AgentTracker(engine.run, engine.agents.settings)
        ms, _ = await _timed_sweep(tracker, engine)
        cold.append(ms)
        cold_states = _states(tracker)
    tracker = engine.agents
    await _timed_sweep(tracker, engine)  # learn which panes are agents
    changed: list[float] = []
    unsettled = 0
    procs = 0
    for r in range(rounds):
        # Alternate typing one character into every box and clearing them all: every screen
        # differs from the one the last sweep hashed, and every agent stays idle.
        if r % 2 == 0:
            await engine.run(
                [["send-keys", "-t", pane, "-l", "--", "x"] for pane in panes], idempotent=False
            )
            unsettled += await wait_prompts(engine, panes, "x")
        else:
            unsettled += await clear_prompts(engine, panes)
        with ProcessCounter() as counter:
            ms, _ = await _timed_sweep(tracker, engine)
        changed.append(ms)
        procs += max(counter.popen, counter.asyncio_exec)
    unsettled += await clear_prompts(engine, panes)
    await _timed_sweep(tracker, engine)
    unchanged: list[float] = []
    changes_unchanged = 0
    for _ in range(rounds):
        with ProcessCounter() as counter:
            ms, count = await _timed_sweep(tracker, engine)
        unchanged.append(ms)
        changes_unchanged += count
        procs += max(counter.popen, counter.asyncio_exec)
    return {
        "cold": cold,
        "changed": changed,
        "unchanged": unchanged,
        "cold_states": cold_states,
        "states": _states(tracker),
        "unsettled": unsettled,
        "procs": procs,
        "changes_when_unchanged": changes_unchanged,
    }


async def measure(target: Fleet, args: argparse.Namespace) -> dict[str, Any]:
    """Wait for the agents, time the sweeps, then the state events."""
    panes = target.pane_ids()
    engine = Engine(TmuxServer(socket_path=target.socket_path))
    try:
        started = time.perf_counter()
        await wait_ready(engine, panes)
        progress(f"{len(panes)} agents idle after {time.perf_counter() - started:.1f} s")
        sweeps = await time_sweeps(engine, panes, args.rounds)
        # Before anyone subscribes: the engine's sweeper would share the CPUs with the poll.
        polls = await time_polls(target, engine, panes, min(args.baseline_repeats, len(panes)))
        events = await time_events(engine, panes, min(args.repeats, len(panes)))
    finally:
        await engine.close()
    record = json_record(len(panes), sweeps, events, args.rounds)
    for name, poll in polls.items():
        record[name] = poll
        record[f"{name}_look_ratio"] = ratio(poll["look_ms"], record["sweep_ms"])
        record[f"{name}_state_event_ratio"] = ratio(
            poll["state_event_ms_median"], record["state_event_ms_median"]
        )
    return record


def json_record(
    agents: int, sweeps: dict[str, Any], events: dict[str, Any], rounds: int
) -> dict[str, Any]:
    """The machine-readable line; the first keys are a stable contract."""
    return {
        "bench": "states",
        "agents": agents,
        "sweep_ms": median_of(sweeps["changed"]),
        "sweep_unchanged_ms": median_of(sweeps["unchanged"]),
        "state_event_ms_median": median_of(events["busy_ms"], 1),
        "state_event_ms_max": max_of(events["busy_ms"]),
        "sweep_cold_ms": median_of(sweeps["cold"]),
        "sweep_max_ms": max_of(sweeps["changed"], 3),
        "sweep_unchanged_max_ms": max_of(sweeps["unchanged"], 3),
        "sweep_procs": sweeps["procs"],
        "states_at_rest": sweeps["states"],
        "states_cold_tracker": sweeps["cold_states"],
        "screens_not_settled": sweeps["unsettled"],
        "changes_when_unchanged": sweeps["changes_when_unchanged"],
        "busy_first_seen_ms_median": median_of(events["seen_ms"], 1),
        "busy_debounce_hold_ms_median": median_of(events["held_ms"], 1),
        "idle_after_busy_s_median": median_of(events["idle_after_s"], 2),
        "state_events": len(events["busy_ms"]),
        "missed_busy": events["missed_busy"],
        "missed_idle": events["missed_idle"],
        "wrong_state_events": events["wrong"],
        "send_receipts": events["receipts"],
        "dropped": events["dropped"],
        "sweep_interval_ms": events["interval_ms"],
        "state_debounce_ms": events["debounce_ms"],
        "rounds": rounds,
    }


def _targets(record: dict[str, Any]) -> list[tuple[str, str, bool]]:
    agents = record["agents"]
    sweep, steady = record["sweep_ms"], record["sweep_unchanged_ms"]
    worst = record["state_event_ms_max"]
    at_rest = record["states_at_rest"]
    return [
        (
            f"sweep of {agents} agents <= {SWEEP_TARGET_MS:g} ms (screens changed, median)",
            f"{sweep:.2f} ms",
            sweep <= SWEEP_TARGET_MS,
        ),
        (
            f"sweep of {agents} agents <= {SWEEP_TARGET_MS:g} ms (unchanged, median)",
            f"{steady:.2f} ms",
            steady <= SWEEP_TARGET_MS,
        ),
        (
            f"state change on events() <= {EVENT_TARGET_MS / 1000:g} s (max), none missed",
            f"max {worst} ms, missed {record['missed_busy']}",
            worst is not None and worst <= EVENT_TARGET_MS and record["missed_busy"] == 0,
        ),
        (
            f"all {agents} agents idle at rest, no wrong state events",
            f"{at_rest}, {len(record['wrong_state_events'])} wrong",
            at_rest == {"idle": agents} and not record["wrong_state_events"],
        ),
    ]


POLLS = {"poll_tmux": "0.5 s poll, tmux processes", "poll_libtmux": "0.5 s poll, libtmux"}


def _print_report(record: dict[str, Any]) -> list[tuple[str, str, bool]]:
    agents = record["agents"]
    print(f"\nState sweep of {agents} simulated agents (engine.agents.sweep), median of the rounds")
    print(f"  {'sweep':<44} {'median ms':>10} {'max ms':>9}")
    rows = (
        ("fresh tracker (finds the agents first)", record["sweep_cold_ms"], None),
        ("every screen changed", record["sweep_ms"], record["sweep_max_ms"]),
        ("no screen changed (hash path)", record["sweep_unchanged_ms"],
         record["sweep_unchanged_max_ms"]),
    )  # fmt: skip
    for label, median, worst in rows:
        print(f"  {label:<44} {median:>10.2f} {'' if worst is None else f'{worst:.2f}':>9}")
    for name in POLLS:
        if name in record:
            label = f"one look of the {POLLS[name]}"
            x = record[f"{name}_look_ratio"]
            print(f"  {label:<44} {record[name]['look_ms']:>10.2f} {'':>9} {x}x vs changed")
    print(
        f"  ({record['rounds']} rounds each; tmux processes started by the timed sweeps: "
        f"{record['sweep_procs']}; states at rest {record['states_at_rest']})"
    )
    print(
        f"\nagent_state busy on Engine.subscribe(), from LocalBackend.send to one idle agent "
        f"({record['state_events']} agents)"
    )
    print(
        f"  median {record['state_event_ms_median']} ms, max {record['state_event_ms_max']} ms, "
        f"missed {record['missed_busy']};\n  first seen busy after "
        f"{record['busy_first_seen_ms_median']} ms, then held "
        f"{record['busy_debounce_hold_ms_median']} ms by the debounce"
    )
    print(
        f"  (sweeps every {record['sweep_interval_ms']:g} ms, debounce "
        f"{record['state_debounce_ms']:g} ms; back to idle "
        f"{record['idle_after_busy_s_median']} s after busy, missed {record['missed_idle']}; "
        f"receipts {record['send_receipts']})"
    )
    for name in POLLS:
        if name in record:
            poll = record[name]
            print(
                f"  the {POLLS[name]}, from the same send to its first look reading busy: median "
                f"{poll['state_event_ms_median']} ms ({record[f'{name}_state_event_ratio']}x), "
                f"max {poll['state_event_ms_max']} ms, missed {poll['missed']}"
            )
    if record["wrong_state_events"]:
        print(f"  wrong state events: {record['wrong_state_events'][:10]}")
    targets = _targets(record)
    print_targets(targets)
    return targets


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `python -m bench states`."""
    one_record_arguments(parser)
    parser.add_argument("--agents", type=int, default=100, help="simulated agents in the fleet")
    parser.add_argument("--rounds", type=int, default=20, help="timed sweeps of each kind")
    parser.add_argument("--repeats", type=int, default=10, help="agents sent a message")
    parser.add_argument(
        "--baseline-repeats", type=int, default=5, help="agents sent a message, for each poll"
    )


def run(args: argparse.Namespace) -> int:
    """Run the states benchmark; the exit status is 1 only with --strict and a failed target."""
    started = time.perf_counter()
    with agent_fleet(args.agents, busy=AGENT_BUSY_S) as target:
        record = asyncio.run(measure(target, args))
    progress(f"states done in {time.perf_counter() - started:.1f} s")
    targets = _print_report(record)
    return finish(args, record, targets)
