"""TUI CPU: what the TUI costs beside a working fleet, against the engine alone and tmux itself.

Why: people keep the TUI open all day beside their agents, on the same machine; it should cost
what changes on screen, not what the agents do (issue 16). On a private server of N simulated
agents (one per window) in the demo's mix (3 in 5 give themselves tasks and cycle between busy,
idle and now and then waiting, 1 in 5 waits for an approval that never comes, 1 in 5 sits idle),
then on a second server where all N sit idle, this measures, from /proc (utime+stime, as % of one
core), over the same number of seconds each:

1. the TUI for real: `tmuxorch -S SOCKET tui` on a pseudo-terminal of 120x36 that a thread
   drains, so Textual renders every frame it would show a user;
2. the engine alone: `tmuxorch -S SOCKET events --json`, its stdout drained (and its
   `agent_state` lines counted: the mix's rate of state events);
3. the tmux server, during each of the two, and on its own with no client at all (what the
   agents' spinners cost it: the floor under the other two).

The three run one after the other, never at once, so each tmux figure belongs to one client. The
tmux control clients each of them starts are counted apart (their own row). The TUI's first frame
is the time from its spawn to the first output that holds a pane id of the fleet (a pane row).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.agentfleet import AGENT_SIZE, wait_ready
from bench.cputime import Sample, percent, shares, ticks
from bench.fleet import Fleet, Shape, fleet
from bench.headless import Headless
from bench.report import finish, one_record_arguments, print_targets, progress
from tmuxorch.core.engine import Engine
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.tmux.server import TmuxServer

TUI_SIZE = (120, 36)
WARMUP_S = 2.0
"""Seconds each process runs before its window opens: startup is the first frame's figure, not
the steady cost's."""
FIRST_FRAME_TIMEOUT_S = 60.0
MOTION_TIMEOUT_S = 10.0
WAITING_TEXT = "deploy to production? APPROVE needed"
PHASES = ("working", "idle")
WORKING_TARGET = {50: 3.0, 200: 8.0}
"""% of a core the TUI may cost beside that many working agents (the issue's targets)."""
IDLE_TARGET = 1.0
FIRST_FRAME_TARGET_S = 0.5


def _role(n: int, phase: str) -> str:
    """What the n-th agent does: the demo's mix, or idle in the idle phase."""
    if phase == "idle":
        return "idle"
    return ("cycle", "cycle", "cycle", "waiting", "idle")[n % 5]


def _command(phase: str) -> Any:
    def command(n: int) -> list[str]:
        argv = [sys.executable, "-m", "tmuxorch.simagent", "--name", f"a{n}", "--busy", "4"]
        if _role(n, phase) == "cycle":
            argv += ["--state-cycle", "--seed", str(n)]
        return argv

    return command


async def _prepare(built: Fleet, phase: str) -> dict[str, int]:
    """Tag every pane as an agent, wait for the prompts, ask the waiting ones for an approval;
    the states the fleet shows then."""
    panes = built.pane_ids()
    built.chained([["set-option", "-p", "-t", p, "@tmuxorch-agent", "sim"] for p in panes])
    async with Engine(TmuxServer(built.socket_path)) as engine:
        await wait_ready(engine, [p for n, p in enumerate(panes) if _role(n, phase) != "cycle"])
        waiting = [p for n, p in enumerate(panes) if _role(n, phase) == "waiting"]
        if waiting:
            await LocalBackend(engine).send(waiting, WAITING_TEXT)
        return await _mix_in_motion(
            engine, sum(_role(n, phase) == "cycle" for n in range(len(panes)))
        )


async def _mix_in_motion(engine: Engine, cycling: int) -> dict[str, int]:
    """Wait (10 s at most) until a third of the cycling agents work, as they do once under way
    (each starts its first task 1 to 4 s after it came up); the states then."""
    deadline = time.monotonic() + MOTION_TIMEOUT_S
    while True:
        found = await engine.fleet(sweep="all")
        states = collections.Counter[str](
            p.agent.state for p in found.panes() if p.agent is not None
        )
        if 3 * states["busy"] >= cycling or time.monotonic() > deadline:
            return dict(states)
        await asyncio.sleep(0.2)


