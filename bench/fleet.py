"""Throwaway tmux servers of a known shape for the benchmarks.

Each fleet lives on its own socket in a fresh temporary directory, started with `-f /dev/null`
and an environment without $TMUX, so a benchmark never reads the user's config and never touches
the user's (default) server. The fleet is built with a few chained `tmux` invocations (one process
per ~100 commands), so even a 501-pane server is up in about a second. It is always torn down on
exit, Ctrl-C or error: `kill-server` on its socket, then SIGKILL to the server's own PID if it is
still there. Nothing is ever killed by name.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

PANE_COMMAND = "sleep 100000"
"""What every pane runs: a process that idles, so panes stay alive and produce no output."""

SESSION_PREFIX = "bench"
"""Sessions built by a fleet are named `bench000`, `bench001`, ...; anything else is not ours."""

_CHAIN_BYTES = 8000
"""Budget for one chained invocation: tmux refuses a client message over ~16 KB."""

PaneCommand = Callable[[int], Sequence[str]]
"""What the n-th pane of a fleet runs: one string goes through the shell, several are an argv
that tmux executes directly."""


def idle_command(_n: int) -> list[str]:
    """The default pane command: PANE_COMMAND, the same in every pane."""
    return [PANE_COMMAND]


def tmux_binary() -> str:
    """The tmux executable; the benchmarks cannot run without one."""
    path = shutil.which("tmux")
    if path is None:
        raise SystemExit("bench: tmux is not installed (or not on PATH)")
    return path


def clean_environ() -> dict[str, str]:
    """Our environment without $TMUX/$TMUX_PANE: `-S` names the server, and tmux refuses some
    commands when it believes it is nested."""
    env = dict(os.environ)
    env.pop("TMUX", None)
    env.pop("TMUX_PANE", None)
    return env


@dataclass(frozen=True)
class Shape:
    """How the panes of a fleet are grouped: sessions of windows of panes."""

    panes: int
    panes_per_window: int = 3
    windows_per_session: int = 10

    def windows(self) -> list[int]:
        """Pane count of each window: full windows, then one with the remainder."""
        full, rest = divmod(self.panes, self.panes_per_window)
        return [self.panes_per_window] * full + ([rest] if rest else [])

    def sessions(self) -> list[list[int]]:
        """Windows (as pane counts) grouped into sessions."""
        windows = self.windows()
        step = self.windows_per_session
        return [windows[i : i + step] for i in range(0, len(windows), step)]


@dataclass
class Fleet:
    """A running tmux server built by `fleet()`; `tmux()` runs a command against it."""

    socket_path: Path
    shape: Shape
    server_pid: int = 0
    session_count: int = 0
    window_count: int = 0
    env: dict[str, str] = field(default_factory=clean_environ)

    def argv(self, *args: str) -> list[str]:
        """A tmux command line aimed at this fleet's socket only."""
        return [tmux_binary(), "-S", str(self.socket_path), *args]

    def tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run one tmux command against the fleet and return its output."""
        result = subprocess.run(
            self.argv(*args), capture_output=True, text=True, env=self.env, timeout=30
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args[:3])} failed: {result.stderr.strip()}")
        return result

    def private_env(self) -> dict[str, str]:
        """The fleet's environment, with private config and data directories beside its socket:
        a tmuxorch run by a benchmark reads none of the user's files and writes none."""
        home = self.socket_path.parent
        return {
            **self.env,
            "TERM": "xterm-256color",
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_STATE_HOME": str(home / "state"),
        }

    def chained(self, commands: Sequence[Sequence[str]], *, first: Sequence[str] = ()) -> None:
        """Run many commands in as few tmux processes as the message size allows."""
        batch: list[str] = list(first)
        size = sum(len(a) + 1 for a in batch)
        for command in commands:
            cost = sum(len(a) + 1 for a in command) + 2
            if batch and size + cost > _CHAIN_BYTES:
                self.tmux(*batch)
                batch, size = [], 0
            if batch:
                batch.append(";")
            batch += command
            size += cost
        if batch:
            self.tmux(*batch)

    def pane_ids(self) -> list[str]:
        """The id (`%N`) of every pane the fleet built, in session/window order. Only panes of
        our own sessions: once an engine is attached, its hidden session is on the server too."""
        return self._ids("list-panes", "#{pane_id}")

    def window_ids(self) -> list[str]:
        """The id (`@N`) of every window the fleet built, in session order."""
        return self._ids("list-windows", "#{window_id}")

    def _ids(self, command: str, field: str) -> list[str]:
        out = self.tmux(command, "-a", "-F", f"#{{session_name}} {field}").stdout
        return [
            found
            for session, _, found in (line.partition(" ") for line in out.splitlines())
            if session.startswith(SESSION_PREFIX)
        ]


