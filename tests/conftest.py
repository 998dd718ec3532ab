"""Shared fixtures: a real, isolated tmux server per test.

Each server has its own socket name (`tmuxorch-test-<random>`) in a private TMUX_TMPDIR, a private
config file, and no $TMUX, so the user's tmux is never touched. Teardown kills the server by
`kill-server` on its socket and then by its PID: never by name.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tmuxorch.core.engine import Engine
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.tmux.server import TmuxServer

from .serverkit import Served, served

# automatic-rename off: tmux renames a window after its pane's command on a timer, and a timer that
# fires before the child has exec'd names the window `tmux`, for good (a pane with no output is not
# looked at again). Windows are named from their command when made, as with the option on.
TMUX_CONFIG = """\
set -g default-shell /bin/sh
set -g automatic-rename off
set -g default-size 200x50
set -g history-limit 2000
"""


def _is_tmux(pid: int) -> bool:
    """Is `pid` (still) a live tmux process? A zombie is gone: its parent may never reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    name, _, rest = stat.partition("(")[2].rpartition(")")
    return name.startswith("tmux") and rest.split()[0] != "Z"


def _program(pid: str) -> str | None:
    """The name of process `pid`'s program as tmux shows it (argv[0] without its directory)."""
    try:
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
    except OSError:
        return None
    return Path(os.fsdecode(argv0)).name if argv0 else None


def _descendants(pid: str) -> list[str]:
    """The PIDs of every process below `pid` (children, theirs, ...), from /proc."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            children = []
        found += children
        todo += children
    return found


class TmuxFixture:
    """A private tmux server and a synchronous way to drive it like another user would."""

    def __init__(self, tmpdir: Path) -> None:
        self.tmpdir = tmpdir
        self.name = f"tmuxorch-test-{secrets.token_hex(4)}"
        self.config = tmpdir / "tmux.conf"
        self.config.write_text(TMUX_CONFIG)
        self.env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
        self.env["TMUX_TMPDIR"] = str(tmpdir)
        self.env["XDG_DATA_HOME"] = str(tmpdir / "data")  # the audit log of CLI runs
        self.env["XDG_CONFIG_HOME"] = str(tmpdir / "config")  # no user config leaks in
        self.socket_path = tmpdir / f"tmux-{os.getuid()}" / self.name
        self.server = TmuxServer(self.socket_path)
        self.pids: set[int] = set()
        self.guardian: subprocess.Popen[bytes] | None = None

    def tmux(self, *args: str, check: bool = True) -> str:
        """Run one tmux command against this server; return stdout."""
        result = subprocess.run(
            ["tmux", "-L", self.name, "-f", str(self.config), *args],
            capture_output=True, text=True, env=self.env, timeout=10, check=False,
        )  # fmt: skip
        if check and result.returncode != 0:
            raise AssertionError(f"tmux {args} failed: {result.stderr.strip()}")
        return result.stdout

    def tmux_bytes(self, *args: str) -> bytes:
        """Like `tmux()`, but stdout as raw bytes (no newline translation, no decoding)."""
        result = subprocess.run(
            ["tmux", "-L", self.name, "-f", str(self.config), *args],
            capture_output=True, env=self.env, timeout=10, check=True,
        )  # fmt: skip
        return result.stdout

    def start(self, session: str = "main") -> None:
        """Start the server with one session running `sleep` (argv form: no shell in between,
        so the pane's command is `sleep`); remember the server PID for teardown."""
        self.tmux("new-session", "-d", "-s", session, "sleep", "100000")
        self.pids.add(int(self.tmux("display-message", "-p", "#{pid}").strip()))
        self.wait_command(f"={session}:", "sleep")
        if self.guardian is None:
            self.guardian = subprocess.Popen(  # kills this server if the test process dies hard
                ["sh", "-c", f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
                 f'exec tmux -S "{self.socket_path}" kill-server'],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                env=self.env, start_new_session=True,
            )  # fmt: skip

    def runs(self, target: str, command: str) -> bool:
        """Does the pane `target` run `command` for good, and tmux say so? tmux names a pane's
        command from its argv until the child has its terminal, then `tmux` (the forked server)
        until the exec: its answer stays only once it names the pane's own process. That process
        is `command`, or a shell (`sh -c`, which may or may not exec) with `command` its child."""
        pid, _, seen = self.tmux(
            "display-message", "-p", "-t", target, "#{pane_pid} #{pane_current_command}"
        ).strip().partition(" ")  # fmt: skip
        own = _program(pid)
        if own is None:
            return False
        below = [_program(p) for p in _descendants(pid)]
        if seen == own:
            return command in (own, *below)
        return seen == command and command in below  # a shell's foreground child, say

    def wait_command(self, target: str, command: str, timeout: float = 10.0) -> None:
        """Wait until the pane `target` runs `command` (see `runs`): a test that lists the pane
        before then sees a command change it did not make."""
        deadline = time.monotonic() + timeout
        while not self.runs(target, command):
            if time.monotonic() > deadline:
                seen = self.tmux("display-message", "-p", "-t", target, "#{pane_current_command}")
                raise AssertionError(f"{target} runs {seen.strip()!r}, not {command!r}")
            time.sleep(0.01)  # a poll step of a deadline-bounded wait

    def wait_dead(self, target: str, status: int, timeout: float = 10.0) -> None:
        """Wait until tmux shows the pane `target` dead with exit `status`. tmux can mark a
        pane dead before it has reaped its process, and (with libutempter) not reap it until
        another child of the server exits: a `run-shell true` is such a child."""
        deadline = time.monotonic() + timeout
        while True:
            seen = self.tmux(
                "display-message", "-p", "-t", target, "#{pane_dead}:#{pane_dead_status}"
            ).strip()  # fmt: skip
            if seen == f"1:{status}":
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{target} is {seen!r} (dead:status), not dead with {status}")
            if seen == "1:":
                self.tmux("run-shell", "true")
            time.sleep(0.01)  # a poll step of a deadline-bounded wait

    def kill(self) -> None:
        """Kill the server by socket, then by PID, and wait until it is gone. A server that a
        CLI run started (not `start()`) has its PID asked for first."""
        if not self.pids and self.server.is_running():
            with contextlib.suppress(subprocess.TimeoutExpired, ValueError):
                self.pids.add(int(self.tmux("display-message", "-p", "#{pid}", check=False)))
        with contextlib.suppress(subprocess.TimeoutExpired):  # a stopped server never answers
            self.tmux("kill-server", check=False)
        for pid in self.pids:
            if _is_tmux(pid):  # not a recycled PID
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)  # works on a stopped process too
        deadline = time.monotonic() + 5
        while any(_is_tmux(pid) for pid in self.pids) and time.monotonic() < deadline:
            time.sleep(0.01)  # a poll step: the kernel reaps the killed server
        self.pids.clear()
        if self.guardian is not None:
            self.guardian.kill()
            self.guardian.wait()
            self.guardian = None

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run the real `tmuxorch` CLI against this server (as a user would, -S)."""
        return subprocess.run(
            [sys.executable, "-m", "tmuxorch", "-S", str(self.socket_path), *args],
            capture_output=True, text=True, env=self.env, timeout=30, input=stdin, check=False,
        )  # fmt: skip


def reap(process: subprocess.Popen[bytes] | subprocess.Popen[str], timeout: float = 10.0) -> None:
    """Wait for a process of the test's own that was asked to end; kill it (by its PID, as
    Popen does) if it does not within `timeout` seconds."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(autouse=True)
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This process's data and config directories are the test's own: a TUI or a runner in
    the test process opens the store (schedules, claims) there, never in the user's."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))


