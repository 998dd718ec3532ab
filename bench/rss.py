"""Resident-set figures: the RSS of this process, and a fresh process's growth over snapshots."""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
from pathlib import Path

from bench.report import progress
from tmuxorch.core.engine import Engine
from tmuxorch.core.tmux.server import TmuxServer


def rss_mb() -> float:
    """This process's resident set in MB (0 where /proc is missing)."""
    status = Path("/proc/self/status")
    if not status.exists():
        return 0.0
    for line in status.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


async def _rss_probe(socket_path: Path, snapshots: int, more: int) -> dict[str, float]:
    gc.collect()
    before = rss_mb()
    engine = Engine(TmuxServer(socket_path=socket_path))
    try:
        for _ in range(snapshots):
            await engine.snapshot()
        gc.collect()
        after = rss_mb()
        for _ in range(more):
            await engine.snapshot()
        gc.collect()
        later = rss_mb()
    finally:
        await engine.close()
    return {
        "rss_before_mb": before,
        "growth_mb": after - before,
        "growth_more_mb": later - after,
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
    code = "import sys; from bench.rss import rss_child_main; rss_child_main(sys.argv[1:])"
    result = subprocess.run(
        [sys.executable, "-c", code, str(socket_path), str(snapshots), str(more)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        progress(f"RSS probe failed: {result.stderr.strip()[-500:]}")
        return None
    data: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return data