def _build(fleet: Fleet, command: PaneCommand, size: tuple[int, int]) -> None:
    shape = fleet.shape
    width, height = str(size[0]), str(size[1])
    # The first session starts the server (without any config file); the options that follow make
    # every later window big enough for its splits and keep the server lean.
    commands: list[list[str]] = [
        ["set-option", "-g", "default-size", f"{width}x{height}"],
        ["set-option", "-g", "history-limit", "100"],
    ]
    first: list[str] = []
    started = 0

    def pane_command() -> list[str]:
        nonlocal started
        argv = list(command(started))
        started += 1
        return argv

    for s, windows in enumerate(shape.sessions()):
        name = f"{SESSION_PREFIX}{s:03d}"
        new_session = ["new-session", "-d", "-s", name, "-x", width, "-y", height, *pane_command()]
        if s == 0:
            first = ["-f", "/dev/null", *new_session]
        else:
            commands.append(new_session)
        for w, panes in enumerate(windows):
            target = f"{name}:{w}"
            if w > 0:
                commands.append(["new-window", "-d", "-t", target, *pane_command()])
            commands += [
                ["split-window", "-d", "-t", target, *pane_command()] for _ in range(panes - 1)
            ]
    fleet.chained(commands, first=first)
    fleet.session_count = len(shape.sessions())
    fleet.window_count = len(shape.windows())
    found = len(fleet.pane_ids())
    if found != shape.panes:
        raise RuntimeError(f"built {found} panes instead of {shape.panes}")


def _is_tmux(pid: int) -> bool:
    """Is `pid` still a tmux process? Guards the SIGKILL against a recycled PID."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().startswith("tmux")
    except OSError:
        return False


def kill_fleet(fleet: Fleet) -> None:
    """Stop the fleet's server: politely through its socket, then by its own PID."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(
            fleet.argv("kill-server"), capture_output=True, env=fleet.env, timeout=10, check=False
        )
    pid = fleet.server_pid
    if pid <= 0:
        return
    deadline = time.monotonic() + 2.0
    while _is_tmux(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    if _is_tmux(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def fleet(
    shape: Shape, command: PaneCommand = idle_command, size: tuple[int, int] = (250, 80)
) -> Iterator[Fleet]:
    """A running server of `shape`, on its own socket, gone again when the block exits. Pane n
    runs `command(n)`; windows are `size` (columns, rows)."""
    base = tempfile.gettempdir()
    if len(base) > 60:  # a unix socket path must stay under ~107 bytes
        base = "/tmp"
    tmpdir = Path(tempfile.mkdtemp(prefix="tmuxorch-bench-", dir=base))
    built = Fleet(socket_path=tmpdir / "tmux.sock", shape=shape)
    try:
        try:
            _build(built, command, size)
        finally:
            # Learn the PID even when the build failed half-way, so the server is still reaped.
            with contextlib.suppress(Exception):
                out = built.tmux("display-message", "-p", "#{pid}", check=False).stdout.strip()
                built.server_pid = int(out) if out.isdigit() else 0
        yield built
    finally:
        kill_fleet(built)
        shutil.rmtree(tmpdir, ignore_errors=True)
