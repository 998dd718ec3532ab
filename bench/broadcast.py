"""Broadcast benchmark: typing one message into 100 agents, and delivering it end to end.

Why: DESIGN.md promises that sending to a whole fleet is one pipelined batch over control mode,
not a process per pane. On a server of simulated agents (`python -m tmuxorch.simagent`, one per
window) this times typing a one-line message into every input box (Enter excluded):
- typing only: the engine's `typing_batch` (one round trip), one `tmux send-keys -l` subprocess
  per pane (Tmux-Orchestrator's way), libtmux's `Pane.send_keys` in a loop, and the floor: a bare
  `tmux -C` client sending the engine's very batch;
- the whole send, what a user waits for before Enter: `LocalBackend.send(enter=False)` over the
  engine's control client (as the TUI and `serve` do: a snapshot, one round trip reading every
  agent's screen to skip any that shows an approval prompt, the typing), its floor (the same three
  batches from a bare client), and the baselines reading each screen first (`capture-pane` then
  `send-keys`, a subprocess each; libtmux's `capture_pane` then `send_keys`).
Every way runs the same warm-up rounds first, and the ways take turns round by round. After each
round every box is checked to hold the text (not timed), then emptied with Escape. Last,
`LocalBackend.send` delivers a message to all agents once: snapshot, state check, typing, the
pause before Enter, Enter, and the check that each message left the input box; every receipt
should say `delivered`.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import statistics
import subprocess
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.agentfleet import agent_fleet, clear_prompts, wait_prompts, wait_ready
from bench.bare import BareControlClient
from bench.baselines import classifier, libtmux_or_none
from bench.fleet import SESSION_PREFIX, Fleet
from bench.procs import ProcessCounter
from bench.report import finish, one_record_arguments, print_targets, progress
from tmuxorch.core.agents.pane_reads import capture_command
from tmuxorch.core.engine import Engine
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.ops.delivery import HELD_BACK, input_off_query, typing_batch
from tmuxorch.core.tmux.server import TmuxServer
from tmuxorch.simagent import REPLY_PREFIX

TYPE_TARGET_MS = 15.0
RATIO_TARGET = 20.0
TEXT = "hello from the bench"
E2E_TEXT = "hello all"

TYPING = ("tmuxorch", "floor", "subprocess", "libtmux")
"""Typing only: the text into every box, nothing asked first."""
SENDING = ("send", "send_floor", "subprocess_checked", "libtmux_checked")
"""The whole send without Enter: what each agent shows is read first, then the text typed."""
LABELS = {
    "tmuxorch": "tmuxorch Engine.run(typing_batch)",
    "floor": "floor: bare tmux -C, the same batch",
    "subprocess": "tmux send-keys -l, a subprocess each",
    "libtmux": "libtmux Pane.send_keys in a loop",
    "send": "tmuxorch Backend.send(enter=False)",
    "send_floor": "floor: bare tmux -C, the same 3 batches",
    "subprocess_checked": "capture-pane + send-keys, subprocesses",
    "libtmux_checked": "libtmux capture_pane + send_keys",
}

Typer = Callable[[], Awaitable[None]]


@dataclass
class Method:
    """The rounds of one way of typing into every pane."""

    name: str
    times_ms: list[float] = field(default_factory=list)
    procs: int = 0
    """Processes started over the timed rounds."""
    missing: int = 0
    """Input boxes that did not show the text after a round (summed over rounds)."""

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def procs_per_round(self) -> float:
        return self.procs / len(self.times_ms) if self.times_ms else 0.0


def _subprocess_typer(target: Fleet, panes: Sequence[str], *, check: bool) -> Typer:
    """Tmux-Orchestrator's way: a `tmux send-keys` per pane, after a `capture-pane` per pane
    (read with tmuxorch's patterns, so an approval prompt gets no text) when `check`."""
    classify = classifier()

    def tmux(*args: str) -> str:
        return subprocess.run(
            target.argv(*args), capture_output=True, text=True, env=target.env, check=True,
            timeout=10,
        ).stdout  # fmt: skip

    async def type_all() -> None:  # blocks the loop, as a script would
        for pane in panes:
            if check and classify(tmux("capture-pane", "-p", "-t", pane)) in HELD_BACK:
                continue
            tmux("send-keys", "-t", pane, "-l", "--", TEXT)

    return type_all


def _libtmux_typer(target: Fleet, panes: Sequence[str], *, check: bool) -> Typer | None:
    lib = libtmux_or_none()
    if lib is None:
        return None
    by_id = {p.pane_id: p for p in lib.Server(socket_path=target.socket_path).panes}
    objects = [by_id[pane] for pane in panes]
    classify = classifier()

    async def type_all() -> None:
        for pane in objects:
            if check and classify("\n".join(pane.capture_pane())) in HELD_BACK:
                continue
            pane.send_keys(TEXT, enter=False, literal=True)

    return type_all


def _tmuxorch_typers(
    engine: Engine, bare: BareControlClient, panes: Sequence[str]
) -> dict[str, Typer]:
    """The engine's ways and their floors: the typing batch alone; the whole `send` without
    Enter (snapshot, state check round trip, typing); a bare client sending the same batches."""
    batch = [command for _, command in typing_batch(panes, TEXT, "tmuxorch-bench")]
    checks = [input_off_query(p) for p in panes] + [capture_command(p) for p in panes]
    backend = LocalBackend(engine)

    async def typed() -> None:
        failed = [r.error for r in await engine.run(batch, idempotent=False) if not r.ok]
        if failed:
            raise RuntimeError(f"{len(failed)} typing commands failed, first: {failed[0]}")

    async def sent() -> None:
        receipts = await backend.send(panes, TEXT, enter=False)
        wrong = [r for r in receipts if r.status != "delivered"]
        if wrong:
            raise RuntimeError(f"{len(wrong)} receipts not delivered, first: {wrong[0]}")

    async def floor() -> None:
        await bare.run(batch)

    async def send_floor() -> None:
        for commands in (engine.listing(), checks, batch):
            await bare.run(commands)

    return {"tmuxorch": typed, "floor": floor, "send": sent, "send_floor": send_floor}


async def time_rounds(
    typers: dict[str, Typer],
    rounds: dict[str, int],
    engine: Engine,
    panes: Sequence[str],
    warm_up: int,
) -> dict[str, Method]:
    """Round after round, each way types once (in turn, so all meet the same machine), the
    same `warm_up` rounds first for every one of them; after each, every box is checked to
    show the text (not timed) and emptied."""
    methods = {name: Method(name) for name in typers}
    for r in range(warm_up + max(rounds.values())):
        for name, type_all in typers.items():
            if r >= warm_up + rounds[name]:
                continue
            method = methods[name]
            with ProcessCounter() as counter:
                start = time.perf_counter()
                await type_all()
                elapsed = time.perf_counter() - start
            shown = await wait_prompts(engine, panes, TEXT)
            if r >= warm_up:
                method.times_ms.append(elapsed * 1000)
                method.procs += max(counter.popen, counter.asyncio_exec)
                method.missing += shown
            left = await clear_prompts(engine, panes)
            if left:
                raise RuntimeError(f"{left} input boxes could not be emptied after {name}")
    return methods


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
    note = ""
    engine = Engine(TmuxServer(socket_path=target.socket_path))
    try:
        started = time.perf_counter()
        await wait_ready(engine, panes)
        progress(f"{len(panes)} agents idle after {time.perf_counter() - started:.1f} s")
        fallbacks = engine.connection.fallback_batches
        bare = await BareControlClient.attach(target.socket_path, f"{SESSION_PREFIX}000")
        try:
            typers = _tmuxorch_typers(engine, bare, panes)
            rounds = dict.fromkeys(typers, args.rounds)
            for check, suffix in ((False, ""), (True, "_checked")):
                typers["subprocess" + suffix] = _subprocess_typer(target, panes, check=check)
                libtmux_typer = _libtmux_typer(target, panes, check=check)
                if libtmux_typer is None:
                    note = "libtmux is not importable here (`make bench` installs it)"
                else:
                    typers["libtmux" + suffix] = libtmux_typer
            rounds |= {name: args.baseline_rounds for name in typers if name not in rounds}
            methods = await time_rounds(typers, rounds, engine, panes, args.warm_up)
        finally:
            await bare.close()
        if engine.connection.fallback_batches != fallbacks:
            note = "WARNING: the engine fell back to subprocesses"
        send = await time_send(engine, panes)
    finally:
        await engine.close()
    return json_record(len(panes), methods, send, note, args.warm_up)


def _ratio(methods: dict[str, Method], name: str) -> float | None:
    """`name` against tmuxorch's typing-only figure, or for a way that reads the screens first,
    against the whole send."""
    base = methods["send" if name in SENDING else "tmuxorch"].median
    if name not in methods or base <= 0:
        return None
    return round(methods[name].median / base, 1)


def _ms(methods: dict[str, Method], name: str) -> float | None:
    return round(methods[name].median, 3) if name in methods else None


def json_record(
    agents: int, methods: dict[str, Method], send: dict[str, Any], note: str, warm_up: int
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
        "floor_ms": _ms(methods, "floor"),
        "floor_missing": methods["floor"].missing,
        "text": TEXT,
        "note": note,
        "tmuxorch_send_ms": _ms(methods, "send"),
        "send_floor_ms": _ms(methods, "send_floor"),
        "subprocess_checked_ms": _ms(methods, "subprocess_checked"),
        "libtmux_checked_ms": _ms(methods, "libtmux_checked"),
        "subprocess_checked_ratio": _ratio(methods, "subprocess_checked"),
        "libtmux_checked_ratio": _ratio(methods, "libtmux_checked"),
        "warm_up_rounds": warm_up,
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
    for name in ("subprocess", "libtmux", "subprocess_checked", "libtmux_checked"):
        ratio = record[f"{name}_ratio"]
        if ratio is not None:
            against = "the whole send" if name in SENDING else "typing"
            targets.append(
                (f">= {RATIO_TARGET:g}x faster than {name} ({against})", f"{ratio:.1f}x",
                 ratio >= RATIO_TARGET)
            )  # fmt: skip
    procs = max(record["procs_per_round"][name] for name in ("tmuxorch", "send"))
    targets.append(("0 processes per tmuxorch round (typing, send)", f"{procs:g}", procs == 0))
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


_KEYS = {"tmuxorch": "tmuxorch_type_ms", "send": "tmuxorch_send_ms", "send_floor": "send_floor_ms"}


def _print_report(record: dict[str, Any]) -> list[tuple[str, str, bool]]:
    agents = record["agents"]
    print(
        f"\nTyping {record['text']!r} ({len(record['text'])} chars, no Enter) into {agents} "
        f"simulated agents, median per round ({record['warm_up_rounds']} warm-up rounds each)"
    )
    print(f"  {'method':<40} {'median ms':>10} {'rounds':>7} {'procs':>6} {'vs tmuxorch':>12}")
    for block, base in ((TYPING, "typing only"), (SENDING, "the whole send, state check first")):
        print(f"  -- {base}")
        for name in block:
            median = record[_KEYS.get(name, f"{name}_ms")]
            if median is None:
                print(f"  {LABELS[name]:<40} {'skipped':>10}")
                continue
            ratio = record.get(f"{name}_ratio")
            procs = record["procs_per_round"][name]
            print(
                f"  {LABELS[name]:<40} {median:>10.2f} {record['rounds'][name]:>7} "
                f"{procs:>6g} {f'{ratio:.1f}x' if ratio is not None else '':>12}"
            )
    print(
        "  the typing time is tmux writing to the ptys while the agents it wakes redraw and tmux "
        "parses their\n  output, on the same CPUs; the send adds a snapshot and one round trip "
        "reading every screen"
    )
    e2e = record["send_e2e_ms"]
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
    parser.add_argument(
        "--warm-up", type=int, default=1, help="untimed rounds first, the same for every way"
    )


def run(args: argparse.Namespace) -> int:
    """Run the broadcast benchmark; the exit status is 1 only with --strict and a failed target."""
    started = time.perf_counter()
    with agent_fleet(args.agents, busy=0) as target:
        record = asyncio.run(measure(target, args))
    progress(f"broadcast done in {time.perf_counter() - started:.1f} s")
    targets = _print_report(record)
    return finish(args, record, targets)
