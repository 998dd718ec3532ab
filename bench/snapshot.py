"""Snapshot benchmark: the time and tmux processes one full picture of a server costs.

A full picture is every session, window and pane with ids, names, pids, commands and paths.

Why: DESIGN.md promises snapshots over one control-mode round trip with zero processes per
operation; shared/notes/tmux-facts.md measured what that should cost against the usual ways
(a subprocess per list command, libtmux). This benchmark checks the engine itself against the same
baselines, on servers of 16, 201 and 501 panes built for the purpose, and states PASS/FAIL for the
targets. The baselines run before the engine attaches, so none of them sees its hidden session.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.bare import BareControlClient
from bench.fleet import SESSION_PREFIX, Fleet, Shape, fleet
from bench.procs import ProcessCounter
from bench.report import print_targets, progress
from tmuxorch.core.engine import Engine
from tmuxorch.core.tmux_server import TmuxServer
from tmuxorch.render import counted

SIZES = (16, 201, 501)
RSS_SIZE = 501
RSS_SNAPSHOTS = 20
SEP = "\x1f"
_SESSION_FORMAT = SEP.join(
    f"#{{{f}}}"
    for f in ("session_id", "session_name", "session_attached", "session_created",
              "session_activity")
)  # fmt: skip
_WINDOW_FORMAT = SEP.join(
    f"#{{{f}}}"
    for f in ("window_id", "window_index", "window_name", "window_active", "window_activity")
)
_PANE_FORMAT = SEP.join(
    f"#{{{f}}}"
    for f in ("pane_id", "pane_index", "pane_active", "pane_pid", "pane_dead",
              "pane_dead_status", "pane_width", "pane_height", "pane_current_command",
              "pane_current_path")
)  # fmt: skip

METHODS = ("tmuxorch", "naive", "libtmux_panes", "libtmux_walk")
"""What the snapshot is compared with; the first four JSON keys follow this order."""
ROWS = ("tmuxorch", "floor", *METHODS[1:])
LABELS = {
    "tmuxorch": "tmuxorch Engine.snapshot()",
    "floor": "floor: bare tmux -C, same listing",
    "naive": "naive: list-sessions/-windows/-panes",
    "libtmux_panes": "libtmux Server.panes",
    "libtmux_walk": "libtmux sessions>windows>panes",
}


@dataclass
class Timing:
    """The runs of one method on one server."""

    method: str
    times_ms: list[float] = field(default_factory=list)
    procs: float | None = None
    """tmux processes started per snapshot (timed runs only)."""
    panes_seen: int = 0
    note: str = ""

    @property
    def median(self) -> float:
        """Median run time in ms: robust against a GC pause or a scheduler hiccup."""
        return statistics.median(self.times_ms)


@dataclass
class SizeResult:
    """Everything measured on one server size."""

    panes: int
    sessions: int
    windows: int
    timings: dict[str, Timing] = field(default_factory=dict)
    rss: dict[str, float] | None = None

    def ratio(self, method: str) -> float | None:
        """How many times slower than tmuxorch `method` is (None when not measured)."""
        base, other = self.timings.get("tmuxorch"), self.timings.get(method)
        if base is None or other is None or base.median <= 0:
            return None
        return other.median / base.median


# -- the baselines ------------------------------------------------------------------------------


def naive_snapshot(target: Fleet) -> int:
    """What a script without control mode does: one subprocess per list command, walking the
    tree. Returns the number of panes seen."""

    def lines(*args: str) -> list[list[str]]:
        out = subprocess.run(
            target.argv(*args), capture_output=True, text=True, env=target.env, check=True
        ).stdout
        return [line.split(SEP) for line in out.splitlines()]

    tree: dict[str, Any] = {}
    for session in lines("list-sessions", "-F", _SESSION_FORMAT):
        windows: dict[str, Any] = {}
        tree[session[0]] = {"fields": session, "windows": windows}
        for window in lines("list-windows", "-t", session[0], "-F", _WINDOW_FORMAT):
            panes = lines("list-panes", "-t", window[0], "-F", _PANE_FORMAT)
            windows[window[0]] = {"fields": window, "panes": {p[0]: p for p in panes}}
    return sum(len(w["panes"]) for s in tree.values() for w in s["windows"].values())


def libtmux_or_none() -> Any | None:
    """libtmux if installed: it is optional (only .venv-bench has it), so imported by name."""
    try:
        return importlib.import_module("libtmux")
    except ImportError:
        return None


def libtmux_panes(socket_path: Path) -> int:
    """libtmux's cheapest full listing: `Server.panes`, one `list-panes -a` with ~120 fields.
    A fresh Server each time, though its properties re-query tmux on every access anyway."""
    lib = libtmux_or_none()
    assert lib is not None
    panes = lib.Server(socket_path=socket_path).panes
    return sum(1 for p in panes if p.pane_id)


def libtmux_walk(socket_path: Path) -> int:
    """The way libtmux is usually used: sessions, then each one's windows, then their panes."""
    lib = libtmux_or_none()
    assert lib is not None
    count = 0
    for session in lib.Server(socket_path=socket_path).sessions:
        for window in session.windows:
            count += sum(1 for p in window.panes if p.pane_id)
    return count


