"""Long-lived programs run by a benchmark as a user would run them, their output drained.

A `Headless` is a process in its own session (so it and every child it starts share one process
group, killed by that group's id, never by name): either on a real pseudo-terminal of a fixed
size, so a full-screen app such as the TUI really renders its frames to a terminal nobody looks
at, or with its stdout on a pipe. A thread reads everything the process writes (a full pty or
pipe would block it and make it look cheap), and can note when a pattern first appeared.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import signal
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Callable, Sequence
from types import TracebackType

from bench.cputime import descendant_ticks, started_at

_KEEP_BYTES = 1 << 16
"""How much of the output is kept to look for the pattern in (a frame spans a few reads)."""


class Headless:
    """Context manager: the process runs inside the block and is gone, with its children, after."""

    def __init__(
        self,
        argv: Sequence[str],
        env: dict[str, str],
        *,
        pty_size: tuple[int, int] | None = None,
        watch: bytes | None = None,
        on_line: Callable[[bytes], None] | None = None,
    ) -> None:
        self.argv, self.env, self.pty_size = list(argv), env, pty_size
        self.watch = None if watch is None else re.compile(watch)
        self.on_line = on_line
        self.started = 0.0
        self.seen: float | None = None
        """perf_counter when `watch` first appeared in the output."""
        self.bytes_read = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def __enter__(self) -> Headless:
        if self.pty_size is None:
            self._spawn(subprocess.DEVNULL, subprocess.PIPE, subprocess.DEVNULL)
            assert self._proc is not None
            assert self._proc.stdout is not None
            reader = self._proc.stdout.fileno()
        else:
            reader, terminal = os.openpty()
            columns, rows = self.pty_size
            fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
            try:
                self._spawn(terminal, terminal, terminal)
            finally:
                os.close(terminal)
        self._thread = threading.Thread(target=self._drain, args=(reader,), daemon=True)
        self._thread.start()
        return self

    def _spawn(self, stdin: int, stdout: int, stderr: int) -> None:
        self.started = time.perf_counter()
        self._proc = subprocess.Popen(
            self.argv, stdin=stdin, stdout=stdout, stderr=stderr, env=self.env,
            start_new_session=True,
        )  # fmt: skip

    def _drain(self, fd: int) -> None:
        """Read until the process closes its end (EOF, or EIO on a pty)."""
        kept = b""
        partial = b""
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            self.bytes_read += len(chunk)
            if self.watch is not None and self.seen is None:
                kept = (kept + chunk)[-_KEEP_BYTES:]
                if self.watch.search(kept):
                    self.seen = time.perf_counter()
            if self.on_line is not None:
                *lines, partial = (partial + chunk).split(b"\n")
                for line in lines:
                    self.on_line(line)
        if self.pty_size is not None:
            os.close(fd)

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """SIGTERM to the process group, SIGKILL to what is left of it after 3 s; then SIGKILL
        to the descendants that live in sessions of their own (the engine starts its tmux
        control client so), by the pids they had while the process ran."""
        proc = self._proc
        if proc is None:
            return
        strays = {pid: started_at(pid) for pid in descendant_ticks(proc.pid)}
        for signum, grace in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signum)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(grace)
            if proc.poll() is not None and not _group_alive(proc.pid):
                break
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # children that outlived their leader
        for pid, started in strays.items():
            if started is not None and started_at(pid) == started:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
        if self._thread is not None:
            self._thread.join(5)
        if proc.stdout is not None:
            proc.stdout.close()


def _group_alive(pgid: int) -> bool:
    """Is any process of the group still there (signal 0 tests without touching it)?"""
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True