def _tmuxorch(built: Fleet, *args: str) -> list[str]:
    return [sys.executable, "-m", "tmuxorch", "-S", str(built.socket_path), *args]


def _window(process: Headless, server_pid: int, seconds: float) -> dict[str, Any]:
    """Let `process` warm up, then measure it, its children and the server over `seconds`."""
    time.sleep(WARMUP_S)
    before = Sample.take([process.pid])
    server_before = ticks(server_pid)
    time.sleep(seconds)
    after = Sample.take([process.pid])
    server = percent(ticks(server_pid) - server_before, after.at - before.at)
    if not process.alive():
        raise RuntimeError(f"tmuxorch {' '.join(process.argv[5:])} exited while measured")
    own, children = shares(before, after, process.pid)
    count = len(after.children[process.pid])
    return {"own": own, "clients": children, "client_processes": count, "tmux": server}


def _first_pane_pattern(built: Fleet) -> bytes:
    """Any pane id of the fleet as the TUI writes it in the id column (not the prefix of
    another): which agents the first screen holds depends on their states (needs-you order puts
    the waiting ones first; one agent's row may well be below the screen for seconds)."""
    ids = b"|".join(re.escape(pane.encode()) for pane in built.pane_ids())
    return rb"(?:" + ids + rb")(?!\d)"


def _measure_tui(built: Fleet, seconds: float) -> dict[str, Any]:
    argv = _tmuxorch(built, "tui")
    tui = Headless(argv, built.private_env(), pty_size=TUI_SIZE, watch=_first_pane_pattern(built))
    with tui:
        deadline = time.monotonic() + FIRST_FRAME_TIMEOUT_S
        while tui.seen is None:
            if not tui.alive() or time.monotonic() > deadline:
                raise RuntimeError("the TUI never showed the fleet's first pane")
            time.sleep(0.005)
        first_frame = tui.seen - tui.started
        figures: dict[str, Any] = _window(tui, built.server_pid, seconds)
        figures["output_kb_s"] = round(tui.bytes_read / 1024 / (time.perf_counter() - tui.seen))
    figures["first_frame_s"] = round(first_frame, 3)
    return figures


def _measure_engine(built: Fleet, seconds: float) -> dict[str, Any]:
    states: list[float] = []

    def count(line: bytes) -> None:
        if b'"agent_state"' in line:
            states.append(time.monotonic())

    events = Headless(_tmuxorch(built, "events", "--json"), built.private_env(), on_line=count)
    with events:
        opened = time.monotonic() + WARMUP_S
        figures: dict[str, Any] = _window(events, built.server_pid, seconds)
        closed = time.monotonic()
    figures["state_events_s"] = round(sum(opened <= t <= closed for t in states) / seconds, 1)
    return figures


def _phase(agents: int, phase: str, seconds: float) -> dict[str, Any]:
    progress(f"tui-cpu: {agents} agents, {phase}: starting the fleet")
    shape = Shape(agents, panes_per_window=1, windows_per_session=10)
    with fleet(shape, _command(phase), AGENT_SIZE) as built:
        states = asyncio.run(_prepare(built, phase))
        progress(f"tui-cpu: {phase}: states {states}; the TUI for {seconds:g} s")
        tui = _measure_tui(built, seconds)
        progress(f"tui-cpu: {phase}: the engine alone for {seconds:g} s")
        engine = _measure_engine(built, seconds)
        progress(f"tui-cpu: {phase}: the tmux server with no client for {seconds:g} s")
        unwatched = _measure_unwatched(built, seconds)
    return {"states": states, "tui": tui, "engine": engine, "unwatched": unwatched}


def _measure_unwatched(built: Fleet, seconds: float) -> dict[str, float]:
    """The tmux server with nobody watching: what the agents' own output costs it (their
    spinners), the floor under both tmux figures above."""
    started, before = time.monotonic(), ticks(built.server_pid)
    time.sleep(seconds)
    return {"tmux": percent(ticks(built.server_pid) - before, time.monotonic() - started)}


ROWS = (
    ("TUI (tmuxorch tui, its own process)", "tui", "own"),
    ("  its tmux control clients", "tui", "clients"),
    ("  tmux server, while the TUI runs", "tui", "tmux"),
    ("engine alone (tmuxorch events --json)", "engine", "own"),
    ("  its tmux control clients", "engine", "clients"),
    ("  tmux server, while the engine runs", "engine", "tmux"),
    ("tmux server, no client (agents' output)", "unwatched", "tmux"),
)