def time_sync(
    method: str, run: Callable[[], int], *, max_runs: int, min_runs: int, budget_s: float
) -> Timing:
    """Time a blocking snapshot function: one warm-up run, then runs until `max_runs` or until
    the time budget is spent (but at least `min_runs`), counting the processes it starts."""
    timing = Timing(method)
    timing.panes_seen = run()  # warm-up: page cache, libtmux's cached `tmux -V`
    spent = 0.0
    with ProcessCounter() as counter:
        while len(timing.times_ms) < max_runs and (
            len(timing.times_ms) < min_runs or spent < budget_s
        ):
            start = time.perf_counter()
            timing.panes_seen = run()
            elapsed = time.perf_counter() - start
            spent += elapsed
            timing.times_ms.append(elapsed * 1000)
    timing.procs = counter.popen_tmux / len(timing.times_ms)
    return timing


# -- tmuxorch -------------------------------------------------------------------------------------


async def time_tmuxorch(socket_path: Path, session: str, runs: int) -> tuple[Timing, Timing]:
    """Time `Engine.snapshot()` after a warm-up that attaches the control client, alternating
    each run with the floor (a bare client sending the same commands) so both see the same
    machine. Processes are counted three ways: the engine's own counter, every Popen, every
    create_subprocess_exec."""

    timing, floor = Timing("tmuxorch"), Timing("floor", procs=0)
    engine = Engine(TmuxServer(socket_path=socket_path))
    bare = await BareControlClient.attach(socket_path, session)
    try:
        for _ in range(3):
            await engine.snapshot()
        listing = engine.listing()
        await bare.run(listing)
        before = engine.connection.processes_started
        fallbacks = engine.connection.fallback_batches
        with ProcessCounter() as counter:
            for _ in range(runs):
                start = time.perf_counter()
                snapshot = await engine.snapshot()
                timing.times_ms.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                await bare.run(listing)
                floor.times_ms.append((time.perf_counter() - start) * 1000)
        own = (engine.connection.processes_started - before) / runs
        timing.procs = max(own, counter.popen / runs, counter.asyncio_exec / runs)
        timing.panes_seen = floor.panes_seen = len(snapshot.panes())
        timing.note = (
            f"procs counted by engine {own:g}, Popen {counter.popen}, "
            f"create_subprocess_exec {counter.asyncio_exec} over {runs} runs"
        )
        if engine.connection.fallback_batches != fallbacks:
            timing.note += "; WARNING: the engine fell back to subprocesses"
        if not snapshot.tmux.running:
            raise RuntimeError("tmuxorch saw no tmux server")
    finally:
        await bare.close()
        await engine.close()
    return timing, floor


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


async def _rss_probe(socket_path: Path, snapshots: int, more: int) -> dict[str, float]:

    gc.collect()
    before = _rss_kb()
    engine = Engine(TmuxServer(socket_path=socket_path))
    try:
        for _ in range(snapshots):
            await engine.snapshot()
        gc.collect()
        after = _rss_kb()
        for _ in range(more):
            await engine.snapshot()
        gc.collect()
        later = _rss_kb()
    finally:
        await engine.close()
    return {
        "rss_before_mb": before / 1024,
        "growth_mb": (after - before) / 1024,
        "growth_more_mb": (later - after) / 1024,
        "snapshots": snapshots,
        "more_snapshots": more,
    }


def rss_child_main(argv: list[str]) -> None:
    """Entry point of the RSS probe process (see `measure_rss`)."""
    socket_path, snapshots, more = Path(argv[0]), int(argv[1]), int(argv[2])
    print(json.dumps(asyncio.run(_rss_probe(socket_path, snapshots, more))))


