"""Snapshot benchmark: the time and tmux processes one full picture of a server costs.

A full picture is every session, window and pane with ids, names, pids, commands and paths.

Why: DESIGN.md promises snapshots over one control-mode round trip with zero processes per
operation; shared/notes/tmux-facts.md measured what that should cost against the usual ways
(a subprocess per list command, libtmux). This benchmark checks the engine itself against the same
baselines, on servers of 16, 201 and 501 panes built for the purpose, and states PASS/FAIL for the
targets. The baselines run before the engine attaches, so none of them sees its hidden session.

tmuxorch is timed twice: on a quiet fleet (what a look costs when nothing changed since the last
one: the parser reuses its models) and on a fleet where every pane's line changed since the last
run (what a user waits for after the fleet moved: parse included). Every baseline costs the same
either way (none keeps anything between looks), so one row each is compared with both.

A third row times `snapshot()` while the engine watches (the TUI, `serve`): with nothing changed
since the watcher's last listing it is the live model, no round trip at all (Engine.snapshot,
and LocalBackend.snapshot, agents included, in the note).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.bare import BareControlClient
from bench.baselines import libtmux_or_none
from bench.fleet import SESSION_PREFIX, Shape, fleet
from bench.procs import ProcessCounter
from bench.report import print_targets, progress
from bench.rss import measure_rss
from bench.snapshot_baselines import Timing, libtmux_panes, libtmux_walk, naive_snapshot, time_sync
from tmuxorch.core.engine import Engine
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.tmux.server import TmuxServer
from tmuxorch.usecases.labels import counted

SIZES = (16, 201, 501)
RSS_SIZE = 501
RSS_SNAPSHOTS = 20
METHODS = ("tmuxorch", "naive", "libtmux_panes", "libtmux_walk")
"""What the snapshot is compared with; the first four JSON keys follow this order."""
ROWS = ("tmuxorch", "tmuxorch_changed", "tmuxorch_live", "floor", *METHODS[1:])
LABELS = {
    "tmuxorch": "tmuxorch Engine.snapshot(), quiet fleet",
    "tmuxorch_changed": "tmuxorch, every pane line changed",
    "tmuxorch_live": "tmuxorch while watching, nothing changed",
    "floor": "floor: bare tmux -C, same listing",
    "naive": "naive: list-sessions/-windows/-panes",
    "libtmux_panes": "libtmux Server.panes",
    "libtmux_walk": "libtmux sessions>windows>panes",
}


@dataclass
class SizeResult:
    """Everything measured on one server size."""

    panes: int
    sessions: int
    windows: int
    timings: dict[str, Timing] = field(default_factory=dict)
    rss: dict[str, float] | None = None

    def ratio(self, method: str, base_method: str = "tmuxorch") -> float | None:
        """How many times slower than tmuxorch (on a quiet fleet, or on the `base_method`
        one) `method` is (None when not measured)."""
        base, other = self.timings.get(base_method), self.timings.get(method)
        if base is None or other is None or base.median <= 0:
            return None
        return other.median / base.median


# -- tmuxorch -------------------------------------------------------------------------------------

_SYNC = ["display-message", "-p", "x"]


def rename_rounds(windows: Sequence[str]) -> list[list[list[str]]]:
    """Two ways of naming every window, the same length each: alternating them changes every
    pane line of the listing (each carries its window's name), so a run after one finds nothing
    to reuse from the run before."""
    return [
        [["rename-window", "-t", wid, f"changed-{side}-{n:04d}"] for n, wid in enumerate(windows)]
        for side in "ab"
    ]


async def time_tmuxorch(
    socket_path: Path, session: str, windows: Sequence[str], runs: int
) -> dict[str, Timing]:
    """Time `Engine.snapshot()` after a warm-up that attaches the control client: each round
    renames every window (untimed, by the bare client), times one snapshot of that changed fleet
    (parse included), then one more of the same fleet, now quiet (the parser reuses its models).
    Each snapshot is followed by the floor (a bare client sending the same commands), so all
    three meet the same machine. Processes are counted three ways: the engine's own counter,
    every Popen, every create_subprocess_exec."""
    quiet, changed, floor = Timing("tmuxorch"), Timing("tmuxorch_changed"), Timing("floor")
    floor.procs = 0
    engine = Engine(TmuxServer(socket_path=socket_path))
    bare = await BareControlClient.attach(socket_path, session)
    renames = rename_rounds(windows)
    try:
        for _ in range(3):
            await engine.snapshot()
        listing = engine.listing()
        await bare.run(listing)
        fallbacks = engine.connection.fallback_batches
        before = engine.connection.processes_started
        with ProcessCounter() as counter:
            for run in range(runs):
                await bare.run(renames[run % 2])
                for _ in range(2):  # the renames' notifications are read by now
                    await engine.run([_SYNC])
                    await bare.run([_SYNC])
                for timing in (changed, quiet):
                    start = time.perf_counter()
                    snapshot = await engine.snapshot()
                    timing.times_ms.append((time.perf_counter() - start) * 1000)
                    start = time.perf_counter()
                    await bare.run(listing)
                    floor.times_ms.append((time.perf_counter() - start) * 1000)
        # The sync round trips are the engine's too: count per snapshot, all included.
        own = (engine.connection.processes_started - before) / runs
        procs = max(own, counter.popen / runs, counter.asyncio_exec / runs)
        note = (
            f"procs counted by engine {own:g}, Popen {counter.popen}, "
            f"create_subprocess_exec {counter.asyncio_exec} over {runs} rounds"
        )
        if engine.connection.fallback_batches != fallbacks:
            note += "; WARNING: the engine fell back to subprocesses"
        for timing in (quiet, changed):
            timing.procs, timing.note = procs, note
            timing.panes_seen = floor.panes_seen = len(snapshot.panes())
        if not snapshot.tmux.running:
            raise RuntimeError("tmuxorch saw no tmux server")
    finally:
        await bare.close()
        await engine.close()
    return {"tmuxorch": quiet, "tmuxorch_changed": changed, "floor": floor}


async def time_live(socket_path: Path, runs: int) -> Timing:
    """Time `Engine.snapshot()` while the engine watches a quiet fleet: the live model. The
    note gives LocalBackend.snapshot() (agents annotated) the same way."""
    live = Timing("tmuxorch_live")
    engine = Engine(TmuxServer(socket_path=socket_path))
    try:
        stream = await engine.subscribe()
        deadline = time.monotonic() + 10
        while not engine.fresh:  # the first listing after subscribing
            if time.monotonic() > deadline:
                raise RuntimeError("the engine's live model never became fresh")
            await asyncio.sleep(0.01)
        before = engine.connection.processes_started
        backend = LocalBackend(engine)
        backend_ms: list[float] = []
        for _ in range(runs):
            start = time.perf_counter()
            snapshot = await engine.snapshot()
            live.times_ms.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            await backend.snapshot()
            backend_ms.append((time.perf_counter() - start) * 1000)
        live.procs = engine.connection.processes_started - before
        live.panes_seen = len(snapshot.panes())
        live.note = f"LocalBackend.snapshot() {statistics.median(backend_ms):.3f} ms"
        await stream.close()
    finally:
        await engine.close()
    return live


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
        result.timings.update(
            asyncio.run(
                time_tmuxorch(
                    target.socket_path, f"{SESSION_PREFIX}000", target.window_ids(), args.runs
                )
            )
        )
        result.timings["tmuxorch_live"] = asyncio.run(time_live(target.socket_path, args.runs))
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
        live = r.timings["tmuxorch_live"]
        targets.append(
            Target("snapshot() while watching, 501 panes, nothing changed: <= 1 ms",
                   f"{live.median:.4f} ms ({live.note})", live.median <= 1)
        )  # fmt: skip
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
    procs = [r.timings[m].procs or 0.0 for r in results for m in ("tmuxorch", "tmuxorch_changed")]
    targets.append(
        Target("0 tmux processes per tmuxorch snapshot (quiet / changed)",
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
    for base in ("tmuxorch", "tmuxorch_changed"):
        suffix = "_changed" if base == "tmuxorch_changed" else ""
        for method in METHODS[1:]:
            ratio = result.ratio(method, base)
            record[f"{method}{suffix}_ratio"] = None if ratio is None else round(ratio, 1)
    record["sessions"] = result.sessions
    record["windows"] = result.windows
    record["runs"] = {m: len(t[m].times_ms) for m in ROWS if m in t}
    record["floor_ms"] = _number(t["floor"].median) if "floor" in t else None
    record["tmuxorch_changed_ms"] = _number(t["tmuxorch_changed"].median)
    record["tmuxorch_changed_procs"] = _number(t["tmuxorch_changed"].procs)
    record["tmuxorch_live_ms"] = _number(t["tmuxorch_live"].median, 4)
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
            f"  {'method':<40} {'median ms':>10} {'runs':>5} {'tmux procs':>11} "
            f"{'vs quiet':>9} {'vs changed':>11}"
        )
        for method in ROWS:
            timing = r.timings.get(method)
            if timing is None:
                print(f"  {LABELS[method]:<40} {'skipped (libtmux not installed)':>40}")
                continue
            ratios = [r.ratio(method, base) for base in ("tmuxorch", "tmuxorch_changed")]
            quiet, changed = (f"{x:.1f}x" if x is not None else "" for x in ratios)
            procs = "?" if timing.procs is None else f"{timing.procs:g}"
            print(
                f"  {LABELS[method]:<40} {timing.median:>10.3f} {len(timing.times_ms):>5} "
                f"{procs:>11} {quiet:>9} {changed:>11}"
            )
        print(f"  ({r.timings['tmuxorch'].note})")
        floor = r.timings["floor"].median
        extra = [r.timings[m].median - floor for m in ("tmuxorch", "tmuxorch_changed")]
        print(
            f"  tmuxorch's own work over the floor: {extra[0]:+.3f} ms quiet, {extra[1]:+.3f} ms "
            "changed; the rest is tmux answering"
        )
        live = r.timings["tmuxorch_live"].median
        if live > 0:
            print(
                f"  while watching: {live:.4f} ms, {floor / live:.0f}x less than the floor's "
                f"listing ({r.timings['tmuxorch_live'].note})"
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
