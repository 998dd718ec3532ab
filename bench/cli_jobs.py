"""The processes `bench cli` times: tmuxorch as a user runs it, and the same jobs done otherwise.

Each job is one whole process, timed from the parent around `subprocess.run` (interpreter start,
imports, the tmux processes it starts, its output read through a pipe as a script would), so the
figure is what a shell script or a tmux status line waits for. The libtmux equivalents are small
`python -c` scripts run by the bench venv's Python (the one that has libtmux), given the socket,
pane and text as arguments, never pasted into the code.
"""

from __future__ import annotations

import contextlib
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.agentfleet import prompt_text
from bench.fleet import Fleet
from tmuxorch.core.tmux.hidden import is_hidden

PROCESS_TIMEOUT_S = 60.0
SETTLE_TIMEOUT_S = 10.0
_POLL_S = 0.01

LIBTMUX_STATUS = """
import json, sys, libtmux
server = libtmux.Server(socket_path=sys.argv[1])
print(json.dumps([
    {"session": p.session_name, "window": p.window_id, "id": p.pane_id, "pid": p.pane_pid,
     "command": p.pane_current_command, "cwd": p.pane_current_path, "dead": p.pane_dead}
    for p in server.panes
]))
"""
"""`status --json` the libtmux way: every pane with its session, window, pid, command, cwd."""

LIBTMUX_SEND = """
import sys, libtmux
server = libtmux.Server(socket_path=sys.argv[1])
pane = libtmux.Pane.from_pane_id(server=server, pane_id=sys.argv[2])
pane.send_keys(sys.argv[3], enter=False, literal=True)
"""
"""`send --no-enter` the libtmux way: type the text into one pane by id, no Enter."""

LIBTMUX_CAPTURE = """
import sys, libtmux
server = libtmux.Server(socket_path=sys.argv[1])
pane = libtmux.Pane.from_pane_id(server=server, pane_id=sys.argv[2])
print("\\n".join(pane.capture_pane(start=-50)))
"""
"""`capture` the libtmux way: the pane's last lines, printed."""


@dataclass(frozen=True)
class Job:
    """One command line to time; `reset` (untimed) puts the fleet back after each run."""

    key: str
    """Its name in the JSON line."""
    label: str
    argv: Sequence[str]
    env: dict[str, str]
    reset: Callable[[], None] | None = None


@dataclass
class Runs:
    """Wall times of one job, in ms."""

    times_ms: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p90(self) -> float:
        """The 90th percentile (the largest run when there are fewer than two)."""
        if len(self.times_ms) < 2:
            return max(self.times_ms)
        return statistics.quantiles(self.times_ms, n=10, method="inclusive")[8]


def wall_ms(job: Job) -> float:
    """Run the job once and return its wall time; a failed run is an error, not a figure."""
    start = time.perf_counter()
    done = subprocess.run(
        job.argv, env=job.env, capture_output=True, timeout=PROCESS_TIMEOUT_S, check=False
    )
    elapsed = (time.perf_counter() - start) * 1000
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeError(f"{job.label} exited {done.returncode}: {lines[-1] if lines else ''}")
    if job.reset is not None:
        job.reset()
    return elapsed


def measure(jobs: Sequence[Job], runs: int) -> dict[str, Runs]:
    """A warm-up round (page cache, tmux's first answers), then `runs` rounds of every job in
    turn: interleaved, so a busy moment of the machine falls on all of them alike."""
    for job in jobs:
        wall_ms(job)
    found = {job.key: Runs() for job in jobs}
    for _ in range(runs):
        for job in jobs:
            found[job.key].times_ms.append(wall_ms(job))
    return found


def libtmux_job(
    key: str,
    label: str,
    script: str,
    env: dict[str, str],
    *args: str,
    reset: Callable[[], None] | None = None,
) -> Job:
    """A libtmux script as its own process, run by this (the bench venv's) Python."""
    return Job(key, label, [sys.executable, "-c", script, *args], env, reset)


def tmuxorch_script() -> Path:
    """The `tmuxorch` console script of the venv this benchmark runs in, as a user runs it."""
    script = Path(sys.executable).parent / "tmuxorch"
    if not script.exists():
        raise SystemExit(f"bench: cli: no tmuxorch script beside {sys.executable}")
    return script


def compile_package() -> Path:
    """Write tmuxorch's bytecode, as a user's machine does on the first run: with
    PYTHONDONTWRITEBYTECODE set (as here), every run would compile the whole package again."""
    import tmuxorch

    package = Path(tmuxorch.__file__).parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
    return package


def has_format_option(script: Path, env: dict[str, str]) -> bool:
    """Does this tree's `status` take `--format` (`status --format tmux` is not built yet)?"""
    done = subprocess.run(
        [str(script), "status", "--help"], env=env, capture_output=True, text=True, check=False
    )
    return "--format" in done.stdout


def prompt(built: Fleet, pane: str) -> str | None:
    """What a simulated agent's input box holds, read by a plain `tmux capture-pane`."""
    return prompt_text(built.tmux("capture-pane", "-p", "-t", pane).stdout.splitlines())


def wait_prompt(built: Fleet, pane: str, expected: str, timeout: float) -> None:
    """Poll the agent's input box until it holds `expected`; raise at the deadline."""
    deadline = time.monotonic() + timeout
    while (found := prompt(built, pane)) != expected:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the agent's input box holds {found!r}, not {expected!r}")
        time.sleep(_POLL_S)


def clear_prompt(built: Fleet, pane: str, sent: str) -> Callable[[], None]:
    """The reset after a send: check that `sent` arrived (a send that types nothing is no
    figure), then Escape, which empties an idle simagent's box, and wait until it is empty, so
    every send types into the same screen."""

    def reset() -> None:
        wait_prompt(built, pane, sent, SETTLE_TIMEOUT_S)
        built.tmux("send-keys", "-t", pane, "Escape")
        wait_prompt(built, pane, "", SETTLE_TIMEOUT_S)

    return reset


@contextlib.contextmanager
def watcher(built: Fleet, script: Path) -> Iterator[None]:
    """`tmuxorch watch` on the fleet, a keeper of `@tmuxorch-status` as a TUI or `serve` would
    be, from the moment its hidden session exists until it is stopped (by its PID) on exit."""
    process = subprocess.Popen(
        [str(script), "-S", str(built.socket_path), "watch"], env=built.private_env(),
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while not any(
            is_hidden(n)
            for n in built.tmux("list-sessions", "-F", "#{session_name}").stdout.split()
        ):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("tmuxorch watch did not attach to the fleet")
            time.sleep(_POLL_S)
        yield
    finally:
        process.terminate()
        try:
            process.wait(SETTLE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