@pytest.fixture
def tmux() -> Iterator[TmuxFixture]:
    """A private tmux server (not started: call `.start()`).

    Its directory is short and under /tmp: a unix socket path must stay under 108 bytes.
    """
    tmpdir = Path(tempfile.mkdtemp(prefix="tmo-"))
    fixture = TmuxFixture(tmpdir)
    try:
        yield fixture
    finally:
        fixture.kill()
        shutil.rmtree(tmpdir, ignore_errors=True)


@pytest.fixture
def running_tmux(tmux: TmuxFixture) -> TmuxFixture:
    """A private tmux server with one session `main`."""
    tmux.start()
    return tmux


@pytest.fixture
async def engine(running_tmux: TmuxFixture) -> AsyncIterator[Engine]:
    """An engine on the running private server, closed after the test."""
    eng = Engine(running_tmux.server, timeout=3.0)
    try:
        yield eng
    finally:
        await eng.close()


@pytest.fixture
def backend(engine: Engine) -> LocalBackend:
    """The local backend over the test engine (what the CLI and TUI use)."""
    return LocalBackend(engine)


async def wait_for(
    condition: Callable[[], object], timeout: float = 5.0, interval: float = 0.02
) -> None:
    """Poll `condition` until true, failing the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)


@pytest.fixture
async def srv(engine: Engine, running_tmux: TmuxFixture) -> AsyncIterator[Served]:
    """A real `tmuxorch serve` on 127.0.0.1 over the test's engine, with tokens."""
    async with served(engine, running_tmux.tmpdir) as s:
        yield s


async def until(
    pilot: Pilot[None],
    condition: Callable[[], object],
    timeout: float = 10.0,
    detail: Callable[[], str] = lambda: "",
) -> None:
    """Let the app run until `condition` holds; fail after `timeout` seconds (saying `detail`)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"condition not met within {timeout} s {detail()}"
        await pilot.pause(0.02)