def measure_rss(socket_path: Path, snapshots: int, more: int = 100) -> dict[str, float] | None:
    """Resident-set growth of a fresh engine, in a fresh Python process: in this one, the memory
    the baselines allocated (and CPython kept) would hide what the engine takes."""
    if not Path("/proc/self/status").exists():
        return None
    code = "import sys; from bench.snapshot import rss_child_main; rss_child_main(sys.argv[1:])"
    result = subprocess.run(
        [sys.executable, "-c", code, str(socket_path), str(snapshots), str(more)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        print(f"bench: RSS probe failed: {result.stderr.strip()[-500:]}", file=sys.stderr)
        return None
    data: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


# -- running and reporting ----------------------------------------------------------------------


def measure_size(shape: Shape, args: argparse.Namespace, have_libtmux: bool) -> SizeResult:
    """Build one server, time every method on it, tear it down."""
    started = time.perf_counter()
    with fleet(shape) as target:
        progress(
            f"{shape.panes}-pane server up in {time.perf_counter() - started:.1f} s "
            f"({counted(target.session_count, 'session')}, "
            f"{counted(target.window_count, 'window')})"
        )
        result = SizeResult(shape.panes, target.session_count, target.window_count)
        slow = {"max_runs": args.max_runs, "min_runs": args.min_runs, "budget_s": args.budget}
        result.timings["naive"] = time_sync("naive", lambda: naive_snapshot(target), **slow)
        if have_libtmux:
            path = target.socket_path
            result.timings["libtmux_panes"] = time_sync(
                "libtmux_panes", lambda: libtmux_panes(path), **slow
            )
            result.timings["libtmux_walk"] = time_sync(
                "libtmux_walk", lambda: libtmux_walk(path), **slow
            )
        result.timings["tmuxorch"], result.timings["floor"] = asyncio.run(
            time_tmuxorch(target.socket_path, f"{SESSION_PREFIX}000", args.runs)
        )
        for timing in result.timings.values():
            if timing.panes_seen != shape.panes:
                raise RuntimeError(
                    f"{timing.method} saw {timing.panes_seen} panes instead of {shape.panes}"
                )
        if shape.panes == RSS_SIZE:
            result.rss = measure_rss(target.socket_path, RSS_SNAPSHOTS)
    progress(f"{shape.panes} panes done in {time.perf_counter() - started:.1f} s")
    return result


@dataclass
class Target:
    """One promise and whether this run kept it."""

    text: str
    value: str
    ok: bool


def evaluate_targets(results: list[SizeResult]) -> list[Target]:
    """The targets from the brief, for the sizes that were measured."""
    targets: list[Target] = []
    by_size = {r.panes: r for r in results}
    if 16 in by_size:
        ms = by_size[16].timings["tmuxorch"].median
        targets.append(Target("tmuxorch <= 0.6 ms at 16 panes", f"{ms:.3f} ms", ms <= 0.6))
    if 501 in by_size:
        r = by_size[501]
        ms = r.timings["tmuxorch"].median
        floor = r.timings["floor"].median
        value = f"{ms:.2f} ms (bare tmux -C: {floor:.2f})"
        targets.append(Target("tmuxorch <= 10 ms at 501 panes", value, ms <= 10))
        ratio = r.ratio("libtmux_panes")
        if ratio is not None:
            targets.append(
                Target("501 panes: >= 6x faster than libtmux Server.panes", f"{ratio:.1f}x",
                       ratio >= 6)
            )  # fmt: skip
        ratio = r.ratio("naive")
        if ratio is not None:
            targets.append(
                Target("501 panes: >= 150x faster than naive", f"{ratio:.0f}x", ratio >= 150)
            )
        if r.rss is not None:
            growth = r.rss["growth_mb"]
            targets.append(
                Target(f"RSS growth < 20 MB (501 panes, {RSS_SNAPSHOTS} snapshots)",
                       f"{growth:.1f} MB", growth < 20)
            )  # fmt: skip
    procs = [r.timings["tmuxorch"].procs or 0.0 for r in results]
    targets.append(
        Target("0 tmux processes per tmuxorch snapshot",
               " / ".join(f"{p:g}" for p in procs), all(p == 0 for p in procs))
    )  # fmt: skip
    return targets


def _number(value: float | None, digits: int = 3) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, digits)


def json_record(result: SizeResult) -> dict[str, Any]:
    """The machine-readable line for one size; the first keys are a stable contract."""
    t = result.timings
    record: dict[str, Any] = {"bench": "snapshot", "panes": result.panes}
    for method in METHODS:
        record[f"{method}_ms"] = _number(t[method].median) if method in t else None
    record["tmuxorch_procs"] = _number(t["tmuxorch"].procs)
    for method in METHODS[1:]:
        record[f"{method}_procs"] = _number(t[method].procs) if method in t else None
    for method in METHODS[1:]:
        ratio = result.ratio(method)
        record[f"{method}_ratio"] = None if ratio is None else round(ratio, 1)
    record["sessions"] = result.sessions
    record["windows"] = result.windows
    record["runs"] = {m: len(t[m].times_ms) for m in ROWS if m in t}
    record["floor_ms"] = _number(t["floor"].median) if "floor" in t else None
    if result.rss is not None:
        record["tmuxorch_rss_growth_mb"] = round(result.rss["growth_mb"], 2)
        record["tmuxorch_rss_growth_next_100_mb"] = round(result.rss["growth_more_mb"], 2)
    return record


def print_report(results: list[SizeResult], targets: list[Target], libtmux_note: str) -> None:
    """The human table: one block per size, then the targets."""
    for r in results:
        print(
            f"\nSnapshot of {r.panes} panes ({counted(r.sessions, 'session')}, "
            f"{counted(r.windows, 'window')}), "
            "median of the timed runs"
        )
        print(
            f"  {'method':<38} {'median ms':>10} {'runs':>5} {'tmux procs':>11} {'vs tmuxorch':>12}"
        )
        for method in ROWS:
            timing = r.timings.get(method)
            if timing is None:
                print(f"  {LABELS[method]:<38} {'skipped (libtmux not installed)':>40}")
                continue
            ratio = r.ratio(method)
            procs = "?" if timing.procs is None else f"{timing.procs:g}"
            print(
                f"  {LABELS[method]:<38} {timing.median:>10.3f} {len(timing.times_ms):>5} "
                f"{procs:>11} {f'{ratio:.1f}x' if ratio is not None else '':>12}"
            )
        print(f"  ({r.timings['tmuxorch'].note})")
        extra = r.timings["tmuxorch"].median - r.timings["floor"].median
        print(
            f"  tmuxorch's own work over the floor: {extra:+.3f} ms "
            f"({extra / r.timings['floor'].median:+.0%}); the rest is tmux answering"
        )
        if r.rss is not None:
            print(
                f"  tmuxorch RSS growth: {r.rss['growth_mb']:.2f} MB after {RSS_SNAPSHOTS} "
                f"snapshots, then {r.rss['growth_more_mb']:+.2f} MB over "
                f"{r.rss['more_snapshots']:g} more (fresh process, "
                f"{r.rss['rss_before_mb']:.0f} MB before the engine)"
            )
    if libtmux_note:
        print(f"\nNote: {libtmux_note}")
    print_targets([(t.text, t.value, t.ok) for t in targets])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `python -m bench snapshot`."""
    parser.add_argument("--json", action="store_true", help="end with one JSON line per size")
    parser.add_argument(
        "--sizes", default=",".join(map(str, SIZES)), help="pane counts, comma-separated"
    )
    parser.add_argument("--runs", type=int, default=50, help="timed tmuxorch snapshots per size")
    parser.add_argument("--max-runs", type=int, default=30, help="most runs of a baseline")
    parser.add_argument("--min-runs", type=int, default=5, help="fewest runs of a baseline")
    parser.add_argument(
        "--budget", type=float, default=3.0, help="seconds after which a baseline stops early"
    )
    parser.add_argument(
        "--panes-per-window",
        type=int,
        default=1,
        help="fleet shape; 1 (default) is the layout of shared/notes/tmux-facts.md, where the "
        "targets were set: the naive walk starts 23 / 223 / 553 processes",
    )
    parser.add_argument("--windows-per-session", type=int, default=10, help="fleet shape")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")


def run(args: argparse.Namespace) -> int:
    """Run the snapshot benchmark; the exit status is 1 only with --strict and a failed target."""
    have_libtmux = libtmux_or_none() is not None
    libtmux_note = (
        ""
        if have_libtmux
        else "libtmux is not importable in this Python: its columns are skipped "
        "(`make bench` installs it into .venv-bench)."
    )
    if libtmux_note:
        progress(libtmux_note)
    sizes = [int(s) for s in str(args.sizes).split(",") if s.strip()]
    results = [
        measure_size(
            Shape(size, args.panes_per_window, args.windows_per_session), args, have_libtmux
        )
        for size in sizes
    ]
    targets = evaluate_targets(results)
    print_report(results, targets, libtmux_note)
    if args.json:
        print()
        for result in results:
            print(json.dumps(json_record(result)))
    return 1 if args.strict and not all(t.ok for t in targets) else 0