def _print_table(record: dict[str, Any]) -> None:
    phases = record["phases"]
    print(
        f"\nCPU over {record['seconds']:g} s, % of one core, {record['agents']} simulated agents "
        f"(the TUI, the engine and no client measured one after the other)"
    )
    header = "".join(f"{name:>14}" for name in ("working mix", "all idle"))
    print(f"  {'':<40}{header}")
    for label, who, figure in ROWS:
        cells = "".join(f"{phases[p][who][figure]:>13.2f}%" for p in PHASES)
        print(f"  {label:<40}{cells}")
    first = "".join(f"{phases[p]['tui']['first_frame_s']:>13.3f}s" for p in PHASES)
    print(f"  {'TUI first frame (spawn to a pane row)':<40}{first}")
    rates = "".join(f"{phases[p]['engine']['state_events_s']:>14}" for p in PHASES)
    print(f"  {'state events/s (seen by the engine)':<40}{rates}")
    output = "".join(f"{phases[p]['tui']['output_kb_s']:>11} KB/s" for p in PHASES)
    print(f"  {'TUI terminal output':<40}{output}")
    for phase in PHASES:
        print(f"  states as the TUI started, {phase}: {phases[phase]['states']}")


def _targets(record: dict[str, Any]) -> list[tuple[str, str, bool]]:
    agents, phases = record["agents"], record["phases"]
    working = phases["working"]["tui"]["own"]
    idle = phases["idle"]["tui"]["own"]
    first = phases["working"]["tui"]["first_frame_s"]
    # The issue names 50 and 200 agents; another count is held to the nearest of the two.
    limit = WORKING_TARGET[200 if agents >= 125 else 50]
    idle_note = "" if agents == 50 else " (the issue's is at 50 agents)"
    return [
        (f"{agents} working agents: TUI <= {limit:g} % of a core", f"{working:.2f} %",
         working <= limit),
        (f"{agents} idle agents: TUI <= {IDLE_TARGET:g} % of a core{idle_note}", f"{idle:.2f} %",
         idle <= IDLE_TARGET),
        (f"first frame with {agents} agents <= {FIRST_FRAME_TARGET_S:g} s", f"{first:.3f} s",
         first <= FIRST_FRAME_TARGET_S),
    ]  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `python -m bench tui-cpu`."""
    parser.add_argument("--agents", type=int, default=50, help="simulated agents in each fleet")
    parser.add_argument(
        "--seconds", type=float, default=30.0, help="seconds each process is measured"
    )
    one_record_arguments(parser)


@contextlib.contextmanager
def _no_debug_tracebacks() -> Iterator[None]:
    """A failed phase is one line on stderr, as for every bench error."""
    try:
        yield
    except (RuntimeError, OSError) as exc:
        raise SystemExit(f"bench: tui-cpu: {exc}") from None


def run(args: argparse.Namespace) -> int:
    """Run both phases; the exit status is 1 only with --strict and a failed target."""
    if args.agents < 1 or args.seconds <= 0:
        raise SystemExit("bench: tui-cpu: --agents must be >= 1 and --seconds > 0")
    if not Path("/proc/self/stat").exists():
        raise SystemExit("bench: tui-cpu reads /proc: it runs on Linux only")
    with _no_debug_tracebacks():
        phases = {phase: _phase(args.agents, phase, args.seconds) for phase in PHASES}
    record: dict[str, Any] = {
        "bench": "tui-cpu",
        "agents": args.agents,
        "seconds": args.seconds,
        "tui_working_pct": phases["working"]["tui"]["own"],
        "tui_idle_pct": phases["idle"]["tui"]["own"],
        "engine_working_pct": phases["working"]["engine"]["own"],
        "engine_idle_pct": phases["idle"]["engine"]["own"],
        "first_frame_s": phases["working"]["tui"]["first_frame_s"],
        "tui_size": list(TUI_SIZE),
        "phases": phases,
    }
    _print_table(record)
    targets = _targets(record)
    print_targets(targets)
    return finish(args, record, targets)
