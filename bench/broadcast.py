"""Broadcast benchmark: typing one message into 100 agents, and delivering it end to end.

Why: DESIGN.md promises that sending to a whole fleet is one pipelined batch over control mode,
not a process per pane. On a server of simulated agents (`python -m tmuxorch.simagent`, one per
window) this times typing a one-line message into every input box (Enter excluded) three ways:
the engine's `typing_batch` (one round trip), one `tmux send-keys -l` subprocess per
pane (Tmux-Orchestrator's way), and libtmux's `Pane.send_keys` in a loop, plus the floor: a bare
`tmux -C` client sending the engine's very batch. Between rounds every box is checked to hold the
text, then emptied with Escape. Last, `LocalBackend.send` delivers a
message to all agents once: snapshot, state check, typing, the pause before Enter, Enter, and the
check that each message left the input box; every receipt should say `delivered`.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.agentfleet import agent_fleet, clear_prompts, wait_prompts, wait_ready
from bench.bare import BareControlClient
from bench.baselines import libtmux_or_none
from bench.fleet import SESSION_PREFIX, Fleet
from bench.procs import ProcessCounter
from bench.report import finish, one_record_arguments, print_targets, progress
from tmuxorch.core.backend import LocalBackend
from tmuxorch.core.delivery import typing_batch
from tmuxorch.core.engine import Engine
from tmuxorch.core.tmux_server import TmuxServer
from tmuxorch.simagent import REPLY_PREFIX

TYPE_TARGET_MS = 15.0
RATIO_TARGET = 20.0
TEXT = "hello from the bench"
E2E_TEXT = "hello all"

METHODS = ("tmuxorch", "subprocess", "libtmux")
LABELS = {
    "tmuxorch": "tmuxorch Engine.run(typing_batch)",
    "subprocess": "tmux send-keys -l, a subprocess each",
    "libtmux": "libtmux Pane.send_keys in a loop",
}


@dataclass
class Method:
    """The rounds of one way of typing into every pane."""

    name: str
    times_ms: list[float] = field(default_factory=list)
    procs: int = 0
    """tmux processes started over the timed rounds."""
    missing: int = 0
    """Input boxes that did not show the text after a round (summed over rounds)."""

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def procs_per_round(self) -> float:
        return self.procs / len(self.times_ms) if self.times_ms else 0.0


def _subprocess_typer(target: Fleet, panes: Sequence[str], text: str) -> Callable[[], None]:
    def type_all() -> None:
        for pane in panes:
            subprocess.run(
                target.argv("send-keys", "-t", pane, "-l", "--", text),
                capture_output=True, env=target.env, check=True, timeout=10,
            )  # fmt: skip

    return type_all


def _libtmux_typer(target: Fleet, panes: Sequence[str], text: str) -> Callable[[], None] | None:
    lib = libtmux_or_none()
    if lib is None:
        return None
    by_id = {p.pane_id: p for p in lib.Server(socket_path=target.socket_path).panes}
    objects = [by_id[pane] for pane in panes]

    def type_all() -> None:
        for pane in objects:
            pane.send_keys(text, enter=False, literal=True)

    return type_all


async def _round_done(engine: Engine, panes: Sequence[str], method: Method) -> None:
    """Check every box shows the text (not timed), then empty them for the next round."""
    method.missing += await wait_prompts(engine, panes, TEXT)
    left = await clear_prompts(engine, panes)
    if left:
        raise RuntimeError(f"{left} input boxes could not be emptied after a {method.name} round")


async def time_tmuxorch(
    engine: Engine, bare: BareControlClient, panes: Sequence[str], rounds: int
) -> tuple[Method, Method]:
    """The engine's way: every pane's typing commands in one pipelined batch. Each round is
    followed by a round of the floor, a bare `tmux -C` client sending the very same batch, so
    both meet the same machine."""
    method, floor = Method("tmuxorch"), Method("floor")
    batch = [command for _, command in typing_batch(panes, TEXT, "tmuxorch-bench")]
    for warm_up in (True, *([False] * rounds)):
        with ProcessCounter() as counter:
            start = time.perf_counter()
            results = await engine.run(batch, idempotent=False)
            elapsed = time.perf_counter() - start
        failed = [r.error for r in results if not r.ok]
        if failed:
            raise RuntimeError(f"{len(failed)} typing commands failed, first: {failed[0]}")
        if warm_up:
            await clear_prompts(engine, panes)
            continue
        method.times_ms.append(elapsed * 1000)
        method.procs += max(counter.popen, counter.asyncio_exec)
        await _round_done(engine, panes, method)
        start = time.perf_counter()
        await bare.run(batch)
        floor.times_ms.append((time.perf_counter() - start) * 1000)
        await _round_done(engine, panes, floor)
    return method, floor


async def time_blocking(
    name: str, type_all: Callable[[], None], engine: Engine, panes: Sequence[str], rounds: int
) -> Method:
    """A baseline that blocks while it types (the event loop waits too, as a script would)."""
    method = Method(name)
    for _ in range(rounds):
        with ProcessCounter() as counter:
            start = time.perf_counter()
            type_all()
            elapsed = time.perf_counter() - start
        method.times_ms.append(elapsed * 1000)
        method.procs += counter.popen_tmux
        await _round_done(engine, panes, method)
    return method


async def time_send(engine: Engine, panes: Sequence[str]) -> dict[str, Any]:
    """`LocalBackend.send` to every agent once, then read back how many got it exactly once."""
    backend = LocalBackend(engine)
    enter_delay = backend.settings.enter_delay
    start = time.perf_counter()
    receipts = await backend.send(panes, E2E_TEXT)
    elapsed = time.perf_counter() - start
    statuses = collections.Counter(r.status for r in receipts)
    reply = f"{REPLY_PREFIX} {E2E_TEXT}"
    deadline = time.monotonic() + 5.0
    while True:  # a --busy 0 agent replies at once; give the 100 redraws a moment
        results = await engine.run([["capture-pane", "-p", "-t", pane] for pane in panes])
        once = sum(r.ok and r.lines.count(reply) == 1 for r in results)
        if once == len(panes) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.02)
    return {
        "ms": elapsed * 1000,
        "statuses": dict(statuses),
        "receipts": len(receipts),
        "received_once": once,
        "enter_delay_ms": enter_delay * 1000,
    }


async def measure(target: Fleet, args: argparse.Namespace) -> dict[str, Any]:
    """Wait for the agents, time each way of typing, then one end-to-end send."""
    panes = target.pane_ids()
    methods: dict[str, Method] = {}
    note = ""
    engine = Engine(TmuxServer(socket_path=target.socket_path))
    try:
        started = time.perf_counter()
        await wait_ready(engine, panes)
        progress(f"{len(panes)} agents idle after {time.perf_counter() - started:.1f} s")
        fallbacks = engine.connection.fallback_batches
        bare = await BareControlClient.attach(target.socket_path, f"{SESSION_PREFIX}000")
        try:
            methods["tmuxorch"], floor = await time_tmuxorch(engine, bare, panes, args.rounds)
        finally:
            await bare.close()
        if engine.connection.fallback_batches != fallbacks:
            note = "WARNING: the engine fell back to subprocesses"
        typer = _subprocess_typer(target, panes, TEXT)
        methods["subprocess"] = await time_blocking(
            "subprocess", typer, engine, panes, args.baseline_rounds
        )
        libtmux_typer = _libtmux_typer(target, panes, TEXT)
        if libtmux_typer is None:
            note = "libtmux is not importable here (`make bench` installs it into .venv-bench)"
        else:
            methods["libtmux"] = await time_blocking(
                "libtmux", libtmux_typer, engine, panes, args.baseline_rounds
            )
        send = await time_send(engine, panes)
    finally:
        await engine.close()
    return json_record(len(panes), methods, floor, send, note)


def _ratio(methods: dict[str, Method], name: str) -> float | None:
    if name not in methods or methods["tmuxorch"].median <= 0:
        return None
    return round(methods[name].median / methods["tmuxorch"].median, 1)


def _ms(methods: dict[str, Method], name: str) -> float | None:
    return round(methods[name].median, 3) if name in methods else None


def json_record(
    agents: int,
    methods: dict[str, Method],
    floor: Method,
    send: dict[str, Any],
    note: str,
) -> dict[str, Any]:
    """The machine-readable line; the first keys are a stable contract."""
    return {
        "bench": "broadcast",
        "agents": agents,
        "tmuxorch_type_ms": _ms(methods, "tmuxorch"),
        "subprocess_ms": _ms(methods, "subprocess"),
        "libtmux_ms": _ms(methods, "libtmux"),
        "subprocess_ratio": _ratio(methods, "subprocess"),
        "libtmux_ratio": _ratio(methods, "libtmux"),
        "send_e2e_ms": round(send["ms"], 1),
        "delivered": send["statuses"].get("delivered", 0),
        "receipts": send["statuses"],
        "received_once": send["received_once"],
        "enter_delay_ms": round(send["enter_delay_ms"], 1),
        "procs_per_round": {n: round(m.procs_per_round, 2) for n, m in methods.items()},
        "text_missing": {n: m.missing for n, m in methods.items()},
        "rounds": {n: len(m.times_ms) for n, m in methods.items()},
        "floor_ms": round(floor.median, 3),
        "floor_missing": floor.missing,
        "text": TEXT,
        "note": note,
    }


def _targets(record: dict[str, Any]) -> list[tuple[str, str, bool]]:
    agents = record["agents"]
    type_ms = record["tmuxorch_type_ms"]
    targets = [
        (
            f"typing into {agents} agents <= {TYPE_TARGET_MS:g} ms (median)",
            f"{type_ms:.2f} ms",
            type_ms <= TYPE_TARGET_MS,
        ),
    ]
    for name in ("subprocess", "libtmux"):
        ratio = record[f"{name}_ratio"]
        if ratio is not None:
            targets.append(
                (f">= {RATIO_TARGET:g}x faster than {name}", f"{ratio:.1f}x", ratio >= RATIO_TARGET)
            )
    procs = record["procs_per_round"]["tmuxorch"]
    targets.append(("0 tmux processes per tmuxorch round", f"{procs:g}", procs == 0))
    missing = sum(record["text_missing"].values())
    targets.append(("every round's text in every input box", f"{missing} missing", missing == 0))
    delivered = record["delivered"]
    targets.append(
        (
            f"Backend.send: all {agents} receipts `delivered`, each received once",
            f"{delivered} delivered, {record['received_once']} received once",
            delivered == agents and record["received_once"] == agents,
        )
    )
    return targets


def _print_report(record: dict[str, Any]) -> list[tuple[str, str, bool]]:
    agents = record["agents"]
    print(
        f"\nTyping {record['text']!r} ({len(record['text'])} chars, no Enter) into {agents} "
        "simulated agents, median per round"
    )
    print(
        f"  {'method':<40} {'median ms':>10} {'rounds':>7} {'tmux procs':>11} {'vs tmuxorch':>12}"
    )
    for name in METHODS:
        median = record[f"{'tmuxorch_type' if name == 'tmuxorch' else name}_ms"]
        if median is None:
            print(f"  {LABELS[name]:<40} {'skipped':>10}")
            continue
        ratio = record.get(f"{name}_ratio")
        procs = record["procs_per_round"][name]
        print(
            f"  {LABELS[name]:<40} {median:>10.2f} {record['rounds'][name]:>7} {procs:>11g} "
            f"{f'{ratio:.1f}x' if ratio is not None else '':>12}"
        )
    floor, e2e = record["floor_ms"], record["send_e2e_ms"]
    print(
        f"  floor: a bare tmux -C client sending the same batch: {floor:.2f} ms (median, "
        "alternating with tmuxorch's rounds);\n  the typing time is tmux writing to 100 ptys "
        "while the agents it wakes redraw and tmux parses their output, on the same 2 CPUs"
    )
    print(
        f"\nBackend.send({agents} agents, {E2E_TEXT!r}) end to end: {e2e:.1f} ms (includes the "
        f"{record['enter_delay_ms']:g} ms pause before Enter\n  and the submit check); receipts "
        f"{record['receipts']}, reply seen once in {record['received_once']} panes"
    )
    if record["note"]:
        print(f"Note: {record['note']}")
    targets = _targets(record)
    print_targets(targets)
    return targets


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `python -m bench broadcast`."""
    one_record_arguments(parser)
    parser.add_argument("--agents", type=int, default=100, help="simulated agents in the fleet")
    parser.add_argument("--rounds", type=int, default=20, help="timed tmuxorch rounds")
    parser.add_argument(
        "--baseline-rounds", type=int, default=5, help="timed rounds of each baseline"
    )


def run(args: argparse.Namespace) -> int:
    """Run the broadcast benchmark; the exit status is 1 only with --strict and a failed target."""
    started = time.perf_counter()
    with agent_fleet(args.agents, busy=0) as target:
        record = asyncio.run(measure(target, args))
    progress(f"broadcast done in {time.perf_counter() - started:.1f} s")
    targets = _print_report(record)
    return finish(args, record, targets)
